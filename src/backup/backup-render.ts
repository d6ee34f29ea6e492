// The objects of a Kode's backups (pure): the repository password Secret, the CronJob of the schedule and the
// Jobs the operator starts itself (backup-now, before a pause, before an archive, the archive's verification).
import { createHash } from "node:crypto";
import type { Kode } from "../api/types.ts";
import { CONTROLLER_UID_ANNOTATION } from "../kube/children.ts";
import type { KubeObject } from "../kube/types.ts";
import { MANAGED_BY, selectorLabels } from "../kode/render.ts";
import type { BackupPlan } from "./backup-plan.ts";
import { BACKUP_OF_LABEL, BACKUP_OF_UID_LABEL, DATA_JOB_LABEL, DATA_JOB_OF_LABEL, DATA_JOB_TRIGGER_ANNOTATION, PASSWORD_KEY, type DataJobKind } from "./config.ts";
import { BACKUP_SCRIPT, VERIFY_SCRIPT } from "./scripts.ts";
import { cloneJson } from "../kube/json-clone.ts";

export const DATA_MOUNT = "/data";
const CA_MOUNT = "/etc/kode-backup-ca";
/** A Job that cannot get its pod scheduled (or hangs on S3) ends after this, with a result saying so. */
export const JOB_DEADLINE_SECONDS = 4 * 3600;
/** Finished Jobs of the CronJob go after a day; the operator removes its own once their result is in status. */
export const CRONJOB_TTL_SECONDS = 24 * 3600;

/** Names of the backup objects of a Kode (CronJob names are at most 52 characters, Job names 63). */
export const backupNames = (kode: string) => ({
  cronJob: `${kode.slice(0, 45)}-backup`,
  job: (kind: DataJobKind, trigger: string) => `${kode.slice(0, 40)}-${kind}-${createHash("sha256").update(trigger).digest("hex").slice(0, 10)}`,
});

/** Labels of the backup objects: not the Kode's selector labels, so no Service, StatefulSet or affinity picks these pods. */
export const dataJobLabels = (kode: string, kind: DataJobKind): Record<string, string> => ({
  "app.kubernetes.io/managed-by": MANAGED_BY,
  "app.kubernetes.io/component": kind,
  [DATA_JOB_LABEL]: kind,
  [DATA_JOB_OF_LABEL]: kode,
});

const base64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/**
 * The repository password Secret: no ownerReference (deleting the Kode must not make its backups unreadable), the
 * provenance mark instead, and labels an admin finds it by. Its value is generated once and only ever created.
 */
export function renderPasswordSecret(kode: Kode, plan: BackupPlan, password: string): KubeObject & { data: Record<string, string> } {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: plan.passwordSecret,
      namespace: kode.metadata.namespace,
      labels: {
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/component": "backup",
        [BACKUP_OF_LABEL]: kode.metadata.name,
        [BACKUP_OF_UID_LABEL]: kode.metadata.uid ?? "",
      },
      annotations: { [CONTROLLER_UID_ANNOTATION]: kode.metadata.uid ?? "", "kode.jacero.io/repository": plan.repository },
    },
    type: "Opaque",
    data: { [PASSWORD_KEY]: base64(password) },
  } as KubeObject & { data: Record<string, string> };
}

export interface JobInput {
  kode: Kode;
  plan: BackupPlan;
  kind: DataJobKind;
  /** What started it: scheduled, now:<value>, pause:<time>, archive:<time>. */
  trigger: string;
  /** restic --tag of the snapshot: scheduled, manual, before-pause, archive. */
  tag: string;
  /** The IDE pod runs: with a single-node volume the Job must run on its node. */
  podRunning: boolean;
}

const secretEnv = (name: string, secret: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });

/** The pod of a backup or verify Job: the home read-only, the IDE's uid, nothing else it does not need. */
export function renderDataPod(input: JobInput) {
  const { kode, plan, kind } = input;
  const name = kode.metadata.name;
  const env = [
    { name: "RESTIC_REPOSITORY", value: plan.repository },
    secretEnv("RESTIC_PASSWORD", plan.passwordSecret, PASSWORD_KEY),
    secretEnv("AWS_ACCESS_KEY_ID", plan.credentialsSecret, "AWS_ACCESS_KEY_ID"),
    secretEnv("AWS_SECRET_ACCESS_KEY", plan.credentialsSecret, "AWS_SECRET_ACCESS_KEY"),
    ...(plan.region ? [{ name: "AWS_DEFAULT_REGION", value: plan.region }] : []),
    ...(plan.ca ? [{ name: "KODE_CACERT", value: `${CA_MOUNT}/${plan.ca.key}` }] : []),
    { name: "KODE_SOURCE", value: DATA_MOUNT },
    { name: "KODE_HOST", value: plan.host },
    { name: "KODE_RESULT", value: "/dev/termination-log" },
    ...(kind === "backup" ? [{ name: "KODE_TAG", value: input.tag }, ...(plan.forgetArgs ? [{ name: "KODE_FORGET_ARGS", value: plan.forgetArgs }] : [])] : []),
    ...(kind === "verify" ? [{ name: "KODE_SCRATCH", value: "/tmp/scratch" }] : []),
    { name: "HOME", value: "/tmp" },
    { name: "TMPDIR", value: "/tmp" },
    { name: "RESTIC_CACHE_DIR", value: "/tmp/restic-cache" },
  ];
  const affinity =
    plan.singleNode && input.podRunning
      ? { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: selectorLabels(name) }, topologyKey: "kubernetes.io/hostname" }] } }
      : undefined;
  return {
    metadata: { labels: dataJobLabels(name, kind) },
    spec: {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsUser: plan.uid, runAsGroup: plan.gid, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      ...(affinity && { affinity }),
      ...(plan.pod.nodeSelector && Object.keys(plan.pod.nodeSelector).length && { nodeSelector: { ...plan.pod.nodeSelector } }),
      ...(plan.pod.tolerations?.length && { tolerations: cloneJson(plan.pod.tolerations) }),
      ...(plan.pod.imagePullSecrets?.length && { imagePullSecrets: cloneJson(plan.pod.imagePullSecrets) }),
      containers: [
        {
          name: kind,
          image: plan.image,
          command: ["sh", "-c", kind === "verify" ? VERIFY_SCRIPT : BACKUP_SCRIPT],
          env,
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
          resources: { requests: { cpu: "100m", memory: "256Mi" } },
          volumeMounts: [
            { name: "home", mountPath: DATA_MOUNT, readOnly: true },
            { name: "tmp", mountPath: "/tmp" },
            ...(plan.ca ? [{ name: "s3-ca", mountPath: CA_MOUNT, readOnly: true }] : []),
          ],
        },
      ],
      volumes: [
        { name: "home", persistentVolumeClaim: { claimName: plan.claimName, readOnly: true } },
        { name: "tmp", emptyDir: {} },
        ...(plan.ca ? [{ name: "s3-ca", secret: { secretName: plan.ca.secret, items: [{ key: plan.ca.key, path: plan.ca.key }] } }] : []),
      ],
    },
  };
}

const jobMeta = (input: JobInput, name: string, labels: Record<string, string>) => ({
  name,
  namespace: input.kode.metadata.namespace,
  labels: { ...labels, "kode.jacero.io/name": input.kode.metadata.name },
  annotations: { [DATA_JOB_TRIGGER_ANNOTATION]: input.trigger },
});

/** A Job the operator starts itself; it stays until its result is in status, then the operator removes it. */
export function renderDataJob(input: JobInput): KubeObject {
  const name = backupNames(input.kode.metadata.name).job(input.kind, input.trigger);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: jobMeta(input, name, dataJobLabels(input.kode.metadata.name, input.kind)),
    spec: { backoffLimit: 0, activeDeadlineSeconds: JOB_DEADLINE_SECONDS, template: renderDataPod(input) },
  } as unknown as KubeObject;
}

/** The CronJob of the schedule; suspended while another data Job of the Kode runs (one at a time). */
export function renderCronJob(input: Omit<JobInput, "kind" | "trigger" | "tag"> & { suspend: boolean }): KubeObject {
  const jobInput: JobInput = { ...input, kind: "backup", trigger: "scheduled", tag: "scheduled" };
  const labels = dataJobLabels(input.kode.metadata.name, "backup");
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { ...jobMeta(jobInput, backupNames(input.kode.metadata.name).cronJob, labels) },
    spec: {
      schedule: input.plan.schedule,
      timeZone: "Etc/UTC",
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 1,
      suspend: input.suspend,
      jobTemplate: {
        metadata: { labels: { ...labels, "kode.jacero.io/name": input.kode.metadata.name }, annotations: { [DATA_JOB_TRIGGER_ANNOTATION]: "scheduled" } },
        spec: { backoffLimit: 0, activeDeadlineSeconds: JOB_DEADLINE_SECONDS, ttlSecondsAfterFinished: CRONJOB_TTL_SECONDS, template: renderDataPod(jobInput) },
      },
    },
  } as unknown as KubeObject;
}
