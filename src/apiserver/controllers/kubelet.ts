// Optional (--simulate-kubelet): pretends workloads run. After a delay, StatefulSets get their pods
// (<name>-<ordinal>, Running and Ready) and a ready status, Deployments a ready status, and Jobs
// complete. Status is written only when it differs, so a settled cluster makes no writes.
import { randomSuffix } from "../admission.ts";
import { timestamp } from "../state.ts";
import type { Store, StoreEvent } from "../store.ts";
import type { KObject } from "../types.ts";

const STATEFULSETS = "apps/statefulsets";
const DEPLOYMENTS = "apps/deployments";
const JOBS = "batch/jobs";
const PODS = "/pods";

const spec = (o: KObject) => (o.spec ?? {}) as any;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class KubeletSimulator {
  private timers = new Map<string, Timer>();
  private unsubscribe: () => void;

  constructor(
    private store: Store,
    private now: () => number,
    private delayMs = 1000,
  ) {
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
    for (const resource of [STATEFULSETS, DEPLOYMENTS, JOBS]) for (const obj of store.list(resource)) this.schedule(resource, obj);
  }

  stop() {
    this.unsubscribe();
    for (const t of this.timers.values()) clearTimeout(t);
  }

  private onEvent(e: StoreEvent) {
    // A StatefulSet replaces a pod that went away, as the real controller does.
    if (e.resource === PODS && e.type === "DELETED") {
      const owner = e.object.metadata.ownerReferences?.find((r) => r.kind === "StatefulSet" && r.controller);
      const sts = owner && this.store.list(STATEFULSETS, e.object.metadata.namespace).find((s) => s.metadata.uid === owner.uid);
      if (sts) this.schedule(STATEFULSETS, sts);
      return;
    }
    if (e.type === "DELETED" || e.object.metadata.deletionTimestamp) return;
    if (e.resource === STATEFULSETS || e.resource === DEPLOYMENTS || e.resource === JOBS) this.schedule(e.resource, e.object);
  }

  private schedule(resource: string, obj: KObject) {
    const key = `${resource}|${obj.metadata.namespace}|${obj.metadata.name}`;
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        const cur = this.store.get(resource, obj.metadata.namespace, obj.metadata.name!);
        if (cur && !cur.metadata.deletionTimestamp) this.reconcile(resource, cur);
      }, this.delayMs),
    );
  }

  private reconcile(resource: string, obj: KObject) {
    if (resource === STATEFULSETS) this.runStatefulSet(obj);
    const status = resource === JOBS ? this.jobStatus(obj) : this.workloadStatus(resource, obj);
    if (!same(status, obj.status)) this.store.put(resource, { ...obj, status }, obj);
  }

  private workloadStatus(resource: string, obj: KObject) {
    const replicas: number = spec(obj).replicas ?? 1;
    const revision = `${obj.metadata.name}-${(obj.metadata.generation ?? 1).toString(16)}`;
    const base = {
      observedGeneration: obj.metadata.generation,
      replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      updatedReplicas: replicas,
    };
    if (resource === STATEFULSETS) return { ...base, currentReplicas: replicas, currentRevision: revision, updateRevision: revision, collisionCount: 0 };
    const prev = ((obj.status as any)?.conditions ?? []) as any[];
    const since = (type: string) => prev.find((c) => c.type === type && c.status === "True")?.lastTransitionTime ?? timestamp(this.now());
    return {
      ...base,
      conditions: [
        { type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability.", lastTransitionTime: since("Available"), lastUpdateTime: since("Available") },
        { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: `ReplicaSet "${obj.metadata.name}" has successfully progressed.`, lastTransitionTime: since("Progressing"), lastUpdateTime: since("Progressing") },
      ],
    };
  }

  private jobStatus(job: KObject) {
    const prev = (job.status ?? {}) as any;
    if (prev.completionTime) return prev;
    const now = timestamp(this.now());
    const completions = spec(job).completions ?? 1;
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
      const podSpec = { ...template.spec, hostname: name, subdomain: spec(sts).serviceName, nodeName: "kode-simulated-node" };
      if (old && same(old.metadata.labels, labels) && same(old.spec, podSpec)) continue;
      const now = timestamp(this.now());
      const containers = ((template.spec?.containers ?? []) as any[]).map((c) => ({
        name: c.name,
        image: c.image,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
        imageID: `${c.image}@sha256:${"0".repeat(64)}`,
        containerID: `containerd://${randomSuffix(12)}`,
      }));
      const ready = (type: string) => ({ type, status: "True", lastProbeTime: null, lastTransitionTime: now });
      const pod: KObject = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name,
          namespace: ns,
          uid: old?.metadata.uid ?? crypto.randomUUID(),
          creationTimestamp: old?.metadata.creationTimestamp ?? now,
          labels,
          annotations: template.metadata?.annotations,
          ownerReferences: [{ apiVersion: "apps/v1", kind: "StatefulSet", name: sts.metadata.name!, uid: sts.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        },
        spec: podSpec,
        status: {
          phase: "Running",
          conditions: [ready("PodReadyToStartContainers"), ready("Initialized"), ready("Ready"), ready("ContainersReady"), ready("PodScheduled")],
          hostIP: "127.0.0.1",
          podIP: `10.244.0.${(i % 250) + 2}`,
          startTime: now,
          containerStatuses: containers,
          qosClass: "BestEffort",
        },
      };
      if (!pod.metadata.annotations) delete pod.metadata.annotations;
      this.store.put(PODS, pod, old);
    }
    for (const pod of this.store.list(PODS, ns)) {
      const owner = pod.metadata.ownerReferences?.find((r) => r.uid === sts.metadata.uid);
      const ordinal = Number(pod.metadata.name!.slice(sts.metadata.name!.length + 1));
      if (owner && ordinal >= replicas) this.store.remove(PODS, pod);
    }
  }
}
