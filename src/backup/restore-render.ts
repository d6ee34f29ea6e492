// The restore of a Kode's home from its restic repository (or another Kode's): which repository and Secrets a
// spec.restore needs, the request id that makes it run once per change, and the operator's init container
// `kode-restore` that runs RESTORE_SCRIPT before everything else in the pod. Pure: the reconciler looks the
// source up in its caches (resolveRestoreSource) and render.ts puts the container first.
import { createHash } from "node:crypto";
import type * as v from "valibot";
import type { KodeRestoreSchema, TemplateBackupSchema } from "../api/backup.ts";
import type { EnvVar, Kode } from "../api/types.ts";
import type { Cache } from "../kube/cache.ts";
import type { KubeObject } from "../kube/types.ts";
import { restrictedSecurityContext } from "../dotfiles/dotfiles.ts";
import { BACKUP_MOUNT_PATH, DEFAULT_RESTIC_IMAGE, PASSWORD_SECRET_KEY, passwordSecretName, repositoryUrl, resticHost } from "./config.ts";
import { RESTORE_SCRIPT } from "./scripts.ts";

export type KodeRestore = v.InferOutput<typeof KodeRestoreSchema>;
export type TemplateBackup = v.InferOutput<typeof TemplateBackupSchema>;

export const RESTORE_CONTAINER = "kode-restore";
/** On the pod (template) that runs the restore: which request it runs (the operator's pod cache keeps no spec). */
export const RESTORE_REQUEST_ANNOTATION = "kode.jacero.io/restore-request";
export const RESTORE_TMP_VOLUME = "kode-restore-tmp";
export const RESTORE_CA_VOLUME = "kode-restore-ca";
const TMP_MOUNT = "/kode-restore-tmp";
const CA_MOUNT = "/kode-restore-ca";
const CA_FILE = "ca.crt";

/**
 * The script's failures are reported in its termination message, and the container still exits 0: a restore
 * that cannot run (an unknown snapshot, S3 down) must not keep the IDE from starting. The inner `sh -c "$0"`
 * runs the script in a shell of its own, so its `set -e` still holds.
 */
export const RESTORE_WRAPPER = 'sh -c "$0" || exit 0';

/** The restore fields of a Kode (the backup API is not in types.ts). */
export const restoreOf = (kode: Kode): KodeRestore | undefined => (kode.spec as { restore?: KodeRestore }).restore;
export const templateBackupOf = (spec: object): TemplateBackup | undefined => (spec as { backup?: TemplateBackup }).backup;

/** Which spec.restore a restore is about: a digest of its fields (16 hex), the same for the same request. */
export function restoreRequestId(r: KodeRestore): string {
  const canonical = JSON.stringify([r.snapshot, r.paths ?? [], r.from?.kode ?? ""]);
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

/** A restore to run and the id it runs under (restoreRequestId of spec.restore, or an archive's resume id). */
export interface RestoreRequest {
  restore: KodeRestore;
  id: string;
}

/** Where a restore reads from, resolved by the reconciler. */
export interface RestoreSource {
  repository: string;
  passwordSecret: string;
  /** restic --host of the snapshots to restore (the source Kode's). */
  host: string;
  /** Set when restoring another Kode's backups. */
  fromKode?: string;
}

export interface RestoreProblem {
  reason: "BackupNotConfigured" | "RestoreSourceMissing";
  message: string;
}

type BackupStatusLike = { repository?: string; passwordSecret?: string; lastSnapshot?: string; lastSuccessfulTime?: string };
const backupStatusOf = (kode: Kode) => (kode.status as { backup?: BackupStatusLike } | undefined)?.backup;

/**
 * A Kode has backups to restore once a backup of it succeeded (status.backup.lastSnapshot or lastSuccessfulTime).
 * The repository password Secret alone says nothing: the backup step creates it before the first backup runs.
 */
export const hasBackups = (kode: Kode): boolean => {
  const b = backupStatusOf(kode);
  return !!(b?.lastSnapshot || b?.lastSuccessfulTime);
};

/**
 * The repository of this Kode, or of `from.kode` (a Kode of the same namespace, by its uid: its status.backup
 * names the repository and password Secret). Without a successful backup (status.backup.lastSnapshot) there is
 * nothing to restore: a problem, and no init container. The password Secret must still exist (a Kode whose Secret
 * was deleted cannot be read). The S3 Secrets are the platform's and may not be in the operator's cache: the
 * container reads them as optional, so a missing one is the script's error, never a pod held in
 * CreateContainerConfigError.
 */
export function resolveRestoreSource(
  kode: Kode,
  backup: TemplateBackup | undefined,
  caches: { kodes: Cache<Kode>; secrets: Cache<KubeObject> },
  /** An archived Kode's resume: its own verified snapshot (backups exist by construction). */
  archive?: RestoreRequest,
): { source?: RestoreSource; problem?: RestoreProblem } {
  const restore = archive?.restore ?? restoreOf(kode);
  if (!restore) return {};
  const ns = kode.metadata.namespace ?? "";
  const name = kode.metadata.name;
  if (!backup) return { problem: { reason: "BackupNotConfigured", message: "spec.restore needs backups, but the Kode's template has no backup section (backup.s3)" } };
  let source: RestoreSource;
  const from = restore.from?.kode;
  if (from && from !== name) {
    const other = caches.kodes.get(ns, from);
    if (!other)
      return { problem: { reason: "RestoreSourceMissing", message: `spec.restore.from.kode: there is no Kode ${ns}/${from}; name a Kode of this namespace that has backups (its status.backup.lastSnapshot is set)` } };
    const b = backupStatusOf(other);
    const uid = other.metadata.uid ?? "";
    const repository = b?.repository;
    if (!repository || !hasBackups(other))
      return { problem: { reason: "RestoreSourceMissing", message: `spec.restore.from.kode: Kode ${ns}/${from} has no backups yet (its status.backup.lastSnapshot is unset); back it up first (kubectl annotate kode ${from} kode.jacero.io/backup-now=1)` } };
    source = { repository, passwordSecret: b?.passwordSecret ?? passwordSecretName(from, uid), host: resticHost(ns, from), fromKode: from };
  } else {
    if (!archive && !hasBackups(kode))
      return { problem: { reason: "RestoreSourceMissing", message: `this Kode has no backups to restore yet (its status.backup.lastSnapshot is unset); back it up first (kubectl annotate kode ${name} kode.jacero.io/backup-now=1)` } };
    const uid = kode.metadata.uid ?? "";
    source = { repository: backupStatusOf(kode)?.repository ?? repositoryUrl(backup.s3, ns, name, uid), passwordSecret: backupStatusOf(kode)?.passwordSecret ?? passwordSecretName(name, uid), host: resticHost(ns, name) };
  }
  if (!caches.secrets.get(ns, source.passwordSecret)) {
    const whose = source.fromKode ? `Kode ${ns}/${source.fromKode}` : "this Kode";
    return { problem: { reason: "RestoreSourceMissing", message: `the backups of ${whose} cannot be read: their repository password Secret ${ns}/${source.passwordSecret} does not exist (restore it from a copy)` } };
  }
  return { source };
}

/** The repository password Secret a restore needs (for the operator's Secret cache). */
export function restoreSecretNames(kode: Kode, kodes: Cache<Kode>): string[] {
  const restore = restoreOf(kode);
  if (!restore) return [];
  const from = restore.from?.kode;
  if (from && from !== kode.metadata.name) {
    const other = kodes.get(kode.metadata.namespace, from);
    const b = other && backupStatusOf(other);
    if (b?.passwordSecret) return [b.passwordSecret];
    return other?.metadata.uid ? [passwordSecretName(from, other.metadata.uid)] : [];
  }
  return kode.metadata.uid ? [passwordSecretName(kode.metadata.name, kode.metadata.uid)] : [];
}

export interface RestoreContainerInput {
  kode: Kode;
  restore: KodeRestore;
  backup: TemplateBackup;
  source: RestoreSource;
  homeVolumeName: string;
  uid: number;
  gid: number;
  /** The request id (default: restoreRequestId(restore)). */
  requestId?: string;
}

export type RestoreContainer = {
  name: string;
  image: string;
  command: string[];
  env: EnvVar[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext: Record<string, unknown>;
  terminationMessagePolicy: "File";
};

/** optional: a missing Secret or key is the script's error (reported), never a pod that cannot start. */
const secretEnv = (name: string, secret: string, key: string): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret, key, optional: true } } });

/** The environment of RESTORE_SCRIPT (src/backup/scripts.ts describes the contract). */
export function restoreEnv(input: Omit<RestoreContainerInput, "homeVolumeName" | "uid" | "gid">): EnvVar[] {
  const { restore, backup, source } = input;
  const s3 = backup.s3;
  return [
    { name: "RESTIC_REPOSITORY", value: source.repository },
    secretEnv("RESTIC_PASSWORD", source.passwordSecret, PASSWORD_SECRET_KEY),
    secretEnv("AWS_ACCESS_KEY_ID", s3.credentialsSecretRef.name, "AWS_ACCESS_KEY_ID"),
    secretEnv("AWS_SECRET_ACCESS_KEY", s3.credentialsSecretRef.name, "AWS_SECRET_ACCESS_KEY"),
    ...(s3.region ? [{ name: "AWS_DEFAULT_REGION", value: s3.region }] : []),
    ...(s3.caSecretRef ? [{ name: "KODE_CACERT", value: `${CA_MOUNT}/${CA_FILE}` }] : []),
    { name: "HOME", value: TMP_MOUNT },
    { name: "TMPDIR", value: TMP_MOUNT },
    { name: "RESTIC_CACHE_DIR", value: `${TMP_MOUNT}/cache` },
    { name: "KODE_SOURCE", value: BACKUP_MOUNT_PATH },
    { name: "KODE_TARGET", value: BACKUP_MOUNT_PATH },
    { name: "KODE_HOST", value: resticHost(input.kode.metadata.namespace ?? "", input.kode.metadata.name) },
    ...(source.fromKode ? [{ name: "KODE_FROM_HOST", value: source.host }] : []),
    { name: "KODE_SNAPSHOT", value: restore.snapshot },
    ...(restore.paths?.length ? [{ name: "KODE_PATHS", value: restore.paths.join("\n") }] : []),
    { name: "KODE_RESTORE_ID", value: input.requestId ?? restoreRequestId(restore) },
  ];
}

/** The init container and the volumes it adds to the pod (scratch for restic's cache, the S3 CA). */
export function renderRestoreInitContainer(input: RestoreContainerInput): { container: RestoreContainer; volumes: Record<string, unknown>[] } {
  const ca = input.backup.s3.caSecretRef;
  const container: RestoreContainer = {
    name: RESTORE_CONTAINER,
    image: input.backup.image ?? DEFAULT_RESTIC_IMAGE,
    command: ["sh", "-c", RESTORE_WRAPPER, RESTORE_SCRIPT],
    env: restoreEnv(input),
    volumeMounts: [
      { name: input.homeVolumeName, mountPath: BACKUP_MOUNT_PATH },
      { name: RESTORE_TMP_VOLUME, mountPath: TMP_MOUNT },
      ...(ca ? [{ name: RESTORE_CA_VOLUME, mountPath: CA_MOUNT, readOnly: true }] : []),
    ],
    securityContext: { ...restrictedSecurityContext(input.uid, input.gid), readOnlyRootFilesystem: true },
    terminationMessagePolicy: "File",
  };
  const volumes: Record<string, unknown>[] = [
    { name: RESTORE_TMP_VOLUME, emptyDir: {} },
    ...(ca ? [{ name: RESTORE_CA_VOLUME, secret: { secretName: ca.name, optional: true, items: [{ key: ca.key ?? "ca.crt", path: CA_FILE }] } }] : []),
  ];
  return { container, volumes };
}
