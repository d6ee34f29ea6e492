// Table columns of cluster-level kinds (Node, PersistentVolume, StorageClass, PriorityClass,
// ResourceQuota, LimitRange, admission configuration), as kube-apiserver's printers compute them.
import { accessModesText, ageColumn, asList, asMap, asString, column, createdAtColumn, specOf, statusOf, wide } from "./builtin-columns.ts";
import { NAME_DESCRIPTION } from "./table.ts";
import type { KObject, PrinterColumn } from "./types.ts";

function nodeStatus(o: KObject): string {
  const ready = asList(statusOf(o).conditions).map(asMap).find((c) => c.type === "Ready");
  const parts = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
  if (specOf(o).unschedulable === true) parts.push("SchedulingDisabled");
  return parts.join(",");
}

/** Roles from node-role.kubernetes.io/<role> labels and the older kubernetes.io/role label. */
function nodeRoles(o: KObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/") && k.length > "node-role.kubernetes.io/".length) roles.add(k.slice("node-role.kubernetes.io/".length));
    else if (k === "kubernetes.io/role" && v) roles.add(v);
  }
  return [...roles].sort().join(",") || "<none>";
}

const nodeAddress = (o: KObject, type: string) =>
  asString(asList(statusOf(o).addresses).map(asMap).find((a) => a.type === type)?.address) || "<none>";
const nodeInfo = (o: KObject, field: string) => asString(asMap(statusOf(o).nodeInfo)[field]) || "<unknown>";

const nodeColumns: PrinterColumn[] = [
  column("Status", "The status of the node", nodeStatus),
  column("Roles", "The roles of the node", nodeRoles),
  ageColumn,
  column("Version", "Kubelet Version reported by the node.", (o) => asString(asMap(statusOf(o).nodeInfo).kubeletVersion)),
  column("Internal-IP", "List of addresses reachable to the node. Queried from cloud provider, if available.", (o) => nodeAddress(o, "InternalIP"), wide),
  column("External-IP", "List of addresses reachable to the node. Queried from cloud provider, if available.", (o) => nodeAddress(o, "ExternalIP"), wide),
  column("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", (o) => nodeInfo(o, "osImage"), wide),
  column("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", (o) => nodeInfo(o, "kernelVersion"), wide),
  column("Container-Runtime", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", (o) => nodeInfo(o, "containerRuntimeVersion"), wide),
];

const pvColumns: PrinterColumn[] = [
  column("Capacity", "capacity is the description of the persistent volume's resources and capacity.", (o) => asString(asMap(specOf(o).capacity).storage) || "0"),
  column("Access Modes", "accessModes contains all ways the volume can be mounted.", (o) => accessModesText(specOf(o).accessModes)),
  column("Reclaim Policy", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.", (o) => asString(specOf(o).persistentVolumeReclaimPolicy)),
  column("Status", "phase indicates if a volume is available, bound to a claim, or released by a claim.", (o) =>
    o.metadata.deletionTimestamp ? "Terminating" : asString(statusOf(o).phase),
  ),
  column("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.", (o) => {
    const ref = specOf(o).claimRef;
    return ref && typeof ref === "object" ? `${asString(asMap(ref).namespace)}/${asString(asMap(ref).name)}` : "";
  }),
  column("StorageClass", "storageClassName is the name of StorageClass to which this persistent volume belongs.", (o) =>
    o.metadata.annotations?.["volume.beta.kubernetes.io/storage-class"] ?? asString(specOf(o).storageClassName),
  ),
  column("VolumeAttributesClass", "VolumeAttributesClass of the pv", (o) =>
    typeof specOf(o).volumeAttributesClassName === "string" ? asString(specOf(o).volumeAttributesClassName) : "<unset>",
  ),
  column("Reason", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.", (o) => asString(statusOf(o).reason)),
  ageColumn,
  column("VolumeMode", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", (o) => asString(specOf(o).volumeMode) || "<unset>", wide),
];

const isDefaultClass = (o: KObject) =>
  o.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true" ||
  o.metadata.annotations?.["storageclass.beta.kubernetes.io/is-default-class"] === "true";

const storageClassColumns: PrinterColumn[] = [
  column("Name", NAME_DESCRIPTION, (o) => `${o.metadata.name ?? ""}${isDefaultClass(o) ? " (default)" : ""}`, { format: "name" }),
  column("Provisioner", "provisioner indicates the type of the provisioner.", (o) => asString(o.provisioner)),
  column("ReclaimPolicy", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.", (o) => asString(o.reclaimPolicy) || "Delete"),
  column("VolumeBindingMode", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.", (o) => asString(o.volumeBindingMode) || "Immediate"),
  column("AllowVolumeExpansion", "allowVolumeExpansion shows whether the storage class allow volume expand.", (o) => o.allowVolumeExpansion === true, { type: "boolean" }),
  ageColumn,
];

const priorityClassColumns: PrinterColumn[] = [
  column("Value", "value represents the integer value of this priority class.", (o) => (typeof o.value === "number" ? o.value : 0), { type: "integer" }),
  column("Global-Default", "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.", (o) => o.globalDefault === true, { type: "boolean" }),
  ageColumn,
  column("PreemptionPolicy", "preemptionPolicy is the Policy for preempting pods with lower priority.", (o) => asString(o.preemptionPolicy)),
];

/** printResourceQuota: "<resource>: <used>/<hard>" for every hard limit, limits.* in the Limit column. */
function quotaCells(o: KObject, limits: boolean): string {
  const used = asMap(statusOf(o).used);
  const hard = asMap(statusOf(o).hard);
  const quantity = (v: unknown) => (typeof v === "number" ? String(v) : asString(v) || "0");
  return Object.keys(asMap(specOf(o).hard))
    .sort()
    .filter((r) => (r.split(".").length > 1 && r.split(".")[0] === "limits") === limits)
    .map((r) => `${r}: ${quantity(used[r])}/${quantity(hard[r])}`)
    .join(", ");
}

const quotaColumns: PrinterColumn[] = [
  ageColumn,
  column("Request", "Request represents a minimum amount of cpu/memory that a container may consume.", (o) => quotaCells(o, false)),
  column("Limit", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.", (o) => quotaCells(o, true)),
];

const webhookColumns: PrinterColumn[] = [
  column("Webhooks", "Webhooks indicates the number of webhooks.", (o) => asList(o.webhooks).length, { type: "integer" }),
  ageColumn,
];

const policyColumns: PrinterColumn[] = [
  column("Validations", "Validations indicates the number of validation rules.", (o) => asList(specOf(o).validations).length, { type: "integer" }),
  column("ParamKind", "ParamKind specifies the kind of resources used to parameterize this policy", (o) => {
    const kind = specOf(o).paramKind;
    return kind && typeof kind === "object" ? `${asString(asMap(kind).apiVersion)}/${asString(asMap(kind).kind)}` : "<unset>";
  }),
  ageColumn,
];

function paramRefText(o: KObject): string {
  const ref = specOf(o).paramRef;
  if (!ref || typeof ref !== "object") return "<unset>";
  const r = asMap(ref);
  if (asString(r.name)) return asString(r.namespace) ? `${asString(r.namespace)}/${asString(r.name)}` : `*/${asString(r.name)}`;
  return r.selector ? "<selector>" : "<unset>";
}

const policyBindingColumns: PrinterColumn[] = [
  column("PolicyName", "PolicyName references a ValidatingAdmissionPolicy name which the ValidatingAdmissionPolicyBinding binds to.", (o) => asString(specOf(o).policyName)),
  column("ParamRef", "ParamRef specifies the parameter resource used to configure the admission control policy.", paramRefText),
  ageColumn,
];

export const clusterColumns: Record<string, PrinterColumn[]> = {
  "/Node": nodeColumns,
  "/PersistentVolume": pvColumns,
  "/ResourceQuota": quotaColumns,
  "/LimitRange": [createdAtColumn],
  "storage.k8s.io/StorageClass": storageClassColumns,
  "scheduling.k8s.io/PriorityClass": priorityClassColumns,
  "admissionregistration.k8s.io/ValidatingWebhookConfiguration": webhookColumns,
  "admissionregistration.k8s.io/MutatingWebhookConfiguration": webhookColumns,
  "admissionregistration.k8s.io/ValidatingAdmissionPolicy": policyColumns,
  "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding": policyBindingColumns,
};
