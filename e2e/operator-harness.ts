// Harness for the operator end-to-end suites: the embedded API server in the test process (so the tests can read
// its request counters, inject faults and observe every stored write), the operator as a CHILD PROCESS (the real
// `kode operator` command, so SIGKILL hits the real process), and real kubectl with a fresh HOME when present.
//
// The operator is the current source compiled once per test run with `bun build --compile` (what `npm run build`
// makes); KODE_E2E_BINARY=dist/kode uses an existing binary, KODE_E2E_FROM_SOURCE=1 runs `bun src/main.ts`.
//
// Everything here polls observable state with a deadline; nothing sleeps blindly and no assertion is about time.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { KODE_CLUSTER_TEMPLATES, KODE_TEMPLATES, KODES } from "../src/api/resources.ts";
import { buildCrds } from "../src/api/crds.ts";
import { renderKubeconfig } from "../src/apiserver/kubeconfig.ts";
import { startApiServer, type ApiServer, type ApiServerOptions } from "../src/apiserver/server.ts";
import { applyObject } from "../src/kube/apply.ts";
import { createClient, type Client } from "../src/kube/client.ts";
import { loadClientConfig } from "../src/kube/kubeconfig.ts";
import { EVENTS, NAMESPACES, PVCS, SECRETS, SERVICES, STATEFULSETS } from "../src/kube/resources.ts";
import type { KubeObject, ResourceRef } from "../src/kube/types.ts";
import { installShippedRbac, operatorServiceAccount, serviceAccountToken } from "../src/operator/sandbox.ts";
import { findKubectlBinaries, Kubectl } from "./kubectl-harness.ts";

export const REPO_ROOT = resolve(import.meta.dir, "..");
export const OPERATOR_FIXTURES = join(import.meta.dir, "fixtures", "operator");
/** The operator's User-Agent prefix (src/kube/client.ts DEFAULT_USER_AGENT). */
export const OPERATOR_UA = "kode-operator/";
/** The tests' own client: never matched by faults or counters scoped to the operator. */
export const E2E_UA = "kode-e2e/1.0";
export const FINALIZER = "kode.jacero.io/finalizer";
export const MANAGED_SELECTOR = "app.kubernetes.io/managed-by=kode-operator";
export const CHILD_KINDS: { ref: ResourceRef; suffix: string }[] = [
  { ref: STATEFULSETS, suffix: "" },
  { ref: SERVICES, suffix: "" },
  { ref: SECRETS, suffix: "-auth" },
  { ref: PVCS, suffix: "-home" },
];
const CRD_REF: ResourceRef = { group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false };

// ---------------------------------------------------------------- waiting

/** The operator whose log tail is appended to timeout messages (the one most recently started). */
let currentOperator: OperatorProcess | undefined;

/**
 * Poll `check` until it returns a truthy value (errors count as "not yet"); on timeout throw with `what`, the last
 * value or error, and the operator's recent log lines.
 */
export async function eventually<T>(what: string, check: () => T | Promise<T>, timeoutMs = 30_000, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 2000);
      const logs = currentOperator ? `\n--- operator log tail ---\n${currentOperator.logTail(30)}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${detail}${logs}`);
    }
    await Bun.sleep(intervalMs);
  }
}

// ---------------------------------------------------------------- the operator process

let built: Promise<string> | undefined;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/**
 * Compile `dist/kode`'s equivalent once per test process into a temporary folder (the same flags as `npm run build`),
 * so the suite tests the current source as the single binary users run.
 */
function buildBinary(): Promise<string> {
  built ??= (async () => {
    // bun test runs no exit handlers, so each run removes the binaries of earlier runs whose process is gone.
    for (const entry of readdirSync(tmpdir())) {
      const pid = Number(/^kode-e2e-bin-(\d+)$/.exec(entry)?.[1]);
      if (pid && pid !== process.pid && !processAlive(pid)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    }
    const dir = join(tmpdir(), `kode-e2e-bin-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const out = join(dir, "kode");
    const proc = Bun.spawn({
      cmd: [process.execPath, "build", "--compile", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", join(REPO_ROOT, "src", "main.ts"), "--outfile", out],
      cwd: REPO_ROOT,
      stdout: "pipe",
      stderr: "pipe",
      timeout: 120_000,
    });
    const [code, stdout, stderr] = [await proc.exited, await new Response(proc.stdout).text(), await new Response(proc.stderr).text()];
    if (code !== 0) throw new Error(`bun build --compile failed (${code}):\n${stdout}${stderr}`);
    return out;
  })();
  return built;
}

/**
 * How the operator is started: KODE_E2E_BINARY=<path> runs that binary (e.g. dist/kode); KODE_E2E_FROM_SOURCE=1 runs
 * `bun src/main.ts`; by default the current source is compiled once per test run and that binary is used.
 */
export async function operatorCommandLine(): Promise<string[]> {
  if (process.env.KODE_E2E_BINARY) return [resolve(REPO_ROOT, process.env.KODE_E2E_BINARY)];
  if (process.env.KODE_E2E_FROM_SOURCE) return [process.execPath, join(REPO_ROOT, "src", "main.ts")];
  return [await buildBinary()];
}

export const operatorMode = () =>
  process.env.KODE_E2E_BINARY ? `binary ${process.env.KODE_E2E_BINARY}` : process.env.KODE_E2E_FROM_SOURCE ? "bun src/main.ts" : "freshly built binary";

/** A free TCP port on 127.0.0.1 (bound and released; the operator binds it right after). */
export function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

export interface OperatorProcessOptions {
  kubeconfig: string;
  /** --resync (default 10m). */
  resync?: string;
  concurrency?: number;
  qps?: number;
  extraArgs?: string[];
}

/** `kode operator` as a child process; restartable (each start is a new process). */
export class OperatorProcess {
  proc: ReturnType<typeof Bun.spawn> | undefined;
  readonly port = freePort();
  private lines: string[] = [];
  starts = 0;

  /** Options apply from the next start (e.g. restart with a shorter --resync). */
  constructor(public opts: OperatorProcessOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  args(): string[] {
    const addr = `127.0.0.1:${this.port}`;
    return [
      "operator",
      "--kubeconfig",
      this.opts.kubeconfig,
      "--health-address",
      addr,
      "--metrics-address",
      addr,
      "--log-format",
      "json",
      "--resync",
      this.opts.resync ?? "10m",
      "--concurrency",
      String(this.opts.concurrency ?? 4),
      "--qps",
      String(this.opts.qps ?? 1000),
      // The pods here have no pod-proxy target: activity polling would only read errors. The lifecycle's own
      // e2e tests (e2e/lifecycle-*.test.ts) run it.
      ...(this.opts.extraArgs?.some((a) => a.startsWith("--activity-interval")) ? [] : ["--activity-interval", "0"]),
      ...(this.opts.extraArgs ?? []),
    ];
  }

  async start(): Promise<this> {
    if (this.alive) throw new Error("operator already running");
    const cmd = await operatorCommandLine();
    this.starts++;
    const n = this.starts;
    const proc = Bun.spawn({
      cmd: [...cmd, ...this.args()],
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    this.proc = proc;
    currentOperator = this;
    const drain = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      let buf = "";
      for await (const chunk of stream) {
        buf += decoder.decode(chunk, { stream: true });
        const parts = buf.split("\n");
        buf = parts.pop()!;
        for (const line of parts) if (line.trim()) this.push(`[${n}] ${line}`);
      }
      if (buf.trim()) this.push(`[${n}] ${buf}`);
    };
    void drain(proc.stdout as ReadableStream<Uint8Array>);
    void drain(proc.stderr as ReadableStream<Uint8Array>);
    return this;
  }

  private push(line: string) {
    this.lines.push(line);
    if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 1000);
  }

  get alive(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  logTail(n = 40): string {
    return this.lines.slice(-n).join("\n");
  }

  logs(): string[] {
    return [...this.lines];
  }

  /** Wait until /readyz answers 200 (caches synced, workers running). */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    await eventually(
      "the operator's /readyz",
      async () => {
        if (!this.alive) throw new Error(`operator exited (${this.proc?.exitCode ?? this.proc?.signalCode})`);
        const res = await fetch(`${this.url}/readyz`);
        return res.status === 200;
      },
      timeoutMs,
    );
  }

  async startAndWait(timeoutMs?: number): Promise<this> {
    await this.start();
    await this.waitReady(timeoutMs);
    return this;
  }

  /** Send a signal and wait for the process to exit (bounded; SIGKILL after `timeoutMs`). */
  async kill(signal: "SIGKILL" | "SIGTERM" = "SIGKILL", timeoutMs = 15_000): Promise<number | null> {
    const proc = this.proc;
    if (!proc || !this.alive) return proc?.exitCode ?? null;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    const code = await proc.exited;
    clearTimeout(timer);
    return code;
  }

  /** Graceful stop (SIGTERM). */
  stop(): Promise<number | null> {
    return this.kill("SIGTERM");
  }

  async metricsText(): Promise<string> {
    const res = await fetch(`${this.url}/metrics`);
    if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
    return res.text();
  }

  /** Sum of the samples of `name` whose labels include all of `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await this.metricsText();
    let sum = 0;
    for (const line of text.split("\n")) {
      if (!line.startsWith(name)) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
      if (!m || m[1] !== name) continue;
      const have = Object.fromEntries([...(m[3] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[4]);
    }
    return sum;
  }

  /** Successful Kode reconciles so far (the kode_reconcile_total counter). */
  kodeReconciles(): Promise<number> {
    return this.metric("kode_reconcile_total", { controller: "kode", result: "success" });
  }
}

// ---------------------------------------------------------------- the environment

export interface E2EOptions {
  gc?: boolean;
  kubeletDelayMs?: number;
  resync?: string;
  concurrency?: number;
  /** Start the operator and wait for it (default true). */
  startOperator?: boolean;
  /**
   * Run the operator as its ServiceAccount with exactly the shipped RBAC (manifests/rbac) on a server that
   * enforces RBAC (default true); false: the operator is admin on an AlwaysAllow server.
   */
  serviceAccount?: boolean;
  server?: Partial<ApiServerOptions>;
}

export interface E2E {
  server: ApiServer;
  /** The tests' client (User-Agent kode-e2e, no rate limit). */
  client: Client;
  operator: OperatorProcess;
  /** The kubeconfig operators run with: the ServiceAccount's token in ServiceAccount mode, else the admin's. */
  operatorKubeconfig: string;
  /** The operator's own namespace (leader election Lease): kode-system in ServiceAccount mode, else default. */
  operatorNamespace: string;
  /** Real kubectl (PATH) with a fresh HOME per call, or undefined when there is none. */
  kubectl: Kubectl | undefined;
  dir: string;
  stop(): Promise<void>;
}

export async function startE2E(opts: E2EOptions = {}): Promise<E2E> {
  const dir = mkdtempSync(join(tmpdir(), "kode-operator-e2e-"));
  const asServiceAccount = opts.serviceAccount ?? true;
  const server = await startApiServer({
    gc: opts.gc ?? true,
    simulateKubelet: true,
    kubeletDelayMs: opts.kubeletDelayMs ?? 50,
    kubeconfigPath: join(dir, "kubeconfig"),
    ...(asServiceAccount && { authorizationMode: "RBAC" as const }),
    ...opts.server,
  });
  const client = createClient(await loadClientConfig({ kubeconfig: server.kubeconfigPath }), { userAgent: E2E_UA, qps: 0 });
  for (const crd of buildCrds()) await applyObject(client, CRD_REF, crd as unknown as KubeObject, { fieldManager: "kode-e2e" });
  await eventually("the kode.jacero.io API to be served", async () => {
    const res = await client.request("GET", "/apis/kode.jacero.io/v1alpha1");
    return res.ok && ((await res.json()) as { resources: unknown[] }).resources.length >= 5;
  });
  let operatorKubeconfig = server.kubeconfigPath;
  let operatorNamespace = "default";
  if (asServiceAccount) {
    await installShippedRbac(client, "kode-e2e");
    const sa = operatorServiceAccount();
    operatorNamespace = sa.namespace;
    operatorKubeconfig = join(dir, "operator-kubeconfig");
    const token = await serviceAccountToken(client, sa.namespace, sa.name);
    writeFileSync(operatorKubeconfig, renderKubeconfig({ url: server.url, tls: server.tls, token }), { mode: 0o600 });
  }
  const binary = findKubectlBinaries()[0];
  const kubectl = binary ? new Kubectl(binary, server.kubeconfigPath, dir) : undefined;
  const operator = new OperatorProcess({ kubeconfig: operatorKubeconfig, resync: opts.resync, concurrency: opts.concurrency });
  if (opts.startOperator ?? true) await operator.startAndWait();
  return {
    server,
    client,
    operator,
    operatorKubeconfig,
    operatorNamespace,
    kubectl,
    dir,
    async stop() {
      kubectl?.stopAll();
      await operator.kill("SIGKILL");
      client.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- objects

export type Obj = KubeObject & { spec?: any; status?: any; data?: Record<string, string> };

export async function createNamespace(client: Client, name: string) {
  await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

export function kodeManifest(name: string, namespace: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name, namespace }, spec };
}

export async function createKode(client: Client, name: string, namespace: string, spec: Record<string, unknown>): Promise<Obj> {
  return client.create(KODES, kodeManifest(name, namespace, spec));
}

export async function createTemplate(client: Client, name: string, namespace: string | undefined, spec: Record<string, unknown>): Promise<Obj> {
  const kind = namespace ? "KodeTemplate" : "KodeClusterTemplate";
  return client.create(namespace ? KODE_TEMPLATES : KODE_CLUSTER_TEMPLATES, {
    apiVersion: "kode.jacero.io/v1alpha1",
    kind,
    metadata: namespace ? { name, namespace } : { name },
    spec,
  });
}

export async function createSecret(client: Client, name: string, namespace: string, data: Record<string, string>): Promise<Obj> {
  const b64 = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
  return client.create(SECRETS, { apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, type: "Opaque", data: b64 });
}

export const getKode = (client: Client, ns: string, name: string) => client.get<Obj>(KODES, name, ns);

export function condition(kode: Obj | undefined, type: string): { status: string; reason: string; message: string; observedGeneration?: number } | undefined {
  return kode?.status?.conditions?.find((c: { type: string }) => c.type === type);
}

/** Wait until the Kode's status satisfies `pred` (and return the Kode). */
export function waitKode(client: Client, ns: string, name: string, what: string, pred: (k: Obj) => boolean, timeoutMs = 30_000): Promise<Obj> {
  return eventually(`Kode ${ns}/${name}: ${what}`, async () => {
    const k = await getKode(client, ns, name);
    if (!k) throw new Error("Kode does not exist");
    if (pred(k)) return k;
    throw new Error(`status ${JSON.stringify({ phase: k.status?.phase, ready: condition(k, "Ready"), gen: k.metadata.generation, observed: k.status?.observedGeneration })}`);
  }, timeoutMs);
}

/** Running, Ready=True, and status describes the current generation. */
export const isRunning = (k: Obj) =>
  k.status?.phase === "Running" && condition(k, "Ready")?.status === "True" && k.status?.observedGeneration === k.metadata.generation;

export const waitRunning = (client: Client, ns: string, name: string, timeoutMs?: number) => waitKode(client, ns, name, "Running and Ready", isRunning, timeoutMs);

/** Failed with Ready=False and this reason, for the current generation. */
export const waitFailed = (client: Client, ns: string, name: string, reason: string, timeoutMs?: number) =>
  waitKode(
    client,
    ns,
    name,
    `Failed with Ready=False/${reason}`,
    (k) => k.status?.phase === "Failed" && condition(k, "Ready")?.status === "False" && condition(k, "Ready")?.reason === reason && k.status?.observedGeneration === k.metadata.generation,
    timeoutMs,
  );

export async function waitGone(client: Client, ref: ResourceRef, ns: string | undefined, name: string, timeoutMs?: number) {
  await eventually(`${ref.kind} ${ns ?? ""}/${name} to be gone`, async () => (await client.get(ref, name, ns)) === undefined, timeoutMs);
}

export interface Children {
  statefulSet?: Obj;
  service?: Obj;
  secret?: Obj;
  pvc?: Obj;
}

export async function children(client: Client, ns: string, kode: string): Promise<Children> {
  const [statefulSet, service, secret, pvc] = await Promise.all([
    client.get<Obj>(STATEFULSETS, kode, ns),
    client.get<Obj>(SERVICES, kode, ns),
    client.get<Obj>(SECRETS, `${kode}-auth`, ns),
    client.get<Obj>(PVCS, `${kode}-home`, ns),
  ]);
  return { statefulSet, service, secret, pvc };
}

/** Events about a Kode (core/v1), oldest first. */
export async function kodeEvents(client: Client, ns: string, name: string): Promise<{ type: string; reason: string; message: string; count?: number }[]> {
  const list = await client.list<Obj>(EVENTS, { namespace: ns, fieldSelector: `involvedObject.kind=Kode,involvedObject.name=${name}` });
  return list.items as never;
}

export async function waitEvent(client: Client, ns: string, name: string, type: "Normal" | "Warning", reason: string, timeoutMs?: number) {
  return eventually(
    `a ${type} Event ${reason} on Kode ${ns}/${name}`,
    async () => {
      const events = await kodeEvents(client, ns, name);
      const hit = events.find((e) => e.type === type && e.reason === reason);
      if (hit) return hit;
      throw new Error(`events: ${JSON.stringify(events.map((e) => `${e.type}/${e.reason}`))}`);
    },
    timeoutMs,
  );
}

export const b64decode = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, "base64").toString());

// ---------------------------------------------------------------- invariants

/** All children the operator manages (by label), optionally in one namespace. */
export async function managedChildren(client: Client, ns?: string): Promise<{ kind: string; obj: Obj }[]> {
  const out: { kind: string; obj: Obj }[] = [];
  for (const { ref } of CHILD_KINDS) {
    const list = await client.list<Obj>(ref, { namespace: ns, labelSelector: MANAGED_SELECTOR });
    for (const obj of list.items) out.push({ kind: ref.kind, obj });
  }
  return out;
}

/**
 * Exactly one StatefulSet, Service and Secret per Kode (PVC when `pvc`), each owned (controller reference) by the
 * live Kode of that name; and no managed child whose Kode is missing or has another uid (orphans). Returns the
 * problems found (empty when all is well).
 */
export async function childInvariantProblems(client: Client, ns: string, opts: { pvc?: boolean; secret?: boolean } = {}): Promise<string[]> {
  const problems: string[] = [];
  const kodes = (await client.list<Obj>(KODES, { namespace: ns })).items;
  const byName = new Map(kodes.map((k) => [k.metadata.name, k]));
  const kids = await managedChildren(client, ns);
  const count = new Map<string, number>();
  for (const { kind, obj } of kids) {
    const owner = obj.metadata.labels?.["kode.jacero.io/name"];
    const kode = owner ? byName.get(owner) : undefined;
    const ctrl = obj.metadata.ownerReferences?.filter((r) => r.controller) ?? [];
    if (!kode) problems.push(`orphan ${kind} ${obj.metadata.name} (no Kode ${owner})`);
    else if (ctrl.length !== 1 || ctrl[0].uid !== kode.metadata.uid || ctrl[0].kind !== "Kode")
      problems.push(`${kind} ${obj.metadata.name}: controller references ${JSON.stringify(ctrl)} do not name Kode ${owner} (${kode.metadata.uid})`);
    const key = `${kind}/${owner}`;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  const expected = ["StatefulSet", "Service", ...(opts.secret ?? true ? ["Secret"] : []), ...(opts.pvc ? ["PersistentVolumeClaim"] : [])];
  for (const k of kodes)
    for (const kind of expected) {
      const n = count.get(`${kind}/${k.metadata.name}`) ?? 0;
      if (n !== 1) problems.push(`Kode ${k.metadata.name} has ${n} ${kind}(s)`);
    }
  return problems;
}

/**
 * Records, from the server's store (every write, no watch in between), each distinct password the operator's
 * Secrets `<kode>-auth` in `ns` ever held. A generated password must be written once and never replaced.
 */
export function trackPasswords(server: ApiServer, ns: string) {
  const seen = new Map<string, Set<string>>();
  const unsubscribe = server.state.store.subscribe((e) => {
    if (e.resource !== "/secrets" || e.type === "DELETED") return;
    const o = e.object as Obj;
    if (o.metadata.namespace !== ns || !o.metadata.name.endsWith("-auth")) return;
    const pw = (o.data as Record<string, string> | undefined)?.password;
    if (pw === undefined) return;
    const set = seen.get(o.metadata.name) ?? new Set<string>();
    set.add(pw);
    seen.set(o.metadata.name, set);
  });
  return {
    seen,
    /** Secrets whose password changed after it was first written. */
    changed: () => [...seen].filter(([, s]) => s.size > 1).map(([name, s]) => `${name}: ${s.size} passwords`),
    stop: unsubscribe,
  };
}

/** Every phase a Kode's stored status went through (consecutive repeats collapsed), from the server's store. */
export function trackPhases(server: ApiServer, ns: string) {
  const phases = new Map<string, string[]>();
  const unsubscribe = server.state.store.subscribe((e) => {
    if (e.resource !== "kode.jacero.io/kodes" || e.type === "DELETED") return;
    const o = e.object as Obj;
    if (o.metadata.namespace !== ns) return;
    const phase = o.status?.phase;
    if (!phase) return;
    const list = phases.get(o.metadata.name) ?? [];
    if (list[list.length - 1] !== phase) list.push(phase);
    phases.set(o.metadata.name, list);
  });
  return { phases, stop: unsubscribe, of: (name: string) => phases.get(name) ?? [] };
}

// ---------------------------------------------------------------- faults

export interface ChaosOptions {
  /** Share of the operator's requests answered with an injected error (default 0.1). */
  rate?: number;
  /** Statuses used in turn (default 500, 429). */
  statuses?: number[];
  retryAfterSeconds?: number;
  /** Close every open watch each time the operator has made this many more requests (default: never). */
  dropWatchesEvery?: number;
  /** On every n-th drop, the reconnecting watches of these resources get 410 Expired (forcing a relist). */
  expireEveryNthDrop?: number;
  expireResources?: string[];
}

/**
 * Faults paced by the operator's own progress (so they hit it however fast it is): each time it has made 1/rate
 * more requests, one fault (times: 1, scoped to its User-Agent) is armed, statuses in turn; optionally its watches
 * are dropped every `dropWatchesEvery` requests, some reconnects answered 410.
 */
export function startChaos(server: ApiServer, opts: ChaosOptions = {}) {
  const hooks = server.hooks;
  const every = Math.max(1, Math.round(1 / (opts.rate ?? 0.1)));
  const statuses = opts.statuses ?? [500, 429];
  const served0 = statuses.map((code) => hooks.count({ userAgent: OPERATOR_UA, code }));
  let armed = 0;
  let drops = 0;
  const start = hooks.count({ userAgent: OPERATOR_UA });
  let lastFault = start;
  let lastDrop = start;
  const tick = () => {
    const n = hooks.count({ userAgent: OPERATOR_UA });
    while (n - lastFault >= every) {
      lastFault += every;
      const status = statuses[armed % statuses.length];
      hooks.injectFault({ userAgent: OPERATOR_UA, status, times: 1, ...(status === 429 && { retryAfterSeconds: opts.retryAfterSeconds ?? 0 }), message: "injected by the e2e suite" });
      armed++;
    }
    if (opts.dropWatchesEvery && n - lastDrop >= opts.dropWatchesEvery) {
      lastDrop = n;
      drops++;
      if (opts.expireEveryNthDrop && drops % opts.expireEveryNthDrop === 0) for (const r of opts.expireResources ?? []) hooks.expireNextWatch(r);
      hooks.closeWatches();
    }
  };
  const timer = setInterval(tick, 2);
  return {
    get armed() {
      return armed;
    },
    get drops() {
      return drops;
    },
    /** Operator requests since the start. */
    requests: () => hooks.count({ userAgent: OPERATOR_UA }) - start,
    /** Error responses with the injected statuses served to the operator since the start. */
    served: () => statuses.reduce((sum, code, i) => sum + hooks.count({ userAgent: OPERATOR_UA, code }) - served0[i], 0),
    stop() {
      clearInterval(timer);
      hooks.clearFaults();
    },
  };
}
