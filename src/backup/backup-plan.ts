// What a Kode's backups look like, from the Kode and its template alone (pure): off, refused with a reason, or
// the plan every backup Job is rendered from. Secrets are checked by the backup step (they live in caches).
import { Cron } from "croner";
import type * as v from "valibot";
import type { KodeBackupSchema, TemplateBackupSchema } from "../api/backup.ts";
import type { Kode, KodeTemplateSpec } from "../api/types.ts";
import { childNames } from "../kode/render.ts";
import { resolveSettings } from "../kode/settings.ts";
import { DEFAULT_RESTIC_IMAGE, passwordSecretName, repositoryUrl, resticHost } from "./config.ts";

export type TemplateBackup = v.InferOutput<typeof TemplateBackupSchema>;
export type KodeBackup = v.InferOutput<typeof KodeBackupSchema>;

export interface Problem {
  reason: string;
  message: string;
}

export interface BackupPlan {
  repository: string;
  host: string;
  passwordSecret: string;
  credentialsSecret: string;
  region?: string;
  ca?: { secret: string; key: string };
  image: string;
  /** Cron schedule (the Kode's or the template's); unset: no CronJob. */
  schedule?: string;
  /** restic forget flags of the retention policy ("" keeps everything). */
  forgetArgs: string;
  beforePause: boolean;
  /** The home volume's claim, and whether only one node can mount it at a time (then the Job follows the pod). */
  claimName: string;
  singleNode: boolean;
  /** ReadWriteOncePod: no second pod may mount it while the IDE runs, so backups wait for a pause. */
  singlePod: boolean;
  uid: number;
  gid: number;
  pod: Pick<KodeTemplateSpec, "nodeSelector" | "tolerations" | "imagePullSecrets">;
}

export type PlanResult = { kind: "off" } | { kind: "problem"; problem: Problem } | { kind: "on"; plan: BackupPlan };

export const templateBackupOf = (spec: KodeTemplateSpec): TemplateBackup | undefined => (spec as { backup?: TemplateBackup }).backup;
export const kodeBackupOf = (kode: Kode): KodeBackup | undefined => (kode.spec as { backup?: KodeBackup }).backup;

/** Why a cron schedule is not one (5 fields or a @macro, as a CronJob takes it), or undefined. */
export function cronProblem(schedule: string): string | undefined {
  if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(schedule.trim())) return undefined;
  try {
    new Cron(schedule, { paused: true, mode: "5-part" }).stop();
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^CronPattern: /, "");
  }
}

/** restic forget flags from the retention policy, in a fixed order (integers only: the schema says so). */
export function forgetArgs(retention: TemplateBackup["retention"]): string {
  if (!retention) return "";
  const flags: [keyof NonNullable<TemplateBackup["retention"]>, string][] = [
    ["keepLast", "--keep-last"],
    ["keepDaily", "--keep-daily"],
    ["keepWeekly", "--keep-weekly"],
    ["keepMonthly", "--keep-monthly"],
  ];
  return flags
    .filter(([k]) => Number.isInteger(retention[k]) && (retention[k] as number) > 0)
    .map(([k, flag]) => `${flag} ${retention[k]}`)
    .join(" ");
}

export function planBackup(kode: Kode, spec: KodeTemplateSpec): PlanResult {
  const t = templateBackupOf(spec);
  const k = kodeBackupOf(kode);
  if (!t || k?.enabled === false) return { kind: "off" };
  const name = kode.metadata.name;
  const ns = kode.metadata.namespace ?? "";
  const uid = kode.metadata.uid ?? "";
  const schedule = k?.schedule ?? t.schedule;
  if (schedule !== undefined) {
    const why = cronProblem(schedule);
    if (why)
      return {
        kind: "problem",
        problem: {
          reason: "InvalidBackupSchedule",
          message: `backup schedule "${schedule}" (${k?.schedule !== undefined ? "spec.backup.schedule" : "the template's backup.schedule"}) is not a cron schedule: ${why}; use 5 fields such as "0 3 * * *"`,
        },
      };
  }
  const s = resolveSettings(kode, spec);
  const claimName = s.storage?.existingVolumeClaim ?? (s.storage?.resources?.requests?.storage ? childNames(name).pvc : undefined);
  if (!claimName)
    return { kind: "problem", problem: { reason: "BackupNeedsVolume", message: "home is an emptyDir (storage has no size and no existingVolumeClaim): there is nothing a backup Job could mount; give the Kode storage" } };
  if (s.puid === 0)
    return { kind: "problem", problem: { reason: "BackupNeedsNonRootUser", message: "the IDE runs as uid 0 (the template's puid); backups run as the IDE's user and never as root: set puid to the home's owner" } };
  const modes = s.storage?.existingVolumeClaim ? ["ReadWriteOnce"] : (s.storage?.accessModes ?? ["ReadWriteOnce"]);
  return {
    kind: "on",
    plan: {
      repository: repositoryUrl(t.s3, ns, name, uid),
      host: resticHost(ns, name),
      passwordSecret: passwordSecretName(name, uid),
      credentialsSecret: t.s3.credentialsSecretRef.name,
      ...(t.s3.region && { region: t.s3.region }),
      ...(t.s3.caSecretRef && { ca: { secret: t.s3.caSecretRef.name, key: t.s3.caSecretRef.key ?? "ca.crt" } }),
      image: t.image ?? DEFAULT_RESTIC_IMAGE,
      ...(schedule !== undefined && { schedule }),
      forgetArgs: forgetArgs(t.retention),
      beforePause: t.beforePause === true,
      claimName,
      singleNode: !modes.some((m) => m === "ReadWriteMany" || m === "ReadOnlyMany"),
      singlePod: modes.includes("ReadWriteOncePod"),
      uid: s.puid,
      gid: s.pgid,
      pod: {
        ...(spec.nodeSelector && { nodeSelector: spec.nodeSelector }),
        ...(spec.tolerations && { tolerations: spec.tolerations }),
        ...(spec.imagePullSecrets && { imagePullSecrets: spec.imagePullSecrets }),
      },
    },
  };
}
