// The effective lifecycle of one Kode: the template's values, shortened (never lengthened) by the Kode's, and the
// keep-alive-until annotation. Bad values become problems with the field and a message a user can act on; the
// policy leaves a refused value out (a Kode's longer value gives way to the template's, a bad keep-alive-until
// postpones nothing), so bad input never buys a Kode a way around the template's limits.
import { formatDuration, parseDuration } from "./duration.ts";
import type { Policy } from "./verdict.ts";

export const ANNOTATION_KEEP_ALIVE_UNTIL = "kode.jacero.io/keep-alive-until";
export const ANNOTATION_PAUSED_BY = "kode.jacero.io/paused-by";
export const ANNOTATION_PAUSE_REASON = "kode.jacero.io/pause-reason";
export const MIN_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_WARN_BEFORE_MS = 5 * 60_000;

export interface LifecycleSpec {
  idleTimeout?: string;
  maxRunTime?: string;
  warnBefore?: string;
}

export interface LifecycleProblem {
  reason: "InvalidLifecycle" | "LifecycleLongerThanTemplate" | "InvalidKeepAlive";
  field: string;
  message: string;
}

export interface ResolvedPolicy {
  policy: Policy;
  problems: LifecycleProblem[];
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function resolvePolicy(
  template: LifecycleSpec | undefined,
  kode: LifecycleSpec | undefined,
  annotations: Record<string, string> | undefined,
  now: number,
): ResolvedPolicy {
  const problems: LifecycleProblem[] = [];
  const read = (value: string | undefined, field: string, min = 0): number | undefined => {
    if (value === undefined) return undefined;
    const r = parseDuration(value);
    if (!r.ok) {
      problems.push({ reason: "InvalidLifecycle", field, message: `${field}: ${r.message}` });
      return undefined;
    }
    if (r.ms < min) {
      problems.push({ reason: "InvalidLifecycle", field, message: `${field}: ${value} is shorter than the minimum ${formatDuration(min)}` });
      return undefined;
    }
    return r.ms;
  };
  const t = {
    idleTimeout: read(template?.idleTimeout, "template lifecycle.idleTimeout", MIN_IDLE_TIMEOUT_MS),
    maxRunTime: read(template?.maxRunTime, "template lifecycle.maxRunTime", MIN_IDLE_TIMEOUT_MS),
    warnBefore: read(template?.warnBefore, "template lifecycle.warnBefore"),
  };
  const k = {
    idleTimeout: read(kode?.idleTimeout, "spec.lifecycle.idleTimeout", MIN_IDLE_TIMEOUT_MS),
    maxRunTime: read(kode?.maxRunTime, "spec.lifecycle.maxRunTime", MIN_IDLE_TIMEOUT_MS),
    warnBefore: read(kode?.warnBefore, "spec.lifecycle.warnBefore"),
  };
  const shorten = (name: "idleTimeout" | "maxRunTime"): number | undefined => {
    const mine = k[name];
    const theirs = t[name];
    if (mine === undefined) return theirs;
    if (theirs !== undefined && mine > theirs) {
      problems.push({
        reason: "LifecycleLongerThanTemplate",
        field: `spec.lifecycle.${name}`,
        message: `spec.lifecycle.${name} ${kode![name]} is longer than the template's ${template![name]}; a Kode may only shorten it`,
      });
      return theirs;
    }
    return mine;
  };
  const policy: Policy = { warnBeforeMs: k.warnBefore ?? t.warnBefore ?? DEFAULT_WARN_BEFORE_MS };
  const idle = shorten("idleTimeout");
  const maxRun = shorten("maxRunTime");
  if (idle !== undefined) policy.idleTimeoutMs = idle;
  if (maxRun !== undefined) policy.maxRunTimeMs = maxRun;
  if (t.maxRunTime !== undefined) policy.templateMaxRunTimeMs = t.maxRunTime;

  const keep = annotations?.[ANNOTATION_KEEP_ALIVE_UNTIL];
  if (keep !== undefined) {
    const at = RFC3339.test(keep) ? Date.parse(keep) : Number.NaN;
    if (Number.isNaN(at)) {
      problems.push({
        reason: "InvalidKeepAlive",
        field: `metadata.annotations[${ANNOTATION_KEEP_ALIVE_UNTIL}]`,
        message: `${ANNOTATION_KEEP_ALIVE_UNTIL}=${JSON.stringify(keep)} is not an RFC 3339 time such as 2026-12-01T18:00:00Z`,
      });
    } else if (at <= now) {
      problems.push({
        reason: "InvalidKeepAlive",
        field: `metadata.annotations[${ANNOTATION_KEEP_ALIVE_UNTIL}]`,
        message: `${ANNOTATION_KEEP_ALIVE_UNTIL}=${keep} is in the past and postpones nothing`,
      });
    } else {
      policy.keepAliveUntil = at;
    }
  }
  return { policy, problems };
}
