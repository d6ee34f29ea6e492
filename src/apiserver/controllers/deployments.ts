// Simulated deployment and replicaset controllers: a Deployment owns one ReplicaSet per pod template
// (`<deployment>-<pod-template-hash>`, revision annotations for `kubectl rollout history|undo`), the
// newest is scaled to spec.replicas and older ones to 0; a ReplicaSet owns its Pods (`<rs>-<random>`).
// Everything is written directly to the store, as kube-controller-manager would through the API.
import { sameJson } from "../sorted-keys.ts";
import { timestamp } from "../state.ts";
import type { Store } from "../store.ts";
import type { KObject, OwnerReference } from "../types.ts";
import { generatedName, runningPod, templateHash } from "./running-pod.ts";

export const DEPLOYMENTS = "apps/deployments";
export const REPLICASETS = "apps/replicasets";
const PODS = "/pods";
const HASH_LABEL = "pod-template-hash";
const REVISION = "deployment.kubernetes.io/revision";
const DESIRED = "deployment.kubernetes.io/desired-replicas";
const MAX = "deployment.kubernetes.io/max-replicas";
/** Deployment annotations the controller does not copy onto its ReplicaSets. */
const NOT_COPIED = new Set(["kubectl.kubernetes.io/last-applied-configuration", REVISION, "deployment.kubernetes.io/revision-history", DESIRED, MAX]);

const spec = (o: KObject) => (o.spec ?? {}) as any;
const status = (o: KObject) => (o.status ?? {}) as any;
const same = sameJson;

export function controllerOf(o: KObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

export function ownerRef(o: KObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: o.metadata.name!, uid: o.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

export function ownedBy<T extends KObject>(objects: T[], owner: KObject): T[] {
  return objects.filter((o) => controllerOf(o)?.uid === owner.metadata.uid && !o.metadata.deletionTimestamp);
}

const revisionOf = (rs: KObject) => Number(rs.metadata.annotations?.[REVISION] ?? 0) || 0;

/** Nulls dropped: Go decodes `creationTimestamp: null` and an absent field to the same zero value. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (!v || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
  return out;
}

/** The template without the hash label, to compare a ReplicaSet's template with its Deployment's. */
function withoutHash(template: any): any {
  const labels = { ...template?.metadata?.labels };
  delete labels[HASH_LABEL];
  return withoutNulls({ ...template, metadata: { ...template?.metadata, labels } });
}

/** Percentages of replicas: maxSurge rounds up, maxUnavailable down (intstr.GetScaledValueFromIntOrPercent). */
function scaled(value: unknown, replicas: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  const m = /^(\d+)%$/.exec(String(value ?? ""));
  if (!m) return 0;
  const v = (Number(m[1]) * replicas) / 100;
  return roundUp ? Math.ceil(v) : Math.floor(v);
}

function rollingBounds(dep: KObject, replicas: number) {
  const strategy = spec(dep).strategy ?? {};
  if (strategy.type === "Recreate") return { maxSurge: 0, maxUnavailable: replicas };
  const rolling = strategy.rollingUpdate ?? {};
  const maxSurge = scaled(rolling.maxSurge ?? "25%", replicas, true);
  let maxUnavailable = scaled(rolling.maxUnavailable ?? "25%", replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

function put(store: Store, resource: string, obj: KObject, old: KObject | undefined): KObject {
  if (old && same(obj, old)) return old;
  return store.put(resource, obj, old);
}

export class DeploymentController {
  constructor(
    private store: Store,
    private now: () => number,
  ) {}

  reconcileDeployment(dep: KObject) {
    const ns = dep.metadata.namespace;
    const replicas: number = spec(dep).replicas ?? 1;
    const template = spec(dep).template ?? {};
    let owned = ownedBy(this.store.list(REPLICASETS, ns), dep);
    const maxRevision = Math.max(0, ...owned.map(revisionOf));
    let newRs = owned.find((rs) => same(withoutHash(spec(rs).template), withoutHash(template)));
    const { maxSurge, maxUnavailable } = rollingBounds(dep, replicas);
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(dep.metadata.annotations ?? {})) if (!NOT_COPIED.has(k)) annotations[k] = v;

    if (!newRs && !spec(dep).paused) newRs = this.createReplicaSet(dep, template, replicas, maxRevision + 1, annotations, maxSurge);
    else if (newRs && !spec(dep).paused) {
      // A template that returns to an older ReplicaSet (rollout undo) makes it the newest revision again.
      const revision = revisionOf(newRs) === maxRevision ? maxRevision : maxRevision + 1;
      const meta = { ...newRs.metadata, annotations: { ...newRs.metadata.annotations, ...annotations, [REVISION]: String(revision), [DESIRED]: String(replicas), [MAX]: String(replicas + maxSurge) } };
      const next = { ...newRs, metadata: meta, spec: { ...spec(newRs), replicas } };
      newRs = this.writeReplicaSet(next, newRs);
    }
    for (const rs of owned) {
      if (rs.metadata.uid === newRs?.metadata.uid || spec(rs).replicas === 0 || spec(dep).paused) continue;
      this.writeReplicaSet({ ...rs, spec: { ...spec(rs), replicas: 0 } }, rs);
    }
    owned = ownedBy(this.store.list(REPLICASETS, ns), dep);
    for (const rs of owned) this.reconcileReplicaSet(rs);
    this.pruneHistory(dep);
    owned = ownedBy(this.store.list(REPLICASETS, ns), dep);
    newRs = newRs && owned.find((rs) => rs.metadata.uid === newRs!.metadata.uid);
    this.writeDeploymentStatus(dep, owned, newRs, replicas, maxUnavailable);
  }

  private createReplicaSet(dep: KObject, template: any, replicas: number, revision: number, annotations: Record<string, string>, maxSurge: number): KObject {
    const ns = dep.metadata.namespace;
    let collisionCount: number = status(dep).collisionCount ?? 0;
    let hash = templateHash(template, collisionCount);
    while (this.store.get(REPLICASETS, ns, `${dep.metadata.name}-${hash}`)) hash = templateHash(template, ++collisionCount);
    const labels = { ...template.metadata?.labels, [HASH_LABEL]: hash };
    const selector = spec(dep).selector ?? {};
    const rs: KObject = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${dep.metadata.name}-${hash}`,
        namespace: ns,
        uid: crypto.randomUUID(),
        generation: 1,
        creationTimestamp: timestamp(this.now()),
        labels,
        annotations: { ...annotations, [DESIRED]: String(replicas), [MAX]: String(replicas + maxSurge), [REVISION]: String(revision) },
        ownerReferences: [ownerRef(dep, "apps/v1", "Deployment")],
      },
      spec: {
        replicas,
        minReadySeconds: spec(dep).minReadySeconds ?? 0,
        selector: { ...selector, matchLabels: { ...selector.matchLabels, [HASH_LABEL]: hash } },
        template: { ...template, metadata: { ...template.metadata, labels } },
      },
      status: { replicas: 0 },
    };
    return this.store.put(REPLICASETS, rs, undefined);
  }

  private writeReplicaSet(next: KObject, old: KObject): KObject {
    const generation = (old.metadata.generation ?? 1) + (same(next.spec, old.spec) ? 0 : 1);
    return put(this.store, REPLICASETS, { ...next, metadata: { ...next.metadata, generation } }, old);
  }

  /** Old ReplicaSets scaled to zero beyond spec.revisionHistoryLimit go, oldest revision first. */
  private pruneHistory(dep: KObject) {
    const limit: number = spec(dep).revisionHistoryLimit ?? 10;
    const revisions = ownedBy(this.store.list(REPLICASETS, dep.metadata.namespace), dep).sort((a, b) => revisionOf(a) - revisionOf(b));
    const newest = revisions.at(-1);
    const old = revisions.filter((rs) => rs !== newest && spec(rs).replicas === 0 && !status(rs).replicas);
    for (const rs of old.slice(0, Math.max(0, old.length - limit))) this.store.remove(REPLICASETS, rs);
  }

  private writeDeploymentStatus(dep: KObject, owned: KObject[], newRs: KObject | undefined, replicas: number, maxUnavailable: number) {
    const sum = (f: string) => owned.reduce((n, rs) => n + (status(rs)[f] ?? 0), 0);
    const total = sum("replicas");
    const updated = newRs ? status(newRs).replicas ?? 0 : 0;
    const ready = sum("readyReplicas");
    const available = sum("availableReplicas");
    const prev = (status(dep).conditions ?? []) as any[];
    const now = timestamp(this.now());
    const condition = (type: string, value: string, reason: string, message: string) => {
      const old = prev.find((c) => c.type === type);
      const unchanged = old?.status === value && old?.reason === reason && old?.message === message;
      return {
        type,
        status: value,
        lastUpdateTime: unchanged ? old.lastUpdateTime : now,
        lastTransitionTime: old?.status === value ? old.lastTransitionTime : now,
        reason,
        message,
      };
    };
    const minAvailable = available >= replicas - maxUnavailable;
    const complete = !!newRs && updated === replicas && total === replicas && available === replicas;
    const progressing = spec(dep).paused
      ? condition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused")
      : complete
        ? condition("Progressing", "True", "NewReplicaSetAvailable", `ReplicaSet "${newRs!.metadata.name}" has successfully progressed.`)
        : condition("Progressing", "True", "ReplicaSetUpdated", `ReplicaSet "${newRs?.metadata.name ?? ""}" is progressing.`);
    const next: Record<string, unknown> = { observedGeneration: dep.metadata.generation };
    if (total) next.replicas = total;
    if (updated) next.updatedReplicas = updated;
    if (ready) next.readyReplicas = ready;
    if (available) next.availableReplicas = available;
    if (replicas - available > 0) next.unavailableReplicas = replicas - available;
    next.conditions = [
      minAvailable
        ? condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        : condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."),
      progressing,
    ];
    if (status(dep).collisionCount) next.collisionCount = status(dep).collisionCount;
    const revision = newRs?.metadata.annotations?.[REVISION];
    const annotations = revision ? { ...dep.metadata.annotations, [REVISION]: revision } : dep.metadata.annotations;
    const cur = this.store.get(DEPLOYMENTS, dep.metadata.namespace, dep.metadata.name!) ?? dep;
    put(this.store, DEPLOYMENTS, { ...cur, metadata: { ...cur.metadata, ...(annotations ? { annotations } : {}) }, status: next }, cur);
  }

  /** Pods `<rs>-<random>` from the template up to spec.replicas; surplus pods go, newest first. */
  reconcileReplicaSet(rs: KObject) {
    const ns = rs.metadata.namespace;
    const replicas: number = spec(rs).replicas ?? 1;
    const template = spec(rs).template ?? {};
    const pods = ownedBy(this.store.list(PODS, ns), rs);
    for (let i = pods.length; i < replicas; i++) {
      const name = generatedName(`${rs.metadata.name}-`);
      const pod = runningPod({ name, generateName: `${rs.metadata.name}-`, namespace: ns, template, labels: { ...template.metadata?.labels }, owner: ownerRef(rs, "apps/v1", "ReplicaSet"), now: this.now() });
      pods.push(this.store.put(PODS, pod, undefined));
    }
    if (pods.length > replicas) {
      const surplus = [...pods].sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp))).slice(0, pods.length - replicas);
      for (const pod of surplus) this.store.remove(PODS, pod);
    }
    const count = Math.min(pods.length, replicas);
    const next: Record<string, unknown> = { replicas: count };
    if (count) Object.assign(next, { fullyLabeledReplicas: count, readyReplicas: count, availableReplicas: count });
    next.observedGeneration = rs.metadata.generation ?? 1;
    const cur = this.store.get(REPLICASETS, ns, rs.metadata.name!) ?? rs;
    put(this.store, REPLICASETS, { ...cur, status: next }, cur);
  }
}
