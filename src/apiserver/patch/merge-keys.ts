// The `patchStrategy`/`patchMergeKey` struct tags of built-in kinds (k8s.io/api, k8s.io/apimachinery meta/v1),
// keyed by the field's path without list indices. Lists not listed here are replaced wholesale by a
// strategic merge patch (e.g. tolerations, args, command, volumeClaimTemplates).

export interface ListMergeStrategy {
  strategy: "merge";
  /** Field identifying an item; undefined for a merged list of primitives (a set, e.g. finalizers). */
  key?: string;
}

type FieldTable = Readonly<Record<string, ListMergeStrategy>>;

function merge(key?: string): ListMergeStrategy {
  return key === undefined ? { strategy: "merge" } : { strategy: "merge", key };
}

function under(prefix: string, table: FieldTable): FieldTable {
  return Object.fromEntries(Object.entries(table).map(([path, strategy]) => [`${prefix}.${path}`, strategy]));
}

const OBJECT_META: FieldTable = { ownerReferences: merge("uid"), finalizers: merge() };

const CONTAINER: FieldTable = {
  ports: merge("containerPort"),
  env: merge("name"),
  volumeMounts: merge("mountPath"),
  volumeDevices: merge("devicePath"),
};

const POD_SPEC: FieldTable = {
  volumes: merge("name"),
  containers: merge("name"),
  ...under("containers", CONTAINER),
  initContainers: merge("name"),
  ...under("initContainers", CONTAINER),
  ephemeralContainers: merge("name"),
  ...under("ephemeralContainers", CONTAINER),
  imagePullSecrets: merge("name"),
  hostAliases: merge("ip"),
  topologySpreadConstraints: merge("topologyKey"),
  schedulingGates: merge("name"),
  resourceClaims: merge("name"),
};

const CONTAINER_STATUS: FieldTable = { volumeMounts: merge("mountPath"), allocatedResourcesStatus: merge("name") };

const POD_STATUS: FieldTable = {
  conditions: merge("type"),
  hostIPs: merge("ip"),
  podIPs: merge("ip"),
  resourceClaimStatuses: merge("name"),
  ...under("containerStatuses", CONTAINER_STATUS),
  ...under("initContainerStatuses", CONTAINER_STATUS),
  ...under("ephemeralContainerStatuses", CONTAINER_STATUS),
};

const POD_TEMPLATE_SPEC: FieldTable = { ...under("metadata", OBJECT_META), ...under("spec", POD_SPEC) };

const STATUS_CONDITIONS: FieldTable = { "status.conditions": merge("type") };

const POD_WORKLOAD: FieldTable = { ...under("spec.template", POD_TEMPLATE_SPEC), ...STATUS_CONDITIONS };

const WEBHOOK_CONFIGURATION: FieldTable = { webhooks: merge("name"), "webhooks.matchConditions": merge("name") };

/** Kind key → fields besides metadata. Kind keys are `<group>/<version>/<Kind>`, or `v1/<Kind>` for the core group. */
const KIND_FIELDS: Readonly<Record<string, FieldTable>> = {
  "v1/Pod": { ...under("spec", POD_SPEC), ...under("status", POD_STATUS) },
  "v1/PodTemplate": under("template", POD_TEMPLATE_SPEC),
  "v1/ReplicationController": POD_WORKLOAD,
  "v1/Service": { "spec.ports": merge("port"), ...STATUS_CONDITIONS },
  "v1/ServiceAccount": { secrets: merge("name") },
  "v1/Node": { "spec.podCIDRs": merge(), "status.conditions": merge("type"), "status.addresses": merge("type") },
  "v1/Namespace": STATUS_CONDITIONS,
  "v1/PersistentVolumeClaim": STATUS_CONDITIONS,
  "v1/ComponentStatus": { conditions: merge("type") },
  "apps/v1/Deployment": POD_WORKLOAD,
  "apps/v1/StatefulSet": POD_WORKLOAD,
  "apps/v1/DaemonSet": POD_WORKLOAD,
  "apps/v1/ReplicaSet": POD_WORKLOAD,
  "batch/v1/Job": POD_WORKLOAD,
  "batch/v1/CronJob": {
    ...under("spec.jobTemplate.metadata", OBJECT_META),
    ...under("spec.jobTemplate.spec.template", POD_TEMPLATE_SPEC),
  },
  "networking.k8s.io/v1/ServiceCIDR": STATUS_CONDITIONS,
  "policy/v1/PodDisruptionBudget": STATUS_CONDITIONS,
  "autoscaling/v2/HorizontalPodAutoscaler": STATUS_CONDITIONS,
  "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration": WEBHOOK_CONFIGURATION,
  "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration": WEBHOOK_CONFIGURATION,
  "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy": {
    "spec.matchConditions": merge("name"),
    "spec.variables": merge("name"),
  },
  "flowcontrol.apiserver.k8s.io/v1/FlowSchema": STATUS_CONDITIONS,
  "flowcontrol.apiserver.k8s.io/v1/PriorityLevelConfiguration": STATUS_CONDITIONS,
  "storage.k8s.io/v1/CSINode": { "spec.drivers": merge("name") },
};

/** Maps whose tag is `patchStrategy:"replace"`: a strategic merge patch replaces them instead of merging. */
const REPLACED_MAPS: Readonly<Record<string, ReadonlySet<string>>> = {
  "policy/v1/PodDisruptionBudget": new Set(["spec.selector"]),
};

const METADATA_FIELDS = under("metadata", OBJECT_META);

function ownEntry<T>(table: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return table !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * How a strategic merge patch merges the list at `path` (field names, no indices) of `kindKey`;
 * undefined means the list is atomic and replaced. Every kind's metadata carries finalizers and ownerReferences.
 */
export function listMergeKey(kindKey: string, path: string[]): ListMergeStrategy | undefined {
  const dotted = path.join(".");
  const strategy = ownEntry(ownEntry(KIND_FIELDS, kindKey), dotted) ?? ownEntry(METADATA_FIELDS, dotted);
  return strategy === undefined ? undefined : { ...strategy };
}

/** Whether the map at `path` of `kindKey` is replaced as a whole by a strategic merge patch. */
export function isReplacedMap(kindKey: string, path: string[]): boolean {
  return ownEntry(REPLACED_MAPS, kindKey)?.has(path.join(".")) ?? false;
}
