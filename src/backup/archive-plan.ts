// Archiving a long-paused Kode (pure): paused for the template's lifecycle.archiveAfter → a fresh backup Job →
// a verify Job (restic check, a sample restored and compared, a manifest) → only once status records that the
// verification succeeded, the claim is deleted (phase Archived). A failure at any step keeps the claim and says
// why. Resuming an Archived Kode gives it a new claim, restored from the verified snapshot (status.archive.snapshot).
import type * as v from "valibot";
import type { ArchiveStatusSchema } from "../api/backup.ts";
import type { ConditionSpec } from "../api/conditions.ts";
import type { Kode, KodeTemplateSpec } from "../api/types.ts";
import { parseDuration } from "../lifecycle/duration.ts";
import type { JobResult } from "./backup-results.ts";
import type { DataJobKind } from "./config.ts";

export type ArchiveStatus = v.InferOutput<typeof ArchiveStatusSchema>;
export const ARCHIVED_CONDITION = "Archived";

export interface ArchiveInput {
  kode: Kode;
  spec: KodeTemplateSpec;
  /** When the current pause began (undefined: not paused). */
  pauseId: string | undefined;
  now: number;
  /** Results of the Kode's own data Jobs, by trigger. */
  results: Map<string, JobResult>;
  /** Why this Kode's volume cannot be archived (keepVolume, an existing claim), if so. */
  volumeProblem?: string;
  /** The IDE pod still exists (a pause has not finished). */
  podRunning: boolean;
  /** The snapshot the last restore put into home (status.restore.snapshot). */
  restoredSnapshot?: string;
}

export interface ArchiveDecision {
  archive?: ArchiveStatus;
  /** The data Job the archive needs now. */
  job?: { kind: DataJobKind; trigger: string; tag: string };
  /** Delete the claim (the verification is recorded in the status this pass started with). */
  deleteVolume: boolean;
  /** The claim is (to be) gone: do not render it, and no backups run. */
  volumeGone: boolean;
  condition?: ConditionSpec;
  events: { type: "Normal" | "Warning"; reason: string; message: string }[];
  /** Look again then (the archive delay has not passed yet). */
  requeueAfterMs?: number;
}

export const archiveAfterOf = (spec: KodeTemplateSpec): string | undefined => (spec as { lifecycle?: { archiveAfter?: string } }).lifecycle?.archiveAfter;
export const archiveOf = (kode: Kode): ArchiveStatus | undefined => (kode.status as { archive?: ArchiveStatus } | undefined)?.archive;

export function decideArchive(input: ArchiveInput): ArchiveDecision {
  const old = archiveOf(input.kode);
  const none: ArchiveDecision = { deleteVolume: false, volumeGone: false, events: [] };
  if (!input.pauseId) {
    // Resumed: an archived Kode is restored into its new claim; an archive that had not deleted anything is dropped.
    if (old && (old.phase === "Archived" || old.phase === "Restoring")) {
      if (old.snapshot && input.restoredSnapshot === old.snapshot) return { ...none, events: [{ type: "Normal", reason: "Unarchived", message: `snapshot ${old.snapshot} was restored into the new volume` }] };
      return {
        ...none,
        archive: { ...old, phase: "Restoring" },
        condition: { status: "False", reason: "Restoring", message: `resumed: the new volume gets the verified snapshot ${old.snapshot} before the IDE starts` },
      };
    }
    return none;
  }
  const after = archiveAfterOf(input.spec);
  if (!after) return old ? { ...none, archive: old, volumeGone: old.phase === "Archived" || old.phase === "Verified" } : none;
  const parsed = parseDuration(after);
  if (!parsed.ok) return none;
  const due = Date.parse(input.pauseId) + parsed.ms;
  // Paused again before a resumed archive was restored: the new volume may still be empty; nothing starts over.
  if (old?.phase === "Restoring") return { ...none, archive: old, condition: { status: "False", reason: "Restoring", message: `the verified snapshot ${old.snapshot} is restored when the Kode resumes` } };
  const current = old?.pause === input.pauseId ? old : undefined;
  if (!current && input.now < due) return { ...none, requeueAfterMs: due - input.now };
  if (!current && input.volumeProblem)
    return { ...none, condition: { status: "False", reason: "ArchiveSkipped", message: `paused for ${after}, but not archived: ${input.volumeProblem}` } };
  if (!current && input.podRunning) return { ...none, requeueAfterMs: 1000 };
  const archive: ArchiveStatus = current ?? { pause: input.pauseId, phase: "BackingUp" };
  const backupTrigger = `archive:${input.pauseId}`;
  const verifyTrigger = `verify:${input.pauseId}`;
  const failed = (error: string): ArchiveDecision => ({
    ...none,
    archive: { ...archive, phase: "Failed", error },
    condition: { status: "False", reason: "ArchiveFailed", message: `${error}; the volume is kept` },
    events: [{ type: "Warning", reason: "ArchiveFailed", message: `${error}; the volume is kept` }],
  });
  switch (archive.phase) {
    case "BackingUp": {
      const r = input.results.get(backupTrigger);
      if (!r) return { ...none, archive, job: { kind: "backup", trigger: backupTrigger, tag: "archive" }, condition: { status: "False", reason: "Archiving", message: `paused for ${after}: a fresh backup runs before the volume may go` } };
      if (!r.result.ok) return failed(`the archive's backup failed: ${r.result.error}`);
      const snapshot = String((r.result as { snapshot?: unknown }).snapshot ?? "");
      return { ...none, archive: { ...archive, phase: "Verifying", backupSnapshot: snapshot }, job: { kind: "verify", trigger: verifyTrigger, tag: "" }, condition: { status: "False", reason: "Verifying", message: `snapshot ${snapshot} is being verified (restic check and a sample restored)` } };
    }
    case "Verifying": {
      const r = input.results.get(verifyTrigger);
      if (!r) return { ...none, archive, job: { kind: "verify", trigger: verifyTrigger, tag: "" }, condition: { status: "False", reason: "Verifying", message: `snapshot ${archive.backupSnapshot} is being verified (restic check and a sample restored)` } };
      if (!r.result.ok) return failed(`verification failed: ${r.result.error}`);
      const res = r.result as Record<string, unknown>;
      if (res.snapshot !== archive.backupSnapshot) return failed(`verification checked snapshot ${String(res.snapshot)}, not the archive's ${archive.backupSnapshot}`);
      const num = (k: string) => (Number.isInteger(res[k]) ? { [k]: res[k] as number } : {});
      return {
        ...none,
        archive: {
          ...archive,
          phase: "Verified",
          snapshot: String(res.snapshot),
          verifiedAt: r.time,
          ...num("files"),
          ...num("bytes"),
          ...num("sampled"),
          ...(typeof res.manifestSnapshot === "string" && { manifestSnapshot: res.manifestSnapshot }),
        },
        volumeGone: false,
        condition: { status: "False", reason: "Verified", message: `snapshot ${res.snapshot} verified; the volume is deleted next` },
        events: [{ type: "Normal", reason: "ArchiveVerified", message: `snapshot ${res.snapshot} verified: restic check passed, ${res.sampled} of ${res.files} files restored and identical` }],
      };
    }
    case "Verified":
      // The verification is in the status this pass started with: now, and only now, the volume may go.
      return { ...none, archive, deleteVolume: true, volumeGone: true, condition: { status: "False", reason: "Verified", message: `snapshot ${archive.snapshot} verified; deleting the volume` } };
    case "Archived":
      return { ...none, archive, volumeGone: true, condition: { status: "True", reason: "Archived", message: `the volume was deleted after snapshot ${archive.snapshot} was verified (${archive.verifiedAt}); set spec.paused to false to restore it into a new volume` } };
    case "Failed":
      return { ...none, archive, condition: { status: "False", reason: "ArchiveFailed", message: `${archive.error}; the volume is kept` } };
    case "Restoring":
      return { ...none, archive };
  }
}

/**
 * The restore request of an archived Kode's pod: the verified snapshot while it resumes (not paused); once that was
 * restored and the archive is over, the same request stays while there is no spec.restore, so the pod template does
 * not change (and the IDE is not restarted) when the archive ends: the script skips it (its marker holds the id).
 */
export function archiveRestoreOf(kode: Kode): { restore: { snapshot: string }; id: string } | undefined {
  const resume = (kode.spec as { paused?: boolean }).paused ? undefined : archiveRestoreRequest(kode);
  if (resume) return { restore: { snapshot: resume.snapshot }, id: resume.restoreId };
  const done = (kode.status as { restore?: { request?: string; snapshot?: string; restoredAt?: string } } | undefined)?.restore;
  if ((kode.spec as { restore?: unknown }).restore || !done?.request?.startsWith("archive-") || !done.snapshot || !done.restoredAt) return undefined;
  return { restore: { snapshot: done.snapshot }, id: done.request };
}

/** What a resumed archived Kode's new volume must be restored from (for the restore init container), if anything. */
export function archiveRestoreRequest(kode: Kode): { snapshot: string; restoreId: string } | undefined {
  const a = archiveOf(kode);
  if (!a?.snapshot || (a.phase !== "Restoring" && a.phase !== "Archived")) return undefined;
  return { snapshot: a.snapshot, restoreId: `archive-${a.pause}` };
}
