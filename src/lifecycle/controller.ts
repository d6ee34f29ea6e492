// The lifecycle of running Kodes, between the Kode reconciler and the activity poller. The reconciler registers
// every Kode whose pod runs (`targets.upsert`) and removes paused, failed and deleted ones; the poller reads them
// once per interval; each result is evaluated here against the Kode's policy (template, spec.lifecycle,
// keep-alive-until) and:
// - the verdict goes into `activity` (a cache the reconciler reads into status.activity), changed only when a
//   stored field changes, and the Kode is queued then: one status writer, no write per poll;
// - a pause ahead within warnBefore: one Warning Event IdleSoon / MaxRunTimeSoon per pause time;
// - a pause due: pauseKode (spec.paused=true, paused-by=operator, pause-reason=idle|max-run-time).
// Kodes with nothing to read are never polled: their verdict is Unknown with the reason, and a timer of the same
// interval still evaluates them without a request, because maxRunTime pauses whatever the activity.
// The clock is injected: tests run hours in milliseconds.
import type { Kode, KodeTemplate } from "../api/types.ts";
import type { Cache } from "../kube/cache.ts";
import { splitKey } from "../kube/cache.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import { activityStatusChanged, activityStatusFields, type ActivityEntry, type ActivityStatusFields } from "./activity-status.ts";
import type { LifecycleMetrics } from "./metrics.ts";
import { pauseKode } from "./pause.ts";
import { ActivityPoller, systemClock, type Clock, type HttpGet, type PollResult } from "./poller.ts";
import { resolvePolicy } from "./policy.ts";
import { startupTimings } from "./startup.ts";
import type { ActivityTarget } from "./targets.ts";
import { evaluate, warningMessage, type Memory, type Policy } from "./verdict.ts";

export const PAUSED_BY_OPERATOR = "operator";

export interface LifecycleOptions {
  /** The operator's (fenced) client: pauseKode's read and patch. */
  client: KubeClient;
  get: HttpGet;
  kodes: Cache<Kode>;
  templates: Cache<KodeTemplate>;
  clusterTemplates: Cache<KodeTemplate>;
  pods: Cache<KubeObject>;
  events: { event(obj: KubeObject, type: "Normal" | "Warning", reason: string, message: string): unknown };
  /** Queue the Kode for a reconcile (its activity changed). */
  enqueue(key: string): void;
  intervalMs?: number;
  clock?: Clock;
  random?: () => number;
  concurrency?: number;
  metrics?: LifecycleMetrics;
  log?: { warn?(msg: string, fields?: Record<string, unknown>): void; debug?(msg: string, fields?: Record<string, unknown>): void };
}

export interface Lifecycle {
  poller: ActivityPoller;
  /** The latest verdict per Kode, for the reconciler (status.activity). */
  activity: Cache<ActivityEntry>;
  /** What the reconciler calls for each Kode it looked at. */
  targets: { upsert(target: ActivityTarget): void; remove(key: string): void };
  /** Evaluate one result (the poller's callback; also used for Kodes with nothing to read). */
  onResult(result: PollResult): Promise<Memory>;
  /** One round now: the poller's due Kodes and every Kode with nothing to read (tests drive the clock with it). */
  runDue(): Promise<void>;
  start(): void;
  stop(): void;
}

/** Activity newer than this counts as "now": twice the interval, at least 2 minutes, at most half the idle timeout. */
export function activeWindowMs(intervalMs: number, policy: Pick<Policy, "idleTimeoutMs">): number {
  const base = Math.max(2 * intervalMs, 120_000);
  return policy.idleTimeoutMs !== undefined ? Math.min(base, policy.idleTimeoutMs / 2) : base;
}

/** When the current run started: the pod's Ready time, else its creation. */
function runningSince(pod: KubeObject | undefined): number | undefined {
  if (!pod) return undefined;
  const t = startupTimings(pod as Parameters<typeof startupTimings>[0]);
  const at = t.readyAt ?? t.startedAt;
  return at ? Date.parse(at) : undefined;
}

const asObject = (k: Kode) => k as unknown as KubeObject;

export function createLifecycle(opts: LifecycleOptions): Lifecycle {
  const clock = opts.clock ?? systemClock;
  const entries = new Map<string, ActivityEntry>();
  /** The pause time each Kode was last warned about (one Event per pause time). */
  const warned = new Map<string, number>();
  /** Kodes with nothing to read: evaluated on the timer, never polled. */
  const silent = new Map<string, { target: ActivityTarget; memory: Memory }>();
  let version = 0;

  const templateOf = (kode: Kode): KodeTemplate | undefined => {
    const ref = kode.spec.templateRef;
    return ref.kind === "KodeClusterTemplate" ? opts.clusterTemplates.get(undefined, ref.name) : opts.templates.get(ref.namespace ?? kode.metadata.namespace, ref.name);
  };
  const policyOf = (kode: Kode, now: number) => resolvePolicy(templateOf(kode)?.spec.lifecycle, kode.spec.lifecycle, kode.metadata.annotations, now).policy;

  const store = (key: string, kode: Kode, next: ActivityStatusFields, stored: ActivityStatusFields | undefined) => {
    const had = entries.get(key);
    if (had && !activityStatusChanged(had.activity, next)) return;
    const [namespace, name] = splitKey(key);
    entries.set(key, { metadata: { name, namespace: namespace ?? "", resourceVersion: String(++version) }, activity: next });
    // Known already from the stored status (an operator restart): the cache is filled, nothing to write.
    if (!had && stored && !activityStatusChanged(stored, next)) return;
    opts.enqueue(key);
  };

  async function onResult(r: PollResult): Promise<Memory> {
    const key = r.target.key;
    const [ns, name] = splitKey(key);
    const kode = opts.kodes.get(ns, name);
    if (!kode || kode.metadata.deletionTimestamp || kode.spec.paused) return r.memory;
    const now = r.at;
    const policy = policyOf(kode, now);
    const stored = entries.get(key)?.activity ?? kode.status?.activity;
    const memory: Memory = { ...r.memory };
    if (memory.lastActiveTime === undefined && stored?.lastActiveTime) memory.lastActiveTime = Date.parse(stored.lastActiveTime);
    const since = runningSince(opts.pods.get(ns, r.target.pod)) ?? now;
    const e = evaluate({
      now,
      runningSince: since,
      policy,
      readings: r.readings,
      memory,
      floor: r.target.floor,
      activeWindowMs: activeWindowMs(intervalMs, policy),
      noSignalReason: r.target.noSignalReason,
    });
    store(key, kode, activityStatusFields(e.activity, stored), stored);

    if (e.action.kind === "warn" && warned.get(key) !== e.action.at) {
      warned.set(key, e.action.at);
      opts.events.event(asObject(kode), "Warning", e.action.reason === "idle" ? "IdleSoon" : "MaxRunTimeSoon", warningMessage(e.activity, now));
    }
    if (e.action.kind === "pause") {
      const reason = e.action.reason;
      try {
        const outcome = await pauseKode(opts.client, ns!, name, { by: PAUSED_BY_OPERATOR, reason });
        if (!outcome.paused && outcome.reason === "BeingDeleted") opts.events.event(asObject(kode), "Warning", "PauseIgnored", outcome.message);
      } catch (err) {
        // Retried at the next round; the Kode keeps running meanwhile.
        opts.log?.warn?.("automatic pause failed", { kode: key, reason, error: (err as Error).message });
      }
    }
    return e.memory;
  }

  const poller = new ActivityPoller({
    get: opts.get,
    onResult,
    intervalMs: opts.intervalMs,
    clock,
    random: opts.random,
    concurrency: opts.concurrency,
    metrics: opts.metrics,
  });
  const intervalMs = poller.intervalMs;

  let timer: unknown;
  let started = false;
  const tickSilent = async () => {
    for (const [key, s] of [...silent]) {
      if (silent.get(key) !== s) continue;
      s.memory = await onResult({ target: s.target, at: clock.now(), readings: [], memory: s.memory, requests: 0 }).catch(() => s.memory);
    }
  };
  const armSilent = () => {
    if (!started) return;
    timer = clock.setTimeout(() => {
      void tickSilent().finally(armSilent);
    }, intervalMs);
  };

  const targets = {
    upsert(target: ActivityTarget) {
      if (target.sources.length === 0) {
        poller.remove(target.key);
        if (!silent.has(target.key)) {
          silent.set(target.key, { target, memory: {} });
          // Its verdict (Unknown, with the reason) at once: there is nothing to wait for.
          void onResult({ target, at: clock.now(), readings: [], memory: {}, requests: 0 }).then((m) => {
            const s = silent.get(target.key);
            if (s?.target === target) s.memory = m;
          }, () => {});
        } else silent.get(target.key)!.target = target;
        return;
      }
      silent.delete(target.key);
      const [ns, name] = splitKey(target.key);
      const kode = opts.kodes.get(ns, name);
      // Jupyter's "recent activity" window follows the Kode's idle timeout (see activeWindowMs).
      const window = kode ? activeWindowMs(intervalMs, policyOf(kode, clock.now())) : undefined;
      poller.upsert(window !== undefined ? { ...target, activeWindowMs: window } : target);
    },
    remove(key: string) {
      poller.remove(key);
      silent.delete(key);
      entries.delete(key);
      warned.delete(key);
    },
  };

  return {
    poller,
    activity: { get: (ns, name) => entries.get(`${ns}/${name}`) },
    targets,
    onResult,
    async runDue() {
      await poller.runDue();
      await tickSilent();
    },
    start() {
      started = true;
      poller.start();
      armSilent();
    },
    stop() {
      started = false;
      poller.stop();
      if (timer !== undefined) clock.clearTimeout(timer);
    },
  };
}
