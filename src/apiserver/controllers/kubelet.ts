// Optional (--simulate-kubelet): pretends workloads run, on one simulated Node. After a delay,
// StatefulSets get their pods (<name>-<ordinal>), Deployments a ReplicaSet per template and the
// ReplicaSets their pods, DaemonSets one pod on the Node, Jobs a completed pod and a Complete status.
// Pods are Running and Ready at once. Writes happen only when something differs, so a settled cluster
// makes none.
import { SERVER_VERSION } from "../router.ts";
import { sameJson } from "../sorted-keys.ts";
import { timestamp } from "../state.ts";
import type { Store, StoreEvent } from "../store.ts";
import type { KObject } from "../types.ts";
import { DAEMONSETS, ensureNode, reconcileDaemonSet } from "./daemonsets.ts";
import { controllerOf, DeploymentController, DEPLOYMENTS, ownedBy, ownerRef, REPLICASETS } from "./deployments.ts";
import { generatedName, runningPod } from "./running-pod.ts";

const STATEFULSETS = "apps/statefulsets";
const JOBS = "batch/jobs";
const PODS = "/pods";
const WORKLOADS = [STATEFULSETS, DEPLOYMENTS, REPLICASETS, DAEMONSETS, JOBS];
const RESOURCE_OF_KIND: Record<string, string> = { StatefulSet: STATEFULSETS, ReplicaSet: REPLICASETS, DaemonSet: DAEMONSETS, Deployment: DEPLOYMENTS, Job: JOBS };

const spec = (o: KObject) => (o.spec ?? {}) as any;
const same = sameJson;

export class KubeletSimulator {
  private timers = new Map<string, Timer>();
  private unsubscribe: () => void;
  private deployments: DeploymentController;

  constructor(
    private store: Store,
    private now: () => number,
    private delayMs = 1000,
  ) {
    this.deployments = new DeploymentController(store, now);
    ensureNode(store, now(), SERVER_VERSION.gitVersion);
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
    for (const resource of WORKLOADS) for (const obj of store.list(resource)) this.schedule(resource, obj.metadata.namespace, obj.metadata.name!);
  }

  stop() {
    this.unsubscribe();
    for (const t of this.timers.values()) clearTimeout(t);
  }

  private onEvent(e: StoreEvent) {
    // A controller replaces a pod that went away, as the real ones do.
    if (e.resource === PODS && e.type === "DELETED") {
      const owner = controllerOf(e.object);
      const resource = owner && RESOURCE_OF_KIND[owner.kind];
      if (resource && resource !== JOBS) this.schedule(resource, e.object.metadata.namespace, owner.name);
      return;
    }
    if (!WORKLOADS.includes(e.resource)) return;
    // A ReplicaSet's progress is its Deployment's status.
    if (e.resource === REPLICASETS) {
      const owner = controllerOf(e.object);
      if (owner?.kind === "Deployment") this.schedule(DEPLOYMENTS, e.object.metadata.namespace, owner.name);
    }
    if (e.type === "DELETED" || e.object.metadata.deletionTimestamp) return;
    this.schedule(e.resource, e.object.metadata.namespace, e.object.metadata.name!);
  }

  private schedule(resource: string, namespace: string | undefined, name: string) {
    const key = `${resource}|${namespace}|${name}`;
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        const cur = this.store.get(resource, namespace, name);
        if (cur && !cur.metadata.deletionTimestamp) this.reconcile(resource, cur);
      }, this.delayMs),
    );
  }

  private reconcile(resource: string, obj: KObject) {
    switch (resource) {
      case DEPLOYMENTS:
        return this.deployments.reconcileDeployment(obj);
      case REPLICASETS:
        return this.deployments.reconcileReplicaSet(obj);
      case DAEMONSETS:
        return reconcileDaemonSet(this.store, this.now, obj);
      case STATEFULSETS:
        this.runStatefulSet(obj);
        return this.writeStatus(resource, obj, this.statefulSetStatus(obj));
      case JOBS:
        return this.writeStatus(resource, obj, this.runJob(obj));
    }
  }

  private writeStatus(resource: string, obj: KObject, status: unknown) {
    if (!same(status, obj.status)) this.store.put(resource, { ...obj, status }, obj);
  }

  private statefulSetStatus(obj: KObject) {
    const replicas: number = spec(obj).replicas ?? 1;
    const revision = `${obj.metadata.name}-${(obj.metadata.generation ?? 1).toString(16)}`;
    return {
      observedGeneration: obj.metadata.generation,
      replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      updatedReplicas: replicas,
      currentReplicas: replicas,
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
    };
  }

  /** A Job runs `completions` pods to completion at once, then reports Complete. */
  private runJob(job: KObject) {
    const prev = (job.status ?? {}) as any;
    if (prev.completionTime) return prev;
    const completions: number = spec(job).completions ?? 1;
    const template = spec(job).template ?? {};
    const ns = job.metadata.namespace;
    const labels = { ...template.metadata?.labels, "batch.kubernetes.io/controller-uid": job.metadata.uid!, "controller-uid": job.metadata.uid!, "job-name": job.metadata.name! };
    for (let i = ownedBy(this.store.list(PODS, ns), job).length; i < completions; i++) {
      const pod = runningPod({ name: generatedName(`${job.metadata.name}-`), generateName: `${job.metadata.name}-`, namespace: ns, template, labels, owner: ownerRef(job, "batch/v1", "Job"), now: this.now(), succeeded: true });
      this.store.put(PODS, pod, undefined);
    }
    const now = timestamp(this.now());
    return {
      ...prev,
      startTime: prev.startTime ?? now,
      completionTime: now,
      succeeded: completions,
      ready: 0,
      terminating: 0,
      uncountedTerminatedPods: {},
      conditions: [
        { type: "SuccessCriteriaMet", status: "True", reason: "CompletionsReached", message: "Reached expected number of succeeded pods", lastProbeTime: now, lastTransitionTime: now },
        { type: "Complete", status: "True", reason: "CompletionsReached", message: "Reached expected number of succeeded pods", lastProbeTime: now, lastTransitionTime: now },
      ],
    };
  }

  /** Pods <sts>-0..n-1 from the template, Running and Ready; surplus ordinals are removed. */
  private runStatefulSet(sts: KObject) {
    const replicas: number = spec(sts).replicas ?? 1;
    const template = spec(sts).template ?? {};
    const ns = sts.metadata.namespace;
    const revision = `${sts.metadata.name}-${(sts.metadata.generation ?? 1).toString(16)}`;
    for (let i = 0; i < replicas; i++) {
      const name = `${sts.metadata.name}-${i}`;
      const old = this.store.get(PODS, ns, name);
      const labels = { ...template.metadata?.labels, "apps.kubernetes.io/pod-index": String(i), "controller-revision-hash": revision, "statefulset.kubernetes.io/pod-name": name };
      const specExtra = { hostname: name, subdomain: spec(sts).serviceName };
      const pod = runningPod({ name, namespace: ns, template, labels, owner: ownerRef(sts, "apps/v1", "StatefulSet"), now: this.now(), old, specExtra });
      if (old && same(old.metadata.labels, labels) && same(old.spec, pod.spec)) continue;
      this.store.put(PODS, pod, old);
    }
    for (const pod of this.store.list(PODS, ns)) {
      const owner = pod.metadata.ownerReferences?.find((r) => r.uid === sts.metadata.uid);
      const ordinal = Number(pod.metadata.name!.slice(sts.metadata.name!.length + 1));
      if (owner && ordinal >= replicas) this.store.remove(PODS, pod);
    }
  }
}
