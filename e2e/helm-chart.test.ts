// The Helm chart charts/kode-operator with the real helm 3 and 4 (scripts/tools.ts) and kubectl's kustomize: its
// shared files are the manifests' own (scripts/sync-chart.ts), `helm lint` passes, `helm template` renders the same
// objects as `kubectl kustomize` of manifests/default (and of an overlay with the falco and bind-user components when
// falco.enabled and bindUser.enabled are set), and `helm install`/`uninstall` work against the embedded API server.
import { afterAll, describe, expect, test } from "bun:test";
import { YAML } from "bun";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { staleChartFiles, CHART, ROOT } from "../scripts/sync-chart.ts";
import { tools } from "../scripts/tools.ts";
import { useApiServer } from "../src/apiserver/testing.ts";
import { findKubectlBinaries, scratchDir } from "./kubectl-harness.ts";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

const available = tools().helm;
const majors = [4, 3].filter((m) => available.has(m));
const kubectl = findKubectlBinaries().at(-1)?.path;
const scratch = scratchDir("kode-helm-chart-");
afterAll(() => scratch.cleanup());
let runs = 0;

async function run(cmd: string[], env: Record<string, string> = {}): Promise<string> {
  const home = join(scratch.path, `home-${++runs}`);
  for (const d of ["cache", "config", "data"]) mkdirSync(join(home, d), { recursive: true });
  const proc = Bun.spawn({
    cmd,
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_CACHE_HOME: join(home, "cache"), XDG_CONFIG_HOME: join(home, "config"), XDG_DATA_HOME: join(home, "data"), TMPDIR: scratch.path, ...env },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 80_000,
    killSignal: "SIGKILL",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}:\n${stdout}${stderr}`);
  return stdout;
}

const parseAll = (text: string): Obj[] => {
  const parsed = YAML.parse(text) as unknown;
  return (Array.isArray(parsed) ? parsed : [parsed]).filter((o): o is Obj => !!o && typeof o === "object" && "kind" in (o as object));
};

/** What a deployment does, without who packaged it: labels and annotations of objects and pod templates dropped. */
function substance(objs: Obj[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of objs) {
    const c = structuredClone(o);
    delete c.metadata.labels;
    delete c.metadata.annotations;
    if (c.spec?.template?.metadata) delete c.spec.template.metadata.labels;
    out[`${c.kind}/${c.metadata.namespace ?? ""}/${c.metadata.name}`] = c;
  }
  return out;
}

/** kubectl kustomize of manifests/default, with components in an overlay when given. */
async function kustomize(components: string[]): Promise<Obj[]> {
  const overlay = join(scratch.path, `overlay-${components.length}`);
  mkdirSync(overlay, { recursive: true });
  const rel = (p: string) => relative(overlay, join(ROOT, p));
  writeFileSync(
    join(overlay, "kustomization.yaml"),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [${JSON.stringify(rel("manifests/default"))}]\ncomponents: [${components.map((c) => JSON.stringify(rel(`manifests/components/${c}`))).join(", ")}]\n`,
  );
  // The chart leaves the namespace to helm (--create-namespace): it is not among the compared objects.
  return parseAll(await run([kubectl!, "kustomize", overlay])).filter((o) => o.kind !== "Namespace");
}

describe("charts/kode-operator", () => {
  test("its CRDs, RBAC rules and bind-user policy are byte copies of manifests/ (npx bun scripts/sync-chart.ts)", () => {
    expect(staleChartFiles()).toEqual([]);
  });
});

for (const major of majors) {
  const helm = available.get(major)!;
  describe(`charts/kode-operator with helm ${major}`, () => {
    test("helm lint passes, also with falco and bind-user on", async () => {
      expect(await run([helm, "lint", CHART])).toContain("1 chart(s) linted, 0 chart(s) failed");
      expect(await run([helm, "lint", CHART, "--set", "falco.enabled=true,bindUser.enabled=true,falco.tokenSecret.create=true,falco.tokenSecret.token=t"])).toContain("1 chart(s) linted, 0 chart(s) failed");
    });

    test.skipIf(!kubectl)("helm template renders what kubectl kustomize renders (defaults; falco and bind-user)", async () => {
      const chart = parseAll(await run([helm, "template", "kode", CHART, "--namespace", "kode-system", "--include-crds"]));
      const kustomized = await kustomize([]);
      expect(Object.keys(substance(chart)).sort()).toEqual(Object.keys(substance(kustomized)).sort());
      expect(substance(chart)).toEqual(substance(kustomized));
      // Pod selector labels are part of the substance: the Services must find the pods.
      const dep = chart.find((o) => o.kind === "Deployment")!;
      expect(dep.spec.selector.matchLabels).toEqual(kustomized.find((o) => o.kind === "Deployment")!.spec.selector.matchLabels);

      const withAll = parseAll(await run([helm, "template", "kode", CHART, "--namespace", "kode-system", "--include-crds", "--set", "falco.enabled=true,bindUser.enabled=true"]));
      const kustomizedAll = await kustomize(["falco", "bind-user"]);
      expect(substance(withAll)).toEqual(substance(kustomizedAll));
      const args = withAll.find((o) => o.kind === "Deployment")!.spec.template.spec.containers[0].args;
      expect(args).toEqual([
        "operator",
        "--leader-elect",
        "--health-address=:8081",
        "--metrics-address=:8080",
        "--log-format=json",
        "--falco-namespace=falco",
        "--falco-webhook-port=2802",
        "--falco-token-secret=kode-system/kode-falco-webhook-token",
      ]);
      expect(withAll.map((o) => o.kind)).toContain("ValidatingAdmissionPolicy");
    });

    test("values: image, watched namespaces, activity interval, extra flags", async () => {
      const out = parseAll(
        await run([helm, "template", "dev", CHART, "--namespace", "ops", "--set", "image.tag=v0.2.0,watchNamespaces={team-a,team-b},activityInterval=1m,gatewayAPI=true,extraArgs={--log-level=debug},replicaCount=1,leaderElection.enabled=false"]),
      );
      const dep = out.find((o) => o.kind === "Deployment")!;
      expect(dep.metadata.name).toBe("dev-controller-manager");
      expect(dep.spec.replicas).toBe(1);
      const c = dep.spec.template.spec.containers[0];
      expect(c.image).toBe("ghcr.io/jacero-io/kode-operator:v0.2.0");
      expect(c.args).toEqual(["operator", "--health-address=:8081", "--metrics-address=:8080", "--log-format=json", "--namespace=team-a", "--namespace=team-b", "--gateway-api", "--activity-interval=1m", "--log-level=debug"]);
      const binding = out.find((o) => o.kind === "ClusterRoleBinding")!;
      expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "dev-controller-manager", namespace: "ops" }]);
    });

    test("values: the heap growth factor (memory against CPU and latency) reaches the container's environment", async () => {
      const envOf = async (set: string[]) => {
        const out = parseAll(await run([helm, "template", "dev", CHART, ...set]));
        const env = out.find((o) => o.kind === "Deployment")!.spec.template.spec.containers[0].env as { name: string; value?: string }[];
        return env.find((e) => e.name === "BUN_JSC_smallHeapGrowthFactor")?.value;
      };
      expect(await envOf([])).toBe("1.35");
      // --set parses 3 as a number; the environment needs the string.
      expect(await envOf(["--set", "heapGrowthFactor=3"])).toBe("3");
      expect(await envOf(["--set-string", "heapGrowthFactor=1.6"])).toBe("1.6");
    });
  });
}

describe.skipIf(!majors.length)("helm install of charts/kode-operator into the embedded API server", () => {
  const ctx = useApiServer({ kubeconfigPath: join(scratch.path, "kubeconfig") });

  test("install (CRDs, RBAC, Deployment, Services, the admission policy), then uninstall", async () => {
    const helm = available.get(majors[0])!;
    const env = { KUBECONFIG: ctx.server.kubeconfigPath };
    const installed = await run([helm, "install", "kode", CHART, "--namespace", "kode-system", "--create-namespace", "--set", "falco.enabled=true,bindUser.enabled=true,falco.tokenSecret.create=true,falco.tokenSecret.token=s3cret"], env);
    expect(installed).toContain("STATUS: deployed");
    for (const path of [
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/kodes.kode.jacero.io",
      "/apis/apps/v1/namespaces/kode-system/deployments/kode-controller-manager",
      "/apis/rbac.authorization.k8s.io/v1/clusterroles/kode-manager-role",
      "/apis/rbac.authorization.k8s.io/v1/namespaces/kode-system/roles/kode-leader-election-role",
      "/api/v1/namespaces/kode-system/services/kode-falco-webhook",
      "/api/v1/namespaces/kode-system/secrets/kode-falco-webhook-token",
      "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/kode-bind-user",
      "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/kode-bind-user",
    ])
      expect([path, (await ctx.client.get(path)).status]).toEqual([path, 200]);
    const secret = (await ctx.client.get("/api/v1/namespaces/kode-system/secrets/kode-falco-webhook-token")).body as { data: Record<string, string> };
    expect(Buffer.from(secret.data.token, "base64").toString()).toBe("s3cret");
    const uninstalled = await run([helm, "uninstall", "kode", "--namespace", "kode-system"], env);
    expect(uninstalled).toContain('release "kode" uninstalled');
    expect((await ctx.client.get("/apis/apps/v1/namespaces/kode-system/deployments/kode-controller-manager")).status).toBe(404);
    // Helm keeps what crds/ installed.
    expect((await ctx.client.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/kodes.kode.jacero.io")).status).toBe(200);
  }, 120_000);
});
