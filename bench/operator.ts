// Operator benchmark (`npm run bench`, after bench/apiserver.ts): 1,000 Kodes over 10 namespaces.
//
// The API server (--simulate-kubelet --gc) and the operator each run as their own process; this script is the
// client that creates Kodes and watches them. Measured:
//   floor_s          a plain script (its own client, no caches, no diffing) making the minimal writes the
//                    operator must make for N Kodes — create the Kode, patch the finalizer in, create the Secret,
//                    PVC, Service and StatefulSet, one status patch — with the operator's concurrency, against a
//                    fresh server; run before and after the operator phases, the faster run counts
//   floor_operator_writes_s  the same script making the operator's own 9 writes per Kode (the floor's, a Provisioning
//                    status patch and the two Events), no watches: what the API server alone needs for those writes;
//                    ratio_operator_writes = converge_s / it, what the operator costs beyond the writes it must make
//   converge_s       operator running; first Kode create until every Kode is Running (its StatefulSet exists and
//                    is ready, so its other children exist too) — the children are counted afterwards
//   writes_per_kode  the operator's writes (server counters, User-Agent kode-operator) / N; events included. Its
//                    own minimum is 9: finalizer, 4 creates, 2 status patches (Provisioning, then Running) and the
//                    2 Events of those transitions; the floor makes 5 (both also time the Kode creates)
//   steady_writes    operator writes in a window covering >= 1 full resync (--resync 5s) after convergence
//   operator_rss_mb  VmHWM (peak RSS) of the operator process once it holds N Kodes
//   p50_ms/p99_ms    one Kode at a time on the settled system: create -> StatefulSet ADDED on a watch
//   unrelated        with --unrelated N: N Secrets and N ConfigMaps (1 KiB of data each) that no Kode refers
//                    to exist before the operator starts; its RSS must stay within 10 % of a run without them
// Prints ONE JSON line on stdout (diagnostics go to stderr) and writes bench/results/operator-<date>.json
// (the same fields plus `details`).
//
// Flags: --kodes N (1000)  --namespaces N (10)  --unrelated N (0)  --no-floor (operator phases only)  --deadline S (280)  --concurrency C (16: operator workers = floor workers)
//        --keep-logs (the processes' logs stay in the temporary directory, named at the end)
//        --create-concurrency N (32: Kode creates in flight)  --qps N (100000: operator client rate limit)
//        --kubelet-delay MS (50)  --resync DUR (5s)  --latency-samples N (100)  --no-storage  --access (each Kode gets an Ingress)  --envoy (and a basic-auth sidecar)  --source
//        --operator-bun-flags="--cpu-prof-md --cpu-prof-dir=/tmp/prof" (implies source mode)  --no-save
//        --server-bun-flags="..." (the same for the operator phase's API server)
//        --operator-env="BUN_JSC_x=1 Y=2" (added to the operator's environment only)
//        --latency-wait statefulset|running (statefulset: the next latency sample --latency-pause ms after the StatefulSet appears,
//        while the last Kode's status writes and pod start still run; running: once the last Kode is Running)
//        --latency-pause MS (10: the pause before the next latency sample, after the wait; with running and a pause
//        longer than --kubelet-delay the previous Kode's follow-up work (its Event, the confirming pass) is done too)
//        --memory-limit Q (manifest: the limit in manifests/manager/manager.yaml, 384Mi; "none": the node's RAM) the
//        operator's BUN_JSC_forceRAMSize, as the Deployment sets it from limits.memory; the Deployment's other
//        BUN_JSC_* values (its heap growth) are set as they are there (--operator-env overrides them)
//        --build-flags="--compile-exec-argv=--smol" (added to the build of the binary; not with a current dist/kode)
// The server and the operator run as the compiled binary (dist/kode when it is newer than src/, else one built
// from src/ into a temporary directory with `npm run build`'s flags), or with --source as `bun src/main.ts`.
// Bounded: everything (processes included) is stopped after --deadline seconds (280). A run takes about 30 s.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildCrds } from "../src/api/crds.ts";
import { ENVOY_PROXY_CONFIGS, KODE_TEMPLATES, KODES } from "../src/api/resources.ts";
import type { Kode } from "../src/api/types.ts";
import { KODE_FINALIZER } from "../src/kode/reconcile.ts";
import { childNames, renderKode, serviceUrl } from "../src/kode/render.ts";
import { deriveStatus } from "../src/kode/status.ts";
import { createClient, type Client } from "../src/kube/client.ts";
import { loadClientConfig } from "../src/kube/kubeconfig.ts";
import { CONFIGMAPS, EVENTS, NAMESPACES, PVCS, SECRETS, SERVICES, STATEFULSETS } from "../src/kube/resources.ts";
import type { KubeObject, ResourceRef } from "../src/kube/types.ts";
import { waitForListening } from "../src/apiserver/wait-for-url.ts";
import { distIsCurrent } from "./dist.ts";

const ROOT = resolve(import.meta.dir, "..");
const DEADLINE_S_DEFAULT = "280";

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    kodes: { type: "string", default: "1000" },
    namespaces: { type: "string", default: "10" },
    concurrency: { type: "string", default: "16" },
    "create-concurrency": { type: "string", default: "32" },
    qps: { type: "string", default: "100000" },
    "kubelet-delay": { type: "string", default: "50" },
    resync: { type: "string", default: "5s" },
    "latency-samples": { type: "string", default: "100" },
    "no-storage": { type: "boolean", default: false },
    access: { type: "boolean", default: false },
    envoy: { type: "boolean", default: false },
    source: { type: "boolean", default: false },
    "operator-bun-flags": { type: "string", default: "" },
    "server-bun-flags": { type: "string", default: "" },
    "operator-env": { type: "string", default: "" },
    "memory-limit": { type: "string", default: "manifest" },
    "latency-wait": { type: "string", default: "statefulset" },
    "latency-pause": { type: "string", default: "10" },
    "no-save": { type: "boolean", default: false },
    unrelated: { type: "string", default: "0" },
    "no-floor": { type: "boolean", default: false },
    "keep-logs": { type: "boolean", default: false },
    deadline: { type: "string", default: DEADLINE_S_DEFAULT },
    "build-flags": { type: "string", default: "" },
  },
  strict: true,
});
const int = (name: keyof typeof flags, min = 1) => {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
};
const KODE_COUNT = int("kodes");
const NS_COUNT = int("namespaces");
const CONCURRENCY = int("concurrency");
const CREATE_CONCURRENCY = int("create-concurrency");
const QPS = int("qps");
const KUBELET_DELAY = int("kubelet-delay", 0);
const LATENCY_SAMPLES = int("latency-samples", 0);
const MEMORY_LIMIT_BYTES = memoryLimitBytes(flags["memory-limit"]!);
const MANIFEST_JSC_ENV = manifestJscEnv();
const LATENCY_WAIT = flags["latency-wait"] === "running" ? "running" : "statefulset";
const LATENCY_PAUSE_MS = int("latency-pause", 0);

async function until(check: () => boolean): Promise<void> {
  while (!check()) await Bun.sleep(2);
}

/** The five slowest samples: [index, total ms, of it until the operator took the Kode up]. */
function slowest(samples: number[], pickups: number[]): [number, number, number][] {
  return samples
    .map((v, i) => [i, round(v, 1), round(pickups[i], 1)] as [number, number, number])
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5);
}

/** The BUN_JSC_* variables the manifest's Deployment sets to a plain value. */
function manifestJscEnv(): Record<string, string> {
  const docs = readFileSync(join(ROOT, "manifests/manager/manager.yaml"), "utf8").split(/^---$/m).map((d) => Bun.YAML.parse(d) as KubeObject & { spec?: any });
  const deployment = docs.find((d) => d?.kind === "Deployment");
  const env: { name: string; value?: string }[] = deployment?.spec?.template?.spec?.containers?.[0]?.env ?? [];
  return Object.fromEntries(env.filter((e) => e.name.startsWith("BUN_JSC_") && e.value !== undefined).map((e) => [e.name, e.value!]));
}

/** The operator's memory limit in bytes: from the manifest's Deployment, a quantity (256Mi), or none (undefined). */
function memoryLimitBytes(flag: string): number | undefined {
  if (flag === "none") return undefined;
  let q = flag;
  if (flag === "manifest") {
    const m = /limits:\s*\n\s*cpu:[^\n]*\n\s*memory:\s*(\S+)/.exec(readFileSync(join(ROOT, "manifests/manager/manager.yaml"), "utf8"));
    if (!m) throw new Error("no limits.memory in manifests/manager/manager.yaml");
    q = m[1];
  }
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) throw new Error(`--memory-limit ${q}: want a quantity like 384Mi, "manifest" or "none"`);
  return Number(m[1]) * ({ Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] as "Ki"] ?? 1);
}
const RESYNC = flags.resync!;
const RESYNC_MS = parseDurationMs(RESYNC);
const STORAGE = !flags["no-storage"];
/** --access: the templates give each Kode an Ingress at its own host (route claims are checked across all Kodes). */
const ACCESS = flags.access === true ? { host: "{kode}-{namespace}.dev.example.com" } : undefined;
/** --envoy: the templates put an Envoy sidecar with basic auth in front of each IDE (an EnvoyProxyConfig per namespace). */
const ENVOY = flags.envoy === true;
const UNRELATED = int("unrelated", 0);
/** Everything stops after this; convergence may take up to half of it. */
const DEADLINE_MS = int("deadline", 60) * 1000;

function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!m) throw new Error(`--resync: use e.g. 5s`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as "s"];
}

const log = (msg: string) => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const started = performance.now();
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const nsName = (i: number) => `bench-${i}`;
const TEMPLATE = "bench-template";
const CRD_REF: ResourceRef = { group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false };

// ---------------------------------------------------------------- processes

interface Proc {
  pid: number;
  stop(): Promise<void>;
}
const live = new Set<ReturnType<typeof Bun.spawn>>();
// Last resort: never leave a child behind, whatever happens to this script.
process.on("exit", () => {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
});

let builtBinary: string | undefined;

/** The compiled binary (dist/kode when it is newer than src/, else one built from src/ into `dir`), or the sources. */
function kodeCommand(bunFlags: string[] = []): { cmd: string[]; mode: string } {
  // process.execPath is the bun running this script: no npx wrapper, so the pid is the process's own.
  if (flags.source || bunFlags.length) return { cmd: [process.execPath, ...bunFlags, join(ROOT, "src/main.ts")], mode: `bun src/main.ts (bun ${Bun.version})` };
  const dist = join(ROOT, "dist/kode");
  if (distIsCurrent(ROOT)) return { cmd: [dist], mode: "dist/kode (compiled)" };
  if (!builtBinary) throw new Error("no binary built");
  return { cmd: [builtBinary], mode: `compiled from src/ like npm run build (bun ${Bun.version})` };
}

/** `npm run build`'s command, into `dir` (dist/kode is left to whoever owns it). */
function buildBinary(dir: string) {
  const dist = join(ROOT, "dist/kode");
  if (flags.source || distIsCurrent(ROOT)) return;
  const outfile = join(dir, "kode");
  const r = Bun.spawnSync(
    [process.execPath, "build", "--compile", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", ...flags["build-flags"].split(/\s+/).filter(Boolean), join(ROOT, "src/main.ts"), "--outfile", outfile],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
  );
  if (r.exitCode !== 0) throw new Error(`building the binary failed: ${r.stderr.toString().slice(-2000)}`);
  builtBinary = outfile;
}

function spawn(cmd: string[], logFile: string, env: Record<string, string> = {}) {
  const out = Bun.file(logFile);
  const proc = Bun.spawn(cmd, { cwd: ROOT, stdout: "pipe", stderr: out, env: { ...process.env, ...env } });
  live.add(proc);
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await proc.exited;
      clearTimeout(killer);
    }
    live.delete(proc);
  };
  return { proc, stop };
}

async function startServer(dir: string, tag: string): Promise<Proc & { url: string; kubeconfig: string }> {
  const kubeconfig = join(dir, `kubeconfig-${tag}`);
  // Profiling flags are for the operator phase's server only (the floor's server stays as it is).
  const { cmd } = kodeCommand(tag === "converge" ? flags["server-bun-flags"].split(/\s+/).filter(Boolean) : []);
  const args = ["apiserver", "--port", "0", "--address", "127.0.0.1", "--kubeconfig", kubeconfig, "--gc", "--simulate-kubelet", "--kubelet-delay", String(KUBELET_DELAY)];
  const { proc, stop } = spawn([...cmd, ...args], join(dir, `apiserver-${tag}.log`));
  try {
    return { url: await waitForListening(proc.stdout), kubeconfig, pid: proc.pid, stop };
  } catch (e) {
    await stop();
    throw new Error(`API server did not start (code ${proc.exitCode}): ${(e as Error).message}; see ${dir}/apiserver-${tag}.log`);
  }
}

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

async function startOperator(dir: string, kubeconfig: string): Promise<Proc & { metricsUrl: string; mode: string }> {
  const health = freePort();
  const metricsPort = freePort();
  const bunFlags = flags["operator-bun-flags"].split(/\s+/).filter(Boolean);
  const { cmd, mode } = kodeCommand(bunFlags);
  const args = [
    "operator",
    "--kubeconfig", kubeconfig,
    "--health-address", `127.0.0.1:${health}`,
    "--metrics-address", `127.0.0.1:${metricsPort}`,
    "--log-format", "json",
    "--log-level", "warn",
    "--qps", String(QPS),
    "--concurrency", String(CONCURRENCY),
    "--resync", RESYNC,
    // The simulated pods answer no activity reads; the poller's cost is bench/lifecycle.ts's.
    "--activity-interval", "0",
  ];
  const env = {
    // As deployed: manifests/manager/manager.yaml gives the process its memory limit as JavaScriptCore's RAM size,
    // and its other JavaScriptCore options as they are.
    ...MANIFEST_JSC_ENV,
    ...(MEMORY_LIMIT_BYTES && { BUN_JSC_forceRAMSize: String(MEMORY_LIMIT_BYTES) }),
    ...Object.fromEntries(flags["operator-env"].split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])),
  };
  const { proc, stop } = spawn([...cmd, ...args], join(dir, "operator.log"), env);
  (async () => {
    const reader = proc.stdout.getReader();
    for (;;) if ((await reader.read()).done) break;
  })().catch(() => {});
  const until = performance.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`operator exited (code ${proc.exitCode}); see ${dir}/operator.log:\n${readFileSync(join(dir, "operator.log"), "utf8").slice(-2000)}`);
    const ok = await fetch(`http://127.0.0.1:${health}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (performance.now() > until) {
      await stop();
      throw new Error("operator not ready after 30 s");
    }
    await Bun.sleep(50);
  }
  return { pid: proc.pid, stop, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, mode };
}

function procStatusMB(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status)?.[1]) / 1024;
}

/** Resident memory by kind (MB): anonymous (heaps, allocator) vs file-backed (the executable, mapped code). */
function smapsMB(pid: number): { anonymous: number; file: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(text)?.[1] ?? NaN);
  return { anonymous: round(kb("Anonymous") / 1024, 1), file: round((kb("Rss") - kb("Anonymous")) / 1024, 1) };
}

/** The operator's own memory gauges (MB): JavaScript heap used/reserved, external buffers. */
function heapMB(metrics: string) {
  const g = (name: string) => round(metricSum(metrics, name) / 2 ** 20, 1);
  return { heapUsed: g("process_heap_used_bytes"), heapTotal: g("process_heap_total_bytes"), external: g("process_external_memory_bytes") };
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

// ---------------------------------------------------------------- cluster content

async function clientFor(kubeconfig: string, userAgent: string): Promise<Client> {
  return createClient(await loadClientConfig({ kubeconfig }), { qps: 0, userAgent });
}

const storage = { resources: { requests: { storage: "1Gi" } } };

async function install(client: Client) {
  for (const crd of buildCrds()) await client.create(CRD_REF, crd as unknown as KubeObject);
  for (let i = 0; i < NS_COUNT; i++) {
    await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: nsName(i) } });
    if (ENVOY) await client.create(ENVOY_PROXY_CONFIGS, { apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyConfig", metadata: { name: "basic", namespace: nsName(i) }, spec: { authType: "basic" } });
    await client.create(KODE_TEMPLATES, {
      apiVersion: "kode.jacero.io/v1alpha1",
      kind: "KodeTemplate",
      metadata: { name: TEMPLATE, namespace: nsName(i) },
      spec: {
        type: "code-server",
        image: "linuxserver/code-server:latest",
        defaultHome: "/config",
        defaultWorkspace: "workspace",
        ...(STORAGE && { storage }),
        ...(ACCESS && { access: ACCESS }),
        ...(ENVOY && { envoyProxyRef: { kind: "EnvoyProxyConfig", name: "basic" } }),
      },
    });
  }
}

/** Secrets and ConfigMaps no Kode refers to (1 KiB of data each), spread over the namespaces. */
async function createUnrelated(client: Client) {
  const value = Buffer.from("x".repeat(1024)).toString("base64");
  await runConcurrent(UNRELATED, 32, async (i) => {
    const metadata = { name: `unrelated-${i}`, namespace: nsName(i % NS_COUNT), labels: { app: "someone-else" } };
    await client.create(SECRETS, { apiVersion: "v1", kind: "Secret", metadata, type: "Opaque", data: { blob: value } });
    await client.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata, data: { blob: "x".repeat(1024) } });
  });
}

function kodeObject(name: string, namespace: string): KubeObject {
  return { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name, namespace }, spec: { templateRef: { kind: "KodeTemplate", name: TEMPLATE }, user: "dev" } };
}
const kodeAt = (i: number) => kodeObject(`k${i}`, nsName(i % NS_COUNT));

/** `count` tasks, `concurrency` in flight. */
async function runConcurrent(count: number, concurrency: number, one: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await one(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

async function counters(url: string, query: string): Promise<{ total: number; records: CounterRecord[] }> {
  const res = await fetch(`${url}/__kode/hooks/requests?${query}`);
  if (!res.ok) throw new Error(`hooks/requests: HTTP ${res.status}`);
  return (await res.json()) as never;
}
const operatorWrites = (url: string) => counters(url, "userAgent=kode-operator&writesOnly=true");

async function stats(url: string): Promise<Record<string, number>> {
  const res = await fetch(`${url}/__kode/hooks/stats`);
  return ((await res.json()) as { objects: Record<string, number> }).objects;
}

type CounterRecord = { verb: string; resource: string; code: number; count: number };
/** "verb resource code: n" for every counter that grew from `before` to `after`. */
function diffRecords(before: CounterRecord[], after: CounterRecord[]): string[] {
  const key = (r: CounterRecord) => `${r.verb} ${r.resource} ${r.code}`;
  const was = new Map(before.map((r) => [key(r), r.count]));
  return after.filter((r) => r.count > (was.get(key(r)) ?? 0)).map((r) => `${key(r)}: ${r.count - (was.get(key(r)) ?? 0)}`);
}

/** Sum of a Prometheus counter's samples whose labels contain `match`. */
function metricSum(text: string, name: string, match = ""): number {
  let sum = 0;
  for (const line of text.split("\n"))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) if (line.includes(match)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  return sum;
}

// ---------------------------------------------------------------- phases

/**
 * The floor: the operator's minimal writes, made by a plain script, as fast as possible. With `operatorWrites`
 * the script makes the operator's own write set instead (9 per Kode: the Provisioning and Running status patches
 * and their two Events as well), still without watches: what the API server alone needs for those writes.
 */
async function floorPhase(dir: string, operatorWrites = false) {
  const server = await startServer(dir, "floor");
  try {
    const client = await clientFor(server.kubeconfig, "kode-bench-floor");
    await install(client);
    const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const serverCpu0 = cpuSeconds(server.pid);
    const benchCpu0 = process.cpuUsage();
    const t0 = performance.now();
    await runConcurrent(KODE_COUNT, CONCURRENCY, async (i) => {
      const kode = (await client.create(KODES, kodeAt(i))) as unknown as Kode;
      const ns = kode.metadata.namespace!;
      const name = kode.metadata.name;
      const patched = (await client.mergePatch(KODES, name, { metadata: { finalizers: [KODE_FINALIZER], resourceVersion: kode.metadata.resourceVersion } }, { namespace: ns })) as unknown as Kode;
      const templateSpec = { type: "code-server" as const, image: "linuxserver/code-server:latest", defaultHome: "/config", defaultWorkspace: "workspace", ...(STORAGE && { storage }) };
      const r = renderKode({
        kode: patched,
        template: { kind: "KodeTemplate", name: TEMPLATE, namespace: ns, spec: templateSpec as never },
        credentials: { secretName: childNames(name).secret, passwordKey: "password", usernameKey: "username", generated: { username: "dev", password: crypto.randomUUID() } },
        rollout: { key: "bench", material: "bench" },
      });
      if (r.secret) await client.create(SECRETS, r.secret as unknown as KubeObject);
      if (r.pvc) await client.create(PVCS, r.pvc as unknown as KubeObject);
      await client.create(SERVICES, r.service as unknown as KubeObject);
      await client.create(STATEFULSETS, r.statefulSet as unknown as KubeObject);
      const statusOf = (kode: Kode, readyReplicas: number) =>
        deriveStatus({
          kode,
          generation: 1,
          problems: [],
          deleting: false,
          now: now(),
          template: { kind: "KodeTemplate", name: TEMPLATE, namespace: ns },
          type: "code-server",
          statefulSet: { metadata: { name, generation: 1 }, spec: { replicas: 1 }, status: { replicas: 1, readyReplicas, observedGeneration: 1 } },
          serviceUrl: serviceUrl(name, ns),
          credentialsSecret: childNames(name).secret,
        });
      let current = patched;
      if (operatorWrites) {
        current = (await client.mergePatch(KODES, name, { status: statusOf(current, 0) }, { namespace: ns, subresource: "status" })) as unknown as Kode;
        await client.create(EVENTS, eventFor(current, "Provisioning", `StatefulSet ${name} has 0/1 pods ready`));
      }
      await client.mergePatch(KODES, name, { status: statusOf(current, 1) }, { namespace: ns, subresource: "status" });
      if (operatorWrites) await client.create(EVENTS, eventFor(current, "Running", `code-server is running at ${serviceUrl(name, ns)}`));
    });
    const floorS = (performance.now() - t0) / 1000;
    const bc = process.cpuUsage(benchCpu0);
    client.close();
    return { floorS, cpuS: { server: round(cpuSeconds(server.pid) - serverCpu0), script: round((bc.user + bc.system) / 1e6) } };
  } finally {
    await server.stop();
  }
}

/** A core/v1 Event about a Kode, shaped like the operator's. */
function eventFor(kode: Kode, reason: string, message: string): KubeObject {
  const t = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const m = kode.metadata;
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${m.name}.${crypto.randomUUID().slice(0, 13)}`, namespace: m.namespace },
    involvedObject: { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion },
    type: "Normal",
    reason,
    message,
    count: 1,
    firstTimestamp: t,
    lastTimestamp: t,
    source: { component: "kode-operator" },
    reportingComponent: "kode-operator",
  } as unknown as KubeObject;
}

/** Watches Kodes (all namespaces) and resolves when `want` of them are Running. */
function kodeWatcher(client: Client) {
  const running = new Set<string>();
  const phases = new Map<string, string>();
  /** When each Kode was first seen with the operator's finalizer: the operator has taken it up. */
  const finalizedAt = new Map<string, number>();
  const ac = new AbortController();
  let want = Infinity;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const run = async () => {
    let rv: string | undefined;
    while (!ac.signal.aborted) {
      try {
        for await (const ev of client.watch<KubeObject>(KODES, { resourceVersion: rv, signal: ac.signal, allowWatchBookmarks: true })) {
          if (ev.type === "ERROR") {
            rv = undefined;
            break;
          }
          rv = ev.object.metadata.resourceVersion;
          if (ev.type === "BOOKMARK") continue;
          const key = `${ev.object.metadata.namespace}/${ev.object.metadata.name}`;
          const phase = ((ev.object as { status?: { phase?: string } }).status?.phase ?? "") as string;
          phases.set(key, phase);
          if (!finalizedAt.has(key) && ev.object.metadata.finalizers?.includes(KODE_FINALIZER)) finalizedAt.set(key, performance.now());
          if (ev.type !== "DELETED" && phase === "Running") running.add(key);
          else running.delete(key);
          if (running.size >= want) resolveAll();
        }
      } catch (e) {
        if (!ac.signal.aborted) log(`kode watch ended: ${(e as Error).message}; restarting`);
        await Bun.sleep(100);
      }
    }
  };
  const done = run();
  return {
    running,
    phases,
    finalizedAt,
    waitFor(n: number) {
      want = n;
      if (running.size >= want) resolveAll();
      return all;
    },
    async stop() {
      ac.abort();
      await done;
    },
  };
}

/** StatefulSet ADDED events (all namespaces): resolves waiters by "<ns>/<name>". */
function statefulSetWatcher(client: Client) {
  const seen = new Map<string, number>();
  const waiters = new Map<string, (t: number) => void>();
  const ac = new AbortController();
  let ready!: () => void;
  const started = new Promise<void>((r) => (ready = r));
  const run = async () => {
    const list = await client.list(STATEFULSETS);
    let rv: string | undefined = list.metadata.resourceVersion;
    for (const s of list.items) seen.set(`${s.metadata.namespace}/${s.metadata.name}`, 0);
    ready();
    while (!ac.signal.aborted) {
      try {
        for await (const ev of client.watch<KubeObject>(STATEFULSETS, { resourceVersion: rv, signal: ac.signal, allowWatchBookmarks: true })) {
          if (ev.type === "ERROR") throw new Error(JSON.stringify(ev.object));
          rv = ev.object.metadata.resourceVersion;
          if (ev.type !== "ADDED") continue;
          const t = performance.now();
          const key = `${ev.object.metadata.namespace}/${ev.object.metadata.name}`;
          if (seen.has(key)) continue;
          seen.set(key, t);
          waiters.get(key)?.(t);
          waiters.delete(key);
        }
      } catch (e) {
        if (!ac.signal.aborted) log(`statefulset watch ended: ${(e as Error).message}; restarting`);
        await Bun.sleep(100);
      }
    }
  };
  const done = run();
  return {
    started,
    when(key: string): Promise<number> {
      const t = seen.get(key);
      if (t !== undefined) return Promise.resolve(t);
      return new Promise((r) => waiters.set(key, r));
    },
    async stop() {
      ac.abort();
      await done.catch(() => {});
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: Timer;
  return Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${what}: timed out after ${ms / 1000} s`)), ms)))]).finally(() => clearTimeout(timer));
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function operatorPhases(dir: string) {
  const server = await startServer(dir, "converge");
  let operator: Awaited<ReturnType<typeof startOperator>> | undefined;
  const client = await clientFor(server.kubeconfig, "kode-bench");
  let watcher: ReturnType<typeof kodeWatcher> | undefined;
  let stsWatch: ReturnType<typeof statefulSetWatcher> | undefined;
  try {
    await install(client);
    if (UNRELATED) {
      const u0 = performance.now();
      await createUnrelated(client);
      log(`created ${UNRELATED} unrelated Secrets and ${UNRELATED} ConfigMaps in ${((performance.now() - u0) / 1000).toFixed(1)} s`);
    }
    watcher = kodeWatcher(client);
    operator = await startOperator(dir, server.kubeconfig);
    const opPid = operator.pid;
    const rssStartMB = procStatusMB(opPid, "VmRSS");
    const smapsStart = smapsMB(opPid);
    // Peak RSS and JS heap seen while converging (sampled each second).
    let heapPeakMB = 0;
    /** Memory while converging and until the steady window ends, each second: what makes the peak. */
    const timeline: Record<string, number>[] = [];
    let t0 = performance.now();
    let phase = "converge";
    const sampler = setInterval(() => {
      fetch(operator!.metricsUrl)
        .then((r) => r.text())
        .then((t) => {
          const h = heapMB(t);
          if (phase === "converge") heapPeakMB = Math.max(heapPeakMB, h.heapTotal);
          timeline.push({ s: round((performance.now() - t0) / 1000, 1), phase: phase as never, rss: round(procStatusMB(opPid, "VmRSS"), 1), ...smapsMB(opPid), ...h });
        }, () => {});
    }, 1000);
    // When the peak (VmHWM) grows, from /proc alone (cheap enough for every 200 ms), until the steady window ends.
    const peakSteps: { s: number; hwm: number; phase: string }[] = [];
    const hwmSampler = setInterval(() => {
      const hwm = round(procStatusMB(opPid, "VmHWM"), 1);
      if (hwm > (peakSteps.at(-1)?.hwm ?? 0) + 2) peakSteps.push({ s: round((performance.now() - t0) / 1000, 1), hwm, phase });
    }, 200);
    const cpuStart = cpuSeconds(opPid);
    log(`operator ready (${operator.mode}, RSS ${rssStartMB.toFixed(1)} MB, ${JSON.stringify(MANIFEST_JSC_ENV)}); creating ${KODE_COUNT} Kodes`);

    // ---- converge
    const writesBefore = await operatorWrites(server.url);
    const requestsBefore = await counters(server.url, "userAgent=kode-operator");
    const writes0 = writesBefore.total;
    const reconciles0 = metricSum(await fetch(operator.metricsUrl).then((r) => r.text()), "kode_reconcile_total", 'controller="kode"');
    const serverCpu0 = cpuSeconds(server.pid);
    const benchCpu0 = process.cpuUsage();
    t0 = performance.now();
    await runConcurrent(KODE_COUNT, CREATE_CONCURRENCY, async (i) => {
      await client.create(KODES, kodeAt(i));
    });
    const createdS = (performance.now() - t0) / 1000;
    const w = watcher;
    await withTimeout(w.waitFor(KODE_COUNT), Math.max(150_000, DEADLINE_MS / 2), "convergence").catch((e) => {
      const byPhase: Record<string, number> = {};
      for (const p of w.phases.values()) byPhase[p || "(none)"] = (byPhase[p || "(none)"] ?? 0) + 1;
      throw new Error(`${(e as Error).message}: ${w.running.size}/${KODE_COUNT} Running; phases: ${JSON.stringify(byPhase)}`);
    });
    const convergeS = (performance.now() - t0) / 1000;
    phase = "after";
    const mEnd = await fetch(operator.metricsUrl).then((r) => r.text());
    log(`at convergence: kode queue depth ${metricSum(mEnd, "kode_workqueue_depth", 'controller="kode"')}, reconciles so far ${metricSum(mEnd, "kode_reconcile_total", 'controller="kode"')}`);
    const convergeCpuS = cpuSeconds(opPid) - cpuStart;
    const serverConvergeCpuS = cpuSeconds(server.pid) - serverCpu0;
    const bc = process.cpuUsage(benchCpu0);
    const benchConvergeCpuS = (bc.user + bc.system) / 1e6;
    const writesConverge = await operatorWrites(server.url);
    const requestsConverge = await counters(server.url, "userAgent=kode-operator");
    const writesPerKode = (writesConverge.total - writes0) / KODE_COUNT;
    const reconcilesPerKode = (metricSum(await fetch(operator.metricsUrl).then((r) => r.text()), "kode_reconcile_total", 'controller="kode"') - reconciles0) / KODE_COUNT;
    const objects = await stats(server.url);
    log(
      `converged in ${convergeS.toFixed(2)} s (creates took ${createdS.toFixed(2)} s); ${writesPerKode} writes/Kode; ${reconcilesPerKode} reconciles/Kode; ` +
        `CPU s: server ${serverConvergeCpuS.toFixed(2)}, operator ${convergeCpuS.toFixed(2)}, bench ${benchConvergeCpuS.toFixed(2)}; ` +
        `other reads ${JSON.stringify(diffRecords(requestsBefore.records, requestsConverge.records).filter((r) => !/^(create|patch|update|delete)/.test(r)))}`,
    );
    const expect = { "kode.jacero.io/kodes": KODE_COUNT, "/secrets": KODE_COUNT, "/services": KODE_COUNT, "apps/statefulsets": KODE_COUNT, ...(STORAGE && { "/persistentvolumeclaims": KODE_COUNT }) };
    const missing = Object.entries(expect).filter(([r, n]) => (objects[r] ?? 0) < n);
    if (missing.length) throw new Error(`children missing after convergence: ${JSON.stringify(missing.map(([r, n]) => [r, objects[r] ?? 0, n]))}`);

    // ---- steady state: a window covering at least one full resync
    await Bun.sleep(1000);
    phase = "steady";
    const m0 = await fetch(operator.metricsUrl).then((r) => r.text());
    log(`steady window starts: kode queue depth ${metricSum(m0, "kode_workqueue_depth", 'controller="kode"')}, reconciles so far ${metricSum(m0, "kode_reconcile_total", 'controller="kode"')}`);
    const steadyBefore = await operatorWrites(server.url);
    const steady0 = steadyBefore.total;
    const windowMs = 2 * RESYNC_MS + 1000;
    await Bun.sleep(windowMs);
    const steadyCounters = await operatorWrites(server.url);
    const steadyWrites = steadyCounters.total - steady0;
    const m1 = await fetch(operator.metricsUrl).then((r) => r.text());
    const resyncReconciles = metricSum(m1, "kode_reconcile_total", 'controller="kode"') - metricSum(m0, "kode_reconcile_total", 'controller="kode"');
    clearInterval(hwmSampler);
    clearInterval(sampler);
    const rssPeakMB = procStatusMB(opPid, "VmHWM");
    const rssNowMB = procStatusMB(opPid, "VmRSS");
    const smapsSteady = smapsMB(opPid);
    const heapSteady = heapMB(m1);
    log(
      `steady: ${steadyWrites} writes in ${windowMs / 1000} s (${resyncReconciles} Kode reconciles ran); operator RSS ${rssNowMB.toFixed(1)} MB, peak ${rssPeakMB.toFixed(1)} MB; ` +
        `now ${JSON.stringify({ ...smapsSteady, ...heapSteady })}, JS heap reserved at most ${heapPeakMB} MB while converging`,
    );
    if (resyncReconciles < KODE_COUNT) log(`WARNING: fewer reconciles (${resyncReconciles}) than Kodes during the steady window: did a resync run?`);

    // ---- latency: one Kode at a time, create -> StatefulSet exists
    stsWatch = statefulSetWatcher(client);
    await stsWatch.started;
    const samples: number[] = [];
    /** Per sample: create -> the finalizer seen (the operator took the Kode up), and from there -> StatefulSet. */
    const pickups: number[] = [];
    const pickupsByIndex: number[] = [];
    const latencyT0 = performance.now();
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const k = kodeObject(`lat${i}`, nsName(i % NS_COUNT));
      const t = performance.now();
      await client.create(KODES, k);
      const seenAt = await withTimeout(stsWatch.when(`${k.metadata.namespace}/${k.metadata.name}`), 10_000, `StatefulSet of ${k.metadata.name}`);
      samples.push(seenAt - t);
      const finalized = watcher!.finalizedAt.get(`${k.metadata.namespace}/${k.metadata.name}`);
      if (finalized !== undefined) pickups.push(finalized - t);
      pickupsByIndex.push(finalized === undefined ? NaN : finalized - t);
      // --latency-wait running: the next sample starts once this Kode is Running (its Event and confirming pass may still run).
      if (LATENCY_WAIT === "running") await withTimeout(until(() => watcher!.running.has(`${k.metadata.namespace}/${k.metadata.name}`)), 10_000, `${k.metadata.name} Running`);
      await Bun.sleep(LATENCY_PAUSE_MS);
    }
    const latencyS = (performance.now() - latencyT0) / 1000;
    const sorted = [...samples].sort((a, b) => a - b);
    const pickupSorted = [...pickups].sort((a, b) => a - b);
    const m2 = await fetch(operator.metricsUrl).then((r) => r.text());
    return {
      convergeS,
      createdS,
      writesPerKode,
      reconcilesPerKode,
      writeBreakdown: diffRecords(writesBefore.records, writesConverge.records),
      requestBreakdown: diffRecords(requestsBefore.records, requestsConverge.records).filter((r) => !/^(create|patch|update|delete)/.test(r)),
      serverConvergeCpuS,
      benchConvergeCpuS,
      steadyWrites,
      steadyWriteBreakdown: diffRecords(steadyBefore.records, steadyCounters.records),
      steadyWindowS: windowMs / 1000,
      resyncReconciles,
      rssStartMB,
      rssPeakMB,
      rssAfterSteadyMB: rssNowMB,
      memory: { start: smapsStart, steady: { ...smapsSteady, ...heapSteady }, heapTotalPeakConvergingMB: heapPeakMB, convergingTimeline: timeline, peakSteps },
      rssEndMB: procStatusMB(opPid, "VmRSS"),
      operatorCpuDuringConvergeS: convergeCpuS,
      serverCpuTotalS: cpuSeconds(server.pid),
      latency: { samples: samples.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1], min: sorted[0], wallS: latencyS, pickupP50: percentile(pickupSorted, 50), pickupP99: percentile(pickupSorted, 99), pickupMax: pickupSorted[pickupSorted.length - 1] ?? NaN, slowest: slowest(samples, pickupsByIndex) },
      reconciles: {
        success: metricSum(m2, "kode_reconcile_total", 'result="success"'),
        error: metricSum(m2, "kode_reconcile_total", 'result="error"'),
      },
      operatorMode: operator.mode,
    };
  } finally {
    await stsWatch?.stop();
    await watcher?.stop();
    client.close();
    await operator?.stop();
    await server.stop();
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "kode-opbench-"));
  let keepDir = flags["keep-logs"] === true;
  const deadline = setTimeout(() => {
    console.error(`bench: deadline of ${DEADLINE_MS / 1000} s hit; stopping (logs in ${dir})`);
    for (const p of live) p.kill("SIGKILL");
    process.exit(2);
  }, DEADLINE_MS);
  const onSignal = () => {
    for (const p of live) p.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const load0 = loadavg()[0];
    buildBinary(dir);
    log(`floor: ${KODE_COUNT} Kodes over ${NS_COUNT} namespaces, concurrency ${CONCURRENCY}, storage ${STORAGE}`);
    // The floor runs before and after the operator phases and the faster run counts: the machine may be shared,
    // and a floor slowed by a neighbour would flatter the ratio.
    const noFloor = { floorS: NaN, cpuS: { server: NaN, script: NaN } };
    const floor1 = flags["no-floor"] ? noFloor : await floorPhase(dir);
    log(`floor_s ${floor1.floorS.toFixed(2)} (CPU s: server ${floor1.cpuS.server}, script ${floor1.cpuS.script})`);
    const floorOp1 = flags["no-floor"] ? noFloor : await floorPhase(dir, true);
    log(`floor with the operator's writes ${floorOp1.floorS.toFixed(2)} s (CPU s: server ${floorOp1.cpuS.server}, script ${floorOp1.cpuS.script})`);
    const op = await operatorPhases(dir);
    const floor2 = flags["no-floor"] ? noFloor : await floorPhase(dir);
    log(`floor_s (second run) ${floor2.floorS.toFixed(2)} (CPU s: server ${floor2.cpuS.server}, script ${floor2.cpuS.script})`);
    const floorOp2 = flags["no-floor"] ? noFloor : await floorPhase(dir, true);
    log(`floor with the operator's writes (second run) ${floorOp2.floorS.toFixed(2)} s (CPU s: server ${floorOp2.cpuS.server}, script ${floorOp2.cpuS.script})`);
    const floor = floor1.floorS <= floor2.floorS ? floor1 : floor2;
    const floorOp = floorOp1.floorS <= floorOp2.floorS ? floorOp1 : floorOp2;
    const line = {
      converge_s: round(op.convergeS),
      floor_s: round(floor.floorS),
      ratio: round(op.convergeS / floor.floorS),
      floor_operator_writes_s: round(floorOp.floorS),
      ratio_operator_writes: round(op.convergeS / floorOp.floorS),
      writes_per_kode: round(op.writesPerKode),
      steady_writes: op.steadyWrites,
      operator_rss_mb: round(op.rssPeakMB, 1),
      p50_ms: round(op.latency.p50, 1),
      p99_ms: round(op.latency.p99, 1),
      kodes: KODE_COUNT,
      unrelated: UNRELATED,
    };
    const aims = {
      ratio: flags["no-floor"] || line.ratio <= 1.4,
      // 9 per Kode; a template's status (its Kode count) adds a few dozen patches per thousand Kodes.
      writes_per_kode: line.writes_per_kode < 9.1,
      steady_writes: line.steady_writes === 0,
      operator_rss_mb: line.operator_rss_mb <= 130,
      p99_ms: line.p99_ms <= 2 * line.p50_ms,
    };
    const details = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverage1mAtStart: round(load0), loadAverage1mAtEnd: round(loadavg()[0]) },
      settings: { unrelated: UNRELATED, namespaces: NS_COUNT, concurrency: CONCURRENCY, createConcurrency: CREATE_CONCURRENCY, qps: QPS, kubeletDelayMs: KUBELET_DELAY, resync: RESYNC, storage: STORAGE, latencySamples: LATENCY_SAMPLES, latencyWait: LATENCY_WAIT, latencyPauseMs: LATENCY_PAUSE_MS, operatorMemoryLimitBytes: MEMORY_LIMIT_BYTES ?? null, operatorJscEnv: MANIFEST_JSC_ENV },
      operator: op.operatorMode,
      floor: { runsS: [round(floor1.floorS, 3), round(floor2.floorS, 3)], cpuS: floor.cpuS },
      floorOperatorWrites: { runsS: [round(floorOp1.floorS, 3), round(floorOp2.floorS, 3)], cpuS: floorOp.cpuS },
      converge: {
        convergeS: round(op.convergeS, 3),
        kodeCreatesDoneS: round(op.createdS, 3),
        kodeReconcilesPerKode: round(op.reconcilesPerKode),
        cpuS: { operator: round(op.operatorCpuDuringConvergeS), server: round(op.serverConvergeCpuS), bench: round(op.benchConvergeCpuS) },
        writes: op.writeBreakdown,
        reads: op.requestBreakdown,
      },
      steady: { windowS: op.steadyWindowS, writes: op.steadyWrites, kodeReconcilesInWindow: op.resyncReconciles, breakdown: op.steadyWriteBreakdown },
      rss: { startMB: round(op.rssStartMB, 1), peakMB: round(op.rssPeakMB, 1), afterSteadyMB: round(op.rssAfterSteadyMB, 1), endMB: round(op.rssEndMB, 1), ...op.memory },
      latencyMs: Object.fromEntries(Object.entries(op.latency).map(([k, v]) => [k, typeof v === "number" ? round(v, 2) : v])),
      reconciles: op.reconciles,
      serverCpuS: round(op.serverCpuTotalS),
      aims,
      benchSeconds: round((performance.now() - started) / 1000, 1),
    };
    console.error(JSON.stringify(details, null, 2));
    console.log(JSON.stringify(line));
    if (!flags["no-save"]) {
      const file = join(ROOT, "bench/results", `operator-${details.date.slice(0, 10)}${UNRELATED ? `-unrelated-${UNRELATED}` : ""}${flags["no-floor"] ? "-no-floor" : ""}.json`);
      mkdirSync(join(ROOT, "bench/results"), { recursive: true });
      writeFileSync(file, `${JSON.stringify({ ...line, details }, null, 2)}\n`);
      log(`written to ${file.slice(ROOT.length + 1)}`);
    }
    const missed = Object.entries(aims).filter(([, ok]) => !ok).map(([k]) => k);
    if (missed.length) log(`aims missed: ${missed.join(", ")}`);
  } catch (e) {
    keepDir = true;
    console.error(`bench failed: ${(e as Error).stack ?? e}\n(process logs kept in ${dir})`);
    process.exitCode = 1;
  } finally {
    clearTimeout(deadline);
    for (const p of live) p.kill("SIGKILL");
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
    else console.error(`logs kept in ${dir}`);
  }
}

await main();
