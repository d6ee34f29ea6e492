// The activity verdict of one Kode and the pause it leads to: a pure function of what was read, what was known
// before and the clock (passed in). Unknown never leads to an idle pause; max-run-time does not depend on activity.
//
// What counts as activity:
// - jupyter: a busy kernel (long computations are work even with no browser open), or last_activity within the
//   active window (kernel, API and terminal activity as the server itself tracks it);
// - the Envoy sidecar: client-to-server bytes or requests per minute above the IDE type's floor. An open tab's
//   keep-alive traffic (VS Code pings every 5 s, JupyterLab polls) stays below the floor, so an idle tab does not
//   count as work;
// - code-server /healthz: "alive" means a connection is open, not that somebody types. Behind Envoy it only tells
//   that a tab is open; without Envoy it is the only signal and counts as activity (the reason says so).
// The status keeps stable values only (verdict, reason, idleSince, pauseAt): the time idle is shown by a date
// printer column over idleSince, so a Kode that stays idle or active costs no status writes.
import { formatDuration } from "./duration.ts";
import type { EnvoySample, Reading, Sample } from "./signals.ts";

export type Verdict = "Active" | "Idle" | "Unknown";
export type PauseReason = "idle" | "max-run-time";

/** Traffic below these rates (per minute) is keep-alive, not use. Each IDE type names its own. */
export interface TrafficFloor {
  rxBytesPerMinute: number;
  requestsPerMinute: number;
}

export interface Policy {
  idleTimeoutMs?: number;
  /** The Kode's effective cap (the template's, or the Kode's shorter one). */
  maxRunTimeMs?: number;
  /** The template's cap: keep-alive-until may postpone a pause up to runningSince + this, never beyond. */
  templateMaxRunTimeMs?: number;
  warnBeforeMs: number;
  keepAliveUntil?: number;
}

/** What the operator remembers between polls (in memory; lastActiveTime also comes back from status). */
export interface Memory {
  lastActiveTime?: number;
  envoy?: { sample: EnvoySample; at: number };
}

export interface ActivityStatus {
  verdict: Verdict;
  reason: string;
  signal: string;
  lastActiveTime?: number;
  idleSince?: number;
  pauseAt?: number;
  pauseReason?: PauseReason;
}

export type Action =
  | { kind: "none" }
  | { kind: "warn"; reason: PauseReason; at: number }
  | { kind: "pause"; reason: PauseReason };

export interface EvaluateInput {
  now: number;
  /** When the current run started (the pod's start, or the resume). */
  runningSince: number;
  policy: Policy;
  /** One reading per source polled this round; empty when the type has no signal. */
  readings: Reading[];
  memory: Memory;
  floor: TrafficFloor;
  /** Activity newer than this is "now": twice the poll interval, at least two minutes. */
  activeWindowMs: number;
  /** Shown when there is nothing to read, e.g. "no activity signal for type webtop without a sidecar". */
  noSignalReason: string;
}

export interface Evaluation {
  activity: ActivityStatus;
  action: Action;
  memory: Memory;
}

type Judgement =
  | { kind: "active"; why: string; at: number; strong: boolean }
  | { kind: "quiet"; why: string; lastActive?: number }
  | { kind: "inconclusive"; why: string };

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

function judge(sample: Sample, input: EvaluateInput, behindEnvoy: boolean, memory: Memory): Judgement {
  const { now, activeWindowMs, floor } = input;
  switch (sample.kind) {
    case "jupyter": {
      if (sample.busyKernels > 0)
        return { kind: "active", why: sample.busyKernels === 1 ? "kernel busy" : `${sample.busyKernels} kernels busy`, at: now, strong: true };
      const conns = sample.connections > 0 ? `, ${plural(sample.connections, "connection")}` : "";
      if (sample.lastActivity !== undefined && now - sample.lastActivity < activeWindowMs)
        return { kind: "active", why: `notebook activity${conns}`, at: sample.lastActivity, strong: true };
      return { kind: "quiet", why: `no notebook activity, ${sample.kernels ? "kernels idle" : "no kernels"}${conns}`, lastActive: sample.lastActivity };
    }
    case "code-server": {
      const lastBeat = sample.lastHeartbeat || undefined;
      if (sample.status === "alive") {
        if (behindEnvoy) return { kind: "inconclusive", why: "browser connected" };
        return { kind: "active", why: "browser connected (code-server heartbeat; add the Envoy sidecar to tell input from an open tab)", at: now, strong: false };
      }
      return { kind: "quiet", why: "no browser connected", lastActive: lastBeat };
    }
    case "envoy": {
      const before = memory.envoy;
      if (!before || sample.requests < before.sample.requests || sample.rxBytes < before.sample.rxBytes)
        return { kind: "inconclusive", why: "first sample of the sidecar's traffic" };
      const minutes = Math.max((now - before.at) / 60_000, 1 / 60);
      const rxRate = (sample.rxBytes - before.sample.rxBytes) / minutes;
      const rqRate = (sample.requests - before.sample.requests) / minutes;
      const conns = sample.connectionsActive > 0 ? `, ${plural(sample.connectionsActive, "connection")}` : "";
      if (rxRate > floor.rxBytesPerMinute || rqRate > floor.requestsPerMinute)
        return { kind: "active", why: `user input through the sidecar${conns}`, at: now, strong: true };
      if (sample.upgradesActive > 0 || sample.connectionsActive > 0) return { kind: "quiet", why: `only keep-alive traffic${conns}` };
      return { kind: "quiet", why: "no browser connected" };
    }
  }
}

export function evaluate(input: EvaluateInput): Evaluation {
  const { now, readings } = input;
  const memory: Memory = { ...input.memory };
  const usable = readings.filter((r): r is Extract<Reading, { ok: true }> => r.ok).map((r) => r.sample);
  const errors = readings.filter((r): r is Extract<Reading, { ok: false }> => !r.ok);
  const behindEnvoy = readings.some((r) => (r.ok ? r.sample.kind : r.source) === "envoy");
  const judgements = usable.map((s) => ({ source: s.kind, j: judge(s, input, behindEnvoy, input.memory) }));
  const envoySample = usable.find((s): s is EnvoySample => s.kind === "envoy");
  if (envoySample) memory.envoy = { sample: envoySample, at: now };

  const signal = readings.map((r) => (r.ok ? r.sample.kind : r.source)).join("+") || "none";
  const active = judgements.filter((x) => x.j.kind === "active");
  const quiet = judgements.filter((x) => x.j.kind === "quiet");

  let lastActive = input.memory.lastActiveTime;
  for (const { j } of judgements) {
    const at = j.kind === "active" ? j.at : j.kind === "quiet" ? j.lastActive : undefined;
    if (at !== undefined && (lastActive === undefined || at > lastActive)) lastActive = at;
  }

  let activity: ActivityStatus;
  if (active.length > 0) {
    const best = active.find((x) => x.j.kind === "active" && x.j.strong) ?? active[0]!;
    activity = { verdict: "Active", reason: `active: ${best.j.why}`, signal, lastActiveTime: lastActive };
  } else if (quiet.length > 0) {
    // Inconclusive sources (a first Envoy sample, code-server's "a tab is open" behind Envoy) do not outvote quiet ones.
    // Never idle since before this run started: a resumed Kode gets its full idle timeout.
    const since = Math.max(lastActive ?? input.runningSince, input.runningSince);
    if (now - since < input.activeWindowMs) {
      activity = { verdict: "Active", reason: `active: recently used, now ${quiet[0]!.j.why}`, signal, lastActiveTime: since };
    } else {
      activity = { verdict: "Idle", reason: `idle: ${quiet.map((x) => x.j.why).join("; ")}`, signal, lastActiveTime: since, idleSince: since };
    }
  } else if (errors.length > 0 && usable.length === 0) {
    activity = { verdict: "Unknown", reason: `unknown: ${errors.map((e) => e.error).join("; ")}`, signal, lastActiveTime: lastActive };
  } else if (judgements.length > 0) {
    const why = judgements.find((x) => x.j.kind === "inconclusive")!.j.why;
    activity = { verdict: "Unknown", reason: `unknown: ${why}`, signal, lastActiveTime: lastActive };
  } else {
    activity = { verdict: "Unknown", reason: `unknown: ${input.noSignalReason}`, signal, lastActiveTime: lastActive };
  }
  if (activity.lastActiveTime === undefined) delete activity.lastActiveTime;
  memory.lastActiveTime = activity.lastActiveTime;

  const pause = nextPause(input, activity);
  if (pause) {
    activity.pauseAt = pause.at;
    activity.pauseReason = pause.reason;
  }
  let action: Action = { kind: "none" };
  if (pause && now >= pause.at) action = { kind: "pause", reason: pause.reason };
  else if (pause && now >= pause.at - input.policy.warnBeforeMs) action = { kind: "warn", reason: pause.reason, at: pause.at };
  return { activity, action, memory };
}

/** The earliest automatic pause ahead, with keep-alive-until applied (never beyond the template's cap). */
export function nextPause(input: Pick<EvaluateInput, "runningSince" | "policy">, activity: Pick<ActivityStatus, "verdict" | "idleSince">):
  | { at: number; reason: PauseReason }
  | undefined {
  const { policy, runningSince } = input;
  const cap = policy.templateMaxRunTimeMs !== undefined ? runningSince + policy.templateMaxRunTimeMs : Infinity;
  const extended = (at: number) =>
    policy.keepAliveUntil !== undefined && policy.keepAliveUntil > at ? Math.min(policy.keepAliveUntil, Math.max(cap, at)) : at;
  const candidates: { at: number; reason: PauseReason }[] = [];
  if (policy.maxRunTimeMs !== undefined) candidates.push({ at: extended(runningSince + policy.maxRunTimeMs), reason: "max-run-time" });
  if (policy.idleTimeoutMs !== undefined && activity.verdict === "Idle" && activity.idleSince !== undefined)
    candidates.push({ at: extended(activity.idleSince + policy.idleTimeoutMs), reason: "idle" });
  candidates.sort((a, b) => a.at - b.at);
  return candidates[0];
}

/** The Event message for a warning: "idle for 25m; pausing at 2026-12-01T21:30:00Z unless used or extended". */
export function warningMessage(activity: ActivityStatus, now: number): string {
  const at = new Date(activity.pauseAt ?? now).toISOString().replace(/\.\d{3}Z$/, "Z");
  const how = "annotate kode.jacero.io/keep-alive-until=<RFC 3339 time> to postpone";
  if (activity.pauseReason === "max-run-time") return `maximum run time reached at ${at}; the Kode will be paused then (${how})`;
  const idleFor = activity.idleSince !== undefined ? formatDuration(now - activity.idleSince) : "a while";
  return `${activity.reason.replace(/^idle: /, "idle (")}) for ${idleFor}; pausing at ${at} unless it is used (${how})`;
}
