// Performance benchmark of the embedded API server (`npm run bench`).
//
// The server runs in its own process (dist/kode when it is at least as new as the sources, otherwise
// `bun src/main.ts`), so the client below and the server do not share a thread. Measured:
//   1. creates/s of small ConfigMaps over keep-alive HTTP with many requests in flight, p50/p99 latency
//   2. list of 10,000 objects: JSON, Table (kubectl's Accept header), and a limit=500 paginated walk
//   3. watch fan-out: W watchers, N writes; every watcher must see every event, in resourceVersion order
//   4. resident memory (VmRSS of the server process) empty, at 10k and at 50k ConfigMaps
//   5. creates/s of a custom resource whose CRD has x-kubernetes-validations (CEL) rules, and without them
//   plus single-request latency of GET /version and GET of one object.
// Prints a table and writes bench/results/apiserver-<date>.json.
//
// Flags: --creates N (10000)  --concurrency C (64)  --watchers W (100)  --watch-writes N (2000)
//        --mem-objects N (50000)  --source (run src/main.ts even if dist/kode exists)  --no-save
//        --rbac (the server runs --authorization-mode RBAC; every request is a token-file user bound to
//        cluster-admin by a ClusterRoleBinding, so each one goes through the RBAC authorizer)
//        --server-bun-flags="--cpu-prof-md --cpu-prof-dir=/tmp/prof" (source mode; profile the server)
//        --json-out FILE (also write the results there)
// bench/apiserver-rbac.ts runs this twice, without and with --rbac, and prints both side by side.
// Bounded: the whole run is stopped (server included) after 170 s.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { waitForListening } from "../src/apiserver/wait-for-url.ts";
import { distIsCurrent } from "./dist.ts";

const ROOT = resolve(import.meta.dir, "..");
const DEADLINE_MS = 170_000;

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    creates: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "64" },
    watchers: { type: "string", default: "100" },
    "watch-writes": { type: "string", default: "2000" },
    "mem-objects": { type: "string", default: "50000" },
    source: { type: "boolean", default: false },
    // Extra bun flags for the server in source mode, e.g. "--cpu-prof-md --cpu-prof-dir=/tmp/prof".
    "server-bun-flags": { type: "string", default: "" },
    "no-save": { type: "boolean", default: false },
    // Write the results to this file (in addition to bench/results unless --no-save); for bench/apiserver-rbac.ts.
    "json-out": { type: "string", default: "" },
    rbac: { type: "boolean", default: false },
  },
  strict: true,
});
const CREATES = Number(flags.creates);
const CONCURRENCY = Number(flags.concurrency);
const WATCHERS = Number(flags.watchers);
const WATCH_WRITES = Number(flags["watch-writes"]);
const MEM_OBJECTS = Number(flags["mem-objects"]);
for (const [flag, n] of Object.entries({ creates: CREATES, concurrency: CONCURRENCY, watchers: WATCHERS, "watch-writes": WATCH_WRITES }))
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer`);
if (!Number.isInteger(MEM_OBJECTS) || MEM_OBJECTS < 0) throw new Error("--mem-objects must be a non-negative integer");

// ---------------------------------------------------------------- server process

interface ServerProcess {
  url: string;
  pid: number;
  mode: string;
  stop(): Promise<void>;
}

function serverCommand(): { cmd: string[]; mode: string } {
  const binary = join(ROOT, "dist/kode");
  if (!flags.source && !flags["server-bun-flags"] && existsSync(binary)) {
    if (distIsCurrent(ROOT)) return { cmd: [binary], mode: "dist/kode (compiled)" };
    console.error("bench: dist/kode is older than src/ (run `npm run build`); benchmarking the sources instead");
  }
  // process.execPath is the bun running this script: no npx wrapper, so the pid is the server's.
  const bunFlags = flags["server-bun-flags"].split(/\s+/).filter(Boolean);
  return { cmd: [process.execPath, ...bunFlags, join(ROOT, "src/main.ts")], mode: `bun src/main.ts (bun ${Bun.version})` };
}

// ---------------------------------------------------------------- --rbac

const BENCH_USER = "kode-bench";
const BENCH_TOKEN = "kode-bench-token";
const RBAC_ADMIN_TOKEN = "kode-bench-admin-token";

if (flags.rbac) {
  // Every request of the bench carries the bench user's token (watchers, lists and creates alike).
  const plain = globalThis.fetch;
  globalThis.fetch = ((input: string | URL | Request, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${BENCH_TOKEN}`);
    return plain(input, { ...init, headers });
  }) as typeof fetch;
}

function rbacArgs(dir: string): string[] {
  if (!flags.rbac) return [];
  const file = join(dir, "tokens.csv");
  writeFileSync(file, `${RBAC_ADMIN_TOKEN},bench-admin,0,system:masters\n${BENCH_TOKEN},${BENCH_USER},1,bench\n`);
  return ["--authorization-mode", "RBAC", "--token-file", file];
}

/** The bench user gets cluster-admin through a binding (not system:masters, which skips the rules). */
async function bindBenchUser(base: string) {
  if (!flags.rbac) return;
  const res = await fetch(`${base}/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`, {
    method: "POST",
    headers: { ...JSON_HEADERS, authorization: `Bearer ${RBAC_ADMIN_TOKEN}` },
    body: JSON.stringify({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "kode-bench" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "User", name: BENCH_USER }],
    }),
  });
  if (res.status !== 201) throw new Error(`binding the bench user: ${res.status} ${await res.text()}`);
}

async function startServer(): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "kode-bench-"));
  const { cmd, mode } = serverCommand();
  const proc = Bun.spawn([...cmd, "apiserver", "--port", "0", "--address", "127.0.0.1", "--kubeconfig", join(dir, "kubeconfig"), ...rbacArgs(dir)], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "inherit",
  });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), 3000);
      await proc.exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await waitForListening(proc.stdout);
    await bindBenchUser(url);
    return { url, pid: proc.pid, mode: flags.rbac ? `${mode}, RBAC` : mode, stop };
  } catch (e) {
    await stop();
    throw new Error(`server did not start (code ${proc.exitCode}): ${(e as Error).message}`);
  }
}

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
  return kb / 1024;
}

/** CPU time (user + system) the server process has used, in ms. */
function serverCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 (utime, stime) of proc(5), counted after the ")" that ends the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

/** Server and client CPU used while `fn` runs, as a share of its wall time (1.0 = one core busy). */
async function withCpu<T>(pid: number, fn: () => Promise<T>): Promise<{ value: T; serverCores: number; clientCores: number }> {
  const s0 = serverCpuMs(pid);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, serverCores: round((serverCpuMs(pid) - s0) / wall), clientCores: round((c.user + c.system) / 1000 / wall) };
}

/** RSS once the server has been idle a moment (lets the GC run); the lowest of a few samples. */
async function settledRss(pid: number): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < 6; i++) {
    await Bun.sleep(250);
    min = Math.min(min, rssMB(pid));
  }
  return min;
}

// ---------------------------------------------------------------- helpers

const JSON_HEADERS = { "content-type": "application/json", accept: "application/json", "user-agent": "kode-bench" };
const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, min: s[0], p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] };
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

function configMap(name: string, i: number) {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, labels: { app: "bench" } },
    data: { index: String(i), value: `value-${i}` },
  });
}

async function expectOk(res: Response, what: string): Promise<string> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** Runs `count` requests with `concurrency` in flight; returns per-request latencies (ms) and wall time. */
async function runConcurrent(count: number, concurrency: number, one: (i: number) => Promise<void>) {
  const latencies = new Array<number>(count);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const t0 = performance.now();
      await one(i);
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { latencies, wallMs: performance.now() - started };
}

async function createMany(base: string, namespace: string, prefix: string, count: number, concurrency: number) {
  const url = `${base}/api/v1/namespaces/${namespace}/configmaps`;
  return runConcurrent(count, concurrency, async (i) => {
    const res = await fetch(url, { method: "POST", headers: JSON_HEADERS, body: configMap(`${prefix}-${i}`, i) });
    await expectOk(res, `create ${prefix}-${i}`);
  });
}

async function createNamespace(base: string, name: string) {
  const res = await fetch(`${base}/api/v1/namespaces`, {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } }),
  });
  await expectOk(res, `create namespace ${name}`);
}

async function sequentialLatency(count: number, one: () => Promise<void>) {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await one();
    samples.push(performance.now() - t0);
  }
  return stats(samples);
}

async function timeRepeated(times: number, one: () => Promise<void>) {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await one();
    samples.push(performance.now() - t0);
  }
  const s = stats(samples);
  return { runs: times, minMs: round(s.min), medianMs: round(s.p50), maxMs: round(s.max) };
}

async function objectCount(base: string): Promise<number> {
  const res = await fetch(`${base}/__kode/hooks/stats`);
  const body = JSON.parse(await expectOk(res, "stats")) as { objects?: number | Record<string, number> };
  if (typeof body.objects === "number") return body.objects;
  return Object.values(body.objects ?? {}).reduce((a, b) => a + b, 0);
}

// ---------------------------------------------------------------- watch fan-out

interface WatchResult {
  rvs: number[];
  types: string[];
  names: string[];
  doneAt: number;
  errors: string[];
}

/** Opens a watch and collects events until `expected` have arrived (or it is aborted). */
function openWatch(url: string, expected: number, signal: AbortSignal): { ready: Promise<void>; done: Promise<WatchResult> } {
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  const done = (async (): Promise<WatchResult> => {
    const result: WatchResult = { rvs: [], types: [], names: [], doneAt: 0, errors: [] };
    const res = await fetch(url, { headers: { accept: "application/json", "user-agent": "kode-bench-watch" }, signal });
    if (!res.ok || !res.body) throw new Error(`watch: HTTP ${res.status}`);
    markReady();
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      for await (const chunk of res.body) {
        buffered += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (!line.trim()) continue;
          const ev = JSON.parse(line) as { type: string; object: { metadata: { name: string; resourceVersion: string } } };
          if (ev.type === "BOOKMARK") continue;
          if (ev.type === "ERROR") {
            result.errors.push(line);
            continue;
          }
          result.types.push(ev.type);
          result.names.push(ev.object.metadata.name);
          result.rvs.push(Number(ev.object.metadata.resourceVersion));
          if (result.rvs.length >= expected) {
            result.doneAt = performance.now();
            return result;
          }
        }
      }
    } catch (e) {
      if (!signal.aborted) result.errors.push(String(e));
    }
    result.doneAt = performance.now();
    return result;
  })();
  done.catch(() => markReady());
  return { ready, done };
}

async function watchFanOut(base: string) {
  const ns = "bench-watch";
  await createNamespace(base, ns);
  const creates = Math.ceil(WATCH_WRITES / 2);
  const updates = WATCH_WRITES - creates;
  const listRes = await fetch(`${base}/api/v1/namespaces/${ns}/configmaps`, { headers: JSON_HEADERS });
  const rv = (JSON.parse(await expectOk(listRes, "list")) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;

  const abort = new AbortController();
  const watchUrl = `${base}/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${rv}`;
  const watches = Array.from({ length: WATCHERS }, () => openWatch(watchUrl, WATCH_WRITES, abort.signal));
  await Promise.all(watches.map((w) => w.ready));
  // The watch is registered on the server before its response headers are sent.

  const written: { rv: number; type: string; name: string }[] = [];
  const t0 = performance.now();
  const url = `${base}/api/v1/namespaces/${ns}/configmaps`;
  await runConcurrent(creates, CONCURRENCY, async (i) => {
    const res = await fetch(url, { method: "POST", headers: JSON_HEADERS, body: configMap(`w-${i}`, i) });
    const obj = JSON.parse(await expectOk(res, "watch create")) as { metadata: { resourceVersion: string } };
    written.push({ rv: Number(obj.metadata.resourceVersion), type: "ADDED", name: `w-${i}` });
  });
  await runConcurrent(updates, CONCURRENCY, async (i) => {
    const name = `w-${i % creates}`;
    const res = await fetch(`${url}/${name}`, {
      method: "PATCH",
      headers: { ...JSON_HEADERS, "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ data: { value: `updated-${i}` } }),
    });
    const obj = JSON.parse(await expectOk(res, "watch update")) as { metadata: { resourceVersion: string } };
    written.push({ rv: Number(obj.metadata.resourceVersion), type: "MODIFIED", name });
  });
  const lastWriteAt = performance.now();

  const timeout = setTimeout(() => abort.abort(), 60_000);
  const results = await Promise.all(watches.map((w) => w.done));
  clearTimeout(timeout);
  abort.abort();

  written.sort((a, b) => a.rv - b.rv);
  const problems: string[] = [];
  let complete = 0;
  results.forEach((r, wi) => {
    let ok = r.errors.length === 0 && r.rvs.length === written.length;
    for (let i = 0; ok && i < written.length; i++)
      if (r.rvs[i] !== written[i].rv || r.types[i] !== written[i].type || r.names[i] !== written[i].name) {
        ok = false;
        problems.push(`watcher ${wi}: event ${i} is ${r.types[i]} ${r.names[i]} rv ${r.rvs[i]}, expected ${written[i].type} ${written[i].name} rv ${written[i].rv}`);
      }
    if (r.errors.length) problems.push(`watcher ${wi}: ${r.errors[0]}`);
    else if (r.rvs.length !== written.length) problems.push(`watcher ${wi}: got ${r.rvs.length} of ${written.length} events`);
    if (ok) complete++;
  });
  const lastDelivery = Math.max(...results.map((r) => r.doneAt));
  const delivered = results.reduce((n, r) => n + r.rvs.length, 0);
  return {
    watchers: WATCHERS,
    writes: WATCH_WRITES,
    writeMs: round(lastWriteAt - t0),
    writesPerSec: Math.round(WATCH_WRITES / ((lastWriteAt - t0) / 1000)),
    // Negative: every watcher had every event before the client had read the last write's response.
    lastWriteToLastDeliveryMs: round(lastDelivery - lastWriteAt),
    firstWriteToLastDeliveryMs: round(lastDelivery - t0),
    eventsDelivered: delivered,
    eventsPerSec: Math.round(delivered / ((lastDelivery - t0) / 1000)),
    watchersComplete: complete,
    allInOrderNoLoss: complete === WATCHERS,
    problems: problems.slice(0, 5),
  };
}

// ---------------------------------------------------------------- main

const CR_CREATES = 3000;

/** A CRD whose spec has five CEL rules (object, scalar, list with all(), quantity), or the same without rules. */
function gadgetCrd(plural: string, kind: string, withRules: boolean) {
  const rules = (list: { rule: string; message: string }[]) => (withRules ? { "x-kubernetes-validations": list } : {});
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.bench.example.org` },
    spec: {
      group: "bench.example.org",
      scope: "Namespaced",
      names: { plural, singular: kind.toLowerCase(), kind },
      versions: [{
        name: "v1", served: true, storage: true,
        schema: { openAPIV3Schema: { type: "object", properties: { spec: {
          type: "object",
          ...rules([{ rule: "self.minReplicas <= self.replicas", message: "replicas below minReplicas" }]),
          properties: {
            replicas: { type: "integer" },
            minReplicas: { type: "integer" },
            owner: { type: "string", maxLength: 64, ...rules([{ rule: "self.matches('^[a-z]+$')", message: "lower-case owner" }]) },
            memory: { type: "string", ...rules([{ rule: "isQuantity(self) && quantity(self).isLessThan(quantity('4Gi'))", message: "memory below 4Gi" }]) },
            tags: { type: "array", maxItems: 16, items: { type: "string", maxLength: 32 }, ...rules([{ rule: "self.all(t, t.size() > 0)", message: "no empty tags" }]) },
          },
        } } } },
      }],
    },
  };
}

async function customResourceCreates(base: string) {
  const kinds = [["plaingadgets", "PlainGadget", false], ["rulegadgets", "RuleGadget", true]] as const;
  const best: Record<string, number> = {};
  let round = 0;
  const createAll = async (plural: string, kind: string, prefix: string, count: number) => {
    const url = `${base}/apis/bench.example.org/v1/namespaces/default/${plural}`;
    return runConcurrent(count, CONCURRENCY, async (i) => {
      const body = JSON.stringify({ apiVersion: "bench.example.org/v1", kind, metadata: { name: `${prefix}-${i}` }, spec: { replicas: 3, minReplicas: 1, owner: "ann", memory: "1Gi", tags: ["a", "b", "c"] } });
      await expectOk(await fetch(url, { method: "POST", headers: JSON_HEADERS, body }), `create ${plural} ${prefix}-${i}`);
    });
  };
  for (const [plural, kind, withRules] of kinds) {
    await expectOk(await fetch(`${base}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(gadgetCrd(plural, kind, withRules)) }), `create CRD ${plural}`);
    await createAll(plural, kind, "warm", 300);
  }
  // Interleaved, best of two, so that neither kind pays for the other's garbage collection alone.
  for (round = 0; round < 2; round++) {
    for (const [plural, kind] of kinds) {
      const run = await createAll(plural, kind, `r${round}`, CR_CREATES / 2);
      best[plural] = Math.max(best[plural] ?? 0, Math.round(CR_CREATES / 2 / (run.wallMs / 1000)));
    }
  }
  return { count: CR_CREATES / 2, concurrency: CONCURRENCY, withRulesPerSec: best.rulegadgets!, withoutRulesPerSec: best.plaingadgets! };
}

async function main() {
  const started = performance.now();
  const server = await startServer();
  const base = server.url;
  let deadlineHit = false;
  const deadline = setTimeout(() => {
    deadlineHit = true;
    console.error(`bench: over ${DEADLINE_MS / 1000}s, stopping the server`);
    server.stop().finally(() => process.exit(2));
  }, DEADLINE_MS);
  const onSignal = () => void server.stop().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const log = (s: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${s}`);
  try {
    log(`server ${server.mode} pid ${server.pid} at ${base}`);
    const rssStart = rssMB(server.pid);
    const loadAtStart = loadavg()[0];
    if (loadAtStart > 0.5 * cpus().length)
      console.error(`bench: load average ${loadAtStart.toFixed(2)} on ${cpus().length} CPUs; other work will skew the numbers`);

    // Warm-up: JIT both sides and open the keep-alive pool, away from the measured namespace.
    for (let i = 0; i < 300; i++) await expectOk(await fetch(`${base}/version`), "version");
    await createNamespace(base, "bench-warmup");
    await createMany(base, "bench-warmup", "warm", 2000, CONCURRENCY);
    for (let i = 0; i < 3; i++) await expectOk(await fetch(`${base}/api/v1/namespaces/bench-warmup/configmaps`, { headers: JSON_HEADERS }), "list");
    const rssEmpty = await settledRss(server.pid);
    const objectsEmpty = await objectCount(base);

    log("GET /version");
    const version = await sequentialLatency(2000, async () => void (await expectOk(await fetch(`${base}/version`), "version")));

    log(`${CREATES} creates, ${CONCURRENCY} in flight`);
    const createRun = await withCpu(server.pid, () => createMany(base, "default", "cm", CREATES, CONCURRENCY));
    const created = createRun.value;
    const createStats = stats(created.latencies);
    const creates = {
      count: CREATES,
      concurrency: CONCURRENCY,
      wallMs: round(created.wallMs),
      perSec: Math.round(CREATES / (created.wallMs / 1000)),
      p50Ms: round(createStats.p50),
      p99Ms: round(createStats.p99),
      maxMs: round(createStats.max),
      serverCpuCores: createRun.serverCores,
      clientCpuCores: createRun.clientCores,
    };

    log("GET one object");
    const getOne = await sequentialLatency(2000, async () =>
      void (await expectOk(await fetch(`${base}/api/v1/namespaces/default/configmaps/cm-${CREATES >> 1}`, { headers: JSON_HEADERS }), "get")),
    );

    const rss10k = await settledRss(server.pid);
    const objects10k = await objectCount(base);

    log("list");
    const listUrl = `${base}/api/v1/namespaces/default/configmaps`;
    let listed = 0;
    let listBytes = 0;
    // Timed from request to the whole body received; the client's JSON.parse is checked outside the timing.
    let listText = "";
    const listJson = await timeRepeated(7, async () => {
      listText = await expectOk(await fetch(listUrl, { headers: JSON_HEADERS }), "list");
    });
    listBytes = listText.length;
    listed = (JSON.parse(listText) as { items: unknown[] }).items.length;
    if (listed !== CREATES) throw new Error(`list returned ${listed} items, expected ${CREATES}`);
    let rows = 0;
    let tableBytes = 0;
    let tableText = "";
    const listTable = await timeRepeated(5, async () => {
      tableText = await expectOk(await fetch(listUrl, { headers: { accept: TABLE_ACCEPT, "user-agent": "kubectl/v1.32.0 (bench)" } }), "table");
    });
    tableBytes = tableText.length;
    rows = (JSON.parse(tableText) as { rows: unknown[] }).rows.length;
    if (rows !== CREATES) throw new Error(`Table list returned ${rows} rows, expected ${CREATES}`);
    // A client walk: each page is parsed for its continue token, as kubectl does.
    let pages = 0;
    const paginated = await timeRepeated(3, async () => {
      let cont = "";
      let total = 0;
      pages = 0;
      do {
        const text = await expectOk(
          await fetch(`${listUrl}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`, { headers: JSON_HEADERS }),
          "page",
        );
        const page = JSON.parse(text) as { items: unknown[]; metadata: { continue?: string } };
        total += page.items.length;
        pages++;
        cont = page.metadata.continue ?? "";
      } while (cont);
      if (total !== CREATES) throw new Error(`paginated walk returned ${total} items, expected ${CREATES}`);
    });

    log(`watch fan-out: ${WATCHERS} watchers, ${WATCH_WRITES} writes`);
    const watchRun = await withCpu(server.pid, () => watchFanOut(base));
    const watch = { ...watchRun.value, serverCpuCores: watchRun.serverCores, clientCpuCores: watchRun.clientCores };

    const have = await objectCount(base);
    const extra = Math.max(0, MEM_OBJECTS - have);
    log(`memory: ${extra} more creates (to ${MEM_OBJECTS} objects)`);
    await createNamespace(base, "bench-mem");
    const memCreated = await createMany(base, "bench-mem", "m", extra, CONCURRENCY);
    const rssMany = await settledRss(server.pid);
    const objectsMany = await objectCount(base);

    const memory = {
      rssAtStartMB: round(rssStart, 1),
      rssWarmEmptyMB: round(rssEmpty, 1),
      objectsWarmEmpty: objectsEmpty,
      rssAt10kMB: round(rss10k, 1),
      objectsAt10k: objects10k,
      rssAtManyMB: round(rssMany, 1),
      objectsAtMany: objectsMany,
      mbPer1000From0To10k: round((rss10k - rssEmpty) / ((objects10k - objectsEmpty) / 1000), 3),
      mbPer1000From10kToMany: round((rssMany - rss10k) / ((objectsMany - objects10k) / 1000), 3),
      bulkCreatesPerSec: extra ? Math.round(extra / (memCreated.wallMs / 1000)) : undefined,
    };

    log(`custom resources: ${CR_CREATES} creates with CEL rules and without`);
    const customResources = await customResourceCreates(base);

    const results = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryGB: round(totalmem() / 2 ** 30, 1),
        platform: `${process.platform}/${process.arch}`,
        loadAverage1mAtStart: round(loadAtStart),
        loadAverage1mAtEnd: round(loadavg()[0]),
      },
      client: `bun ${Bun.version} fetch (keep-alive)`,
      server: server.mode,
      authorization: flags.rbac ? "RBAC (token-file user bound to cluster-admin)" : "AlwaysAllow",
      latency: {
        getVersion: { p50Ms: round(version.p50, 3), p99Ms: round(version.p99, 3) },
        getObject: { p50Ms: round(getOne.p50, 3), p99Ms: round(getOne.p99, 3) },
      },
      creates,
      list: {
        objects: CREATES,
        json: { ...listJson, bytes: listBytes },
        table: { ...listTable, bytes: tableBytes },
        paginatedLimit500: { ...paginated, pages },
      },
      watch,
      memory,
      customResources,
      aims: {
        createsPerSecAtLeast5000: creates.perSec >= 5000,
        list10kJsonMedianAtMost100ms: listJson.medianMs <= 100,
        watchNoEventLost: watch.allInOrderNoLoss,
      },
      benchSeconds: 0,
    };
    results.benchSeconds = round((performance.now() - started) / 1000, 1);
    report(results);
    if (flags["json-out"]) writeFileSync(flags["json-out"], `${JSON.stringify(results, null, 2)}\n`);
    if (!flags["no-save"]) {
      const file = join(ROOT, "bench/results", `apiserver-${results.date.slice(0, 10)}${flags.rbac ? "-rbac" : ""}.json`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
      console.log(`\nwritten to ${file.slice(ROOT.length + 1)}`);
    }
    if (!watch.allInOrderNoLoss) process.exitCode = 1;
  } finally {
    clearTimeout(deadline);
    if (!deadlineHit) await server.stop();
  }
}

type Results = {
  latency: { getVersion: { p50Ms: number; p99Ms: number }; getObject: { p50Ms: number; p99Ms: number } };
  creates: { count: number; concurrency: number; perSec: number; p50Ms: number; p99Ms: number; wallMs: number; serverCpuCores: number; clientCpuCores: number };
  list: {
    objects: number;
    json: { minMs: number; medianMs: number; bytes: number };
    table: { minMs: number; medianMs: number; bytes: number };
    paginatedLimit500: { minMs: number; medianMs: number; pages: number };
  };
  watch: Awaited<ReturnType<typeof watchFanOut>> & { serverCpuCores: number; clientCpuCores: number };
  memory: Record<string, number | undefined>;
  customResources: Awaited<ReturnType<typeof customResourceCreates>>;
  server: string;
  client: string;
  machine: { cpus: number; cpuModel?: string; loadAverage1mAtStart: number; loadAverage1mAtEnd: number };
};

function report(r: Results) {
  const rows: [string, string, string][] = [];
  const aim = (ok: boolean, text: string) => `${ok ? "ok  " : "MISS"} ${text}`;
  const row = (what: string, value: string, target = "") => rows.push([what, value, target]);
  const m = r.memory;
  row("GET /version p50 / p99", `${r.latency.getVersion.p50Ms} / ${r.latency.getVersion.p99Ms} ms`);
  row("GET configmap p50 / p99", `${r.latency.getObject.p50Ms} / ${r.latency.getObject.p99Ms} ms`);
  row(`create ${r.creates.count} ConfigMaps (${r.creates.concurrency} in flight)`, `${r.creates.perSec}/s`, aim(r.creates.perSec >= 5000, "≥ 5000/s"));
  row("  create latency p50 / p99", `${r.creates.p50Ms} / ${r.creates.p99Ms} ms`);
  row("  CPU cores busy: server / client", `${r.creates.serverCpuCores} / ${r.creates.clientCpuCores}`);
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
  row(`list ${r.list.objects} JSON (${mb(r.list.json.bytes)}) min / median`, `${r.list.json.minMs} / ${r.list.json.medianMs} ms`, aim(r.list.json.medianMs <= 100, "≤ 100 ms"));
  row(`list ${r.list.objects} Table (${mb(r.list.table.bytes)}) min / median`, `${r.list.table.minMs} / ${r.list.table.medianMs} ms`);
  row(`list limit=500 walk (${r.list.paginatedLimit500.pages} pages) min / median`, `${r.list.paginatedLimit500.minMs} / ${r.list.paginatedLimit500.medianMs} ms`);
  const w = r.watch;
  row(`watch: ${w.watchers} watchers × ${w.writes} writes`, `${w.watchersComplete}/${w.watchers} complete`, aim(w.allInOrderNoLoss, "no loss, in order"));
  row("  writes during watch", `${w.writesPerSec}/s`);
  row("  first write → last watcher done", `${w.firstWriteToLastDeliveryMs} ms`);
  row("  last write answered → last watcher done", `${w.lastWriteToLastDeliveryMs} ms`);
  row("  events delivered", `${w.eventsDelivered} (${w.eventsPerSec}/s)`);
  row("  CPU cores busy: server / client", `${w.serverCpuCores} / ${w.clientCpuCores}`);
  const cr = r.customResources;
  row(`create ${cr.count} custom resources (best of 2): 5 CEL rules / none`, `${cr.withRulesPerSec}/s / ${cr.withoutRulesPerSec}/s`);
  row("RSS start / warm empty", `${m.rssAtStartMB} / ${m.rssWarmEmptyMB} MB (${m.objectsWarmEmpty} objects)`);
  row("RSS after the creates / after filling", `${m.rssAt10kMB} MB (${m.objectsAt10k} objects) / ${m.rssAtManyMB} MB (${m.objectsAtMany})`);
  row("RSS per 1000 objects (creates / filling)", `${m.mbPer1000From0To10k} / ${m.mbPer1000From10kToMany} MB`);
  if (m.bulkCreatesPerSec) row("  creates/s while filling", `${m.bulkCreatesPerSec}/s`);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((x) => x[i].length)));
  console.log(`\nkode apiserver benchmark — server: ${r.server}; client: ${r.client}`);
  console.log(`${r.machine.cpus} CPUs (${r.machine.cpuModel ?? "?"}), load average ${r.machine.loadAverage1mAtStart} at start, ${r.machine.loadAverage1mAtEnd} at end\n`);
  for (const x of rows) console.log(`  ${x[0].padEnd(widths[0])}  ${x[1].padStart(widths[1])}  ${x[2]}`);
  for (const p of w.problems) console.log(`  watch problem: ${p}`);
}

await main().catch((e) => {
  console.error(`bench failed: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
