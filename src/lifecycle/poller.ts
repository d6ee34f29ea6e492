// The activity poller: reads every running Kode's sources through the API server's pod proxy once per interval
// (jittered ±10 % so a thousand Kodes do not poll in step), with bounded concurrency and a timeout per request,
// and hands the readings to a callback (the reconciler, which calls evaluate()). Failures become error readings,
// never exceptions. The clock and the HTTP getter come in, so a test runs hours of polling in milliseconds.
// What a Kode needs to remember between polls (Envoy's previous sample, lastActiveTime) is kept here, per Kode,
// and dropped with it.
import { formatDuration, parseDuration, type Parsed } from "./duration.ts";
import { ENVOY_STATS_QUERY, parseCodeServerHealthz, parseEnvoyStats, parseJupyterKernels, parseJupyterStatus, type Reading } from "./signals.ts";
import { type ActivityTarget, type PollSource, podProxyPath } from "./targets.ts";
import type { LifecycleMetrics } from "./metrics.ts";
import type { Memory } from "./verdict.ts";

export const DEFAULT_ACTIVITY_INTERVAL_MS = 60_000;
export const JITTER = 0.1;
export const MIN_ACTIVITY_INTERVAL_MS = 1_000;

/**
 * `--activity-interval` (Go-style duration, default 60s, at least 1s: tests and the sandbox e2e use short ones;
 * 0 turns activity polling and automatic pauses off).
 */
export function parseActivityInterval(value: string | undefined): Parsed {
  if (value === undefined) return { ok: true, ms: DEFAULT_ACTIVITY_INTERVAL_MS };
  const r = parseDuration(value);
  if (!r.ok) return { ok: false, message: `--activity-interval: ${r.message}` };
  if (r.ms === 0) return r;
  if (r.ms < MIN_ACTIVITY_INTERVAL_MS) return { ok: false, message: `--activity-interval: ${value} is shorter than the minimum ${formatDuration(MIN_ACTIVITY_INTERVAL_MS)}` };
  return r;
}

/** One GET. Resolves with the status and the parsed JSON body (undefined when it is not JSON); rejects on transport errors. */
export type HttpGet = (path: string, headers: Record<string, string>, timeoutMs: number) => Promise<{ status: number; body: unknown }>;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface PollResult {
  target: ActivityTarget;
  /** When the round for this Kode started (the `now` to evaluate with). */
  at: number;
  readings: Reading[];
  /** What was remembered for this Kode before this round. */
  memory: Memory;
  /** HTTP requests this round made. */
  requests: number;
}

export interface PollerOptions {
  get: HttpGet;
  /** Receives each Kode's readings; the Memory it returns (evaluate()'s) is kept for the next round. */
  onResult: (result: PollResult) => Memory | void | Promise<Memory | void>;
  intervalMs?: number;
  clock?: Clock;
  /** In [0, 1); injected for reproducible jitter. */
  random?: () => number;
  /** Requests in flight at once (default 16). */
  concurrency?: number;
  /** Per request (default 5 s, at most half the interval). */
  timeoutMs?: number;
  /** Jupyter's last_activity newer than this already means "active": /api/kernels is not read then. */
  activeWindowMs?: number;
  /** Counts readings by source and result. */
  metrics?: Pick<LifecycleMetrics, "activityReadings">;
}

interface Entry {
  target: ActivityTarget;
  due: number;
  memory: Memory;
  running: boolean;
}

export class ActivityPoller {
  readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly activeWindowMs: number;
  private readonly entries = new Map<string, Entry>();
  private timer: unknown;
  private wakeAt = Infinity;
  private started = false;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** Requests made since construction (the benchmark's and the tests' counter). */
  requests = 0;

  constructor(private readonly opts: PollerOptions) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_ACTIVITY_INTERVAL_MS;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.concurrency = Math.max(1, opts.concurrency ?? 16);
    this.timeoutMs = Math.min(opts.timeoutMs ?? 5_000, this.intervalMs / 2);
    this.activeWindowMs = opts.activeWindowMs ?? Math.max(2 * this.intervalMs, 120_000);
  }

  /** Add or update a Kode (its pod may have changed). A target without sources is dropped: it is never polled. */
  upsert(target: ActivityTarget, memory?: Memory) {
    if (target.sources.length === 0) return this.remove(target.key);
    const e = this.entries.get(target.key);
    if (e) {
      // A new pod (resume, restart) has new counters: Envoy's previous sample no longer applies.
      if (e.target.pod !== target.pod) delete e.memory.envoy;
      e.target = target;
      return;
    }
    // The first round falls anywhere in the first interval, so Kodes added together spread over it.
    this.entries.set(target.key, { target, due: this.clock.now() + this.random() * this.intervalMs, memory: { ...memory }, running: false });
    this.arm();
  }

  /** The Kode is gone or paused: forget it and what was remembered. */
  remove(key: string) {
    this.entries.delete(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  memory(key: string): Memory | undefined {
    return this.entries.get(key)?.memory;
  }

  get size(): number {
    return this.entries.size;
  }

  start() {
    this.started = true;
    this.arm();
  }

  stop() {
    this.started = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeAt = Infinity;
  }

  /** Poll every Kode due at the clock's now; resolves when their callbacks are done. Returns how many were polled. */
  async runDue(): Promise<number> {
    const now = this.clock.now();
    const due = [...this.entries.values()].filter((e) => !e.running && e.due <= now);
    for (const e of due) {
      e.running = true;
      e.due = now + this.intervalMs * (1 - JITTER + 2 * JITTER * this.random());
    }
    await Promise.all(due.map((e) => this.pollOne(e, now)));
    return due.length;
  }

  private arm() {
    if (!this.started) return;
    let next = Infinity;
    for (const e of this.entries.values()) if (!e.running && e.due < next) next = e.due;
    if (next === Infinity || next >= this.wakeAt) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.wakeAt = next;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.wakeAt = Infinity;
      void this.runDue().finally(() => this.arm());
      this.arm();
    }, Math.max(0, next - this.clock.now()));
  }

  private async pollOne(e: Entry, at: number) {
    const { target } = e;
    const before = e.memory;
    let requests = 0;
    const readings: Reading[] = [];
    for (const source of target.sources)
      readings.push(
        await this.read(source, target.activeWindowMs ?? this.activeWindowMs, (path, headers) => {
          requests++;
          this.requests++;
          return this.limited(() => this.opts.get(podProxyPath(target.namespace, target.pod, source.port, path), headers, this.timeoutMs));
        }),
      );
    // Removed (deleted, paused) while its requests were out: nothing to report.
    if (this.entries.get(target.key) !== e) return;
    for (const r of readings) this.opts.metrics?.activityReadings.inc({ source: r.ok ? r.sample.kind : r.source, result: r.ok ? "ok" : "error" });
    try {
      const memory = await this.opts.onResult({ target, at, readings, memory: before, requests });
      if (memory && this.entries.get(target.key) === e) e.memory = { ...memory };
    } catch {
      // The callback's failure is its own (it reports it); the Kode is polled again next round.
    } finally {
      e.running = false;
    }
  }

  private async read(source: PollSource, activeWindowMs: number, get: (path: string, headers: Record<string, string>) => Promise<{ status: number; body: unknown }>): Promise<Reading> {
    const fail = (error: string): Reading => ({ ok: false, source: source.kind, error });
    const fetchJson = async (path: string, headers: Record<string, string> = {}): Promise<{ ok: true; body: unknown } | { ok: false; error: string }> => {
      try {
        const res = await get(path, headers);
        if (res.status !== 200) return { ok: false, error: `${source.kind} ${path.split("?")[0]} answered HTTP ${res.status}` };
        return { ok: true, body: res.body };
      } catch (err) {
        return { ok: false, error: `${source.kind} ${path.split("?")[0]} unreachable: ${(err as Error).message}` };
      }
    };
    switch (source.kind) {
      case "code-server": {
        const r = await fetchJson(source.path);
        return r.ok ? parseCodeServerHealthz(r.body) : fail(r.error);
      }
      case "envoy": {
        const r = await fetchJson(`/stats?${ENVOY_STATS_QUERY}`);
        return r.ok ? parseEnvoyStats(r.body) : fail(r.error);
      }
      case "jupyter": {
        const headers: Record<string, string> = {};
        if (source.kernelsOnly) {
          const kernels = await fetchJson(`${source.pathPrefix}/api/kernels?no_track_activity=1`, headers);
          return kernels.ok ? parseJupyterKernels(kernels.body) : fail(kernels.error);
        }
        const status = await fetchJson(`${source.pathPrefix}/api/status`, headers);
        if (!status.ok) return fail(status.error);
        const s = status.body as { kernels?: unknown; last_activity?: unknown } | undefined;
        const last = typeof s?.last_activity === "string" ? Date.parse(s.last_activity) : NaN;
        // No kernels: none can be busy. Recent activity: already active. Either way /api/kernels adds nothing.
        if (s?.kernels === 0 || this.clock.now() - last < activeWindowMs) return parseJupyterStatus(status.body, []);
        const kernels = await fetchJson(`${source.pathPrefix}/api/kernels?no_track_activity=1`, headers);
        if (!kernels.ok) return fail(kernels.error);
        return parseJupyterStatus(status.body, kernels.body);
      }
    }
  }

  /** Bounded concurrency over all Kodes' requests. */
  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    while (this.inFlight >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }
}

/** An HttpGet over the operator's Kubernetes client: GET through the API server, with a timeout. */
export function clientGetter(client: { request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response> }): HttpGet {
  return async (path, headers, timeoutMs) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const res = await Promise.race([client.request("GET", path, undefined, { accept: "application/json", ...headers }), timeout]);
      const text = await Promise.race([res.text(), timeout]);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, body };
    } finally {
      clearTimeout(timer);
    }
  };
}
