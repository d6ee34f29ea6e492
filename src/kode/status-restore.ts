// The restore and VolumeSnapshot parts of a Kode's status, added to what deriveStatus returns: status.restore,
// status.volumeSnapshots and their conditions (Restored, VolumeSnapshots). Status is replaced on each write, so
// a pass that did not look at them (a template problem, bad input) carries the previous values over.
import { nextCondition, type ConditionSpec } from "../api/conditions.ts";
import type { Condition, Kode, KodeStatus } from "../api/types.ts";
import { RESTORED_CONDITION, type RestoreStatus } from "../backup/restore-status.ts";
import { VOLUME_SNAPSHOTS_CONDITION, type VolumeSnapshotsStatus } from "../backup/volume-snapshot.ts";

export interface BackupExtras {
  restore?: RestoreStatus;
  restoreCondition?: ConditionSpec;
  volumeSnapshots?: VolumeSnapshotsStatus;
  volumeSnapshotsCondition?: ConditionSpec;
}

type Extended = KodeStatus & { restore?: RestoreStatus; volumeSnapshots?: VolumeSnapshotsStatus; backup?: unknown };

/** What the previous status said (kept by passes that do not compute it). */
export function previousExtras(kode: Kode): BackupExtras {
  const s = kode.status as Extended | undefined;
  const cond = (type: string): ConditionSpec | undefined => {
    const c = s?.conditions?.find((x) => x.type === type);
    return c && { status: c.status, reason: c.reason, message: c.message };
  };
  return {
    ...(s?.restore && { restore: s.restore }),
    ...(cond(RESTORED_CONDITION) && { restoreCondition: cond(RESTORED_CONDITION) }),
    ...(s?.volumeSnapshots && { volumeSnapshots: s.volumeSnapshots }),
    ...(cond(VOLUME_SNAPSHOTS_CONDITION) && { volumeSnapshotsCondition: cond(VOLUME_SNAPSHOTS_CONDITION) }),
  };
}

/** `next` with the extras (and status.backup as it was, unless `next` has its own). */
export function withBackupExtras(next: KodeStatus, kode: Kode, extras: BackupExtras, now: string): KodeStatus {
  const old = kode.status as Extended | undefined;
  const out: Extended = { ...next };
  const generation = next.observedGeneration ?? kode.metadata.generation;
  const conditions: Condition[] = [...(next.conditions ?? [])];
  if (extras.restoreCondition) conditions.push(nextCondition(RESTORED_CONDITION, extras.restoreCondition, old?.conditions, generation, now));
  if (extras.volumeSnapshotsCondition) conditions.push(nextCondition(VOLUME_SNAPSHOTS_CONDITION, extras.volumeSnapshotsCondition, old?.conditions, generation, now));
  out.conditions = conditions;
  if (extras.restore) out.restore = extras.restore;
  if (extras.volumeSnapshots) out.volumeSnapshots = extras.volumeSnapshots;
  if (out.backup === undefined && old?.backup !== undefined) out.backup = old.backup;
  return out;
}
