// What finished backup Jobs said (pure): each Job's pod leaves one JSON line as its termination message; the
// results not yet in status.backup go into it, oldest first, each with an Event and a metric observation.
import type * as v from "valibot";
import type { BackupStatusSchema } from "../api/backup.ts";
import type { ConditionSpec } from "../api/conditions.ts";
import type { KubeObject } from "../kube/types.ts";
import { DATA_JOB_LABEL, DATA_JOB_TRIGGER_ANNOTATION, type DataJobKind } from "./config.ts";
import { parseResult, type ScriptResult } from "./scripts.ts";

export type BackupStatus = v.InferOutput<typeof BackupStatusSchema>;
/** How many snapshots status.backup lists (the newest). */
export const STATUS_SNAPSHOTS = 10;

type Job = KubeObject & {
  spec?: { activeDeadlineSeconds?: number };
  status?: { active?: number; succeeded?: number; failed?: number; completionTime?: string; startTime?: string; conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[] };
};
type Pod = KubeObject & { status?: { phase?: string; containerStatuses?: { name: string; state?: { terminated?: { exitCode: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string } } }[] } };

export const jobKind = (job: KubeObject): DataJobKind | undefined => job.metadata.labels?.[DATA_JOB_LABEL] as DataJobKind | undefined;

/** Whether the Job has finished (Complete or Failed). */
export function jobFinished(job: Job): boolean {
  return !!job.status?.conditions?.some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
}

export interface JobResult {
  job: string;
  kind: DataJobKind;
  trigger: string;
  /** When it finished (RFC 3339). */
  time: string;
  seconds?: number;
  result: ScriptResult;
}

const iso = (t: string) => new Date(Date.parse(t)).toISOString().replace(/\.\d+Z$/, "Z");

/** The result of a finished Job from its pod's termination message; undefined while it runs. */
export function jobResult(job: Job, pods: Pod[]): JobResult | undefined {
  if (!jobFinished(job)) return undefined;
  // The pod's own update may reach the cache after the Job's: wait for it rather than report it lost.
  if (pods.some((p) => (p.status?.containerStatuses ?? []).some((c) => !c.state?.terminated))) return undefined;
  const kind = jobKind(job) ?? "backup";
  const terminated = pods
    .flatMap((p) => p.status?.containerStatuses ?? [])
    .map((c) => c.state?.terminated)
    .filter((t) => t !== undefined)
    .sort((a, b) => Date.parse(b.finishedAt ?? "") - Date.parse(a.finishedAt ?? ""))[0];
  const failed = job.status?.conditions?.find((c) => c.type === "Failed" && c.status === "True");
  const end = terminated?.finishedAt ?? job.status?.completionTime ?? failed?.lastTransitionTime ?? job.metadata.creationTimestamp ?? new Date(0).toISOString();
  let result: ScriptResult;
  if (terminated) {
    result = parseResult(terminated.message);
    if (result.ok && terminated.exitCode !== 0) result = { ok: false, error: `the container exited with ${terminated.exitCode} after reporting success` };
    if (!terminated.message && terminated.reason === "OOMKilled") result = { ok: false, error: "the container ran out of memory (OOMKilled)" };
  } else if (failed?.reason === "DeadlineExceeded")
    result = { ok: false, error: `the Job did not finish within ${job.spec?.activeDeadlineSeconds ?? "its"} seconds (its pod could not be scheduled, or S3 hung)` };
  else result = { ok: false, error: failed ? `the Job failed (${failed.reason ?? "no reason"}) and its pod is gone` : "the Job's pod is gone" };
  const started = terminated?.startedAt ?? job.status?.startTime;
  return {
    job: job.metadata.name,
    kind,
    trigger: job.metadata.annotations?.[DATA_JOB_TRIGGER_ANNOTATION] ?? "scheduled",
    time: iso(end),
    ...(started && { seconds: Math.max(0, (Date.parse(end) - Date.parse(started)) / 1000) }),
    result,
  };
}

/** Whether status already holds this result (status.backup.lastTime is the newest result recorded). */
export const recorded = (status: BackupStatus | undefined, r: JobResult) => !!status?.lastTime && Date.parse(r.time) <= Date.parse(status.lastTime);

export interface BackupEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** status.backup after the new results (oldest first), with an Event for each. */
export function applyResults(old: BackupStatus | undefined, results: JobResult[]): { status: BackupStatus; events: BackupEvent[]; recordedNow: JobResult[] } {
  const fresh = results.filter((r) => r.kind === "backup" && !recorded(old, r)).sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  let status: BackupStatus = { ...old };
  const events: BackupEvent[] = [];
  for (const r of fresh) {
    const handled = handledTriggers(r.trigger);
    if (r.result.ok) {
      const res = r.result as Record<string, unknown>;
      const recent = Array.isArray(res.recent) ? (res.recent as Record<string, unknown>[]) : [];
      const snapshots = recent.slice(0, STATUS_SNAPSHOTS).map((s) => ({
        id: String(s.id),
        time: typeof s.time === "string" ? iso(s.time) : r.time,
        ...(Number.isInteger(s.size) && { bytes: s.size as number }),
      }));
      const { lastError: _e, ...rest } = status;
      status = {
        ...rest,
        lastTime: r.time,
        lastSuccessfulTime: r.time,
        ...(typeof res.snapshot === "string" && { lastSnapshot: res.snapshot }),
        ...(Number.isInteger(res.bytesAdded) && { bytes: res.bytesAdded as number }),
        ...(snapshots.length && { snapshots }),
        ...handled,
      };
      events.push({ type: "Normal", reason: "BackupSucceeded", message: `snapshot ${res.snapshot} (${describeTrigger(r.trigger)}): ${res.bytesAdded ?? 0} bytes added, ${res.snapshots ?? "?"} snapshots in the repository` });
    } else {
      status = { ...status, lastTime: r.time, lastError: r.result.error, ...handled };
      events.push({ type: "Warning", reason: "BackupFailed", message: `backup (${describeTrigger(r.trigger)}) failed: ${r.result.error}` });
    }
  }
  return { status, events, recordedNow: fresh };
}

/** The request a finished Job answers, whatever its outcome (a failure is not retried until asked again). */
function handledTriggers(trigger: string): Partial<BackupStatus> {
  if (trigger.startsWith("now:")) return { handledBackupNow: trigger.slice(4) };
  if (trigger.startsWith("pause:")) return { handledPause: trigger.slice(6) };
  return {};
}

export function describeTrigger(trigger: string): string {
  if (trigger === "scheduled") return "scheduled";
  if (trigger.startsWith("now:")) return "kode.jacero.io/backup-now";
  if (trigger.startsWith("pause:")) return "before pause";
  if (trigger.startsWith("archive:")) return "before archive";
  return trigger;
}

export const BACKED_UP_CONDITION = "BackedUp";

/** The BackedUp condition: the problem that stops backups, else the last result. */
export function backedUpCondition(status: BackupStatus | undefined, problem: { reason: string; message: string } | undefined, running: string | undefined, schedule: string | undefined): ConditionSpec {
  if (problem) return { status: "False", reason: problem.reason, message: `${problem.message}; no backup Job is started until this is fixed` };
  if (status?.lastError && status.lastTime) return { status: "False", reason: "BackupFailed", message: `the last backup (${status.lastTime}) failed: ${status.lastError}` };
  const next = schedule ? `scheduled "${schedule}" (UTC)` : "on demand (kubectl annotate kode NAME kode.jacero.io/backup-now=<new value>)";
  if (status?.lastSuccessfulTime) return { status: "True", reason: "BackedUp", message: `last backup ${status.lastSuccessfulTime}: snapshot ${status.lastSnapshot ?? "?"}; next ${next}${running ? `; ${running} runs` : ""}` };
  return { status: "False", reason: running ? "BackupRunning" : "NoBackupYet", message: running ? `the first backup runs (Job ${running})` : `no backup has finished yet; backups ${next}` };
}
