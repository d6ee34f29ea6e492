// The backup part of a Kode reconcile: the plan, the Secrets it needs (the platform's S3 credentials, the
// repository password generated once), which Jobs should exist (one data Job per Kode at a time), the CronJob,
// and status.backup from the Jobs' termination messages. Returns children for the Kode's child list; the only
// write of its own is the creation of the password Secret (it has no owner, so it is not a child).
import type { ConditionSpec } from "../api/conditions.ts";
import type { Kode, KodeTemplateSpec } from "../api/types.ts";
import type { ChildCache } from "../kube/cache.ts";
import { CONTROLLER_UID_ANNOTATION, hasControllerRef, isControlledBy, type DesiredChild } from "../kube/children.ts";
import { PVCS, SECRETS } from "../kube/resources.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import { childNames } from "../kode/render.ts";
import { resolveSettings } from "../kode/settings.ts";
import { ARCHIVED_CONDITION, archiveOf, decideArchive, type ArchiveStatus } from "./archive-plan.ts";
import { planBackup, type BackupPlan, type Problem } from "./backup-plan.ts";
import { renderCronJob, renderDataJob, renderPasswordSecret, backupNames } from "./backup-render.ts";
import { applyResults, BACKED_UP_CONDITION, backedUpCondition, jobFinished, jobKind, jobResult, recorded, type BackupEvent, type BackupStatus, type JobResult } from "./backup-results.ts";
import { archiveSnapshotName, takeVolumeSnapshot, volumeSnapshotsOf, volumeSnapshotState, type VolumeSnapshot } from "./volume-snapshot.ts";
import { BACKUP_NOW_ANNOTATION, BACKUP_OF_UID_LABEL, CRONJOBS, JOBS, PASSWORD_KEY, type DataJobKind } from "./config.ts";

type Secret = KubeObject & { data?: Record<string, string> };

export interface BackupDeps {
  client: KubeClient;
  secrets: ChildCache<Secret>;
  jobs: ChildCache;
  cronJobs: ChildCache;
  pods: ChildCache;
  pvcs: ChildCache;
  generatePassword(): string;
  now(): number;
  /** How long a paused Kode waits at most before its archive delay is looked at again (default 1 minute). */
  archiveRecheckMs?: number;
  /** VolumeSnapshots; absent when the cluster has no such kind. */
  volumeSnapshots?: ChildCache;
  fieldManager: string;
}

export interface BackupStepResult {
  children: DesiredChild[];
  /** status.backup as it should be (undefined: leave what is there). */
  status?: BackupStatus;
  /** The BackedUp condition (undefined: the Kode has none). */
  condition?: ConditionSpec;
  /** Emitted once the status holding them is written. */
  events: BackupEvent[];
  /** Results recorded by this pass (for the metrics, once written). */
  recorded: JobResult[];
  wrote: boolean;
  /** Stop this pass and come back (our own Secret create is not in the cache yet). */
  waitForCacheMs?: number;
  /** Look at the Kode again then (an archive delay runs). */
  requeueAfterMs?: number;
  /** status.archive (undefined: none) and the Archived condition. */
  archive?: ArchiveStatus;
  archiveCondition?: ConditionSpec;
  /** The home claim is archived (or being deleted): the Kode must not render it. */
  volumeGone?: boolean;
}

/** When the current pause began: the Paused condition's transition time (the lifecycle writes it). */
export function pauseIdOf(kode: Kode): string | undefined {
  if ((kode.spec as { paused?: boolean }).paused !== true) return undefined;
  return kode.status?.conditions?.find((c) => c.type === "Paused" && c.status === "True")?.lastTransitionTime;
}

const oldBackup = (kode: Kode) => (kode.status as { backup?: BackupStatus } | undefined)?.backup;

/** Secret problems: the platform's S3 credentials and CA in the Kode's namespace, with the keys the Jobs read. */
function secretProblems(deps: BackupDeps, ns: string, plan: BackupPlan): Problem[] {
  const out: Problem[] = [];
  const creds = deps.secrets.get(ns, plan.credentialsSecret);
  const missing = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].filter((k) => !creds?.data?.[k]);
  if (!creds) out.push({ reason: "BackupCredentialsMissing", message: `Secret ${ns}/${plan.credentialsSecret} (the template's backup.s3.credentialsSecretRef) does not exist; the platform creates it with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY` });
  else if (missing.length) out.push({ reason: "BackupCredentialsMissing", message: `Secret ${ns}/${plan.credentialsSecret} (backup.s3.credentialsSecretRef) has no ${missing.join(" and no ")}; add ${missing.length > 1 ? "them" : "it"}` });
  if (plan.ca) {
    const ca = deps.secrets.get(ns, plan.ca.secret);
    if (!ca?.data?.[plan.ca.key]) out.push({ reason: "BackupCAMissing", message: `Secret ${ns}/${plan.ca.secret} (backup.s3.caSecretRef) ${ca ? `has no key ${plan.ca.key}` : "does not exist"}; it holds the PEM bundle the S3 endpoint is checked against` });
  }
  return out;
}

type PasswordState = { ok: true; created: boolean } | { ok: false; problem: Problem } | { ok: "waiting" };

/**
 * The repository password Secret: created once with a generated password when neither it nor a repository exists;
 * never regenerated (a new password over an existing repository would make it unreadable, and restic init would
 * refuse anyway). A Secret of that name that is not ours is left alone and reported.
 */
async function ensurePassword(deps: BackupDeps, kode: Kode, plan: BackupPlan): Promise<PasswordState> {
  const ns = kode.metadata.namespace ?? "";
  const uid = kode.metadata.uid ?? "";
  const live = deps.secrets.get(ns, plan.passwordSecret);
  if (live) {
    const ours = live.metadata.labels?.[BACKUP_OF_UID_LABEL] === uid && (live.metadata.annotations?.[CONTROLLER_UID_ANNOTATION] === uid || isControlledBy(live, { uid }) || live.metadata.annotations?.["kode.jacero.io/retained-from"] !== undefined);
    if (!ours)
      return {
        ok: false,
        problem: {
          reason: "BackupSecretConflict",
          message: `Secret ${ns}/${plan.passwordSecret} exists and was not made by the operator for this Kode (label ${BACKUP_OF_UID_LABEL}=${uid}), so it is left untouched and no backup runs; rename or delete it`,
        },
      };
    if (!live.data?.[PASSWORD_KEY]) return { ok: false, problem: { reason: "BackupPasswordMissing", message: `Secret ${ns}/${plan.passwordSecret} has no "${PASSWORD_KEY}" key; put the repository's password back (a new one cannot open the existing repository)` } };
    return { ok: true, created: false };
  }
  const old = oldBackup(kode);
  if (old?.lastTime || old?.lastSnapshot)
    return {
      ok: false,
      problem: {
        reason: "BackupPasswordMissing",
        message: `the password Secret ${ns}/${plan.passwordSecret} of repository ${plan.repository} is gone; restore it from a copy (key "${PASSWORD_KEY}", labels ${BACKUP_OF_UID_LABEL}=${uid}). The operator never creates a new repository or password over an existing one`,
      },
    };
  try {
    await deps.client.create(SECRETS, renderPasswordSecret(kode, plan, deps.generatePassword()), { fieldManager: deps.fieldManager });
    return { ok: true, created: true };
  } catch (e) {
    // Ours, created by an earlier pass the cache has not seen yet (or somebody else's): look again shortly.
    if ((e as { code?: number }).code === 409) return { ok: "waiting" };
    throw e;
  }
}

/** The operator's own data Jobs and the CronJob's, with their results. */
function observeJobs(deps: BackupDeps, kode: Kode) {
  const ns = kode.metadata.namespace ?? "";
  const uid = kode.metadata.uid ?? "";
  const own = deps.jobs.controlledBy(uid);
  const cron = deps.cronJobs.get(ns, backupNames(kode.metadata.name).cronJob);
  const cronJobs = cron && isControlledBy(cron, { uid }) ? deps.jobs.controlledBy(cron.metadata.uid ?? "") : [];
  const results = new Map<string, JobResult>();
  for (const j of [...own, ...cronJobs]) {
    const r = jobResult(j, deps.pods.controlledBy(j.metadata.uid ?? "") as never);
    if (r) results.set(j.metadata.name, r);
  }
  const active = [...own, ...cronJobs].filter((j) => !jobFinished(j as never));
  const byTrigger = new Map<string, JobResult>();
  for (const j of own) {
    const r = results.get(j.metadata.name);
    if (r) byTrigger.set(r.trigger, r);
  }
  return { own, cronJobs, results, active, byTrigger };
}

const passThrough = (job: KubeObject): DesiredChild => ({
  resource: JOBS,
  immutable: true,
  object: { apiVersion: "batch/v1", kind: "Job", metadata: { name: job.metadata.name, namespace: job.metadata.namespace, labels: { ...job.metadata.labels } } } as KubeObject,
});

export async function backupStep(deps: BackupDeps, kode: Kode, spec: KodeTemplateSpec): Promise<BackupStepResult> {
  const ns = kode.metadata.namespace ?? "";
  const name = kode.metadata.name;
  const old = oldBackup(kode);
  const oldCondition = kode.status?.conditions?.find((c) => c.type === BACKED_UP_CONDITION);
  const planned = planBackup(kode, spec);
  const observed = observeJobs(deps, kode);
  const results = [...observed.results.values()];
  const applied = applyResults(old, results);
  const base = { events: applied.events, recorded: applied.recordedNow, wrote: false };
  // Our own Jobs stay until their result is in status (read from the status this pass started with, so a
  // failed status write never loses a result); then they are pruned.
  const oldArchive = archiveOf(kode);
  const isRecorded = (r: JobResult) =>
    r.kind === "verify" ? !!oldArchive && `verify:${oldArchive.pause}` === r.trigger && oldArchive.phase !== "BackingUp" && oldArchive.phase !== "Verifying" : recorded(old, r);
  const kept = observed.own.filter((j) => ["backup", "verify"].includes(jobKind(j) ?? "") && (!observed.results.get(j.metadata.name) || !isRecorded(observed.results.get(j.metadata.name)!)));
  const children: DesiredChild[] = kept.map(passThrough);

  if (planned.kind === "off") {
    if (!old) return { ...base, children };
    return { ...base, children, status: applied.status, condition: { status: "False", reason: "BackupsOff", message: "backups are off (spec.backup.enabled is false, or the template has no backup); the repository and its password Secret are kept" } };
  }
  const problemResult = (problem: Problem): BackupStepResult => {
    const events = [...applied.events];
    if (oldCondition?.reason !== problem.reason || !oldCondition.message.startsWith(problem.message)) events.push({ type: "Warning", reason: problem.reason, message: problem.message });
    return { ...base, events, children, status: { ...applied.status, ...(planned.kind === "on" && { repository: planned.plan.repository, passwordSecret: planned.plan.passwordSecret }) }, condition: backedUpCondition(applied.status, problem, undefined, undefined) };
  };
  if (planned.kind === "problem") return problemResult(planned.problem);
  const plan = planned.plan;
  const status: BackupStatus = { ...applied.status, repository: plan.repository, passwordSecret: plan.passwordSecret };
  const secretProblem = secretProblems(deps, ns, plan)[0];
  if (secretProblem) return problemResult(secretProblem);
  const password = await ensurePassword(deps, kode, plan);
  if (password.ok === "waiting") return { ...base, children, waitForCacheMs: 500 };
  if (password.ok === false) return problemResult(password.problem);

  const pod = deps.pods.get(ns, childNames(name).pod);
  const podRunning = !!pod && !pod.metadata.deletionTimestamp;
  const triggers: { trigger: string; tag: string; kind?: DataJobKind; waitsFor?: string }[] = [];
  const pauseId = pauseIdOf(kode);
  const storage = resolveSettings(kode, spec).storage;
  const decision = decideArchive({
    kode,
    spec,
    pauseId,
    now: deps.now(),
    results: observed.byTrigger,
    podRunning,
    ...(storage?.existingVolumeClaim && { volumeProblem: `home is the existing claim ${storage.existingVolumeClaim}, which the operator never deletes` }),
    ...(storage?.keepVolume && { volumeProblem: "storage.keepVolume is set, so the operator never deletes the volume" }),
    ...(((kode.status as { restore?: { snapshot?: string } } | undefined)?.restore?.snapshot) && { restoredSnapshot: (kode.status as { restore?: { snapshot?: string } }).restore!.snapshot }),
  });
  const events = [...base.events, ...decision.events];
  let archive = decision.archive;
  let wrote = password.created;
  let deleteVolume = decision.deleteVolume;
  let holdCondition: ConditionSpec | undefined;
  let holdMs: number | undefined;
  if (deleteVolume) {
    const claim = childNames(name).pvc;
    const live = deps.pvcs.get(ns, claim);
    const ours = !!live && !!live.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === kode.metadata.uid);
    const snap = ours ? await archiveSnapshot(deps, kode, spec, archive!, claim) : { archive: archive! };
    archive = snap.archive;
    wrote ||= !!snap.wrote;
    if (snap.created) events.push({ type: "Normal", reason: "VolumeSnapshotTaken", message: `VolumeSnapshot ${snap.created} of ${claim} was taken before the archive deletes it` });
    if (snap.noteEvent) events.push({ type: "Normal", reason: "ArchiveWithoutVolumeSnapshot", message: snap.noteEvent });
    if (snap.waitMessage) {
      deleteVolume = false;
      holdCondition = { status: "False", reason: "Verified", message: snap.waitMessage };
      holdMs = 1000;
    }
  }
  if (deleteVolume) {
    const claim = childNames(name).pvc;
    const live = deps.pvcs.get(ns, claim);
    // Only our own claim (controller ownerReference), at the uid seen: never a user's, never a kept one.
    if (live && kode.metadata.uid && hasControllerRef(live, kode.metadata.uid)) {
      await deps.client.delete(PVCS, claim, { namespace: ns, preconditions: { uid: live.metadata.uid } });
      wrote = true;
    }
    archive = { ...archive!, phase: "Archived", volume: claim };
    events.push({ type: "Normal", reason: "Archived", message: `volume ${claim} deleted after snapshot ${archive.snapshot} was verified; resuming restores it into a new volume` });
  }
  const archiveCondition = holdCondition ?? (deleteVolume ? { status: "True" as const, reason: "Archived", message: `the volume was deleted after snapshot ${archive!.snapshot} was verified (${archive!.verifiedAt}); set spec.paused to false to restore it into a new volume` } : decision.condition);
  // While the claim waits for its VolumeSnapshot it stays rendered (a child not desired would be pruned).
  const volumeGone = decision.volumeGone && !holdCondition;
  const archivePart = { ...(archive && { archive }), ...(archiveCondition && { archiveCondition }), ...(volumeGone && { volumeGone: true }) };
  if (decision.job) triggers.push({ trigger: decision.job.trigger, tag: decision.job.tag || "archive", kind: decision.job.kind });
  if (plan.beforePause && pauseId && status.handledPause !== pauseId) triggers.push({ trigger: `pause:${pauseId}`, tag: "before-pause", ...(podRunning && { waitsFor: "the IDE pod to stop" }) });
  const now = kode.metadata.annotations?.[BACKUP_NOW_ANNOTATION];
  if (now && now !== status.handledBackupNow) triggers.push({ trigger: `now:${now}`, tag: "manual", ...(plan.singlePod && podRunning && { waitsFor: "a pause (the volume is ReadWriteOncePod)" }) });
  let started: string | undefined;
  // A resumed archive not restored yet: no backup of the new (empty) volume, whose snapshots retention could
  // count against the verified one.
  const restoring = archive?.phase === "Restoring";
  if (restoring) triggers.length = 0;
  const busy = observed.active.length > 0;
  for (const t of triggers) {
    const jobName = backupNames(name).job(t.kind ?? "backup", t.trigger);
    if (observed.own.some((j) => j.metadata.name === jobName)) continue;
    if (t.waitsFor || busy || started) continue;
    const job = renderDataJob({ kode, plan, kind: t.kind ?? "backup", trigger: t.trigger, tag: t.tag, podRunning });
    children.push({ resource: JOBS, object: job, immutable: true });
    started = jobName;
  }
  const ownActive = observed.own.some((j) => !jobFinished(j as never));
  if (plan.schedule && !(plan.singlePod && podRunning) && !volumeGone && !restoring)
    children.push({ resource: CRONJOBS, object: renderCronJob({ kode, plan, podRunning, suspend: ownActive || !!started }) });
  const running = started ?? observed.active[0]?.metadata.name;
  return {
    ...base,
    events,
    children,
    status,
    condition: backedUpCondition(status, undefined, running, plan.schedule),
    wrote,
    ...archivePart,
    ...(decision.requeueAfterMs !== undefined && { requeueAfterMs: Math.min(decision.requeueAfterMs, deps.archiveRecheckMs ?? 60_000) }),
    ...(holdMs !== undefined && { requeueAfterMs: holdMs }),
  };
}

/**
 * Before the verified archive deletes the claim: a VolumeSnapshot of it (owned, one per pause), when the template
 * asks for snapshots and the kind is served. The claim is deleted once it is readyToUse; a snapshot that failed,
 * no volumeSnapshots in the template, or no such kind: deleted without one (the restic snapshot is verified), the
 * reason in status.archive.volumeSnapshotNote.
 */
async function archiveSnapshot(deps: BackupDeps, kode: Kode, spec: KodeTemplateSpec, archive: ArchiveStatus, claim: string): Promise<{ archive: ArchiveStatus; wrote?: boolean; created?: string; waitMessage?: string; noteEvent?: string }> {
  const settings = volumeSnapshotsOf(spec);
  const note = (why: string) => (archive.volumeSnapshotNote === why ? { archive } : { archive: { ...archive, volumeSnapshotNote: why }, noteEvent: `volume ${claim} is deleted without a VolumeSnapshot: ${why}` });
  if (!settings) return note("the template has no volumeSnapshots");
  if (!deps.volumeSnapshots) return note("the cluster has no snapshot.storage.k8s.io/v1 VolumeSnapshot kind");
  const ns = kode.metadata.namespace ?? "";
  if (!archive.volumeSnapshot) {
    try {
      const created = await takeVolumeSnapshot(deps.client, { kode, type: spec.type, pvcName: claim, ...(settings.className && { className: settings.className }), now: archive.pause, fieldManager: deps.fieldManager });
      const name = created.metadata.name;
      return { archive: { ...archive, volumeSnapshot: name }, wrote: true, created: name, waitMessage: `snapshot ${archive.snapshot} verified; VolumeSnapshot ${name} of ${claim} is to be readyToUse before the volume is deleted` };
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code === 404) return note("the cluster has no snapshot.storage.k8s.io/v1 VolumeSnapshot kind");
      if (code === 409) {
        // Ours from a pass whose status write was lost: adopted; anyone else's is left alone.
        const name = archiveSnapshotName(kode, archive.pause);
        const found = deps.volumeSnapshots.get(ns, name);
        if (found && isControlledBy(found, { uid: kode.metadata.uid ?? "" })) return { archive: { ...archive, volumeSnapshot: name }, waitMessage: `snapshot ${archive.snapshot} verified; VolumeSnapshot ${name} of ${claim} is to be readyToUse before the volume is deleted` };
        if (!found) return { archive, waitMessage: `snapshot ${archive.snapshot} verified; waiting for the cache to show VolumeSnapshot ${name}` };
        return note(`VolumeSnapshot ${ns}/${name} exists and is not this Kode's; it is left alone`);
      }
      if (code === 422 || code === 403) return note(`the VolumeSnapshot was refused: ${(e as Error).message}`);
      throw e;
    }
  }
  const name = archive.volumeSnapshot;
  const live = deps.volumeSnapshots.get(ns, name) as VolumeSnapshot | undefined;
  const state = volumeSnapshotState(live);
  if (state.state === "ready") return { archive };
  if (state.state === "failed") return note(`VolumeSnapshot ${name} failed: ${state.message}`);
  return { archive, waitMessage: `snapshot ${archive.snapshot} verified; VolumeSnapshot ${name} of ${claim} is to be readyToUse before the volume is deleted` };
}
