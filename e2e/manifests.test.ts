// The install manifests (manifests/), the Dockerfile and .dockerignore.
// Static checks always run: every YAML parses, kustomizations list files that exist, RBAC has no wildcards and
// grants exactly what the operator's code needs (the list below, cross-checked against the source), the
// Deployment is locked down, the samples are the seed's examples, the Dockerfile builds and runs non-root.
// With kubectl: `kubectl kustomize` renders and `kubectl apply -k` succeeds against the embedded API server.
import { CRONJOBS } from "../src/backup/config.ts";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { YAML } from "bun";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import * as apiResources from "../src/api/resources.ts";
import { ENVOY_PROXY_CLUSTER_CONFIGS, ENVOY_PROXY_CONFIGS, KODE_CLUSTER_TEMPLATES, KODE_TEMPLATES, KODES } from "../src/api/resources.ts";
import { seedExamples } from "../src/api/testdata/seed-examples.ts";
import { startApiServer, type ApiServer } from "../src/apiserver/server.ts";
import * as kubeResources from "../src/kube/resources.ts";
import { HTTPROUTES, INGRESSES } from "../src/access/routes.ts";
import { JOBS } from "../src/backup/restore-job.ts";
import { VOLUME_SNAPSHOTS } from "../src/backup/volume-snapshot.ts";
import { CONFIGMAPS, EVENTS, LEASES, NAMESPACES, NETWORK_POLICIES, PODS, PVCS, SECRETS, SERVICES, STATEFULSETS } from "../src/kube/resources.ts";
import type { ResourceRef } from "../src/kube/types.ts";
import { OPERATOR_USAGE } from "../src/operator/cli.ts";
import { scratchDir } from "./kubectl-harness.ts";

const ROOT = join(import.meta.dir, "..");
const MANIFESTS = join(ROOT, "manifests");
const NAMESPACE = "kode-system";
const PREFIX = "kode-";
/** The Lease name the operator uses (src/operator/operator.ts); the leader-election Role is limited to it. */
const LEASE_NAME = "kode-operator-leader";

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };
type Rule = { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[]; nonResourceURLs?: string[] };

// ---------------------------------------------------------------------------------------------------------------
// What the operator does against the API, by (group, resource, verb). Keep in step with the code; the source scan
// below fails when the code starts using a resource or a client method this list does not account for.
// ---------------------------------------------------------------------------------------------------------------
interface Need {
  ref: ResourceRef;
  subresource?: string;
  verbs: string[];
  why: string;
}
const CHILD_VERBS = ["get", "list", "watch", "create", "patch", "delete"];

/** Cluster-wide (ClusterRole): the operator watches every namespace by default. */
const CLUSTER_NEEDS: Need[] = [
  { ref: KODES, verbs: ["list", "watch"], why: "informer (src/operator/operator.ts)" },
  { ref: KODES, verbs: ["patch"], why: "finalizer added/removed with a merge patch (src/kode/reconcile.ts); spec.paused (src/lifecycle/pause.ts)" },
  { ref: KODES, verbs: ["get"], why: "a fresh read before an automatic pause (src/lifecycle/pause.ts)" },
  { ref: KODES, subresource: "status", verbs: ["patch"], why: "status merge patch (src/kode/reconcile.ts)" },
  { ref: KODES, subresource: "finalizers", verbs: ["update"], why: "children's ownerReferences set blockOwnerDeletion (src/kode/render.ts)" },
  { ref: KODE_TEMPLATES, verbs: ["list", "watch"], why: "informer" },
  { ref: KODE_TEMPLATES, subresource: "status", verbs: ["patch"], why: "status (src/template/reconcile.ts)" },
  { ref: KODE_CLUSTER_TEMPLATES, verbs: ["list", "watch"], why: "informer" },
  { ref: KODE_CLUSTER_TEMPLATES, subresource: "status", verbs: ["patch"], why: "status (src/template/reconcile.ts)" },
  { ref: ENVOY_PROXY_CONFIGS, verbs: ["list", "watch"], why: "Envoy sidecar configuration: informer (src/operator/operator.ts)" },
  { ref: ENVOY_PROXY_CONFIGS, subresource: "status", verbs: ["patch"], why: "status (src/envoy/reconcile.ts)" },
  { ref: ENVOY_PROXY_CLUSTER_CONFIGS, verbs: ["list", "watch"], why: "Envoy sidecar configuration: informer (src/operator/operator.ts)" },
  { ref: ENVOY_PROXY_CLUSTER_CONFIGS, subresource: "status", verbs: ["patch"], why: "status (src/envoy/reconcile.ts)" },
  { ref: SECRETS, verbs: CHILD_VERBS, why: "<kode>-auth child and existingSecret reads; apply layer gets when not cached" },
  { ref: SERVICES, verbs: CHILD_VERBS, why: "<kode> Service child" },
  { ref: PVCS, verbs: CHILD_VERBS, why: "<kode>-home child; keepVolume patch" },
  { ref: STATEFULSETS, verbs: CHILD_VERBS, why: "<kode> StatefulSet child" },
  { ref: CONFIGMAPS, verbs: CHILD_VERBS, why: "<kode>-envoy bootstrap ConfigMap child; a devcontainer.configMapRef (src/operator/operator.ts)" },
  { ref: PODS, verbs: ["list", "watch"], why: "the Kodes' pods, label-selected informer: init container reports (src/kode/init-reports.ts)" },
  { ref: PODS, subresource: "proxy", verbs: ["get"], why: "activity readings through the pod proxy (src/lifecycle/poller.ts)" },
  { ref: PODS, subresource: "log", verbs: ["get"], why: "devcontainers: postStartCommand's result and a failed create command's last lines from the container logs (src/kode/init-reports.ts)" },
  { ref: NETWORK_POLICIES, verbs: CHILD_VERBS, why: "<kode> NetworkPolicy child of an Envoy sidecar (src/kode/reconcile.ts)" },
  { ref: NAMESPACES, verbs: ["list", "watch"], why: "informer: the owner label of a user's namespace (src/operator/operator.ts)" },
  { ref: INGRESSES, verbs: CHILD_VERBS, why: "<kode> Ingress child for a template's access (src/kode/render.ts)" },
  { ref: HTTPROUTES, verbs: CHILD_VERBS, why: "<kode> HTTPRoute child for access.gateway, with --gateway-api (src/kode/render.ts)" },
  { ref: CRONJOBS, verbs: CHILD_VERBS, why: "<kode>-backup CronJob of a backup schedule (src/backup/backup-render.ts)" },
  { ref: EVENTS, verbs: ["create", "patch"], why: "Events on Kodes in their namespaces (src/kube/events.ts)" },
  { ref: JOBS, verbs: CHILD_VERBS, why: "backup/verify Jobs (src/backup/backup-step.ts) and the <kode>-restore-<request> Job of a paused Kode (src/backup/restore-job.ts)" },
  { ref: VOLUME_SNAPSHOTS, verbs: ["list", "watch", "create", "delete"], why: "VolumeSnapshots of a Kode's home (src/backup/volume-snapshot.ts)" },
];
/** Granted although the code does not need them: none (e2e/operator-rbac.test.ts derives the list from a recorded run). */
const CLUSTER_EXTRAS: Need[] = [];
/** In the operator's own namespace (Role): leader election. */
const LEADER_NEEDS: Need[] = [{ ref: LEASES, verbs: ["get", "create", "update"], why: "src/kube/leader-election.ts (GET, POST, PUT)" }];
const LEADER_EXTRAS: Need[] = [{ ref: EVENTS, verbs: ["create", "patch"], why: "events in the operator's namespace (also granted cluster-wide)" }];

const resourceOf = (n: Need) => (n.subresource ? `${n.ref.plural}/${n.subresource}` : n.ref.plural);
const triples = (needs: Need[]) => needs.flatMap((n) => n.verbs.map((v) => `${n.ref.group}|${resourceOf(n)}|${v}`));

/** (group|resource|verb) triples a rule list grants; `named` says which are limited to resourceNames. */
function granted(rules: Rule[]): { all: Set<string>; named: Map<string, string[]> } {
  const all = new Set<string>();
  const named = new Map<string, string[]>();
  for (const r of rules)
    for (const g of r.apiGroups ?? [])
      for (const res of r.resources ?? [])
        for (const v of r.verbs) {
          const t = `${g}|${res}|${v}`;
          all.add(t);
          if (r.resourceNames?.length) named.set(t, [...(named.get(t) ?? []), ...r.resourceNames]);
          else named.set(t, []); // unrestricted wins
        }
  // A triple granted both with and without names is unrestricted.
  for (const r of rules)
    for (const g of r.apiGroups ?? [])
      for (const res of r.resources ?? [])
        for (const v of r.verbs) if (!r.resourceNames?.length) named.set(`${g}|${res}|${v}`, []);
  return { all, named };
}

/** Every string anywhere in a value equal to "*" (or containing one, for apiGroups/resources/verbs). */
function wildcards(value: unknown, path = ""): string[] {
  if (typeof value === "string") return value.includes("*") ? [`${path}: ${value}`] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => wildcards(v, `${path}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => wildcards(v, path ? `${path}.${k}` : k));
  return [];
}

// ---------------------------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------------------------
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
const yamlFiles = walk(MANIFESTS).filter((f) => /\.ya?ml$/.test(f));

function parseDocs(text: string): any[] {
  const parsed = YAML.parse(text);
  const docs = Array.isArray(parsed) && /^---/m.test(text) ? parsed : [parsed];
  return docs.filter((d) => d !== null && d !== undefined);
}
function objectsIn(dir: string): K8sObject[] {
  return walk(join(MANIFESTS, dir))
    .filter((f) => /\.ya?ml$/.test(f) && !/kustomization\.ya?ml$/.test(f) && !(dir === "samples" && f.includes("/environments/")))
    .flatMap((f) => parseDocs(readFileSync(f, "utf8")));
}
const find = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);

// ---------------------------------------------------------------------------------------------------------------
// Static checks (no kubectl needed)
// ---------------------------------------------------------------------------------------------------------------
describe("manifests: static", () => {
  test("every YAML file parses into Kubernetes objects or a Kustomization", () => {
    expect(yamlFiles.length).toBeGreaterThan(10);
    for (const file of yamlFiles) {
      const docs = parseDocs(readFileSync(file, "utf8"));
      expect(docs.length, relative(ROOT, file)).toBeGreaterThan(0);
      for (const d of docs) {
        expect(typeof d.apiVersion, `${relative(ROOT, file)}: apiVersion`).toBe("string");
        expect(typeof d.kind, `${relative(ROOT, file)}: kind`).toBe("string");
        if (d.kind !== "Kustomization" && d.kind !== "Component") expect(typeof d.metadata?.name, `${relative(ROOT, file)}: metadata.name`).toBe("string");
      }
    }
  });

  test("kustomizations: layout, and every listed resource exists; every file is listed", () => {
    for (const dir of ["crds", "rbac", "manager", "default", "samples"]) expect(existsSync(join(MANIFESTS, dir, "kustomization.yaml")), dir).toBe(true);
    for (const file of yamlFiles.filter((f) => f.endsWith("kustomization.yaml"))) {
      const k = parseDocs(readFileSync(file, "utf8"))[0];
      const dir = join(file, "..");
      for (const r of k.resources ?? []) expect(existsSync(join(dir, r)), `${relative(ROOT, file)} lists ${r}`).toBe(true);
      const listed = new Set((k.resources ?? []).map((r: string) => join(dir, r)));
      for (const f of readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml"))
        expect(listed.has(join(dir, f)), `${relative(ROOT, join(dir, f))} is not in its kustomization.yaml`).toBe(true);
    }
    const def = parseDocs(readFileSync(join(MANIFESTS, "default/kustomization.yaml"), "utf8"))[0];
    expect(def.namespace).toBe(NAMESPACE);
    expect(def.namePrefix).toBe(PREFIX);
    expect(def.resources).toEqual(["../crds", "../rbac", "../manager"]);
    const labels = Object.assign({}, def.commonLabels, ...(def.labels ?? []).map((l: { pairs: object }) => l.pairs));
    expect(labels["app.kubernetes.io/name"]).toBe("kode-operator");
  });

  test("RBAC: no wildcards anywhere (rbac/ and the rendered Roles)", () => {
    const rbac = objectsIn("rbac");
    expect(rbac.length).toBeGreaterThan(0);
    expect(wildcards(rbac)).toEqual([]);
    for (const role of [...find(rbac, "ClusterRole"), ...find(rbac, "Role")])
      for (const rule of role.rules as Rule[]) {
        expect(rule.verbs.length, `${role.metadata.name}: a rule without verbs`).toBeGreaterThan(0);
        expect(rule.nonResourceURLs, `${role.metadata.name}: nonResourceURLs`).toBeUndefined();
      }
  });

  test("ClusterRole grants every (group, resource, verb) the operator needs, and nothing else", () => {
    const roles = find(objectsIn("rbac"), "ClusterRole");
    expect(roles.map((r) => r.metadata.name)).toEqual(["manager-role"]);
    const { all, named } = granted(roles[0]!.rules);
    const missing = triples(CLUSTER_NEEDS).filter((t) => !all.has(t));
    expect(missing, "needed but not granted").toEqual([]);
    const restricted = triples(CLUSTER_NEEDS).filter((t) => named.get(t)?.length);
    expect(restricted, "needed cluster-wide but limited to resourceNames").toEqual([]);
    const allowed = new Set(triples([...CLUSTER_NEEDS, ...CLUSTER_EXTRAS]));
    expect([...all].filter((t) => !allowed.has(t)), "granted but not needed (least privilege)").toEqual([]);
  });

  test("leader election: a namespaced Role with the Lease verbs, bound to the operator's ServiceAccount", () => {
    const rbac = objectsIn("rbac");
    const [role] = find(rbac, "Role");
    expect(role).toBeDefined();
    const { all, named } = granted(role!.rules);
    expect(triples(LEADER_NEEDS).filter((t) => !all.has(t))).toEqual([]);
    const allowed = new Set(triples([...LEADER_NEEDS, ...LEADER_EXTRAS]));
    expect([...all].filter((t) => !allowed.has(t))).toEqual([]);
    // get/update are limited to the one Lease; that name must still be the operator's.
    for (const t of ["coordination.k8s.io|leases|get", "coordination.k8s.io|leases|update"]) {
      const names = named.get(t) ?? [];
      if (names.length) expect(names).toEqual([LEASE_NAME]);
    }
    expect(readFileSync(join(ROOT, "src/operator/operator.ts"), "utf8")).toContain(`"${LEASE_NAME}"`);

    const [sa] = find(rbac, "ServiceAccount");
    const [deploy] = find(objectsIn("manager"), "Deployment");
    expect(deploy!.spec.template.spec.serviceAccountName).toBe(sa!.metadata.name);
    for (const kind of ["RoleBinding", "ClusterRoleBinding"]) {
      const [binding] = find(rbac, kind);
      expect(binding, kind).toBeDefined();
      expect(binding!.roleRef.name).toBe(kind === "RoleBinding" ? role!.metadata.name : "manager-role");
      expect(binding!.subjects).toEqual([{ kind: "ServiceAccount", name: sa!.metadata.name, namespace: sa!.metadata.namespace }]);
    }
  });

  test("the needs list covers what the operator's source uses (resources and client methods)", () => {
    // The in-cluster operator's code: everything under src/ except the API server, the API definitions, the
    // offline commands and the sandbox (which talks to its own embedded server).
    const files = walk(join(ROOT, "src")).filter(
      (f) =>
        f.endsWith(".ts") &&
        !f.endsWith(".test.ts") &&
        !/\/src\/(apiserver|api)\//.test(f) &&
        !/-command\.ts$/.test(f) &&
        !/\/(sandbox|main|resources)\.ts$/.test(f),
    );
    const refs = Object.fromEntries(
      Object.entries({ ...kubeResources, ...apiResources }).filter(([, v]) => typeof v === "object" && v !== null && "plural" in v),
    ) as Record<string, ResourceRef>;
    const known = new Set([...CLUSTER_NEEDS, ...LEADER_NEEDS].map((n) => `${n.ref.group}|${n.ref.plural}`));
    const methodVerbs: Record<string, string> = { get: "get", list: "list", watch: "watch", create: "create", mergePatch: "patch", delete: "delete", close: "" };
    const unaccounted: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      for (const [name, ref] of Object.entries(refs))
        if (new RegExp(`\\b${name}\\b`).test(text) && !known.has(`${ref.group}|${ref.plural}`)) unaccounted.push(`${relative(ROOT, file)} uses ${name} (${ref.group || "core"}/${ref.plural})`);
      for (const m of text.matchAll(/\bclient\??\.(\w+)\s*[<(]/g)) {
        const method = m[1]!;
        if (method in methodVerbs) continue;
        // Raw requests: only the Lease PUT (update) in leader election is accounted for.
        if (method === "request" && file.endsWith("/kube/leader-election.ts")) continue;
        // The activity poller's pod-proxy GET: pods/proxy get.
        if (method === "request" && file.endsWith("/lifecycle/poller.ts")) continue;
        // Container logs of the Kodes' pods (postStartCommand, create commands): pods/log get.
        if (method === "request" && file.endsWith("/kode/init-reports.ts")) continue;
        unaccounted.push(`${relative(ROOT, file)} calls client.${method}(): review manifests/rbac and the needs list in e2e/manifests.test.ts`);
      }
    }
    expect(unaccounted).toEqual([]);
  });

  test("Deployment: non-root, read-only root filesystem, no privilege escalation, no capabilities, probes, resources", () => {
    const manager = objectsIn("manager");
    const [deploy] = find(manager, "Deployment");
    const pod = deploy!.spec.template.spec;
    expect(deploy!.spec.replicas).toBeGreaterThanOrEqual(1);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c.image).toMatch(/^ghcr\.io\/jacero-io\/kode-operator:/);
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(c.securityContext.privileged ?? false).toBe(false);
    expect(c.securityContext.capabilities.add ?? []).toEqual([]);
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.requests.memory).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
    // JavaScriptCore sizes the heap to the container's limit (Bun reads BUN_JSC_* options at start).
    expect(c.env.find((e: { name: string }) => e.name === "BUN_JSC_forceRAMSize")).toEqual({ name: "BUN_JSC_forceRAMSize", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1" } } });
    // and lets a small heap grow to 1.35 times what the last full collection kept (bench/operator.ts runs it so).
    expect(c.env.find((e: { name: string }) => e.name === "BUN_JSC_smallHeapGrowthFactor")).toEqual({ name: "BUN_JSC_smallHeapGrowthFactor", value: "1.35" });

    // Args: the operator subcommand and flags it knows, with leader election and the two addresses.
    expect(c.args[0]).toBe("operator");
    for (const arg of c.args.slice(1)) expect(OPERATOR_USAGE, `${arg} is not an operator flag`).toContain(`${arg.split("=")[0]} `);
    expect(c.args).toContain("--leader-elect");
    expect(c.args).toContain("--log-format=json");
    const flag = (name: string) => c.args.find((a: string) => a.startsWith(`--${name}=`))?.split("=")[1];
    const port = (address: string) => Number(address.split(":").pop());
    const ports = Object.fromEntries(c.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
    expect(ports.health).toBe(port(flag("health-address")!));
    expect(ports.metrics).toBe(port(flag("metrics-address")!));
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "health" });
    expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "health" });
    // With one replica, /readyz only ready while leading: a rolling update would wait forever for the new pod.
    if (deploy!.spec.replicas === 1) expect(deploy!.spec.strategy?.type).toBe("Recreate");
    // A writable /tmp: the root filesystem is read-only.
    const tmp = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === "/tmp");
    expect(pod.volumes.find((v: { name: string }) => v.name === tmp.name).emptyDir).toBeDefined();

    const [svc] = find(manager, "Service");
    expect(svc!.spec.ports.map((p: { targetPort: string }) => p.targetPort)).toEqual(["metrics"]);
    expect(svc!.spec.selector).toEqual(deploy!.spec.selector.matchLabels);
    for (const [k, v] of Object.entries(deploy!.spec.selector.matchLabels)) expect(deploy!.spec.template.metadata.labels[k]).toBe(v);
  });

  test("samples: the seed's examples with apiVersion kode.jacero.io/v1alpha1", () => {
    const samples = objectsIn("samples");
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
    const strip = (o: K8sObject) => ({ ...o, metadata: { ...o.metadata, namespace: undefined } });
    const seed = seedExamples().map((e) => e.object as K8sObject);
    expect(samples.map(key).sort()).toEqual(seed.map(key).sort());
    for (const o of samples) {
      expect(o.apiVersion).toBe("kode.jacero.io/v1alpha1");
      expect(strip(o), key(o)).toEqual(strip(seed.find((s) => key(s) === key(o))!));
    }
  });

  test("Dockerfile: multi-stage build with npm ci + npm run build, distroless glibc base, non-root", () => {
    const text = readFileSync(join(ROOT, "Dockerfile"), "utf8");
    const lines = text.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
    const froms = lines.filter((l) => /^FROM\s/i.test(l));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms.at(-1)).toMatch(/^FROM gcr\.io\/distroless\/cc-debian12(:nonroot)?(@sha256:\w+)?\s*$/);
    expect(text).toMatch(/RUN npm ci\b/);
    expect(text).toMatch(/RUN npm run build\b/);
    const build = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.build as string;
    expect(build).toContain("--compile");
    expect(build).toContain("--outfile dist/kode");
    expect(text).toMatch(/COPY --from=\S+ .*\/dist\/kode \/kode\s*$/m);
    // The final stage runs as the distroless nonroot user.
    const final = text.slice(text.lastIndexOf("\nFROM "));
    expect(final).toMatch(/^USER 65532:65532\s*$/m);
    expect(final).toContain('ENTRYPOINT ["/kode"]');
    expect(final).toContain('CMD ["operator"]');
    // The Deployment's runAsUser matches the image's user.
    const [deploy] = find(objectsIn("manager"), "Deployment");
    expect(deploy!.spec.template.spec.securityContext.runAsUser).toBe(65532);
    // Everything the build COPYs exists and is not excluded by .dockerignore.
    const ignore = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    for (const entry of ["node_modules", "dist", ".git", ".kode"]) expect(ignore).toContain(entry);
    for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+\s*$/gm))
      for (const src of m[1]!.split(/\s+/).filter((s) => !s.startsWith("--"))) {
        expect(existsSync(join(ROOT, src)), `Dockerfile copies ${src}`).toBe(true);
        expect(ignore, `${src} is copied but ignored`).not.toContain(src);
      }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// With kubectl: render and apply against the embedded API server
// ---------------------------------------------------------------------------------------------------------------
const kubectl = Bun.which("kubectl");
if (!kubectl) {
  console.warn("kubectl not found on PATH: skipping `kubectl kustomize` and `kubectl apply -k` of manifests/ (static checks still ran)");
  describe("manifests: kubectl", () => {
    test.skip("kubectl not found on PATH: render and apply tests skipped", () => {});
  });
} else {
  // kubectl runs take seconds each (and the gcloud kubectl dispatcher may probe the server first).
  setDefaultTimeout(120_000);
  describe("manifests: kubectl", () => {
    let server: ApiServer;
    let scratch: ReturnType<typeof scratchDir>;
    let homes = 0;

    // Asynchronous: the API server runs in this process (and kubectl may contact it even for `kustomize`).
    const run = async (args: string[], timeoutMs = 60_000) => {
      const home = join(scratch.path, `home-${++homes}`);
      mkdirSync(home, { recursive: true });
      const proc = Bun.spawn({
        cmd: [kubectl, ...args],
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, KUBECONFIG: server.kubeconfigPath },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        timeout: timeoutMs,
        killSignal: "SIGKILL",
      });
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      return { code, stdout, stderr };
    };
    const ok = async (args: string[]) => {
      const res = await run(args);
      if (res.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${res.code}:\n${res.stdout}${res.stderr}`);
      return res.stdout;
    };
    const getJson = async (args: string[]) => JSON.parse(await ok([...args, "-o", "json", "--request-timeout=30s"]));

    beforeAll(async () => {
      scratch = scratchDir("kode-manifests-e2e-");
      server = await startApiServer({ kubeconfigPath: join(scratch.path, "kubeconfig") });
    });
    afterAll(async () => {
      await server?.stop();
      scratch?.cleanup();
    });

    let rendered: K8sObject[] = [];

    test("kubectl kustomize manifests/default renders: prefixed names in kode-system, labels, bindings", async () => {
      rendered = parseDocs(await ok(["kustomize", "manifests/default"]));
      const kinds = rendered.map((o) => o.kind);
      for (const kind of ["Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "Service"])
        expect(kinds, kind).toContain(kind);
      expect(find(rendered, "CustomResourceDefinition").map((c) => c.metadata.name).sort()).toEqual(
        [KODES, KODE_TEMPLATES, KODE_CLUSTER_TEMPLATES, ENVOY_PROXY_CONFIGS, ENVOY_PROXY_CLUSTER_CONFIGS].map((r) => `${r.plural}.${r.group}`).sort(),
      );
      expect(find(rendered, "Namespace").map((n) => n.metadata.name)).toEqual([NAMESPACE]);
      const clusterScoped = new Set(["Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"]);
      for (const o of rendered) {
        expect(o.metadata.labels?.["app.kubernetes.io/name"], `${o.kind}/${o.metadata.name}`).toBe("kode-operator");
        if (clusterScoped.has(o.kind)) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBeUndefined();
        else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(NAMESPACE);
        if (!["Namespace", "CustomResourceDefinition"].includes(o.kind)) expect(o.metadata.name.startsWith(PREFIX), o.metadata.name).toBe(true);
      }
      expect(wildcards(rendered.filter((o) => o.kind === "ClusterRole" || o.kind === "Role"))).toEqual([]);
      const [sa] = find(rendered, "ServiceAccount");
      const [deploy] = find(rendered, "Deployment");
      expect(deploy!.spec.template.spec.serviceAccountName).toBe(sa!.metadata.name);
      expect(deploy!.spec.selector.matchLabels["app.kubernetes.io/name"]).toBe("kode-operator");
      for (const kind of ["ClusterRoleBinding", "RoleBinding"]) {
        const [b] = find(rendered, kind);
        expect(b!.subjects).toEqual([{ kind: "ServiceAccount", name: sa!.metadata.name, namespace: NAMESPACE }]);
        const roleKind = kind === "RoleBinding" ? "Role" : "ClusterRole";
        expect(b!.roleRef.name).toBe(find(rendered, roleKind)[0]!.metadata.name);
      }
    });

    test("kubectl apply -k manifests/default succeeds against the embedded API server, and again unchanged", async () => {
      const out = await ok(["apply", "-k", "manifests/default", "--request-timeout=30s"]);
      for (const o of rendered) expect(out, `${o.kind} ${o.metadata.name}`).toContain(`/${o.metadata.name} created`);
      const again = await ok(["apply", "-k", "manifests/default", "--request-timeout=30s"]);
      expect(again).not.toContain("created");
      expect(again).toContain("unchanged");

      const deploy = await getJson(["get", "deployment", `${PREFIX}controller-manager`, "-n", NAMESPACE]);
      expect(deploy.spec.template.spec.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true });
      const role = await getJson(["get", "clusterrole", `${PREFIX}manager-role`]);
      expect(wildcards(role.rules)).toEqual([]);
      const { all } = granted(role.rules);
      expect(triples(CLUSTER_NEEDS).filter((t) => !all.has(t))).toEqual([]);
      expect((await getJson(["get", "rolebinding", `${PREFIX}leader-election-rolebinding`, "-n", NAMESPACE])).subjects[0].name).toBe(`${PREFIX}controller-manager`);
    });

    test("kubectl apply -k manifests/samples succeeds once the CRDs are established", async () => {
      await ok(["wait", "--for=condition=Established", "--timeout=30s", ...find(rendered, "CustomResourceDefinition").map((c) => `crd/${c.metadata.name}`)]);
      const out = await ok(["apply", "-k", "manifests/samples", "--request-timeout=30s"]);
      const samples = objectsIn("samples");
      for (const o of samples) expect(out, `${o.kind} ${o.metadata.name}`).toContain(`/${o.metadata.name} created`);
      const kodes = await getJson(["get", "kodes", "-A"]);
      expect(kodes.items.map((k: K8sObject) => `${k.metadata.namespace}/${k.metadata.name}`).sort()).toEqual(["default/my-code-server", "default/my-kode-instance", "default/secure-code-server"]);
      expect((await getJson(["get", "kodeclustertemplates"])).items.map((t: K8sObject) => t.metadata.name)).toEqual(["my-kode-cluster-template"]);
      expect((await getJson(["get", "envoyproxyclusterconfigs"])).items.map((t: K8sObject) => t.metadata.name)).toEqual(["basic-auth-proxy"]);
      expect(await ok(["apply", "-k", "manifests/samples", "--request-timeout=30s"])).not.toContain("created");
    });
  });
}
