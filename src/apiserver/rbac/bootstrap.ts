// The default ClusterRoles and ClusterRoleBindings a cluster starts with (a subset of the bootstrap policy):
// cluster-admin for system:masters, discovery and public info for everyone, self reviews for every
// authenticated user, and the aggregated admin/edit/view roles.
import { timestamp } from "../state.ts";
import type { Store } from "../store.ts";
import type { KObject } from "../types.ts";
import { RBAC_RESOURCES } from "./authorizer.ts";
import type { PolicyRule } from "./rules.ts";

const API_VERSION = "rbac.authorization.k8s.io/v1";
const AGG = "rbac.authorization.k8s.io/aggregate-to-";
const READ = ["get", "list", "watch"];
const WRITE = ["create", "delete", "deletecollection", "patch", "update"];

const DISCOVERY_URLS = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"];
const PUBLIC_INFO_URLS = ["/healthz", "/livez", "/readyz", "/version", "/version/"];

const viewRules: PolicyRule[] = [
  { apiGroups: [""], resources: ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"], verbs: READ },
  { apiGroups: [""], resources: ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status", "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"], verbs: READ },
  { apiGroups: [""], resources: ["namespaces"], verbs: READ },
  { apiGroups: ["apps"], resources: ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"], verbs: READ },
  { apiGroups: ["batch"], resources: ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], verbs: READ },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses", "ingresses/status", "networkpolicies"], verbs: READ },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets", "poddisruptionbudgets/status"], verbs: READ },
  { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: READ },
];

const editRules: PolicyRule[] = [
  { apiGroups: [""], resources: ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"], verbs: READ },
  { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["impersonate"] },
  { apiGroups: [""], resources: ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], verbs: WRITE },
  { apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] },
  { apiGroups: [""], resources: ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"], verbs: WRITE },
  { apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"] },
  { apiGroups: ["apps"], resources: ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"], verbs: WRITE },
  { apiGroups: ["batch"], resources: ["cronjobs", "jobs"], verbs: WRITE },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses", "networkpolicies"], verbs: WRITE },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: WRITE },
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: [...READ, ...WRITE] },
];

const adminRules: PolicyRule[] = [
  { apiGroups: ["authorization.k8s.io"], resources: ["localsubjectaccessreviews"], verbs: ["create"] },
  { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings", "roles"], verbs: [...READ, ...WRITE] },
];

interface Seed {
  resource: string;
  object: KObject;
}

function clusterRole(name: string, rules: PolicyRule[], labels: Record<string, string> = {}, aggregateFrom?: string): Seed {
  const object: KObject = {
    apiVersion: API_VERSION,
    kind: "ClusterRole",
    metadata: { name, labels: { "kubernetes.io/bootstrapping": "rbac-defaults", ...labels }, annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" } },
    rules,
  };
  if (aggregateFrom) object.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [`${AGG}${aggregateFrom}`]: "true" } }] };
  return { resource: RBAC_RESOURCES.clusterRoles, object };
}

function clusterRoleBinding(name: string, role: string, groups: string[]): Seed {
  return {
    resource: RBAC_RESOURCES.clusterRoleBindings,
    object: {
      apiVersion: API_VERSION,
      kind: "ClusterRoleBinding",
      metadata: { name, labels: { "kubernetes.io/bootstrapping": "rbac-defaults" }, annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
      subjects: groups.map((name) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name })),
    },
  };
}

export const BOOTSTRAP_POLICY: Seed[] = [
  clusterRole("cluster-admin", [
    { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
    { nonResourceURLs: ["*"], verbs: ["*"] },
  ]),
  clusterRole("system:discovery", [{ nonResourceURLs: DISCOVERY_URLS, verbs: ["get"] }]),
  clusterRole("system:public-info-viewer", [{ nonResourceURLs: PUBLIC_INFO_URLS, verbs: ["get"] }]),
  clusterRole("system:basic-user", [
    { apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], verbs: ["create"] },
    { apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"], verbs: ["create"] },
  ]),
  clusterRole("admin", [], {}, "admin"),
  clusterRole("edit", [], { [`${AGG}admin`]: "true" }, "edit"),
  clusterRole("view", [], { [`${AGG}edit`]: "true" }, "view"),
  clusterRole("system:aggregate-to-admin", adminRules, { [`${AGG}admin`]: "true" }),
  clusterRole("system:aggregate-to-edit", editRules, { [`${AGG}admin`]: "true", [`${AGG}edit`]: "true" }),
  clusterRole("system:aggregate-to-view", viewRules, { [`${AGG}admin`]: "true", [`${AGG}edit`]: "true", [`${AGG}view`]: "true" }),
  clusterRoleBinding("cluster-admin", "cluster-admin", ["system:masters"]),
  clusterRoleBinding("system:discovery", "system:discovery", ["system:authenticated"]),
  clusterRoleBinding("system:public-info-viewer", "system:public-info-viewer", ["system:authenticated", "system:unauthenticated"]),
  clusterRoleBinding("system:basic-user", "system:basic-user", ["system:authenticated"]),
];

/** Creates the default policy objects that are missing (a restarted server with a data dir keeps its own). */
export function seedBootstrapPolicy(store: Store, now: number) {
  for (const { resource, object } of BOOTSTRAP_POLICY) {
    if (store.get(resource, undefined, object.metadata.name!)) continue;
    store.put(resource, { ...structuredClone(object), metadata: { ...structuredClone(object.metadata), uid: crypto.randomUUID(), creationTimestamp: timestamp(now) } }, undefined);
  }
}
