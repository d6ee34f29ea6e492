// Optional (--simulate-kubelet): pretends workloads run, on one simulated Node. After a delay,
// StatefulSets get their pods (<name>-<ordinal>), Deployments a ReplicaSet per template and the
// ReplicaSets their pods, DaemonSets one pod on the Node, Jobs a completed pod and a Complete status.
// Pods are Running and Ready at once. Writes happen only when something differs, so a settled cluster
// makes none.
import { SERVER_VERSION } from "../router.ts";
import { sameJson } from "../sorted-keys.ts";
import { timestamp } from "../state.ts";
import type { TestHooks } from "../hooks.ts";
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
  /** Jobs whose pod a test's runner is running (by Job uid). */
  private running = new Set<string>();
  private unsubscribe: () => void;
  private deployments: DeploymentController;

  constructor(
    private store: Store,
    private now: () => number,
    private delayMs = 1000,
    private hooks?: TestHooks,
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

  /** A Job runs `completions` pods to completion at once, then reports Complete (or as the hooks' jobRunner says). */
  private runJob(job: KObject) {
    const prev = (job.status ?? {}) as any;
    if (prev.completionTime || prev.conditions?.some((c: any) => c.type === "Failed" && c.status === "True")) return prev;
    if (this.running.has(job.metadata.uid!)) return prev;
    const completions: number = spec(job).completions ?? 1;
    const template = spec(job).template ?? {};
    const ns = job.metadata.namespace;
    const labels = { ...template.metadata?.labels, "batch.kubernetes.io/controller-uid": job.metadata.uid!, "controller-uid": job.metadata.uid!, "job-name": job.metadata.name! };
    if (this.hooks?.jobRunner && !ownedBy(this.store.list(PODS, ns), job).length) {
      const pod = runningPod({ name: generatedName(`${job.metadata.name}-`), generateName: `${job.metadata.name}-`, namespace: ns, template, labels, owner: ownerRef(job, "batch/v1", "Job"), now: this.now() });
      const outcome = this.hooks.jobRunner(job, pod);
      if (outcome) {
        this.running.add(job.metadata.uid!);
        const created = this.store.put(PODS, pod, undefined);
        void outcome.then(
          (o) => this.finishJob(job, created, o),
          (e) => this.finishJob(job, created, { exitCode: 1, message: String(e) }),
        );
        return { ...prev, startTime: prev.startTime ?? timestamp(this.now()), active: 1, ready: 1, terminating: 0, uncountedTerminatedPods: {} };
      }
    }
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

  /** The runner's outcome: the pod's containers terminated with it, the Job Complete or Failed. */
  private finishJob(job: KObject, pod: KObject, outcome: { exitCode: number; message?: string }) {
    this.running.delete(job.metadata.uid!);
    const now = timestamp(this.now());
    const ok = outcome.exitCode === 0;
    const livePod = this.store.get(PODS, pod.metadata.namespace, pod.metadata.name!);
    if (livePod) {
      const status = livePod.status as any;
      const containerStatuses = (status.containerStatuses ?? []).map((c: any) => ({
        ...c,
        ready: false,
        started: false,
        state: { terminated: { exitCode: outcome.exitCode, reason: ok ? "Completed" : "Error", ...(outcome.message !== undefined && { message: outcome.message }), startedAt: c.state?.running?.startedAt ?? now, finishedAt: now, containerID: c.containerID } },
      }));
      const conditions = (status.conditions ?? []).map((c: any) => (["Ready", "ContainersReady", "PodReadyToStartContainers"].includes(c.type) ? { ...c, status: "False", lastTransitionTime: now } : c));
      this.store.put(PODS, { ...livePod, status: { ...status, phase: ok ? "Succeeded" : "Failed", conditions, containerStatuses } }, livePod);
    }
    const liveJob = this.store.get(JOBS, job.metadata.namespace, job.metadata.name!);
    if (!liveJob || liveJob.metadata.uid !== job.metadata.uid) return;
    const prev = (liveJob.status ?? {}) as any;
    const cond = (type: string, reason: string, message: string) => ({ type, status: "True", reason, message, lastProbeTime: now, lastTransitionTime: now });
    const status = ok
      ? { ...prev, active: 0, ready: 0, completionTime: now, succeeded: 1, conditions: [cond("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"), cond("Complete", "CompletionsReached", "Reached expected number of succeeded pods")] }
      : { ...prev, active: 0, ready: 0, failed: 1, conditions: [cond("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit"), cond("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")] };
    this.store.put(JOBS, { ...liveJob, status }, liveJob);
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
