// Real kubectl on the wire formats: the protobuf bodies of `kubectl create <generator>` (1.32+ send protobuf)
// and `kubectl explain` from the server's OpenAPI documents (v2 and v3).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startApiServer, type ApiServer } from "../src/apiserver/server.ts";
import { TestClient } from "../src/apiserver/testing.ts";
import { tools } from "../scripts/tools.ts";
import { Kubectl, scratchDir } from "./kubectl-harness.ts";

const available = tools().kubectl;

function withKubectl(minor: number, body: (ctx: { kubectl: Kubectl; client: TestClient; server: ApiServer }) => void) {
  const path = available.get(minor);
  if (!path) {
    console.warn(`skipping kubectl 1.${minor} wire tests: ${tools().missing.join("; ") || "binary not found"}`);
    return;
  }
  describe(`kubectl 1.${minor}`, () => {
    const ctx = {} as { kubectl: Kubectl; client: TestClient; server: ApiServer };
    let scratch: ReturnType<typeof scratchDir>;
    beforeAll(async () => {
      scratch = scratchDir("kode-kubectl-wire-");
      ctx.server = await startApiServer({});
      ctx.client = new TestClient(ctx.server);
      ctx.kubectl = new Kubectl({ label: `kubectl-1.${minor}`, path, minor, full: false }, ctx.server.kubeconfigPath, scratch.path);
    });
    afterAll(async () => {
      await ctx.server?.stop();
      scratch?.cleanup();
    });
    body(ctx);
  });
}

/** `kubectl create …` generators, what they must leave in the server, and where to read it back. */
const creates: { args: string[]; path: string; check: (object: any) => void }[] = [
  {
    args: ["create", "job", "pi", "--image=busybox:1.36", "--", "sh", "-c", "echo hi"],
    path: "/apis/batch/v1/namespaces/default/jobs/pi",
    check: (job) => expect(job.spec.template.spec.containers[0]).toMatchObject({ name: "pi", image: "busybox:1.36", command: ["sh", "-c", "echo hi"] }),
  },
  {
    args: ["create", "cronjob", "nightly", "--image=busybox:1.36", "--schedule=*/5 * * * *", "--", "date"],
    path: "/apis/batch/v1/namespaces/default/cronjobs/nightly",
    check: (cronJob) => {
      expect(cronJob.spec.schedule).toBe("*/5 * * * *");
      expect(cronJob.spec.jobTemplate.spec.template.spec.containers[0].command).toEqual(["date"]);
    },
  },
  {
    args: ["create", "role", "pod-reader", "--verb=get,list", "--resource=pods,deployments.apps"],
    path: "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/pod-reader",
    check: (role) => expect(role.rules).toEqual([
      { verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] },
      { verbs: ["get", "list"], apiGroups: ["apps"], resources: ["deployments"] },
    ]),
  },
  {
    args: ["create", "rolebinding", "read-pods", "--role=pod-reader", "--user=jane", "--serviceaccount=default:robot"],
    path: "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/read-pods",
    check: (binding) => {
      expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" });
      expect(binding.subjects).toEqual([
        { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "jane" },
        { kind: "ServiceAccount", name: "robot", namespace: "default" },
      ]);
    },
  },
  {
    args: ["create", "clusterrole", "node-reader", "--verb=get", "--resource=nodes"],
    path: "/apis/rbac.authorization.k8s.io/v1/clusterroles/node-reader",
    check: (role) => expect(role.rules).toEqual([{ verbs: ["get"], apiGroups: [""], resources: ["nodes"] }]),
  },
  {
    args: ["create", "clusterrolebinding", "read-nodes", "--clusterrole=node-reader", "--group=devs"],
    path: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/read-nodes",
    check: (binding) => expect(binding.subjects).toEqual([{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "devs" }]),
  },
  {
    args: ["create", "service", "clusterip", "web", "--tcp=80:8080"],
    path: "/api/v1/namespaces/default/services/web",
    check: (service) => {
      expect(service.spec.ports).toEqual([{ name: "80-8080", protocol: "TCP", port: 80, targetPort: 8080 }]);
      expect(service.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    },
  },
  {
    args: ["create", "service", "nodeport", "np", "--tcp=80:8080", "--node-port=30080"],
    path: "/api/v1/namespaces/default/services/np",
    check: (service) => expect(service.spec).toMatchObject({ type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }),
  },
  {
    args: ["create", "deployment", "web", "--image=nginx:1.27", "--replicas=0"],
    path: "/apis/apps/v1/namespaces/default/deployments/web",
    check: (deployment) => expect(deployment.spec.replicas).toBe(0), // a pointer on the wire: 0, not the default 1
  },
  {
    args: ["create", "secret", "generic", "s1", "--from-literal=k=v"],
    path: "/api/v1/namespaces/default/secrets/s1",
    check: (secret) => expect(secret.data).toEqual({ k: "dg==" }),
  },
  {
    args: ["create", "configmap", "c1", "--from-literal=k=v"],
    path: "/api/v1/namespaces/default/configmaps/c1",
    check: (configMap) => expect(configMap.data).toEqual({ k: "v" }),
  },
  {
    args: ["create", "serviceaccount", "robot"],
    path: "/api/v1/namespaces/default/serviceaccounts/robot",
    check: (account) => expect(account.metadata.name).toBe("robot"),
  },
  {
    args: ["create", "namespace", "team-b"],
    path: "/api/v1/namespaces/team-b",
    check: (namespace) => expect(namespace.status.phase).toBe("Active"),
  },
];

/** Generators of kinds the server serves once they are in the built-in table (checked by discovery). */
const createsOfNewerKinds: { args: string[]; path: string; check: (object: any) => void }[] = [
  {
    args: ["create", "quota", "q", "--hard=cpu=1,pods=10"],
    path: "/api/v1/namespaces/default/resourcequotas/q",
    check: (quota) => expect(quota.spec.hard).toEqual({ cpu: "1", pods: "10" }),
  },
  {
    args: ["create", "priorityclass", "high", "--value=1000", "--description=important"],
    path: "/apis/scheduling.k8s.io/v1/priorityclasses/high",
    check: (priorityClass) => expect(priorityClass).toMatchObject({ value: 1000, description: "important" }),
  },
  {
    args: ["create", "poddisruptionbudget", "web-pdb", "--selector=app=web", "--min-available=50%"],
    path: "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web-pdb",
    check: (pdb) => expect(pdb.spec).toEqual({ minAvailable: "50%", selector: { matchLabels: { app: "web" } } }),
  },
  {
    args: ["create", "ingress", "web", "--class=nginx", "--rule=example.com/app*=web:80"],
    path: "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web",
    check: (ingress) => expect(ingress.spec.rules[0].http.paths[0]).toEqual({
      path: "/app", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } },
    }),
  },
];

for (const minor of [32, 35]) {
  withKubectl(minor, (ctx) => {
    for (const { args, path, check } of [...creates, ...createsOfNewerKinds]) {
      test(`${args.slice(0, 3).join(" ")} sends protobuf and the server keeps what it says`, async () => {
        // Flags before any "--": what follows it is the container command.
        const result = await ctx.kubectl.run(["-v=7", "--request-timeout=30s", ...args], { noRequestTimeout: true });
        expect(result.stderr).toContain("Content-Type: application/vnd.kubernetes.protobuf");
        expect(result.code).toBe(0);
        const stored = await ctx.client.get(path);
        expect(stored.status).toBe(200);
        check(stored.body);
      });
    }

    test("create token (a TokenRequest in protobuf) prints a token", async () => {
      expect((await ctx.client.post("/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "token-robot" } })).status).toBe(201);
      const result = await ctx.kubectl.run(["-v=7", "create", "token", "token-robot", "--duration=10m"]);
      expect(result.stderr).toContain("Content-Type: application/vnd.kubernetes.protobuf");
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    });

    test("auth whoami and auth can-i --list (reviews in protobuf)", async () => {
      const whoami = await ctx.kubectl.run(["-v=7", "auth", "whoami"]);
      expect(whoami.stderr).toContain("Content-Type: application/vnd.kubernetes.protobuf");
      expect(whoami.code).toBe(0);
      expect(whoami.stdout).toMatch(/^Username\s+\S+/m);
      const list = await ctx.kubectl.run(["auth", "can-i", "--list"]);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/m);
    });
  });
}

/** `kubectl explain` paths through nested built-in fields, and a line each answer must hold. */
const explains: { path: string; expect: RegExp[] }[] = [
  {
    path: "deployment.spec.template.spec.containers",
    expect: [/^KIND:\s+Deployment$/m, /containers\s+<\[\](Container|Object)>/, /^\s+image\s+<string>$/m, /^\s+name\s+<string>\s+-required-$/m],
  },
  { path: "deployment.spec.template.spec.containers.resources.limits", expect: [/limits\s+<map\[string\]/, /maximum amount of compute resources/] },
  { path: "pod.spec.volumes.emptyDir.sizeLimit", expect: [/^KIND:\s+Pod$/m, /sizeLimit/, /[Tt]otal amount of local storage/] },
  { path: "pod.spec.volumes.configMap", expect: [/^\s+items\s+<\[\](KeyToPath|Object)>$/m, /^\s+name\s+<string>$/m] }, // inlined LocalObjectReference
  { path: "cronjob.spec.jobTemplate.spec.template.spec.restartPolicy", expect: [/^KIND:\s+CronJob$/m, /restartPolicy\s+<string>/] },
  { path: "role.rules.verbs", expect: [/^KIND:\s+Role$/m, /verbs\s+<\[\]string>/] },
  { path: "service.spec.ports.port", expect: [/port\s+<integer>/, /The port that will be exposed by this service/] },
  { path: "lease.spec.renewTime", expect: [/renewTime\s+<string>/] },
];

const widgetCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "gadgets.example.com" },
  spec: {
    group: "example.com",
    scope: "Namespaced",
    names: { plural: "gadgets", singular: "gadget", kind: "Gadget", listKind: "GadgetList" },
    versions: [{
      name: "v1", served: true, storage: true,
      schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", description: "What the gadget should be.", properties: { color: { type: "string", description: "Paint." } } } } } },
    }],
  },
};

for (const minor of [27, 32, 35]) {
  withKubectl(minor, (ctx) => {
    // 1.27 explains from OpenAPI v3 by default and from v2 (protobuf) with --output=plaintext-openapiv2, which
    // shows a referenced type as "Object".
    const outputs = minor === 27 ? [[], ["--output=plaintext-openapiv2"]] : [[]];
    for (const output of outputs) {
      const label = output.length > 0 ? " (OpenAPI v2)" : "";
      for (const { path, expect: lines } of explains) {
        test(`explain ${path}${label}`, async () => {
          const result = await ctx.kubectl.run(["explain", path, ...output]);
          expect(result.stderr).toBe("");
          expect(result.code).toBe(0);
          for (const line of lines) expect(result.stdout).toMatch(line);
        });
      }
      test(`explain of a field that does not exist fails as on a cluster${label}`, async () => {
        const result = await ctx.kubectl.run(["explain", "deployment.spec.nosuchfield", ...output]);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain('field "nosuchfield" does not exist');
      });
      test(`explain of a namespaced CRD's fields${label}`, async () => {
        expect((await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd)).status).toBeOneOf([201, 409]);
        let result = await ctx.kubectl.run(["explain", "gadgets.spec", ...output]);
        for (let i = 0; i < 20 && result.code !== 0; i++) {
          await Bun.sleep(100); // the CRD becomes Established asynchronously
          result = await ctx.kubectl.run(["explain", "gadgets.spec", ...output]);
        }
        expect(result.stderr).toBe("");
        expect(result.stdout).toMatch(/^KIND:\s+Gadget$/m);
        expect(result.stdout).toContain("What the gadget should be.");
        expect(result.stdout).toMatch(/^\s+color\s+<string>$/m);
      });
    }
  });
}
