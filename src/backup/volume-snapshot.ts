// VolumeSnapshots (snapshot.storage.k8s.io/v1) of a Kode's home PVC: taken on demand (annotation
// kode.jacero.io/snapshot-now=<new value>) or before an archive (takeVolumeSnapshot), owned by the Kode, at most
// `keep` per Kode (the oldest the Kode controls removed first), listed in status.volumeSnapshots; and the home
// PVC's dataSource when spec.storage.fromSnapshot names one. The kind exists only where the snapshot
// controller's CRDs are installed: without them every request gets a clear reason, never a crash.
import { createHash } from "node:crypto";
import type * as v from "valibot";
import type { VolumeSnapshotsStatusSchema } from "../api/backup.ts";
import type { ConditionSpec } from "../api/conditions.ts";
import { API_VERSION, type Kode } from "../api/types.ts";
import type { Cache, ChildCache } from "../kube/cache.ts";
import { isControlledBy } from "../kube/children.ts";
import type { KubeClient, KubeObject, ResourceRef } from "../kube/types.ts";
import { DEFAULT_VOLUME_SNAPSHOTS_KEPT, SNAPSHOT_NOW_ANNOTATION } from "./config.ts";

export const SNAPSHOT_GROUP = "snapshot.storage.k8s.io";
export const VOLUME_SNAPSHOTS: ResourceRef = { group: SNAPSHOT_GROUP, version: "v1", plural: "volumesnapshots", kind: "VolumeSnapshot", namespaced: true };
export const VOLUME_SNAPSHOT_CLASSES: ResourceRef = { group: SNAPSHOT_GROUP, version: "v1", plural: "volumesnapshotclasses", kind: "VolumeSnapshotClass", namespaced: false };
/** On each snapshot: why it was taken (on-demand, before-archive) and which request (a digest of the annotation value). */
export const SNAPSHOT_REASON_ANNOTATION = "kode.jacero.io/snapshot-reason";
export const SNAPSHOT_REQUEST_ANNOTATION = "kode.jacero.io/snapshot-request";
export const VOLUME_SNAPSHOTS_CONDITION = "VolumeSnapshots";

export type VolumeSnapshotsStatus = v.InferOutput<typeof VolumeSnapshotsStatusSchema>;
export type VolumeSnapshot = KubeObject & {
  spec?: { volumeSnapshotClassName?: string; source?: { persistentVolumeClaimName?: string; volumeSnapshotContentName?: string } };
  status?: { readyToUse?: boolean; creationTime?: string; restoreSize?: string; error?: { message?: string; time?: string } };
};
type TemplateSnapshots = { className?: string; keep?: number };

export const volumeSnapshotsOf = (templateSpec: object): TemplateSnapshots | undefined => (templateSpec as { volumeSnapshots?: TemplateSnapshots }).volumeSnapshots;
const fromSnapshotOf = (kode: Kode): string | undefined => (kode.spec.storage as { fromSnapshot?: string } | undefined)?.fromSnapshot;
const digest = (s: string, n: number) => createHash("sha256").update(s).digest("hex").slice(0, n);

/** Which snapshot-now value a request is about (never the value itself in status: it is the user's text). */
export const snapshotRequestId = (value: string) => digest(value, 16);
/** `<kode>-<10 hex of the request>` (at most 63 characters). */
export const snapshotName = (kode: string, request: string) => `${kode.slice(0, 52)}-${request.slice(0, 10)}`;

const UNAVAILABLE = "the cluster has no snapshot.storage.k8s.io/v1 VolumeSnapshot kind: install the snapshot controller's CRDs (and a CSI driver that snapshots), then restart the operator";

export interface SnapshotInput {
  kode: Kode;
  /** The IDE type (for the standard labels). */
  type: string;
  pvcName: string;
  className?: string;
  reason: "on-demand" | "before-archive";
  name: string;
  request?: string;
}

/** The VolumeSnapshot object: the Kode's home PVC, the template's class, owned (controller) and labelled. */
export function renderVolumeSnapshot(input: SnapshotInput): VolumeSnapshot {
  const k = input.kode.metadata;
  return {
    apiVersion: `${SNAPSHOT_GROUP}/v1`,
    kind: "VolumeSnapshot",
    metadata: {
      name: input.name,
      namespace: k.namespace,
      labels: {
        "app.kubernetes.io/name": input.type,
        "app.kubernetes.io/instance": k.name,
        "app.kubernetes.io/managed-by": "kode-operator",
        "app.kubernetes.io/component": "snapshot",
        "kode.jacero.io/name": k.name,
      },
      annotations: { [SNAPSHOT_REASON_ANNOTATION]: input.reason, ...(input.request && { [SNAPSHOT_REQUEST_ANNOTATION]: input.request }) },
      ...(k.uid && { ownerReferences: [{ apiVersion: API_VERSION, kind: "Kode", name: k.name, uid: k.uid, controller: true, blockOwnerDeletion: true }] }),
    },
    spec: { ...(input.className && { volumeSnapshotClassName: input.className }), source: { persistentVolumeClaimName: input.pvcName } },
  };
}

/** The archive's snapshot of a pause (`now`: when it began): one name per pause, so a retried pass finds it. */
export const archiveSnapshotName = (kode: Kode, now: string) => `${kode.metadata.name.slice(0, 44)}-archive-${digest(now, 10)}`;

/**
 * For the archive flow: a VolumeSnapshot of the home PVC now (name `<kode>-archive-<digest of the time>`),
 * returned as created. Readiness is in status.readyToUse (volumeSnapshotState); the caller waits for it.
 * Throws the API error (404: the kind is not installed).
 */
export async function takeVolumeSnapshot(client: KubeClient, input: Omit<SnapshotInput, "name" | "reason" | "request"> & { now: string; fieldManager?: string }): Promise<VolumeSnapshot> {
  const name = archiveSnapshotName(input.kode, input.now);
  return client.create(VOLUME_SNAPSHOTS, renderVolumeSnapshot({ ...input, name, reason: "before-archive" }), { fieldManager: input.fieldManager ?? "kode-operator" });
}

/** ready, failed (with the snapshotter's message) or pending. */
export function volumeSnapshotState(s: VolumeSnapshot | undefined): { state: "ready" | "failed" | "pending"; message?: string } {
  if (s?.status?.readyToUse === true) return { state: "ready" };
  if (s?.status?.error?.message) return { state: "failed", message: s.status.error.message };
  return { state: "pending" };
}

/**
 * The home PVC's dataSource. When the PVC exists: whatever it has (immutable; spec.storage.fromSnapshot is then
 * ignored, with a warning when it names something else). When it is still to be created: the VolumeSnapshot
 * spec.storage.fromSnapshot names, which must exist (a PVC from a missing snapshot would stay Pending forever).
 */
export function homeDataSource(
  kode: Kode,
  pvcName: string | undefined,
  pvcs: Cache<KubeObject>,
  snapshots: Cache<KubeObject> | undefined,
): { dataSource?: { apiGroup?: string; kind: string; name: string }; problem?: { reason: string; message: string }; warning?: string } {
  const from = fromSnapshotOf(kode);
  const ns = kode.metadata.namespace;
  if (!pvcName) return from ? { warning: `spec.storage.fromSnapshot ${from} is ignored: the Kode has no PVC of its own (no storage size, or an existingVolumeClaim)` } : {};
  const live = pvcs.get(ns, pvcName) as (KubeObject & { spec?: { dataSource?: { apiGroup?: string; kind: string; name: string } } }) | undefined;
  if (live) {
    const ds = live.spec?.dataSource;
    const warning = from && !(ds?.kind === "VolumeSnapshot" && ds.name === from) ? `spec.storage.fromSnapshot ${from} is ignored: the PVC ${pvcName} exists already (a volume's data source is set only when it is created)` : undefined;
    return { ...(ds && { dataSource: { ...ds } }), ...(warning && { warning }) };
  }
  if (!from) return {};
  if (!snapshots) return { problem: { reason: "VolumeSnapshotsUnavailable", message: `spec.storage.fromSnapshot: ${UNAVAILABLE}` } };
  if (!snapshots.get(ns, from))
    return { problem: { reason: "VolumeSnapshotNotFound", message: `spec.storage.fromSnapshot: there is no VolumeSnapshot ${ns}/${from}; name an existing one (kubectl get volumesnapshots -n ${ns}) or remove the field` } };
  return { dataSource: { apiGroup: SNAPSHOT_GROUP, kind: "VolumeSnapshot", name: from } };
}

export interface SnapshotStepInput {
  client: KubeClient;
  kode: Kode;
  type: string;
  /** The home PVC (ours or the existingVolumeClaim); undefined: home is an emptyDir. */
  pvcName?: string;
  /** Whether that PVC is in the cache yet. */
  pvcExists: boolean;
  settings?: TemplateSnapshots;
  /** Absent: the kind is not installed. */
  snapshots?: ChildCache<KubeObject>;
  fieldManager: string;
}

export type SnapshotProblem = { reason: string; message: string };

export interface SnapshotStepResult {
  wrote: boolean;
  status?: VolumeSnapshotsStatus;
  /** Problems of this pass (the condition's message; a Warning Event when it changes). */
  problems: SnapshotProblem[];
  /** Names of the snapshots created and deleted (for Events). */
  created: string[];
  deleted: string[];
  /** The cache does not show our own snapshot yet, or the PVC is being created: look again shortly. */
  waiting?: boolean;
}

const oldSnapshotsOf = (kode: Kode): VolumeSnapshotsStatus | undefined => (kode.status as { volumeSnapshots?: VolumeSnapshotsStatus } | undefined)?.volumeSnapshots;
const byAge = (a: VolumeSnapshot, b: VolumeSnapshot) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") || a.metadata.name.localeCompare(b.metadata.name);

/** One pass: take the requested snapshot, keep at most `keep`, report them. Nothing is written when nothing is asked. */
export async function reconcileVolumeSnapshots(input: SnapshotStepInput): Promise<SnapshotStepResult> {
  const { kode, client } = input;
  const ns = kode.metadata.namespace;
  const old = oldSnapshotsOf(kode);
  const value = kode.metadata.annotations?.[SNAPSHOT_NOW_ANNOTATION];
  const request = value ? snapshotRequestId(value) : undefined;
  const out: SnapshotStepResult = { wrote: false, problems: [], created: [], deleted: [] };
  let lastRequest = old?.lastRequest;
  const pending = request !== undefined && request !== old?.lastRequest;
  if (!input.snapshots) {
    if (pending) out.problems.push({ reason: "VolumeSnapshotsUnavailable", message: `${SNAPSHOT_NOW_ANNOTATION}: ${UNAVAILABLE}` });
    if (pending || old) out.status = { ...(lastRequest && { lastRequest }), items: old?.items ?? [], ...(out.problems.length && { error: out.problems.map((p) => p.message).join("; ") }) };
    return out;
  }
  const owner = { uid: kode.metadata.uid ?? "" };
  let ours = input.snapshots.controlledBy(owner.uid) as VolumeSnapshot[];
  if (pending) {
    if (!input.pvcName) out.problems.push({ reason: "NoVolumeToSnapshot", message: `${SNAPSHOT_NOW_ANNOTATION}: home is not a PVC (the storage has no size), so there is no volume to snapshot` });
    else if (!input.pvcExists) out.waiting = true;
    else {
      const name = snapshotName(kode.metadata.name, request);
      const existing = input.snapshots.get(ns, name) as VolumeSnapshot | undefined;
      if (existing && !isControlledBy(existing, owner)) out.problems.push({ reason: "SnapshotConflict", message: `${SNAPSHOT_NOW_ANNOTATION}: VolumeSnapshot ${ns}/${name} exists and is not this Kode's; it is left alone (set another value to take a snapshot under another name)` });
      else if (existing) lastRequest = request;
      else {
        try {
          const created = (await client.create(VOLUME_SNAPSHOTS, renderVolumeSnapshot({ kode, type: input.type, pvcName: input.pvcName, className: input.settings?.className, reason: "on-demand", name, request }), { fieldManager: input.fieldManager })) as VolumeSnapshot;
          out.wrote = true;
          out.created.push(name);
          ours = [...ours.filter((s) => s.metadata.name !== name), created];
          lastRequest = request;
        } catch (e) {
          const code = (e as { code?: number }).code;
          if (code === 409) out.waiting = true;
          else if (code === 404) out.problems.push({ reason: "VolumeSnapshotsUnavailable", message: `${SNAPSHOT_NOW_ANNOTATION}: ${UNAVAILABLE}` });
          else if (code === 422 || code === 403) out.problems.push({ reason: "VolumeSnapshotFailed", message: `${SNAPSHOT_NOW_ANNOTATION}: the VolumeSnapshot was refused: ${(e as Error).message}` });
          else throw e;
        }
      }
    }
  }
  // At most `keep`: the oldest this Kode controls go first; the newest always stays.
  const keep = input.settings?.keep ?? DEFAULT_VOLUME_SNAPSHOTS_KEPT;
  const sorted = [...ours].filter((s) => !s.metadata.deletionTimestamp).sort(byAge);
  const excess = sorted.slice(0, Math.max(0, sorted.length - keep));
  for (const s of excess) {
    await client.delete(VOLUME_SNAPSHOTS, s.metadata.name, { namespace: ns, preconditions: { uid: s.metadata.uid } });
    out.wrote = true;
    out.deleted.push(s.metadata.name);
  }
  const kept = sorted.slice(excess.length).reverse();
  if (!kept.length && !old && !lastRequest && !out.problems.length) return out;
  out.status = {
    ...(lastRequest && { lastRequest }),
    items: kept.map((s) => ({
      name: s.metadata.name,
      readyToUse: s.status?.readyToUse === true,
      ...((s.status?.creationTime ?? s.metadata.creationTimestamp) && { creationTime: s.status?.creationTime ?? s.metadata.creationTimestamp }),
      ...(s.status?.restoreSize && { restoreSize: s.status.restoreSize }),
      ...(s.status?.error?.message && { error: s.status.error.message }),
    })),
    ...(out.problems.length && { error: out.problems.map((p) => p.message).join("; ") }),
  };
  return out;
}

/** The VolumeSnapshots condition (only when something about snapshots is to be said). */
export function volumeSnapshotsCondition(problems: SnapshotProblem[], status: VolumeSnapshotsStatus | undefined): ConditionSpec | undefined {
  if (problems.length) return { status: "False", reason: problems[0].reason, message: problems.map((p) => p.message).join("; ") };
  if (!status?.items.length) return undefined;
  const newest = status.items[0];
  if (newest.error) return { status: "False", reason: "VolumeSnapshotFailed", message: `VolumeSnapshot ${newest.name}: ${newest.error}` };
  return newest.readyToUse
    ? { status: "True", reason: "Ready", message: `VolumeSnapshot ${newest.name} is ready to use (${status.items.length} kept)` }
    : { status: "Unknown", reason: "SnapshotPending", message: `VolumeSnapshot ${newest.name} is not ready to use yet` };
}
