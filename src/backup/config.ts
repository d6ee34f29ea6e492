// Names shared by everything that backs up, restores, snapshots or archives a Kode.
import type { ResourceRef } from "../kube/types.ts";

export const BACKUP_NOW_ANNOTATION = "kode.jacero.io/backup-now";
export const SNAPSHOT_NOW_ANNOTATION = "kode.jacero.io/snapshot-now";
/**
 * On the repository password Secret: the name of the Kode it belongs to (the Secret is in the Kode's namespace) and
 * that Kode's uid. A label value cannot hold "/", hence two labels.
 */
export const BACKUP_OF_LABEL = "kode.jacero.io/backup-of";
export const BACKUP_OF_UID_LABEL = "kode.jacero.io/backup-of-uid";

export const DEFAULT_RESTIC_IMAGE = "restic/restic:0.17.3";
export const DEFAULT_VOLUME_SNAPSHOTS_KEPT = 3;

export interface S3Location {
  endpoint: string;
  bucket: string;
  prefix?: string;
}

/** One repository per Kode incarnation: a re-created Kode with the same name never writes into the old one's. */
export function repositoryUrl(s3: S3Location, namespace: string, kode: string, uid: string): string {
  const endpoint = s3.endpoint.replace(/\/+$/, "");
  const prefix = s3.prefix ? `${s3.prefix.replace(/^\/+|\/+$/g, "")}/` : "";
  return `s3:${endpoint}/${s3.bucket}/${prefix}${namespace}/${kode}-${uid}`;
}

/** The Secret with the repository password: no owner reference, so deleting the Kode keeps its backups readable. */
export function passwordSecretName(kode: string, uid: string): string {
  return `${kode.slice(0, 63 - 16)}-backup-${uid.replace(/-/g, "").slice(0, 8)}`;
}

/** restic --host of a Kode's snapshots. */
export function resticHost(namespace: string, kode: string): string {
  return `${namespace}/${kode}`;
}

/** On every backup, restore and verify Job (and its pod): which kind of data Job it is. One at a time per Kode. */
export const DATA_JOB_LABEL = "kode.jacero.io/data-job";
export type DataJobKind = "backup" | "restore" | "verify";
/** On a data Job and its pod: the Kode (name) whose home it reads or writes (not the Kode's own selector labels). */
export const DATA_JOB_OF_LABEL = "kode.jacero.io/data-job-of";
/** On a data Job: what started it (scheduled, now:<value>, pause:<time>, archive:<time>, …). */
export const DATA_JOB_TRIGGER_ANNOTATION = "kode.jacero.io/trigger";
/** Key of the repository password in its Secret. */
export const PASSWORD_KEY = "password";

export const JOBS: ResourceRef = { group: "batch", version: "v1", plural: "jobs", kind: "Job", namespaced: true };
export const CRONJOBS: ResourceRef = { group: "batch", version: "v1", plural: "cronjobs", kind: "CronJob", namespaced: true };
/** Key of the repository password in its Secret. */
export const PASSWORD_SECRET_KEY = "password";
/** Where backup Jobs and the restore init container mount the home volume (the path snapshots hold). */
export const BACKUP_MOUNT_PATH = "/data";
