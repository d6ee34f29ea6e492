// The built-in resources the server serves. Adding a kind is one entry in BUILTIN_KINDS.
import { builtinColumns } from "./builtin-columns.ts";
import { prepareByKind, validateByKind, fieldLabelsByKind } from "./builtin-admission.ts";
import { eventsV1View } from "./events-view.ts";
import type { ResourceType, ScaleSubresource } from "./types.ts";

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
  microTimeFields?: string[];
}

const replicasScale: ScaleSubresource = {
  specReplicasPath: ".spec.replicas",
  statusReplicasPath: ".status.replicas",
  // The apps registries report spec.selector (a LabelSelector) as the Scale's selector string.
  labelSelectorPath: ".spec.selector",
};

export const BUILTIN_KINDS: BuiltinSpec[] = [
  { kind: "Namespace", plural: "namespaces", shortNames: ["ns"], clusterScoped: true, status: true, deleteReturnsObject: true },
  { kind: "Secret", plural: "secrets" },
  { kind: "ConfigMap", plural: "configmaps", shortNames: ["cm"] },
  { kind: "Service", plural: "services", shortNames: ["svc"], categories: ["all"], status: true, deleteReturnsObject: true },
  { kind: "ServiceAccount", plural: "serviceaccounts", shortNames: ["sa"], deleteReturnsObject: true },
  { kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", shortNames: ["pvc"], status: true, deleteReturnsObject: true },
  { kind: "Pod", plural: "pods", shortNames: ["po"], categories: ["all"], status: true, proxy: true, deleteReturnsObject: true },
  { kind: "Event", plural: "events", shortNames: ["ev"], microTimeFields: ["eventTime", "series.lastObservedTime"] },
  { group: "events.k8s.io", kind: "Event", plural: "events", shortNames: ["ev"], microTimeFields: ["eventTime", "series.lastObservedTime"] },
  { group: "apps", kind: "StatefulSet", plural: "statefulsets", shortNames: ["sts"], categories: ["all"], status: true, scale: replicasScale, generation: true },
  { group: "apps", kind: "Deployment", plural: "deployments", shortNames: ["deploy"], categories: ["all"], status: true, scale: replicasScale, generation: true },
  { group: "batch", kind: "Job", plural: "jobs", categories: ["all"], status: true, generation: true },
  { group: "batch", kind: "CronJob", plural: "cronjobs", shortNames: ["cj"], categories: ["all"], status: true, generation: true },
  { group: "networking.k8s.io", kind: "NetworkPolicy", plural: "networkpolicies", shortNames: ["netpol"], generation: true },
  { group: "coordination.k8s.io", kind: "Lease", plural: "leases", microTimeFields: ["spec.acquireTime", "spec.renewTime"] },
  { group: "rbac.authorization.k8s.io", kind: "Role", plural: "roles" },
  { group: "rbac.authorization.k8s.io", kind: "RoleBinding", plural: "rolebindings" },
  { group: "rbac.authorization.k8s.io", kind: "ClusterRole", plural: "clusterroles", clusterScoped: true },
  { group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding", plural: "clusterrolebindings", clusterScoped: true },
  { group: "admissionregistration.k8s.io", kind: "ValidatingAdmissionPolicy", plural: "validatingadmissionpolicies", categories: ["api-extensions"], clusterScoped: true, status: true, generation: true },
  { group: "admissionregistration.k8s.io", kind: "ValidatingAdmissionPolicyBinding", plural: "validatingadmissionpolicybindings", categories: ["api-extensions"], clusterScoped: true, generation: true },
  { group: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", plural: "volumesnapshots", shortNames: ["vs"], status: true, generation: true },
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
    verbs: ALL_VERBS,
    subresources: { status: spec.status, scale: spec.scale, proxy: spec.proxy },
    columns: builtinColumns[key] ?? [],
    fieldLabels: fieldLabelsByKind[key],
    strategicMerge: true,
    allowUnconditionalUpdate: true,
    deleteReturnsObject: spec.deleteReturnsObject,
    prepare: prepareByKind[key],
    validate: validateByKind[key],
    generation: spec.generation ?? false,
    microTimeFields: spec.microTimeFields,
  };
  if (group === "events.k8s.io") type.view = eventsV1View;
  return type;
}

export function builtinResourceTypes(): ResourceType[] {
  return BUILTIN_KINDS.map(toResourceType);
}
