// Backup, restore and VolumeSnapshot fields of KodeTemplate and Kode (behaviour in src/backup).
import * as v from "valibot";
import { int, objectName, StorageSchema, str } from "./common.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SNAPSHOT_REF = /^(latest|[0-9a-f]{8,64})$/;

const keep = (what: string) => v.optional(int(`How many ${what} snapshots to keep (at least 1).`, 1, 100000));

export const BackupS3Schema = v.pipe(
  v.object({
    endpoint: v.pipe(v.string(), v.minLength(1), v.regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/), v.description("S3 endpoint URL, e.g. https://s3.eu-north-1.amazonaws.com or https://minio.backup.svc:9000.")),
    bucket: v.pipe(v.string(), v.minLength(3), v.maxLength(63), v.regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/), v.description("Bucket holding the repositories.")),
    prefix: v.optional(v.pipe(v.string(), v.maxLength(512), v.regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/), v.description("Key prefix inside the bucket; each Kode's repository is <prefix>/<namespace>/<kode>-<uid>."))),
    region: v.optional(str("S3 region, e.g. eu-north-1.")),
    credentialsSecretRef: v.pipe(
      v.object({ name: objectName("Name of a Secret in the Kode's namespace with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.") }),
      v.description("The platform's S3 credentials for this namespace, looked up in the Kode's namespace (give each namespace a key scoped to <prefix>/<namespace>/)."),
    ),
    caSecretRef: v.optional(
      v.pipe(
        v.object({
          name: objectName("Name of a Secret in the Kode's namespace."),
          key: v.optional(str("Key holding the PEM bundle (default ca.crt).")),
        }),
        v.description("CA bundle the S3 endpoint's certificate is checked against."),
      ),
    ),
  }),
  v.description("Where backups go: an S3 bucket, one restic repository per Kode."),
);

export const TemplateBackupSchema = v.pipe(
  v.object({
    s3: BackupS3Schema,
    schedule: v.optional(str("Cron schedule of backups (5 fields, e.g. '0 3 * * *'), in the operator's time zone (UTC). Unset: backups only on demand and before pauses.")),
    retention: v.optional(
      v.pipe(
        v.object({ keepLast: keep("most recent"), keepDaily: keep("daily"), keepWeekly: keep("weekly"), keepMonthly: keep("monthly") }),
        v.description("Which snapshots to keep (restic forget --prune). Unset: all are kept."),
      ),
    ),
    beforePause: v.optional(v.pipe(v.boolean(), v.description("Back up when a Kode is paused (while its volume is not in use)."))),
    image: v.optional(str("Image with restic, sh and jq for the backup Jobs and the restore init container. Default restic/restic:0.17.3.")),
  }),
  v.description("Backups of each Kode's home to S3 with restic (incremental, deduplicated, encrypted)."),
);

export const TemplateVolumeSnapshotsSchema = v.pipe(
  v.object({
    className: v.optional(objectName("VolumeSnapshotClass of the snapshots. Unset: the cluster's default class.")),
    keep: v.optional(int("How many VolumeSnapshots a Kode keeps; the oldest is removed first (default 3).", 1, 100)),
  }),
  v.description("VolumeSnapshots (snapshot.storage.k8s.io/v1) of each Kode's home: on demand (annotation kode.jacero.io/snapshot-now) and before an archive."),
);

export const KodeBackupSchema = v.pipe(
  v.object({
    enabled: v.optional(v.pipe(v.boolean(), v.description("false: this Kode is not backed up even though its template backs up (default true)."))),
    schedule: v.optional(str("Cron schedule replacing the template's (5 fields).")),
  }),
  v.description("Opt out of the template's backups or change their schedule."),
);

export const KodeRestoreSchema = v.pipe(
  v.object({
    snapshot: v.pipe(v.string(), v.regex(SNAPSHOT_REF), v.description("Snapshot to restore: latest or a restic snapshot id (status.backup.snapshots lists them).")),
    paths: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(4096))), v.description("Paths relative to home to restore. Unset: all of home."))),
    from: v.optional(
      v.pipe(
        v.object({ kode: v.pipe(v.string(), v.regex(DNS_LABEL), v.maxLength(63), v.description("Name of a Kode in this namespace whose backups to restore from.")) }),
        v.description("Restore another Kode's backup (same namespace) into this one."),
      ),
    ),
  }),
  v.description("Restore a backup into home before the IDE starts (or by a Job while paused), once per change of this field; files the restore would replace are kept aside under ~/.kode-restore-kept/."),
);

/** A Kode's storage: the template's fields plus where a new volume's data comes from. */
export const KodeStorageSchema = v.pipe(
  v.object({
    ...StorageSchema.pipe[0].entries,
    fromSnapshot: v.optional(objectName("Name of a VolumeSnapshot in the Kode's namespace the home volume is created from (used only when the volume is created).")),
  }),
  v.description("Persistent storage for the home directory."),
);

const SnapshotEntrySchema = v.pipe(
  v.object({
    id: str("restic snapshot id (short)."),
    time: str("When the snapshot was taken (RFC 3339)."),
    bytes: v.optional(int("Size of the files in the snapshot, in bytes.")),
    files: v.optional(int("Number of files in the snapshot.")),
  }),
  v.description("A snapshot of the Kode's home in its backup repository."),
);

export const BackupStatusSchema = v.pipe(
  v.object({
    repository: v.optional(str("The restic repository of this Kode (s3:<endpoint>/<bucket>/<prefix>/<namespace>/<kode>-<uid>).")),
    passwordSecret: v.optional(str("Name of the Secret holding the repository password; it outlives the Kode.")),
    lastTime: v.optional(str("When the last backup finished (RFC 3339), successful or not.")),
    lastSuccessfulTime: v.optional(str("When the last successful backup finished (RFC 3339).")),
    lastSnapshot: v.optional(str("Id of the newest snapshot.")),
    bytes: v.optional(int("Bytes added to the repository by the last backup.")),
    lastError: v.optional(str("Why the last backup failed; unset after a success.")),
    snapshots: v.optional(v.pipe(v.array(SnapshotEntrySchema), v.description("The newest snapshots, newest first."))),
    handledBackupNow: v.optional(str("The kode.jacero.io/backup-now value whose backup finished; a new value starts another.")),
    handledPause: v.optional(str("The pause (when it began) whose before-pause backup finished.")),
  }),
  v.description("Backups of this Kode's home."),
);

export const RestoreStatusSchema = v.pipe(
  v.object({
    request: v.optional(str("Which spec.restore this status is about (a digest of its fields).")),
    snapshot: v.optional(str("Id of the snapshot restored.")),
    fromKode: v.optional(str("The Kode whose backup was restored, when not this one.")),
    restoredAt: v.optional(str("When the restore finished (RFC 3339).")),
    kept: v.optional(int("How many files the restore would have replaced and moved aside instead (under ~/.kode-restore-kept/).")),
    error: v.optional(str("Why the restore failed.")),
  }),
  v.description("The last restore into this Kode's home."),
);

export const ArchiveStatusSchema = v.pipe(
  v.object({
    pause: str("The pause (when it began) this archive belongs to."),
    phase: v.pipe(
      v.picklist(["BackingUp", "Verifying", "Verified", "Archived", "Failed", "Restoring"]),
      v.description("BackingUp, Verifying, Verified (the volume goes next), Archived (the volume is deleted), Failed (the volume is kept; error says why), Restoring (resumed: the new volume gets the snapshot)."),
    ),
    backupSnapshot: v.optional(str("The snapshot the archive's fresh backup made.")),
    snapshot: v.optional(str("The verified snapshot a resume restores.")),
    verifiedAt: v.optional(str("When the verification finished (RFC 3339).")),
    files: v.optional(int("Files in the verified snapshot.")),
    bytes: v.optional(int("Bytes of the files in the verified snapshot.")),
    sampled: v.optional(int("How many files were restored and compared byte for byte.")),
    manifestSnapshot: v.optional(str("The repository snapshot (host <namespace>/<kode>.manifest) holding the sample's manifest of paths, sizes and sha256.")),
    volume: v.optional(str("The claim deleted once verified.")),
    volumeSnapshot: v.optional(str("The VolumeSnapshot of the claim taken before it was deleted (owned by the Kode, counted in volumeSnapshots.keep).")),
    volumeSnapshotNote: v.optional(str("Why the claim was deleted without a VolumeSnapshot, or what holds its deletion back.")),
    error: v.optional(str("Why the archive stopped (the volume is kept).")),
  }),
  v.description("Archiving this paused Kode (template lifecycle.archiveAfter)."),
);

const VolumeSnapshotEntrySchema = v.pipe(
  v.object({
    name: str("Name of the VolumeSnapshot (in the Kode's namespace)."),
    readyToUse: v.optional(v.pipe(v.boolean(), v.description("Whether the snapshot can be restored from (its status.readyToUse)."))),
    creationTime: v.optional(str("When the snapshot was taken (RFC 3339).")),
    restoreSize: v.optional(str("Smallest volume the snapshot can be restored to (a quantity).")),
    error: v.optional(str("Why the snapshotter could not take it.")),
  }),
  v.description("A VolumeSnapshot of the Kode's home."),
);

export const VolumeSnapshotsStatusSchema = v.pipe(
  v.object({
    lastRequest: v.optional(str("Digest of the last kode.jacero.io/snapshot-now value acted on (a new value takes a new snapshot).")),
    items: v.pipe(v.array(VolumeSnapshotEntrySchema), v.description("The Kode's VolumeSnapshots, newest first (at most the template's volumeSnapshots.keep).")),
    error: v.optional(str("Why the last snapshot request could not be carried out.")),
  }),
  v.description("VolumeSnapshots of this Kode's home."),
);
