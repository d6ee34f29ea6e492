// autoscaling/v1 HorizontalPodAutoscalers are a view of the autoscaling/v2 objects (stored in the v2
// shape). v1 has only a CPU utilization target; the other v2 metrics, the behavior and the conditions
// travel in the alpha annotations, as kube-apiserver's conversion keeps them, so a v1 round trip loses nothing.
import type { KObject, StorageView } from "./types.ts";

const METRICS = "autoscaling.alpha.kubernetes.io/metrics";
const CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics";
const CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions";
const BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior";

const isCpuUtilization = (m: any) => m?.type === "Resource" && m.resource?.name === "cpu" && m.resource?.target?.type === "Utilization";

function parse(text: string | undefined): any {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toV1(obj: KObject): KObject {
  const spec = (obj.spec ?? {}) as any;
  const status = obj.status as any;
  const annotations: Record<string, string> = { ...obj.metadata.annotations };
  const metrics: any[] = spec.metrics ?? [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length) annotations[METRICS] = JSON.stringify(others);
  if (spec.behavior) annotations[BEHAVIOR] = JSON.stringify(spec.behavior);
  const v1Spec: Record<string, unknown> = { scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas };
  if (cpu) v1Spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
  let v1Status: Record<string, unknown> | undefined;
  if (status) {
    const current: any[] = status.currentMetrics ?? [];
    const cpuNow = current.find((m) => m?.type === "Resource" && m.resource?.name === "cpu");
    if (current.length) annotations[CURRENT_METRICS] = JSON.stringify(current);
    if (status.conditions?.length) annotations[CONDITIONS] = JSON.stringify(status.conditions);
    v1Status = { currentReplicas: status.currentReplicas ?? 0, desiredReplicas: status.desiredReplicas ?? 0 };
    if (status.observedGeneration !== undefined) v1Status.observedGeneration = status.observedGeneration;
    if (status.lastScaleTime) v1Status.lastScaleTime = status.lastScaleTime;
    if (cpuNow?.resource?.current?.averageUtilization !== undefined) v1Status.currentCPUUtilizationPercentage = cpuNow.resource.current.averageUtilization;
  }
  const { status: _s, spec: _spec, ...rest } = obj;
  const metadata: KObject["metadata"] = { ...obj.metadata, annotations };
  if (Object.keys(annotations).length === 0) delete metadata.annotations;
  return { ...rest, apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler", metadata, spec: v1Spec, ...(v1Status ? { status: v1Status } : {}) };
}

function toV2(obj: KObject): KObject {
  const spec = (obj.spec ?? {}) as any;
  const status = obj.status as any;
  const annotations: Record<string, string> = { ...obj.metadata.annotations };
  const metrics: any[] = [];
  if (typeof spec.targetCPUUtilizationPercentage === "number")
    metrics.push({ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: spec.targetCPUUtilizationPercentage } } });
  metrics.push(...(parse(annotations[METRICS]) ?? []));
  const behavior = parse(annotations[BEHAVIOR]);
  const conditions = parse(annotations[CONDITIONS]);
  const currentMetrics = parse(annotations[CURRENT_METRICS]);
  for (const k of [METRICS, BEHAVIOR, CONDITIONS, CURRENT_METRICS]) delete annotations[k];
  const v2Spec: Record<string, unknown> = { scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas };
  if (metrics.length) v2Spec.metrics = metrics;
  if (behavior) v2Spec.behavior = behavior;
  let v2Status: Record<string, unknown> | undefined;
  if (status) {
    v2Status = { currentReplicas: status.currentReplicas ?? 0, desiredReplicas: status.desiredReplicas ?? 0 };
    if (status.observedGeneration !== undefined) v2Status.observedGeneration = status.observedGeneration;
    if (status.lastScaleTime) v2Status.lastScaleTime = status.lastScaleTime;
    if (currentMetrics) v2Status.currentMetrics = currentMetrics;
    if (conditions) v2Status.conditions = conditions;
  }
  const { status: _s, spec: _spec, ...rest } = obj;
  const metadata: KObject["metadata"] = { ...obj.metadata, annotations };
  if (Object.keys(annotations).length === 0) delete metadata.annotations;
  return { ...rest, apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata, spec: v2Spec, ...(v2Status ? { status: v2Status } : {}) };
}

export const hpaV1View: StorageView = {
  storageGroup: "autoscaling",
  storagePlural: "horizontalpodautoscalers",
  toStorage: toV2,
  fromStorage: toV1,
};
