// The built-in resources the server serves. Adding a kind is one entry in BUILTIN_KINDS.
import { builtinColumns } from "./builtin-columns.ts";
import { clusterColumns } from "./builtin-columns-cluster.ts";
import { networkColumns } from "./builtin-columns-network.ts";
import { workloadColumns } from "./builtin-columns-workloads.ts";
import { prepareByKind, validateByKind, fieldLabelsByKind } from "./builtin-admission.ts";
import { eventsV1View } from "./events-view.ts";
import { hpaV1View } from "./hpa-v1-view.ts";
import type { PrinterColumn, ResourceType, ScaleSubresource, StorageView } from "./types.ts";

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

interface BuiltinSpec {
  group?: string;
  version?: string;
  kind: string;
  plural: string;
  shortNames?: string[];
  categories?: string[];
  clusterScoped?: boolean;
  status?: boolean;
  scale?: ScaleSubresource;
  proxy?: boolean;
  /** The kind's spec changes bump metadata.generation. */
  generation?: boolean;
  deleteReturnsObject?: boolean;
  /** No DELETE of the whole collection (namespaces: kube-apiserver serves no deletecollection there). */
  noDeleteCollection?: boolean;
  microTimeFields?: string[];
  /** Served from a CRD on a real cluster (Gateway API): no strategic merge, updates need a resourceVersion. */
  crd?: boolean;
  /** Another version's storage seen through a conversion (the columns read the stored shape). */
  view?: StorageView;
}

const replicasScale: ScaleSubresource = {
  specReplicasPath: ".spec.replicas",
  statusReplicasPath: ".status.replicas",
  // The apps registries report spec.selector (a LabelSelector) as the Scale's selector string.
  labelSelectorPath: ".spec.selector",
};

const admissionCategories = ["api-extensions"];

export const BUILTIN_KINDS: BuiltinSpec[] = [
  { kind: "Namespace", plural: "namespaces", shortNames: ["ns"], clusterScoped: true, status: true, deleteReturnsObject: true, noDeleteCollection: true },
  { kind: "Secret", plural: "secrets" },
  { kind: "ConfigMap", plural: "configmaps", shortNames: ["cm"] },
  { kind: "Service", plural: "services", shortNames: ["svc"], categories: ["all"], status: true, deleteReturnsObject: true },
  { kind: "ServiceAccount", plural: "serviceaccounts", shortNames: ["sa"], deleteReturnsObject: true },
  { kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", shortNames: ["pvc"], status: true, deleteReturnsObject: true },
  { kind: "Pod", plural: "pods", shortNames: ["po"], categories: ["all"], status: true, proxy: true, deleteReturnsObject: true },
  { kind: "Event", plural: "events", shortNames: ["ev"], microTimeFields: ["eventTime", "series.lastObservedTime"] },
  { kind: "Endpoints", plural: "endpoints", shortNames: ["ep"] },
  { kind: "LimitRange", plural: "limitranges", shortNames: ["limits"] },
  { kind: "ResourceQuota", plural: "resourcequotas", shortNames: ["quota"], status: true, deleteReturnsObject: true },
  { kind: "ReplicationController", plural: "replicationcontrollers", shortNames: ["rc"], categories: ["all"], status: true, scale: { ...replicasScale, labelSelectorPath: ".spec.selector" }, generation: true },
  { kind: "Node", plural: "nodes", shortNames: ["no"], clusterScoped: true, status: true, deleteReturnsObject: true },
  { kind: "PersistentVolume", plural: "persistentvolumes", shortNames: ["pv"], clusterScoped: true, status: true, deleteReturnsObject: true },
  { group: "events.k8s.io", kind: "Event", plural: "events", shortNames: ["ev"], microTimeFields: ["eventTime", "series.lastObservedTime"] },
  { group: "apps", kind: "StatefulSet", plural: "statefulsets", shortNames: ["sts"], categories: ["all"], status: true, scale: replicasScale, generation: true },
  { group: "apps", kind: "Deployment", plural: "deployments", shortNames: ["deploy"], categories: ["all"], status: true, scale: replicasScale, generation: true },
  { group: "apps", kind: "ReplicaSet", plural: "replicasets", shortNames: ["rs"], categories: ["all"], status: true, scale: replicasScale, generation: true },
  { group: "apps", kind: "DaemonSet", plural: "daemonsets", shortNames: ["ds"], categories: ["all"], status: true, generation: true },
  { group: "autoscaling", version: "v2", kind: "HorizontalPodAutoscaler", plural: "horizontalpodautoscalers", shortNames: ["hpa"], categories: ["all"], status: true },
  { group: "autoscaling", version: "v1", kind: "HorizontalPodAutoscaler", plural: "horizontalpodautoscalers", shortNames: ["hpa"], categories: ["all"], status: true, view: hpaV1View },
  { group: "batch", kind: "Job", plural: "jobs", categories: ["all"], status: true, generation: true },
  { group: "batch", kind: "CronJob", plural: "cronjobs", shortNames: ["cj"], categories: ["all"], status: true, generation: true },
  { group: "networking.k8s.io", kind: "NetworkPolicy", plural: "networkpolicies", shortNames: ["netpol"], generation: true },
  { group: "networking.k8s.io", kind: "Ingress", plural: "ingresses", shortNames: ["ing"], status: true, generation: true },
  { group: "networking.k8s.io", kind: "IngressClass", plural: "ingressclasses", clusterScoped: true },
  { group: "discovery.k8s.io", kind: "EndpointSlice", plural: "endpointslices" },
  { group: "policy", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", shortNames: ["pdb"], status: true, generation: true },
  { group: "storage.k8s.io", kind: "StorageClass", plural: "storageclasses", shortNames: ["sc"], clusterScoped: true },
  { group: "scheduling.k8s.io", kind: "PriorityClass", plural: "priorityclasses", shortNames: ["pc"], clusterScoped: true },
  { group: "admissionregistration.k8s.io", kind: "ValidatingWebhookConfiguration", plural: "validatingwebhookconfigurations", categories: admissionCategories, clusterScoped: true, generation: true },
  { group: "admissionregistration.k8s.io", kind: "MutatingWebhookConfiguration", plural: "mutatingwebhookconfigurations", categories: admissionCategories, clusterScoped: true, generation: true },
  { group: "admissionregistration.k8s.io", kind: "ValidatingAdmissionPolicy", plural: "validatingadmissionpolicies", categories: admissionCategories, clusterScoped: true, status: true, generation: true },
  { group: "admissionregistration.k8s.io", kind: "ValidatingAdmissionPolicyBinding", plural: "validatingadmissionpolicybindings", categories: admissionCategories, clusterScoped: true, generation: true },
  { group: "coordination.k8s.io", kind: "Lease", plural: "leases", microTimeFields: ["spec.acquireTime", "spec.renewTime"] },
  { group: "rbac.authorization.k8s.io", kind: "Role", plural: "roles" },
  { group: "rbac.authorization.k8s.io", kind: "RoleBinding", plural: "rolebindings" },
  { group: "rbac.authorization.k8s.io", kind: "ClusterRole", plural: "clusterroles", clusterScoped: true },
  { group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding", plural: "clusterrolebindings", clusterScoped: true },
  { group: "admissionregistration.k8s.io", kind: "ValidatingAdmissionPolicy", plural: "validatingadmissionpolicies", categories: ["api-extensions"], clusterScoped: true, status: true, generation: true },
  { group: "admissionregistration.k8s.io", kind: "ValidatingAdmissionPolicyBinding", plural: "validatingadmissionpolicybindings", categories: ["api-extensions"], clusterScoped: true, generation: true },
  { group: "gateway.networking.k8s.io", kind: "GatewayClass", plural: "gatewayclasses", shortNames: ["gc"], categories: ["gateway-api"], clusterScoped: true, status: true, crd: true },
  { group: "gateway.networking.k8s.io", kind: "Gateway", plural: "gateways", shortNames: ["gtw"], categories: ["gateway-api"], status: true, crd: true },
  { group: "gateway.networking.k8s.io", kind: "HTTPRoute", plural: "httproutes", categories: ["gateway-api"], status: true, crd: true },
  {
    group: "apiextensions.k8s.io",
    kind: "CustomResourceDefinition",
    plural: "customresourcedefinitions",
    shortNames: ["crd", "crds"],
    categories: ["api-extensions"],
    clusterScoped: true,
    status: true,
    generation: true,
  },
];

/** Columns computed on the stored shape, for a view whose objects are converted on the way out. */
function throughView(columns: PrinterColumn[], view: StorageView | undefined): PrinterColumn[] {
  if (!view) return columns;
  return columns.map((c) => (c.value ? { ...c, value: (obj, now) => c.value!(view.toStorage(obj), now) } : c));
}

function toResourceType(spec: BuiltinSpec): ResourceType {
  const group = spec.group ?? "";
  const key = `${group}/${spec.kind}`;
  const type: ResourceType = {
    group,
    version: spec.version ?? "v1",
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    plural: spec.plural,
    singular: spec.kind.toLowerCase(),
    namespaced: !spec.clusterScoped,
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    verbs: spec.noDeleteCollection ? ALL_VERBS.filter((v) => v !== "deletecollection") : ALL_VERBS,
    subresources: { status: spec.status, scale: spec.scale, proxy: spec.proxy },
    columns: throughView(builtinColumns[key] ?? workloadColumns[key] ?? networkColumns[key] ?? clusterColumns[key] ?? [], spec.view),
    fieldLabels: fieldLabelsByKind[key],
    strategicMerge: !spec.crd,
    allowUnconditionalUpdate: !spec.crd,
    deleteReturnsObject: spec.deleteReturnsObject,
    prepare: prepareByKind[key],
    validate: validateByKind[key],
    generation: spec.generation ?? spec.crd ?? false,
    microTimeFields: spec.microTimeFields,
  };
  if (group === "events.k8s.io") type.view = eventsV1View;
  if (spec.view) type.view = spec.view;
  return type;
}

export function builtinResourceTypes(): ResourceType[] {
  return BUILTIN_KINDS.map(toResourceType);
}
