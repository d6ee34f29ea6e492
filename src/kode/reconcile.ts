// The Kode reconciler: observe (informer caches, every read recorded) → render (pure, one list of children) →
// apply (the generic child step: create or merge patch what differs, prune what is no longer wanted, never touch
// what the Kode does not control) → status (replaced, written only when it changes). Level-triggered: it never
// asks what happened, only what should exist now.
import { randomBytes } from "node:crypto";
import { KODES } from "../api/resources.ts";
import type { Condition, EnvoyProxyConfig, Kode, KodeStatus, KodeTemplate } from "../api/types.ts";
import { EnvoyRenderError } from "../envoy/render.ts";
import { HEALTH_IDE_ACTIVITY_PREFIX } from "../envoy/bootstrap.ts";
import { objectKey, splitKey, type Cache, type ChildCache } from "../kube/cache.ts";
import { applyChildren, isControlledBy, RETAINED_FROM_ANNOTATION, removeChildren, type ChildKinds, type Owner } from "../kube/children.ts";
import type { ReconcileResult } from "../kube/queue.ts";
import { readsUnchanged, ReadRecorder, type Read } from "../kube/read-recorder.ts";
import { CONFIGMAPS, NETWORK_POLICIES, PVCS, SECRETS, SERVICES, STATEFULSETS } from "../kube/resources.ts";
import { replaceStatus } from "../kube/status.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import { API_VERSION } from "../api/types.ts";
import { childNames, renderKode, SECRET_PASSWORD_KEY, SECRET_ROLLOUT_KEY, SECRET_USERNAME_KEY, serviceUrl, type RenderInput } from "./render.ts";
import { resolveEnvoy } from "./resolve-envoy.ts";
import { forgetDevcontainer, newDevcontainerWarnings, resolveDevcontainer, type GitMemo } from "./resolve-devcontainer.ts";
import type { GitFile, GitFileRequest } from "../devcontainer/git.ts";
import { ownerProblem, resolveKodeAccess } from "./access.ts";
import type { RouteClaims } from "../access/claims.ts";
import type { DiscoveryEntry } from "../envoy/oidc.ts";
import { HTTPROUTES, INGRESSES } from "../access/routes.ts";
import { DEFAULT_USER } from "./settings.ts";
import { ideTypeSpec } from "./ide/index.ts";
import { deriveStatus, statusEquals, transitions, type ObservedStatefulSet } from "./status.ts";
import { validateKodeInput, type Problem } from "./validate.ts";
import { environmentOfPod, forgetPostStart, type ObservedPod, type PostStartMemo } from "./init-reports.ts";
import { pendingSecurityAlert, withSecurityAlert } from "../falco/alerts.ts";
import { resolveRestoreSource, templateBackupOf, restoreOf, restoreRequestId } from "../backup/restore-render.ts";
import { restoreOutcome, restoreRan, type RestorePod } from "../backup/restore-status.ts";
import { JOBS } from "../backup/restore-job.ts";
import { homeDataSource, reconcileVolumeSnapshots, volumeSnapshotsCondition, volumeSnapshotsOf, type SnapshotProblem } from "../backup/volume-snapshot.ts";
import { previousExtras, withBackupExtras, type BackupExtras } from "./status-restore.ts";
import { nextCondition } from "../api/conditions.ts";
import { backupStep, type BackupStepResult } from "../backup/backup-step.ts";
import { BACKED_UP_CONDITION, type JobResult } from "../backup/backup-results.ts";
import { ARCHIVED_CONDITION, archiveRestoreOf } from "../backup/archive-plan.ts";
import { CRONJOBS } from "../backup/config.ts";
import type { ActivityEntry } from "../lifecycle/activity-status.ts";
import type { LifecycleMetrics } from "../lifecycle/metrics.ts";
import { ANNOTATION_PAUSE_REASON, resolvePolicy } from "../lifecycle/policy.ts";
import { startupTimings } from "../lifecycle/startup.ts";
import { activityTarget, type ActivityTarget } from "../lifecycle/targets.ts";
import { resolveSettings } from "./settings.ts";

export const KODE_FINALIZER = "kode.jacero.io/finalizer";
export const ANNOTATION_RETAINED_FROM = RETAINED_FROM_ANNOTATION;
export const FIELD_MANAGER = "kode-operator";
/** How long a Kode waits before looking again at a child name held by somebody else (it may be in no cache). */
export const CONFLICT_RETRY_MS = 10_000;
/** How long a Kode waits for a cache that is behind the API server (our own recent write). */
export const CACHE_WAIT_MS = 500;

type Secret = KubeObject & { data?: Record<string, string> };

export interface KodeDeps {
  client: KubeClient;
  kodes: Cache<Kode>;
  templates: Cache<KodeTemplate>;
  clusterTemplates: Cache<KodeTemplate>;
  /** The caches of the kinds a Kode has children of; controlledBy answers from the informers' controller index. */
  secrets: ChildCache<Secret>;
  statefulSets: ChildCache;
  services: ChildCache;
  pvcs: ChildCache;
  /** The Envoy sidecar's configs and children (ConfigMap <kode>-envoy, NetworkPolicy <kode>). */
  envoyConfigs: Cache<EnvoyProxyConfig>;
  envoyClusterConfigs: Cache<EnvoyProxyConfig>;
  configMaps: ChildCache;
  networkPolicies: ChildCache;
  /** Ingresses and HTTPRoutes (the route child); absent: a Kode with access fails with RouteKindUnavailable. */
  ingresses?: ChildCache;
  httpRoutes?: ChildCache;
  /** Which Kodes would get a host and path (src/access/claims.ts); absent: no conflict check. */
  routeClaims?: Cache<RouteClaims>;
  /** Namespaces (metadata only), for the owner label; absent: no owner check. */
  namespaces?: Cache<KubeObject>;
  /** OpenID discovery results (filled by the EnvoyProxyConfig reconciler). */
  oidc?: Cache<DiscoveryEntry>;
  /** VolumeSnapshots (snapshot.storage.k8s.io/v1); absent when the cluster has no such kind. */
  volumeSnapshots?: ChildCache;
  /** Jobs (the restore Job of a paused Kode); absent: a paused Kode restores when it resumes. */
  jobs?: ChildCache;
  events: { event(obj: KubeObject, type: "Normal" | "Warning", reason: string, message: string): unknown };
  now(): string;
  /** A strong random password (only called when a Kode has none yet). */
  generatePassword(): string;
  /** A random key that versions a Kode's credentials (default: 32 random bytes). */
  generateKey?(): string;
  /**
   * Status this operator wrote that the Kode cache may not show yet (its watch event still in flight), by key.
   * Without it a reconcile right after a status write recomputes from the stale status, writing the same status
   * again and repeating its transition Events.
   */
  writtenStatus?: Map<string, { resourceVersion: string; status: KodeStatus; at: number }>;
  /** Falco alerts taken by the webhook, not yet in the status: this reconcile writes them (src/falco/alerts.ts). */
  securityAlerts?: Map<string, Condition>;
  /**
   * Kodes whose last reconcile wrote nothing, with every cache read it made (recorded by the reads themselves). A
   * resync whose reads all answer the same has nothing to do: rendering is a pure function of what was read.
   */
  settled?: Map<string, Read[]>;
  /** The Kodes' pods (label-selected), for what their init containers report. Optional: without it, no EnvironmentReady condition. */
  pods?: Cache<KubeObject> & Partial<Pick<ChildCache, "controlledBy">>;
  /** Backup CronJobs (src/backup); absent (or no jobs, or pods without controlledBy): no backups. */
  cronJobs?: ChildCache;
  /** At most this long between looks at a paused Kode whose archive delay runs (default 1 minute). */
  archiveRecheckMs?: number;
  /** Observes a recorded backup result (duration and bytes metrics). */
  backupObserved?(kode: Kode, result: JobResult): void;
  /** devcontainers: the last git read of each Kode's devcontainer.json (kept through a git outage). */
  gitReads?: Map<string, GitMemo>;
  /** devcontainers: the warnings last shown (as Events) per Kode, so a changed file's new warnings are shown once. */
  devcontainerWarnings?: Map<string, string>;
  /** devcontainers: postStartCommand's result per Kode, read once per IDE container start from its log. */
  postStartReads?: Map<string, PostStartMemo>;
  /** Reads one file from git (default readGitFile; tests may count or fail reads). */
  readGit?: (req: GitFileRequest) => Promise<GitFile>;
  /** Override CONFLICT_RETRY_MS (tests). */
  conflictRetryMs?: number;
  log?: { debug?(msg: string, fields?: Record<string, unknown>): void; info?(msg: string, fields?: Record<string, unknown>): void };
  /** The activity poller's latest verdict per Kode, which goes into status.activity (absent: no activity status). */
  activity?: Cache<ActivityEntry>;
  /** Where running Kodes are registered for activity polling, and paused, failed or deleted ones removed. */
  activityTargets?: { upsert(target: ActivityTarget): void; remove(key: string): void };
  /** kode_start_duration_seconds and kode_pauses_total. */
  lifecycleMetrics?: LifecycleMetrics;
}

/** The template key a Kode refers to, as indexed by the operator: "<Kind>/<namespace>/<name>". */
export function templateKeyOf(kode: Kode): string {
  const ref = kode.spec?.templateRef ?? { name: "" };
  const kind = ref.kind ?? "KodeTemplate";
  return kind === "KodeClusterTemplate" ? `${kind}//${ref.name}` : `${kind}/${ref.namespace ?? kode.metadata.namespace}/${ref.name}`;
}

/**
 * The kinds a Kode has children of, in apply order: what the pod mounts and the Service (together: none needs
 * another), then the workload, then its route.
 */
export const kodeChildKinds = (deps: KodeDeps): ChildKinds => [
  { resource: SECRETS, cache: deps.secrets, concurrent: true },
  { resource: PVCS, cache: deps.pvcs, concurrent: true },
  { resource: CONFIGMAPS, cache: deps.configMaps, concurrent: true },
  { resource: NETWORK_POLICIES, cache: deps.networkPolicies, concurrent: true },
  { resource: SERVICES, cache: deps.services, concurrent: true },
  { resource: STATEFULSETS, cache: deps.statefulSets },
  ...(deps.ingresses ? [{ resource: INGRESSES, cache: deps.ingresses }] : []),
  ...(deps.httpRoutes ? [{ resource: HTTPROUTES, cache: deps.httpRoutes }] : []),
  ...(deps.cronJobs ? [{ resource: CRONJOBS, cache: deps.cronJobs }] : []),
  ...(deps.jobs ? [{ resource: JOBS, cache: deps.jobs }] : []),
];

const ownerOf = (kode: Kode): Owner => ({ apiVersion: API_VERSION, kind: "Kode", name: kode.metadata.name, namespace: kode.metadata.namespace, uid: kode.metadata.uid ?? "" });

interface Resolved {
  template?: KodeTemplate;
  problem?: Problem;
}

function resolveTemplate(deps: KodeDeps, kode: Kode): Resolved {
  const ref = kode.spec.templateRef;
  const kind = ref.kind ?? "KodeTemplate";
  const ns = kode.metadata.namespace!;
  if (kind === "KodeClusterTemplate") {
    const template = deps.clusterTemplates.get(undefined, ref.name);
    if (!template && deps.templates.get(ns, ref.name))
      return {
        problem: {
          reason: "TemplateKindMismatch",
          message: `KodeClusterTemplate "${ref.name}" does not exist, but a KodeTemplate ${ns}/${ref.name} does; set spec.templateRef.kind to KodeTemplate`,
        },
      };
    if (!template) return { problem: { reason: "TemplateNotFound", message: `KodeClusterTemplate "${ref.name}" does not exist; create it or point spec.templateRef at an existing template` } };
    return { template };
  }
  if (kind !== "KodeTemplate") return { problem: { reason: "InvalidTemplateKind", message: `spec.templateRef.kind "${kind}" is not KodeTemplate or KodeClusterTemplate` } };
  if (ref.namespace && ref.namespace !== ns)
    return {
      problem: {
        reason: "TemplateNamespaceForbidden",
        message: `KodeTemplate ${ref.namespace}/${ref.name} is in another namespace; a KodeTemplate is usable only from its own namespace (${ns}). Use a KodeClusterTemplate to share a template across namespaces`,
      },
    };
  const template = deps.templates.get(ns, ref.name);
  if (!template && deps.clusterTemplates.get(undefined, ref.name))
    return {
      problem: {
        reason: "TemplateKindMismatch",
        message: `KodeTemplate ${ns}/${ref.name} does not exist, but a KodeClusterTemplate "${ref.name}" does; set spec.templateRef.kind to KodeClusterTemplate`,
      },
    };
  if (!template) return { problem: { reason: "TemplateNotFound", message: `KodeTemplate ${ns}/${ref.name} does not exist; create it or point spec.templateRef at an existing template` } };
  return { template };
}

const decode = (b64: string | undefined) => (b64 === undefined ? undefined : Buffer.from(b64, "base64").toString());

interface Credentials {
  input: RenderInput["credentials"];
  /** What versions the pod's credentials (an HMAC key only Secret readers know, and the material). */
  rollout?: RenderInput["rollout"];
  problem?: Problem;
  /** The credentials themselves, for an Envoy sidecar doing basic auth (never logged or rendered into the pod). */
  plain?: { username: string; password: string };
}

/** Secret data in a fixed key order, so that the same data always gives the same material. */
const canonicalData = (data: Record<string, string>) => JSON.stringify(Object.keys(data).sort().map((k) => [k, data[k]]));

/**
 * The credentials of the pod. Our own Secret <kode>-auth is read only when this Kode controls it: a user's Secret
 * of that name gives no password (the apply step reports it as a conflict). The cache may lag behind our own
 * create, so what is generated on a cache miss is only ever written by a create (createOnly): if the Secret
 * exists after all, the create fails and the reconcile waits for the cache, so a stored password is never replaced.
 */
function resolveCredentials(deps: KodeDeps, kode: Kode): Credentials {
  const ns = kode.metadata.namespace!;
  const existing = kode.spec.existingSecret;
  if (existing) {
    const secret = deps.secrets.get(ns, existing);
    const input = { secretName: existing, passwordKey: SECRET_PASSWORD_KEY, usernameKey: secret?.data?.[SECRET_USERNAME_KEY] ? SECRET_USERNAME_KEY : undefined };
    if (!secret) return { input, problem: { reason: "SecretNotFound", message: `Secret ${ns}/${existing} (spec.existingSecret) does not exist; create it with a "password" key` } };
    if (!secret.data?.[SECRET_PASSWORD_KEY])
      return { input, problem: { reason: "SecretMissingPassword", message: `Secret ${ns}/${existing} (spec.existingSecret) has no "password" key; add one` } };
    const plain = { username: decode(secret.data[SECRET_USERNAME_KEY]) ?? kode.spec.user ?? DEFAULT_USER, password: decode(secret.data[SECRET_PASSWORD_KEY])! };
    // The user's Secret's uid is the key: random, stable across data changes, and known only to its readers.
    return { input, rollout: { key: secret.metadata.uid ?? `${ns}/${existing}`, material: canonicalData(secret.data) }, plain };
  }
  const cached = deps.secrets.get(ns, childNames(kode.metadata.name).secret);
  const ours = cached && isControlledBy(cached, ownerOf(kode)) ? cached : undefined;
  const username = kode.spec.user ?? decode(ours?.data?.[SECRET_USERNAME_KEY]) ?? DEFAULT_USER;
  // Never regenerate: a password or key once generated stays in the Secret we own.
  const password = kode.spec.password ?? decode(ours?.data?.[SECRET_PASSWORD_KEY]) ?? deps.generatePassword();
  const rolloutKey = decode(ours?.data?.[SECRET_ROLLOUT_KEY]) ?? (deps.generateKey ?? (() => randomBytes(32).toString("base64url")))();
  return {
    input: {
      secretName: childNames(kode.metadata.name).secret,
      passwordKey: SECRET_PASSWORD_KEY,
      usernameKey: SECRET_USERNAME_KEY,
      generated: { username, password, rolloutKey },
      ...(!ours && { createOnly: true }),
    },
    rollout: { key: rolloutKey, material: JSON.stringify([username, password]) },
    plain: { username, password },
  };
}

const WRITTEN_STATUS_TTL_MS = 10_000;

/** Write the derived status (replacing the live one) and its transition Events; returns the written Kode. */
async function writeStatus(deps: KodeDeps, kode: Kode, next: KodeStatus): Promise<KubeObject | undefined> {
  next = withBackupStatus(kode, next);
  const written = await replaceStatus(deps.client, KODES, asObject(kode) as KubeObject & { status?: KodeStatus }, next, { fieldManager: FIELD_MANAGER, equal: statusEquals });
  if (!written) return undefined;
  deps.writtenStatus?.set(objectKey(kode), { resourceVersion: written.metadata.resourceVersion ?? "", status: next, at: Date.now() });
  for (const e of transitions(kode.status, next)) deps.events.event(asObject(kode), e.type, e.reason, e.message);
  countLifecycle(deps, kode, next);
  return written;
}

/**
 * status.backup and the BackedUp condition are the backup step's; a pass that did not run it (bad input, a
 * conflict, deletion) keeps what is there, so a snapshot history is never dropped by an unrelated problem.
 */
function withBackupStatus(kode: Kode, next: KodeStatus): KodeStatus {
  if (withBackupStep.has(next)) return next;
  type WithBackup = KodeStatus & { backup?: unknown; archive?: unknown };
  const old = kode.status as WithBackup | undefined;
  const out = { ...next } as WithBackup;
  if (out.backup === undefined && old?.backup !== undefined) out.backup = old.backup;
  const oldArchive = (old as { archive?: unknown } | undefined)?.archive;
  if (out.archive === undefined && oldArchive !== undefined) (out as { archive?: unknown }).archive = oldArchive;
  for (const type of [BACKED_UP_CONDITION, ARCHIVED_CONDITION]) {
    const cond = old?.conditions?.find((c) => c.type === type);
    if (cond && !out.conditions?.some((c) => c.type === type)) out.conditions = [...(out.conditions ?? []), cond];
  }
  return out;
}

/** Statuses the backup step contributed to (what they lack of it is meant). */
const BACKUP_STEP_RAN = Symbol("backup step ran");
const withBackupStep = { has: (s: KodeStatus) => (s as { [BACKUP_STEP_RAN]?: true })[BACKUP_STEP_RAN] === true, add: (s: KodeStatus) => ((s as { [BACKUP_STEP_RAN]?: true })[BACKUP_STEP_RAN] = true) };

/** The backup step's status.backup and BackedUp condition into the derived status. */
function withBackupPart(kode: Kode, next: KodeStatus, backup: BackupStepResult, generation: number, now: string) {
  const out = next as KodeStatus & { backup?: unknown; archive?: unknown };
  if (backup.status) out.backup = backup.status;
  if (backup.condition) next.conditions = [...(next.conditions ?? []).filter((c) => c.type !== BACKED_UP_CONDITION), nextCondition(BACKED_UP_CONDITION, backup.condition, kode.status?.conditions, generation, now)];
  // status.archive is the step's alone: absent means none (a resumed and restored Kode drops it).
  out.archive = backup.archive;
  if (!backup.archive) delete out.archive;
  next.conditions = (next.conditions ?? []).filter((c) => c.type !== ARCHIVED_CONDITION);
  if (backup.archiveCondition) next.conditions.push(nextCondition(ARCHIVED_CONDITION, backup.archiveCondition, kode.status?.conditions, generation, now));
  if (backup.archive?.phase === "Archived" && next.phase === "Paused") next.phase = "Archived";
  withBackupStep.add(next);
}

/** Run the backup step when its caches are there. */
function runBackupStep(deps: KodeDeps, kode: Kode, template: KodeTemplate): Promise<BackupStepResult> | undefined {
  const pods = deps.pods;
  if (!deps.jobs || !deps.cronJobs || !pods?.controlledBy) return undefined;
  return backupStep(
    {
      client: deps.client,
      secrets: deps.secrets,
      jobs: deps.jobs,
      cronJobs: deps.cronJobs,
      pods: pods as ChildCache,
      pvcs: deps.pvcs,
      generatePassword: deps.generateKey ?? (() => randomBytes(32).toString("base64url")),
      now: () => Date.parse(deps.now()),
      ...(deps.archiveRecheckMs !== undefined && { archiveRecheckMs: deps.archiveRecheckMs }),
      ...(deps.volumeSnapshots && { volumeSnapshots: deps.volumeSnapshots }),
      fieldManager: FIELD_MANAGER,
    },
    kode,
    template.spec,
  );
}

/** A pause (by its reason) and a run that became Ready (its start duration), each counted once, when written. */
function countLifecycle(deps: KodeDeps, kode: Kode, next: KodeStatus) {
  const m = deps.lifecycleMetrics;
  if (!m) return;
  if (next.phase === "Paused" && kode.status?.phase !== "Paused") m.pauses.inc({ reason: kode.metadata.annotations?.[ANNOTATION_PAUSE_REASON] ?? "user" });
  const s = next.startup;
  const before = kode.status?.startup;
  if (s?.seconds !== undefined && (before?.startedAt !== s.startedAt || before?.readyAt !== s.readyAt))
    m.startDuration.observe({ type: next.type ?? "", template: next.template?.name ?? "" }, s.seconds);
}

/** The Kode with the status we last wrote, while the cache has not caught up with that write. */
function withWrittenStatus(deps: KodeDeps, key: string, kode: Kode): Kode {
  const memo = deps.writtenStatus?.get(key);
  if (!memo) return kode;
  if (kode.metadata.resourceVersion === memo.resourceVersion || Date.now() - memo.at > WRITTEN_STATUS_TTL_MS) {
    deps.writtenStatus!.delete(key);
    return kode;
  }
  return { ...kode, status: memo.status };
}

async function ensureFinalizer(deps: KodeDeps, kode: Kode): Promise<boolean> {
  const finalizers = kode.metadata.finalizers ?? [];
  if (finalizers.includes(KODE_FINALIZER)) return false;
  // resourceVersion makes this a compare-and-swap: a concurrent finalizer change gets 409 and a retry.
  await deps.client.mergePatch(KODES, kode.metadata.name, { metadata: { finalizers: [...finalizers, KODE_FINALIZER], resourceVersion: kode.metadata.resourceVersion } }, { namespace: kode.metadata.namespace, fieldManager: FIELD_MANAGER });
  return true;
}

const asObject = (kode: Kode) => kode as unknown as KubeObject;
const code = (e: unknown) => (e as { code?: number }).code;

/**
 * Ordered cleanup (the workload first, storage last; kept children released), then the finalizer goes, at the
 * resourceVersion of our own last write so that the compare-and-swap does not fail on our own status write.
 */
async function finalize(deps: KodeDeps, cached: Kode, kode: Kode): Promise<ReconcileResult> {
  if (!cached.metadata.finalizers?.includes(KODE_FINALIZER)) return;
  const ns = kode.metadata.namespace!;
  let resourceVersion = cached.metadata.resourceVersion;
  if (kode.status?.phase !== "Deleting") {
    if (kode.spec.paused && kode.status?.phase !== "Paused")
      deps.events.event(asObject(kode), "Warning", "PauseIgnored", "spec.paused is set on a Kode being deleted: it is not paused, the deletion removes its workload (kept volumes stay)");
    const status = deriveStatus({ kode, generation: kode.metadata.generation ?? 0, problems: [], deleting: true, now: deps.now(), template: kode.status?.template, type: kode.status?.type });
    const written = await writeStatus(deps, kode, status);
    if (written) resourceVersion = written.metadata.resourceVersion;
  }
  for (const r of await removeChildren(deps.client, ownerOf(kode), kodeChildKinds(deps), { fieldManager: FIELD_MANAGER }))
    deps.events.event(asObject(kode), "Normal", "VolumeKept", `${r.resource.kind} ${r.object.metadata.name} is kept and annotated ${RETAINED_FROM_ANNOTATION}=${ns}/${kode.metadata.name}; a new Kode of this name takes it back`);
  const finalizers = (cached.metadata.finalizers ?? []).filter((f) => f !== KODE_FINALIZER);
  try {
    await deps.client.mergePatch(KODES, kode.metadata.name, { metadata: { finalizers: finalizers.length ? finalizers : null, resourceVersion } }, { namespace: ns, fieldManager: FIELD_MANAGER });
  } catch (e) {
    if (code(e) === 404) return;
    // Changed since (another finalizer went, a label was set): the change's own event brings the Kode back soon.
    if (code(e) === 409) return { requeueAfterMs: CACHE_WAIT_MS };
    throw e;
  }
}

/** The caches a Kode reconcile reads, by name (what the read recorder wraps). */
const cachesOf = (deps: KodeDeps) => ({
  kodes: deps.kodes,
  templates: deps.templates,
  clusterTemplates: deps.clusterTemplates,
  secrets: deps.secrets,
  statefulSets: deps.statefulSets,
  services: deps.services,
  pvcs: deps.pvcs,
  envoyConfigs: deps.envoyConfigs,
  envoyClusterConfigs: deps.envoyClusterConfigs,
  configMaps: deps.configMaps,
  networkPolicies: deps.networkPolicies,
  ...(deps.pods && { pods: deps.pods }),
  ...(deps.jobs && { jobs: deps.jobs }),
  ...(deps.cronJobs && { cronJobs: deps.cronJobs }),
  ...(deps.ingresses && { ingresses: deps.ingresses }),
  ...(deps.httpRoutes && { httpRoutes: deps.httpRoutes }),
  ...(deps.routeClaims && { routeClaims: deps.routeClaims }),
  ...(deps.oidc && { oidc: deps.oidc }),
  ...(deps.namespaces && { namespaces: deps.namespaces }),
  ...(deps.volumeSnapshots && { volumeSnapshots: deps.volumeSnapshots }),
  ...(deps.jobs && { jobs: deps.jobs }),
  ...(deps.activity && { activity: deps.activity }),
});

export async function reconcileKode(deps: KodeDeps, key: string): Promise<ReconcileResult> {
  const [ns, name] = splitKey(key);
  const settled = deps.settled?.get(key);
  if (settled && readsUnchanged(settled, cachesOf(deps) as never)) return;
  deps.settled?.delete(key);
  const recorder = new ReadRecorder(cachesOf(deps) as never);
  const scoped: KodeDeps = { ...deps, ...(recorder.caches as ReturnType<typeof cachesOf>) };
  const cached = scoped.kodes.get(ns, name);
  if (!cached) {
    deps.activityTargets?.remove(key);
    deps.writtenStatus?.delete(key);
    deps.securityAlerts?.delete(key);
    forgetDevcontainer(deps, key);
    forgetPostStart(deps, key);
    return;
  }
  const kode = withWrittenStatus(deps, key, cached);
  if (kode.metadata.deletionTimestamp) {
    deps.activityTargets?.remove(key);
    return finalize(deps, cached, kode);
  }
  const pass = await reconcileInputs(scoped, kode);
  if (pass.poll) deps.activityTargets?.upsert(pass.poll);
  else deps.activityTargets?.remove(key);
  if (!pass.wrote && pass.requeueAfterMs === undefined) deps.settled?.set(key, recorder.recorded());
  return pass.requeueAfterMs === undefined ? undefined : { requeueAfterMs: pass.requeueAfterMs };
}

/** A namespace labelled with an owner admits only that owner's Kodes. */
function namespaceProblems(deps: KodeDeps, kode: Kode): Problem[] {
  if (!deps.namespaces) return [];
  const p = ownerProblem(kode, deps.namespaces.get(undefined, kode.metadata.namespace ?? ""));
  return p ? [p] : [];
}

/** One pass over a live Kode: whether it wrote anything, and when to look again if it must. */
async function reconcileInputs(deps: KodeDeps, kode: Kode): Promise<{ wrote: boolean; requeueAfterMs?: number; poll?: ActivityTarget }> {
  const ns = kode.metadata.namespace;
  const name = kode.metadata.name;
  const owner = ownerOf(kode);
  let wrote = await ensureFinalizer(deps, kode);

  const generation = kode.metadata.generation ?? 1;
  const resolved = resolveTemplate(deps, kode);
  const templateRef = resolved.template && {
    kind: resolved.template.kind,
    name: resolved.template.metadata.name,
    ...(resolved.template.metadata.namespace && { namespace: resolved.template.metadata.namespace }),
  };
  const names = childNames(name);
  // Only our own StatefulSet says anything about this Kode's state.
  const observedSts = () => {
    const sts = deps.statefulSets.get(ns, names.statefulSet);
    return sts && isControlledBy(sts, owner) ? (sts as ObservedStatefulSet) : undefined;
  };
  const now = deps.now();
  // A refused lifecycle value is reported (LifecycleValid=False, a Warning Event) and the template's applies.
  const lifecycleProblems = resolvePolicy(resolved.template?.spec.lifecycle, kode.spec.lifecycle, kode.metadata.annotations, Date.parse(now)).problems;
  // Before the poller's first round (an operator restart) the stored verdict stands: no write to drop it.
  const activity = deps.activity ? (deps.activity.get(ns, name)?.activity ?? kode.status?.activity) : undefined;
  // A Falco alert the webhook took: written with this status, and isolating in this render when that is the response.
  const securityAlert = pendingSecurityAlert(deps.securityAlerts, objectKey(kode), kode);
  const base = {
    kode,
    ...(securityAlert && { securityAlert }),
    generation,
    deleting: false,
    now,
    template: templateRef,
    type: resolved.template?.spec.type,
    ...(lifecycleProblems.length && { lifecycleProblems }),
    ...(activity && { activity }),
  };
  // Restore and VolumeSnapshot status: carried over unless this pass gets as far as computing them.
  let extras: BackupExtras = previousExtras(kode);
  const status = async (next: KodeStatus) => !!(await writeStatus(deps, kode, withBackupExtras(next, kode, extras, base.now))) || wrote;

  if (!resolved.template) return { wrote: await status(deriveStatus({ ...base, problems: [], templateProblem: resolved.problem, statefulSet: observedSts() })) };
  const template = resolved.template;
  const credentials = resolveCredentials(deps, kode);
  const envoy = credentials.problem ? {} : resolveEnvoy(deps, kode, template, credentials.plain);
  // Waiting for the issuer's discovery is not bad input: nothing is written, its result re-queues the Kode.
  if (envoy.pending) return { wrote, requeueAfterMs: CONFLICT_RETRY_MS };
  const access = resolveKodeAccess(kode, template.spec, { envoy: !!envoy.input, claims: deps.routeClaims, available: { ingress: !!deps.ingresses, gateway: !!deps.httpRoutes } });
  const problems = [
    ...validateKodeInput(kode, template.spec),
    ...(credentials.problem ? [credentials.problem] : []),
    ...(envoy.problem ? [envoy.problem] : []),
    ...(access.problem ? [access.problem] : []),
    ...namespaceProblems(deps, kode),
  ];
  // Bad input: report it and leave whatever runs untouched until the input is fixed. A broken proxy config
  // never falls back to a Kode without auth: nothing is rendered until it is fixed.
  const fail = async (list: Problem[]) => ({ wrote: await status(deriveStatus({ ...base, problems: list, statefulSet: observedSts() })) });
  if (problems.length) return fail(problems);

  // devcontainers: the devcontainer.json from a ConfigMap or git (I/O here, never in render).
  const dc = await resolveDevcontainer({ ...deps, configMaps: deps.configMaps as never }, kode, template.spec);
  const dcBase = { ...base, devcontainer: dc.status };
  if (dc.problems.length) return { wrote: await status(deriveStatus({ ...dcBase, problems: dc.problems, statefulSet: observedSts() })), requeueAfterMs: dc.requeueAfterMs };
  for (const w of newDevcontainerWarnings(deps, objectKey(kode), kode, dc)) deps.events.event(asObject(kode), "Warning", "Devcontainer", w);

  // spec.restore: the init container when its source resolves; otherwise a reason, and the IDE starts without it.
  const backup = templateBackupOf(template.spec);
  // A resumed archived Kode: its new volume gets the verified snapshot first (before any spec.restore).
  const archiveRestore = archiveRestoreOf(kode);
  const restoreSource = resolveRestoreSource(kode, backup, { kodes: deps.kodes, secrets: deps.secrets }, archiveRestore);
  // spec.storage.fromSnapshot: the PVC's dataSource when it is created (a missing snapshot is bad input).
  const storage = resolveSettings(kode, template.spec).storage;
  const ownPvc = !storage?.existingVolumeClaim && storage?.resources?.requests?.storage ? names.pvc : undefined;
  const source = homeDataSource(kode, ownPvc, deps.pvcs, deps.volumeSnapshots);
  if (source.problem) return fail([source.problem]);
  // Paused: no pod runs the init container, so a Job restores into the home PVC (until its result is in status).
  const homePvc = storage?.existingVolumeClaim ?? ownPvc;
  const restoreRequest = archiveRestore ?? (restoreOf(kode) && { restore: restoreOf(kode)!, id: restoreRequestId(restoreOf(kode)!) });
  const restoreJobClaim = kode.spec.paused && deps.jobs && restoreSource.source && homePvc && !restoreRan(kode, restoreRequest) ? homePvc : undefined;

  let rendered: ReturnType<typeof renderKode>;
  try {
    rendered = renderKode({
      kode: securityAlert ? withSecurityAlert(kode, securityAlert) : kode,
      template: { kind: template.kind, name: template.metadata.name, namespace: template.metadata.namespace, spec: template.spec },
      credentials: credentials.input,
      rollout: credentials.rollout,
      envoy: envoy.input,
      devcontainer: dc.input,
      access: access.access,
      ...(restoreSource.source && backup && restoreRequest && { restore: { restore: restoreRequest.restore, requestId: restoreRequest.id, backup, source: restoreSource.source, ...(restoreJobClaim && { jobClaim: restoreJobClaim }) } }),
      ...(source.dataSource && { homeDataSource: source.dataSource }),
    });
  } catch (e) {
    if (e instanceof EnvoyRenderError) return fail(e.problems);
    throw e;
  }

  const backupPass = await runBackupStep(deps, kode, template);
  wrote ||= !!backupPass?.wrote;
  if (backupPass?.waitForCacheMs !== undefined) return { wrote, requeueAfterMs: backupPass.waitForCacheMs };
  // An archived Kode's claim is deleted by the archive step (after its verification) and not rendered again
  // until the Kode resumes.
  const ownChildren = backupPass?.volumeGone ? rendered.children.filter((c) => !(c.resource === PVCS && c.object.metadata.name === names.pvc)) : rendered.children;
  const desired = [...ownChildren, ...(backupPass?.children ?? [])];
  const applied = await applyChildren(deps.client, owner, desired, kodeChildKinds(deps), { fieldManager: FIELD_MANAGER });
  wrote ||= applied.wrote;
  if (applied.outcome === "waiting") {
    deps.log?.debug?.("waiting for the cache", { kode: objectKey(kode), reason: applied.reason });
    return { wrote, requeueAfterMs: CACHE_WAIT_MS };
  }
  if (applied.outcome === "conflict") {
    const problem = { reason: "ChildConflict", message: applied.conflict.message };
    return { wrote: await status(deriveStatus({ ...base, problems: [problem], statefulSet: observedSts() })), requeueAfterMs: deps.conflictRetryMs ?? CONFLICT_RETRY_MS };
  }
  const stsIndex = desired.findIndex((c) => c.resource === STATEFULSETS);
  const sts = applied.results[stsIndex];
  if (sts.action === "created") for (const w of rendered.warnings) deps.events.event(asObject(kode), "Warning", "Configuration", w);

  const pod = deps.pods?.get(ns, names.pod) as (KubeObject & ObservedPod) | undefined;
  const podOurs = pod && pod.metadata.labels?.["kode.jacero.io/name"] === name && pod.metadata.ownerReferences?.some((o) => o.kind === "StatefulSet" && o.uid === (sts.object as KubeObject).metadata.uid);

  const restoreJob = restoreJobClaim ? applied.results[rendered.children.findIndex((c) => c.resource === JOBS)]?.object : undefined;
  const jobPods = restoreJob?.metadata.uid ? ((deps.pods as ChildCache | undefined)?.controlledBy?.(restoreJob.metadata.uid) ?? []) : [];
  const restored = restoreOutcome(kode, { ...restoreSource, ...(archiveRestore && { request: archiveRestore }), pods: [...(podOurs ? [pod as RestorePod] : []), ...(jobPods as RestorePod[])] });
  if (restored.event) deps.events.event(asObject(kode), restored.event.type, restored.event.reason, restored.event.message);
  const homeClaim = homePvc;
  const snaps = await reconcileVolumeSnapshots({
    client: deps.client,
    kode,
    type: template.spec.type,
    pvcName: homeClaim,
    pvcExists: !!homeClaim && (!!storage?.existingVolumeClaim || !!deps.pvcs.get(ns, homeClaim)),
    settings: volumeSnapshotsOf(template.spec),
    snapshots: deps.volumeSnapshots,
    fieldManager: FIELD_MANAGER,
  });
  wrote ||= snaps.wrote;
  for (const n of snaps.created) deps.events.event(asObject(kode), "Normal", "VolumeSnapshotTaken", `VolumeSnapshot ${n} of the home volume ${homeClaim} was requested`);
  for (const n of snaps.deleted) deps.events.event(asObject(kode), "Normal", "VolumeSnapshotRemoved", `VolumeSnapshot ${n} was removed: the Kode keeps at most ${volumeSnapshotsOf(template.spec)?.keep ?? 3}`);
  const snapProblems: SnapshotProblem[] = [...(source.warning ? [{ reason: "FromSnapshotIgnored", message: source.warning }] : []), ...snaps.problems];
  const snapCondition = volumeSnapshotsCondition(snapProblems, snaps.status);
  const oldSnapCondition = extras.volumeSnapshotsCondition;
  if (snapCondition?.status === "False" && (oldSnapCondition?.message !== snapCondition.message || oldSnapCondition.status !== "False"))
    deps.events.event(asObject(kode), "Warning", snapCondition.reason, snapCondition.message);
  extras = { restore: restored.status, restoreCondition: restored.condition, volumeSnapshots: snaps.status, volumeSnapshotsCondition: snapCondition };
  // A route held by an older Kode: everything else runs, the Kode reports the conflict and has no route.
  const conflict = access.access?.conflict;
  const environment = podOurs ? await environmentOfPod(deps, objectKey(kode), pod, { kode, template: template.spec, devcontainer: dc.input, secrets: credentials.plain ? [credentials.plain.password] : [] }) : {};
  const next = deriveStatus({
    ...dcBase,
    ...(environment.postStartExitCode !== undefined && dc.status && { devcontainer: { ...dc.status, postStartExitCode: environment.postStartExitCode } }),
    ...(environment.problems && { environmentProblems: environment.problems, environmentNotes: environment.notes }),
    ...(podOurs && { startup: startupTimings(pod as Parameters<typeof startupTimings>[0]) }),
    problems: conflict ? [conflict] : [],
    statefulSet: sts.object as ObservedStatefulSet,
    serviceUrl: serviceUrl(name, ns!),
    ...(access.access && !conflict && { routeUrl: access.access.route.url }),
    credentialsSecret: credentials.input.generated ? names.secret : credentials.input.secretName,
  });
  const ide = ideTypeSpec(template.spec.type);
  // Only a Kode whose pod runs is polled (a paused, resuming or starting one is not).
  const poll =
    ide && podOurs && (next.phase === "Running" || next.phase === "Updating")
      ? activityTarget({
          namespace: ns!,
          name,
          pod: names.pod,
          spec: ide,
          port: resolveSettings(kode, template.spec).port,
          behindEnvoy: !!envoy.input,
          // Through the sidecar only when it authenticates: with authType none the IDE keeps its own auth (a token the
          // poller cannot send), and those reads would only fail.
          ...(envoy.input && ["basic", "oauth2"].includes(envoy.input.config.spec.authType ?? "none") && ide.activityReading?.sidecarPaths?.length && { nativeViaSidecar: HEALTH_IDE_ACTIVITY_PREFIX }),
        })
      : undefined;
  if (backupPass) withBackupPart(kode, next, backupPass, generation, deps.now());
  const statusWrote = await status(next);
  if (backupPass) for (const e of backupPass.events) deps.events.event(asObject(kode), e.type, e.reason, e.message);
  if (backupPass) for (const r of backupPass.recorded) deps.backupObserved?.(kode, r);
  const requeueAfterMs = [dc.requeueAfterMs, environment.requeueAfterMs, snaps.waiting ? CACHE_WAIT_MS : undefined, backupPass?.requeueAfterMs].filter((x): x is number => x !== undefined);
  return { wrote: statusWrote, ...(requeueAfterMs.length && { requeueAfterMs: Math.min(...requeueAfterMs) }), ...(poll && { poll }) };
}
