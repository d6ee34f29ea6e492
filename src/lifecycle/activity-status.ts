// What of an evaluation goes into `status.activity`, and whether it differs from what is stored. Polls write
// nothing while nothing changes: the stored fields are stable between polls (verdict, reason, signal, idleSince,
// pauseAt), times are whole seconds, and lastActiveTime — which moves at every poll of an active Kode — is taken
// over from the stored status unless the verdict changes. The time idle is the `Idle` printer column (type date
// over idleSince), so kubectl shows "41m" without the operator writing every minute.
import type { ActivityStatus, Verdict } from "./verdict.ts";

/** `status.activity` as stored (RFC 3339 times, seconds). */
export interface ActivityStatusFields {
  verdict: Verdict;
  reason: string;
  signal: string;
  lastActiveTime?: string;
  idleSince?: string;
  pauseAt?: string;
}

export const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The fields to store for an evaluation, given what is stored now. */
export function activityStatusFields(next: ActivityStatus, prev?: ActivityStatusFields): ActivityStatusFields {
  const out: ActivityStatusFields = { verdict: next.verdict, reason: next.reason, signal: next.signal };
  const keepLastActive = prev !== undefined && prev.verdict === next.verdict && prev.lastActiveTime !== undefined;
  if (keepLastActive) out.lastActiveTime = prev.lastActiveTime;
  else if (next.lastActiveTime !== undefined) out.lastActiveTime = rfc3339(next.lastActiveTime);
  if (next.idleSince !== undefined) out.idleSince = rfc3339(next.idleSince);
  if (next.pauseAt !== undefined) out.pauseAt = rfc3339(next.pauseAt);
  return out;
}

/** True when `next` must be written: any stored field differs (lastActiveTime only counts with the verdict). */
export function activityStatusChanged(prev: ActivityStatusFields | undefined, next: ActivityStatusFields): boolean {
  if (prev === undefined) return true;
  if (prev.verdict !== next.verdict) return true;
  return prev.reason !== next.reason || prev.signal !== next.signal || prev.idleSince !== next.idleSince || prev.pauseAt !== next.pauseAt;
}

/** The poller's latest verdict of one Kode as the reconciler reads it (a cache entry: the version changes with the fields). */
export interface ActivityEntry {
  metadata: { name: string; namespace: string; resourceVersion: string };
  activity: ActivityStatusFields;
}
