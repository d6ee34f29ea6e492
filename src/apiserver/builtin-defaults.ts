// Defaulting and validation of the kinds added beyond the operator's own needs (ReplicaSet, DaemonSet,
// ReplicationController, PersistentVolume, StorageClass, webhook configurations, ...): the
// SetDefaults_* and Validate* rules that clients notice. Keyed by "<group>/<Kind>".
import { cause, invalidValue } from "./errors.ts";
import { sameJson } from "./sorted-keys.ts";
import { matchesLabels, selectorFromLabelSelectorObject } from "./selectors.ts";
import type { FieldCause, KObject } from "./types.ts";

type Prepare = (obj: KObject, old: KObject | undefined) => void;
type Validate = (obj: KObject, old: KObject | undefined) => FieldCause[];

const rec = (value: unknown): Record<string, any> =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, any>) : {};

function ensure(o: Record<string, any>, key: string): Record<string, any> {
  if (!o[key] || typeof o[key] !== "object") o[key] = {};
  return o[key];
}

/** A pod template's labels must be matched by the (LabelSelector) selector, which cannot change later. */
export function validateSelector(o: KObject, old: KObject | undefined, selectorIsMap = false): FieldCause[] {
  const spec = rec(o.spec);
  const labels = rec(rec(rec(spec.template).metadata).labels);
  if (!spec.selector || (!selectorIsMap && Object.keys(rec(spec.selector)).length === 0))
    return [cause("FieldValueRequired", "spec.selector", "Required value")];
  const causes: FieldCause[] = [];
  try {
    const reqs = selectorFromLabelSelectorObject(selectorIsMap ? { matchLabels: spec.selector } : spec.selector);
    if (!matchesLabels(reqs, labels))
      causes.push(invalidValue("spec.template.metadata.labels", labels, "`selector` does not match template `labels`"));
  } catch (e) {
    causes.push(invalidValue("spec.selector", spec.selector, (e as Error).message));
  }
  if (!selectorIsMap && old && !sameJson(rec(old.spec).selector, spec.selector))
    causes.push(invalidValue("spec.selector", spec.selector, "field is immutable"));
  return causes;
}

function prepareReplicaSet(rs: KObject, old: KObject | undefined) {
  const spec = ensure(rs, "spec");
  spec.replicas ??= 1;
  spec.minReadySeconds ??= 0;
  if (!rs.status) rs.status = old?.status ?? { replicas: 0 };
}

function prepareReplicationController(rc: KObject, old: KObject | undefined) {
  const spec = ensure(rc, "spec");
  const labels = rec(rec(spec.template).metadata).labels;
  // SetDefaults_ReplicationController: the selector and the object's labels default to the template's.
  if (labels && !spec.selector) spec.selector = { ...labels };
  if (labels && !rc.metadata.labels) rc.metadata.labels = { ...labels };
  spec.replicas ??= 1;
  spec.minReadySeconds ??= 0;
  if (!rc.status) rc.status = old?.status ?? { replicas: 0 };
}

function prepareDaemonSet(ds: KObject, old: KObject | undefined) {
  const spec = ensure(ds, "spec");
  spec.revisionHistoryLimit ??= 10;
  spec.minReadySeconds ??= 0;
  const strategy = ensure(spec, "updateStrategy");
  strategy.type ||= "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const rolling = ensure(strategy, "rollingUpdate");
    rolling.maxUnavailable ??= 1;
    rolling.maxSurge ??= 0;
  }
  if (!ds.status)
    ds.status = old?.status ?? { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
}

function preparePersistentVolume(pv: KObject, old: KObject | undefined) {
  const spec = ensure(pv, "spec");
  spec.persistentVolumeReclaimPolicy ??= "Retain";
  spec.volumeMode ??= "Filesystem";
  if (!pv.status) pv.status = old?.status ?? { phase: "Pending" };
}

function prepareStorageClass(sc: KObject) {
  sc.reclaimPolicy ??= "Delete";
  sc.volumeBindingMode ??= "Immediate";
}

function validateStorageClass(sc: KObject, old: KObject | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!sc.provisioner) causes.push(cause("FieldValueRequired", "provisioner", "Required value"));
  if (old && old.provisioner !== sc.provisioner)
    causes.push(invalidValue("provisioner", sc.provisioner, "updates to provisioner are forbidden."));
  return causes;
}

function validatePriorityClass(pc: KObject, old: KObject | undefined): FieldCause[] {
  if (typeof pc.value !== "number") return [cause("FieldValueRequired", "value", "Required value")];
  if (old && old.value !== pc.value) return [invalidValue("value", pc.value, "field is immutable")];
  return [];
}

function prepareWebhooks(config: KObject, mutating: boolean) {
  for (const hook of Array.isArray(config.webhooks) ? config.webhooks : []) {
    if (!hook || typeof hook !== "object") continue;
    hook.failurePolicy ??= "Fail";
    hook.matchPolicy ??= "Equivalent";
    hook.namespaceSelector ??= {};
    hook.objectSelector ??= {};
    hook.timeoutSeconds ??= 10;
    if (mutating) hook.reinvocationPolicy ??= "Never";
    for (const rule of Array.isArray(hook.rules) ? hook.rules : []) if (rule && typeof rule === "object") rule.scope ??= "*";
  }
}

function validateWebhooks(config: KObject): FieldCause[] {
  const causes: FieldCause[] = [];
  const hooks = Array.isArray(config.webhooks) ? config.webhooks : [];
  hooks.forEach((hook: any, i: number) => {
    const at = `webhooks[${i}]`;
    if (!hook?.name) causes.push(cause("FieldValueRequired", `${at}.name`, "Required value"));
    if (!hook?.sideEffects) causes.push(cause("FieldValueRequired", `${at}.sideEffects`, "Required value: must specify one of None, NoneOnDryRun"));
    if (!Array.isArray(hook?.admissionReviewVersions) || hook.admissionReviewVersions.length === 0)
      causes.push(cause("FieldValueRequired", `${at}.admissionReviewVersions`, "Required value: must specify one of v1, v1beta1"));
    const client = rec(hook?.clientConfig);
    if (!client.url === !client.service) causes.push(cause("FieldValueRequired", `${at}.clientConfig`, "Required value: exactly one of url or service is required"));
  });
  return causes;
}

function validateEndpointSlice(slice: KObject): FieldCause[] {
  const types = ["IPv4", "IPv6", "FQDN"];
  if (!types.includes(slice.addressType as string))
    return [cause("FieldValueNotSupported", "addressType", `Unsupported value: ${JSON.stringify(slice.addressType ?? "")}: supported values: "FQDN", "IPv4", "IPv6"`)];
  return [];
}

function validateHpa(hpa: KObject): FieldCause[] {
  const spec = rec(hpa.spec);
  const causes: FieldCause[] = [];
  if (!Number.isInteger(spec.maxReplicas) || spec.maxReplicas < 1)
    causes.push(invalidValue("spec.maxReplicas", spec.maxReplicas ?? 0, "must be greater than or equal to 1"));
  if (typeof spec.minReplicas === "number" && spec.minReplicas > spec.maxReplicas)
    causes.push(invalidValue("spec.minReplicas", spec.minReplicas, "must be less than or equal to maxReplicas"));
  if (!rec(spec.scaleTargetRef).kind) causes.push(cause("FieldValueRequired", "spec.scaleTargetRef.kind", "Required value"));
  if (!rec(spec.scaleTargetRef).name) causes.push(cause("FieldValueRequired", "spec.scaleTargetRef.name", "Required value"));
  return causes;
}

function validatePdb(pdb: KObject): FieldCause[] {
  const spec = rec(pdb.spec);
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined)
    return [invalidValue("spec", spec, "minAvailable and maxUnavailable cannot be both set")];
  return [];
}

export const moreDefaults: Record<string, Prepare> = {
  "apps/ReplicaSet": prepareReplicaSet,
  "apps/DaemonSet": prepareDaemonSet,
  "/ReplicationController": prepareReplicationController,
  "/PersistentVolume": preparePersistentVolume,
  "/ResourceQuota": (q, old) => {
    if (!q.status) q.status = old?.status ?? {};
  },
  "networking.k8s.io/Ingress": (ing, old) => {
    if (!ing.status) ing.status = old?.status ?? { loadBalancer: {} };
  },
  "policy/PodDisruptionBudget": (pdb, old) => {
    if (!pdb.status) pdb.status = old?.status ?? { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 };
  },
  "autoscaling/HorizontalPodAutoscaler": (hpa) => {
    ensure(hpa, "spec").minReplicas ??= 1;
  },
  "storage.k8s.io/StorageClass": prepareStorageClass,
  "scheduling.k8s.io/PriorityClass": (pc) => {
    pc.preemptionPolicy ??= "PreemptLowerPriority";
  },
  "admissionregistration.k8s.io/ValidatingWebhookConfiguration": (c) => prepareWebhooks(c, false),
  "admissionregistration.k8s.io/MutatingWebhookConfiguration": (c) => prepareWebhooks(c, true),
};

export const moreValidation: Record<string, Validate> = {
  "apps/ReplicaSet": (o, old) => validateSelector(o, old),
  "apps/DaemonSet": (o, old) => validateSelector(o, old),
  "/ReplicationController": (o, old) => validateSelector(o, old, true),
  "storage.k8s.io/StorageClass": validateStorageClass,
  "scheduling.k8s.io/PriorityClass": validatePriorityClass,
  "admissionregistration.k8s.io/ValidatingWebhookConfiguration": validateWebhooks,
  "admissionregistration.k8s.io/MutatingWebhookConfiguration": validateWebhooks,
  "discovery.k8s.io/EndpointSlice": validateEndpointSlice,
  "autoscaling/HorizontalPodAutoscaler": validateHpa,
  "policy/PodDisruptionBudget": validatePdb,
};
