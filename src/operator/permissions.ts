// Every (group, resource[/subresource], verb) the operator's code sends to the API server, and why. The shipped
// RBAC (manifests/rbac) grants exactly this; e2e/operator-rbac.test.ts checks both directions: the manifests
// against this table, and this table against the requests a recorded operator run actually makes.
// A new call in the code (a new child kind, a new subresource) needs a line here and a rule there.

export interface Permission {
  /** API group ("" for core). */
  group: string;
  /** Plural, with "/<subresource>" when the call goes to a subresource. */
  resource: string;
  verbs: string[];
  /** "cluster": the ClusterRole (Kodes in any namespace); "own-namespace": the leader-election Role. */
  scope: "cluster" | "own-namespace";
  why: string;
}

const KODE = "kode.jacero.io";
const CHILD_VERBS = ["get", "list", "watch", "create", "patch", "delete"];

export const OPERATOR_PERMISSIONS: readonly Permission[] = [
  { group: KODE, resource: "kodes", verbs: ["list", "watch"], scope: "cluster", why: "informer" },
  { group: KODE, resource: "kodes", verbs: ["patch"], scope: "cluster", why: "finalizer added and removed with a merge patch; spec.paused and who paused it (src/lifecycle/pause.ts: the lifecycle's pauses and Falco's pause response)" },
  { group: KODE, resource: "kodes", verbs: ["get"], scope: "cluster", why: "a fresh read before an automatic pause: never pause a Kode being deleted (src/lifecycle/pause.ts)" },
  { group: KODE, resource: "kodes/status", verbs: ["patch"], scope: "cluster", why: "status" },
  { group: KODE, resource: "kodes/finalizers", verbs: ["update"], scope: "cluster", why: "children's ownerReferences set blockOwnerDeletion (checked on create by a real API server)" },
  { group: KODE, resource: "kodetemplates", verbs: ["list", "watch"], scope: "cluster", why: "informer" },
  { group: KODE, resource: "kodetemplates/status", verbs: ["patch"], scope: "cluster", why: "status" },
  { group: KODE, resource: "kodeclustertemplates", verbs: ["list", "watch"], scope: "cluster", why: "informer" },
  { group: KODE, resource: "kodeclustertemplates/status", verbs: ["patch"], scope: "cluster", why: "status" },
  { group: KODE, resource: "envoyproxyconfigs", verbs: ["list", "watch"], scope: "cluster", why: "informer" },
  { group: KODE, resource: "envoyproxyconfigs/status", verbs: ["patch"], scope: "cluster", why: "status" },
  { group: KODE, resource: "envoyproxyclusterconfigs", verbs: ["list", "watch"], scope: "cluster", why: "informer" },
  { group: KODE, resource: "envoyproxyclusterconfigs/status", verbs: ["patch"], scope: "cluster", why: "status" },
  { group: "", resource: "secrets", verbs: CHILD_VERBS, scope: "cluster", why: "<kode>-auth and <kode>-envoy-auth children; a user's existingSecret and OAuth2 client Secret fetched by name (get); the Falco webhook token Secret watched by name (--falco-token-secret)" },
  { group: "", resource: "services", verbs: CHILD_VERBS, scope: "cluster", why: "<kode> Service child; get when a create meets an existing object" },
  { group: "", resource: "persistentvolumeclaims", verbs: CHILD_VERBS, scope: "cluster", why: "<kode>-home child; keepVolume patch on delete" },
  { group: "", resource: "configmaps", verbs: CHILD_VERBS, scope: "cluster", why: "<kode>-envoy bootstrap child; a devcontainer.configMapRef fetched by name (get); Falco's rules ConfigMap kode-falco-rules in --falco-namespace (watched by name, created, patched)" },
  { group: "", resource: "pods", verbs: ["list", "watch"], scope: "cluster", why: "the Kodes' pods, label-selected informer: init container reports (src/kode/init-reports.ts)" },
  { group: "", resource: "pods/log", verbs: ["get"], scope: "cluster", why: "devcontainers: postStartCommand's exit code and last lines from the IDE container's log, once per container start (src/kode/init-reports.ts)" },
  { group: "", resource: "pods/proxy", verbs: ["get"], scope: "cluster", why: "activity readings of running Kodes through the pod proxy, one per Kode per --activity-interval (src/lifecycle/poller.ts)" },
  { group: "apps", resource: "statefulsets", verbs: CHILD_VERBS, scope: "cluster", why: "<kode> StatefulSet child" },
  { group: "networking.k8s.io", resource: "networkpolicies", verbs: CHILD_VERBS, scope: "cluster", why: "<kode> NetworkPolicy child of an Envoy sidecar; <kode>-isolate, Falco's isolate response" },
  { group: "", resource: "namespaces", verbs: ["list", "watch"], scope: "cluster", why: "informer: the owner label kode.jacero.io/owner of a user's namespace" },
  { group: "networking.k8s.io", resource: "ingresses", verbs: CHILD_VERBS, scope: "cluster", why: "<kode> Ingress child for a template's access" },
  { group: "gateway.networking.k8s.io", resource: "httproutes", verbs: CHILD_VERBS, scope: "cluster", why: "<kode> HTTPRoute child for access.gateway (with --gateway-api)" },
  { group: "batch", resource: "jobs", verbs: CHILD_VERBS, scope: "cluster", why: "backup and verify Jobs <kode>-backup-*/<kode>-verify-* (src/backup, created once, never patched) and the <kode>-restore-<request> Job of a paused Kode with spec.restore; removed once their result is in status; the CronJob's Jobs read; get/patch: the child step meeting a Job under its name or repairing its labels" },
  { group: "batch", resource: "cronjobs", verbs: CHILD_VERBS, scope: "cluster", why: "<kode>-backup CronJob child for a template's backup.schedule" },
  { group: "snapshot.storage.k8s.io", resource: "volumesnapshots", verbs: ["list", "watch", "create", "delete"], scope: "cluster", why: "VolumeSnapshots of a Kode's home (snapshot-now, at most keep), a user's named by storage.fromSnapshot; list at start: is the kind served" },
  { group: "", resource: "events", verbs: ["create", "patch"], scope: "cluster", why: "Events on Kodes (a repeated one has its count patched)" },
  { group: "coordination.k8s.io", resource: "leases", verbs: ["get", "create", "update"], scope: "own-namespace", why: "leader election: read, create, renew and release with PUT" },
];
