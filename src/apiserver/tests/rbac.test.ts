// RBAC authorization (--authorization-mode RBAC) and the identities it decides about: static tokens,
// ServiceAccount tokens from TokenRequest, impersonation; the review APIs; escalation prevention.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApiServer, type ApiServer } from "../server.ts";

const TOKENS = `# token,user,uid,groups
admin-token,root,0,system:masters
alice-token,alice,1001,"dev,qa"
bob-token,bob,1002
imp-token,impersonator,1003,"ops"
esc-token,escalator,1004
`;

let server: ApiServer;
let dir: string;

async function call(token: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { accept: "application/json", "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed };
}
const admin = (method: string, path: string, body?: unknown) => call("admin-token", method, path, body);
const as = (token: string) => (method: string, path: string, body?: unknown, headers?: Record<string, string>) => call(token, method, path, body, headers);
const alice = as("alice-token");
const bob = as("bob-token");

const RBAC = "/apis/rbac.authorization.k8s.io/v1";

async function mustCreate(path: string, body: unknown) {
  const res = await admin("POST", path, body);
  if (res.status !== 201) throw new Error(`create ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kode-rbac-test-"));
  writeFileSync(join(dir, "tokens.csv"), TOKENS);
  server = await startApiServer({ authorizationMode: "RBAC", tokenFile: join(dir, "tokens.csv"), kubeconfigPath: join(dir, "kubeconfig") });
  await mustCreate("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } });
  await mustCreate(`${RBAC}/namespaces/team/roles`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "pod-reader", namespace: "team" },
    rules: [
      { apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["configmaps"], resourceNames: ["settings"], verbs: ["get", "update"] },
    ],
  });
  await mustCreate(`${RBAC}/namespaces/team/rolebindings`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "alice-reads-pods", namespace: "team" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "alice" }],
  });
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a user bound to a namespaced Role", () => {
  test("can do what the Role grants in its namespace", async () => {
    expect((await alice("GET", "/api/v1/namespaces/team/pods")).status).toBe(200);
    expect((await alice("GET", "/api/v1/namespaces/team/pods?watch=1&timeoutSeconds=1")).status).toBe(200);
    expect((await alice("GET", "/api/v1/namespaces/team/pods/missing")).status).toBe(404);
  });

  test("is refused elsewhere with the apiserver's Forbidden Status", async () => {
    const res = await alice("GET", "/api/v1/namespaces/default/pods");
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"',
      reason: "Forbidden",
      details: { kind: "pods" , group: "" },
      code: 403,
    });
  });

  test("messages name the object, the subresource and the scope", async () => {
    const secret = await alice("GET", "/api/v1/namespaces/team/secrets/db");
    expect(secret.body.message).toBe('secrets "db" is forbidden: User "alice" cannot get resource "secrets" in API group "" in the namespace "team"');
    expect(secret.body.details).toEqual({ name: "db", group: "", kind: "secrets" });
    const all = await alice("GET", "/api/v1/pods");
    expect(all.body.message).toBe('pods is forbidden: User "alice" cannot list resource "pods" in API group "" at the cluster scope');
    const create = await alice("POST", "/api/v1/namespaces/team/pods", { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "busybox" }] } });
    expect(create.status).toBe(403);
    expect(create.body.message).toBe('pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "team"');
    const status = await alice("PATCH", "/api/v1/namespaces/team/pods/p/status", {}, { "content-type": "application/merge-patch+json" });
    expect(status.body.message).toBe('pods "p" is forbidden: User "alice" cannot patch resource "pods/status" in API group "" in the namespace "team"');
    const kodes = await alice("GET", "/apis/kode.jacero.io/v1alpha1/namespaces/default/kodes/x");
    expect(kodes.body.message).toBe('kodes.kode.jacero.io "x" is forbidden: User "alice" cannot get resource "kodes" in API group "kode.jacero.io" in the namespace "default"');
    const ns = await alice("DELETE", "/api/v1/namespaces/team");
    expect(ns.body.message).toBe('namespaces "team" is forbidden: User "alice" cannot delete resource "namespaces" in API group "" in the namespace "team"');
  });

  test("watch and deletecollection are verbs of their own", async () => {
    const watch = await alice("GET", "/api/v1/namespaces/default/pods?watch=true");
    expect(watch.body.message).toBe('pods is forbidden: User "alice" cannot watch resource "pods" in API group "" in the namespace "default"');
    const dc = await alice("DELETE", "/api/v1/namespaces/team/pods");
    expect(dc.body.message).toBe('pods is forbidden: User "alice" cannot deletecollection resource "pods" in API group "" in the namespace "team"');
  });

  test("resourceNames limit a rule to the named object", async () => {
    expect((await alice("GET", "/api/v1/namespaces/team/configmaps/settings")).status).toBe(404);
    expect((await alice("GET", "/api/v1/namespaces/team/configmaps/other")).status).toBe(403);
    expect((await alice("GET", "/api/v1/namespaces/team/configmaps")).status).toBe(403);
    expect((await alice("GET", "/api/v1/namespaces/team/configmaps?fieldSelector=metadata.name%3Dsettings")).status).toBe(403);
  });

  test("discovery and version are open to every authenticated user, other paths are not", async () => {
    for (const path of ["/api", "/apis", "/api/v1", "/version", "/openapi/v2", "/healthz"]) expect([path, (await bob("GET", path)).status]).toEqual([path, 200]);
    const metrics = await bob("GET", "/metrics");
    expect(metrics.status).toBe(403);
    expect(metrics.body.message).toBe('forbidden: User "bob" cannot get path "/metrics"');
  });

  test("unknown tokens get 401, system:masters may do anything", async () => {
    expect((await call("nope", "GET", "/api/v1/namespaces")).status).toBe(401);
    expect((await admin("GET", "/api/v1/secrets")).status).toBe(200);
  });
});

describe("ClusterRoles and ClusterRoleBindings", () => {
  test("an aggregated ClusterRole carries the rules of the roles its selector matches, kept up to date", async () => {
    await mustCreate(`${RBAC}/clusterroles`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "monitoring" },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "example.com/aggregate-to-monitoring": "true" } }] },
    });
    await mustCreate(`${RBAC}/clusterroles`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "monitoring-endpoints", labels: { "example.com/aggregate-to-monitoring": "true" } },
      rules: [{ apiGroups: [""], resources: ["services"], verbs: ["list"] }],
    });
    await mustCreate(`${RBAC}/clusterrolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "bob-monitoring" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "monitoring" },
      subjects: [{ kind: "User", name: "bob" }],
    });
    await Bun.sleep(20);
    expect((await admin("GET", `${RBAC}/clusterroles/monitoring`)).body.rules).toEqual([{ apiGroups: [""], resources: ["services"], verbs: ["list"] }]);
    expect((await bob("GET", "/api/v1/services")).status).toBe(200);
    expect((await bob("GET", "/api/v1/configmaps")).status).toBe(403);
    const part = (await admin("GET", `${RBAC}/clusterroles/monitoring-endpoints`)).body;
    part.rules.push({ apiGroups: [""], resources: ["configmaps"], verbs: ["list"] });
    expect((await admin("PUT", `${RBAC}/clusterroles/monitoring-endpoints`, part)).status).toBe(200);
    await Bun.sleep(20);
    expect((await bob("GET", "/api/v1/configmaps")).status).toBe(200);
    expect((await admin("DELETE", `${RBAC}/clusterroles/monitoring-endpoints`)).status).toBe(200);
    await Bun.sleep(20);
    expect((await admin("GET", `${RBAC}/clusterroles/monitoring`)).body.rules).toEqual([]);
    expect((await bob("GET", "/api/v1/services")).status).toBe(403);
  });

  test("a RoleBinding to a ClusterRole grants it in the binding's namespace only; wildcards match all", async () => {
    await mustCreate(`${RBAC}/namespaces/team/rolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "dev-edit", namespace: "team" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
      subjects: [{ kind: "Group", name: "qa" }],
    });
    expect((await alice("POST", "/api/v1/namespaces/team/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c1" } })).status).toBe(201);
    expect((await alice("POST", "/api/v1/namespaces/default/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c1" } })).status).toBe(403);
    // edit does not include roles
    expect((await alice("GET", `${RBAC}/namespaces/team/roles`)).status).toBe(403);
    await mustCreate(`${RBAC}/clusterroles`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "all-status" },
      rules: [{ apiGroups: ["*"], resources: ["*/status"], verbs: ["get"] }],
    });
    await mustCreate(`${RBAC}/clusterrolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "bob-status" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "all-status" },
      subjects: [{ kind: "User", name: "bob" }],
    });
    expect((await bob("GET", "/api/v1/namespaces/team/pods/p/status")).status).toBe(404);
    expect((await bob("GET", "/api/v1/namespaces/team/pods/p")).status).toBe(403);
  });
});

describe("bindings change at once", () => {
  test("a subject removed from a binding, or a deleted binding, no longer grants", async () => {
    await mustCreate(`${RBAC}/namespaces/team/rolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "bob-reads-pods", namespace: "team" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
      subjects: [{ kind: "User", name: "bob" }, { kind: "User", name: "dave" }],
    });
    expect((await bob("GET", "/api/v1/namespaces/team/pods")).status).toBe(200);
    const binding = (await admin("GET", `${RBAC}/namespaces/team/rolebindings/bob-reads-pods`)).body;
    binding.subjects = [{ kind: "User", name: "dave" }];
    expect((await admin("PUT", `${RBAC}/namespaces/team/rolebindings/bob-reads-pods`, binding)).status).toBe(200);
    expect((await bob("GET", "/api/v1/namespaces/team/pods")).status).toBe(403);
    binding.subjects = [{ kind: "User", name: "bob" }];
    delete binding.metadata.resourceVersion;
    expect((await admin("PUT", `${RBAC}/namespaces/team/rolebindings/bob-reads-pods`, binding)).status).toBe(200);
    expect((await bob("GET", "/api/v1/namespaces/team/pods")).status).toBe(200);
    expect((await admin("DELETE", `${RBAC}/namespaces/team/rolebindings/bob-reads-pods`)).status).toBe(200);
    expect((await bob("GET", "/api/v1/namespaces/team/pods")).status).toBe(403);
  });
});

describe("ServiceAccount tokens (TokenRequest)", () => {
  test("a token authenticates as the ServiceAccount with its groups, until the ServiceAccount is deleted", async () => {
    await mustCreate("/api/v1/namespaces/team/serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "robot" } });
    const tr = await admin("POST", "/api/v1/namespaces/team/serviceaccounts/robot/token", { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} });
    expect(tr.status).toBe(201);
    expect(tr.body.kind).toBe("TokenRequest");
    expect(tr.body.spec).toEqual({ audiences: ["https://kubernetes.default.svc.cluster.local"], expirationSeconds: 3600, boundObjectRef: null });
    const token: string = tr.body.status.token;
    expect(token.split(".")).toHaveLength(3);
    const robot = as(token);
    const who = await robot("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
    expect(who.status).toBe(201);
    expect(who.body.status.userInfo.username).toBe("system:serviceaccount:team:robot");
    expect(who.body.status.userInfo.groups).toEqual(["system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"]);
    const denied = await robot("GET", "/api/v1/namespaces/team/configmaps");
    expect(denied.body.message).toBe('configmaps is forbidden: User "system:serviceaccount:team:robot" cannot list resource "configmaps" in API group "" in the namespace "team"');
    await mustCreate(`${RBAC}/namespaces/team/rolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "robot-view", namespace: "team" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "ServiceAccount", name: "robot", namespace: "team" }],
    });
    expect((await robot("GET", "/api/v1/namespaces/team/configmaps")).status).toBe(200);
    expect((await admin("DELETE", "/api/v1/namespaces/team/serviceaccounts/robot")).status).toBe(200);
    expect((await robot("GET", "/api/v1/namespaces/team/configmaps")).status).toBe(401);
  });

  test("TokenRequest refuses a missing ServiceAccount and too short a lifetime", async () => {
    const missing = await admin("POST", "/api/v1/namespaces/team/serviceaccounts/ghost/token", { spec: {} });
    expect([missing.status, missing.body.message]).toEqual([404, 'serviceaccounts "ghost" not found']);
    await mustCreate("/api/v1/namespaces/team/serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "short" } });
    const short = await admin("POST", "/api/v1/namespaces/team/serviceaccounts/short/token", { spec: { expirationSeconds: 60 } });
    expect(short.status).toBe(422);
    expect(short.body.message).toBe('TokenRequest.authentication.k8s.io "short" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
    // creating tokens is itself authorized: bob may not
    const byBob = await bob("POST", "/api/v1/namespaces/team/serviceaccounts/short/token", { spec: {} });
    expect(byBob.body.message).toBe('serviceaccounts "short" is forbidden: User "bob" cannot create resource "serviceaccounts/token" in API group "" in the namespace "team"');
  });

  test("a token for another audience does not log in", async () => {
    const tr = await admin("POST", "/api/v1/namespaces/team/serviceaccounts/short/token", { spec: { audiences: ["vault"] } });
    expect(tr.status).toBe(201);
    expect((await call(tr.body.status.token, "GET", "/version")).status).toBe(401);
  });
});

describe("impersonation", () => {
  beforeAll(async () => {
    await mustCreate(`${RBAC}/clusterroles`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "impersonate-alice" },
      rules: [
        { apiGroups: [""], resources: ["users"], resourceNames: ["alice"], verbs: ["impersonate"] },
        { apiGroups: [""], resources: ["groups"], resourceNames: ["qa"], verbs: ["impersonate"] },
      ],
    });
    await mustCreate(`${RBAC}/clusterrolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "ops-impersonate" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "impersonate-alice" },
      subjects: [{ kind: "Group", name: "ops" }],
    });
  });
  const imp = as("imp-token");

  test("a user allowed to impersonate gets exactly the impersonated identity's permissions", async () => {
    expect((await imp("GET", "/api/v1/namespaces/team/pods")).status).toBe(403);
    expect((await imp("GET", "/api/v1/namespaces/team/pods", undefined, { "impersonate-user": "alice" })).status).toBe(200);
    const who = await imp("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {}, { "impersonate-user": "alice", "impersonate-group": "qa" });
    expect(who.body.status.userInfo).toEqual({ username: "alice", groups: ["qa", "system:authenticated"] });
  });

  test("impersonating a ServiceAccount needs impersonate on serviceaccounts in its namespace and adds its groups", async () => {
    const sa = "system:serviceaccount:team:builder";
    const refused = await imp("GET", "/version", undefined, { "impersonate-user": sa });
    expect(refused.body.message).toBe('serviceaccounts "builder" is forbidden: User "impersonator" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "team"');
    await mustCreate(`${RBAC}/namespaces/team/rolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "ops-impersonate-sa", namespace: "team" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
      subjects: [{ kind: "Group", name: "ops" }],
    });
    const who = await imp("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {}, { "impersonate-user": sa });
    expect(who.body.status.userInfo).toEqual({ username: sa, groups: ["system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"] });
  });

  test("impersonating someone else, or a group not granted, is refused", async () => {
    const asBob = await imp("GET", "/api/v1/namespaces/team/pods", undefined, { "impersonate-user": "bob" });
    expect(asBob.status).toBe(403);
    expect(asBob.body.message).toBe('users "bob" is forbidden: User "impersonator" cannot impersonate resource "users" in API group "" at the cluster scope');
    const asMasters = await imp("GET", "/api/v1/secrets", undefined, { "impersonate-user": "alice", "impersonate-group": "system:masters" });
    expect(asMasters.body.message).toBe('groups "system:masters" is forbidden: User "impersonator" cannot impersonate resource "groups" in API group "" at the cluster scope');
    const byAlice = await alice("GET", "/version", undefined, { "impersonate-user": "bob" });
    expect(byAlice.status).toBe(403);
  });
});

describe("review APIs answer from the same rules", () => {
  const ssar = (who: typeof alice, resourceAttributes: Record<string, string>) =>
    who("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes } });

  test("SelfSubjectAccessReview", async () => {
    const yes = await ssar(alice, { namespace: "team", verb: "list", resource: "pods" });
    expect(yes.status).toBe(201);
    expect(yes.body.status).toEqual({ allowed: true, reason: 'RBAC: allowed by RoleBinding "alice-reads-pods/team" of Role "pod-reader" to User "alice"' });
    expect((await ssar(alice, { namespace: "default", verb: "list", resource: "pods" })).body.status).toEqual({ allowed: false });
    expect((await ssar(alice, { namespace: "team", verb: "get", resource: "pods", subresource: "log" })).body.status.allowed).toBe(true);
    expect((await ssar(bob, { namespace: "team", verb: "get", resource: "configmaps", name: "other" })).body.status.allowed).toBe(false);
    expect((await ssar(alice, { namespace: "team", verb: "list", group: "rbac.authorization.k8s.io", resource: "roles" })).body.status.allowed).toBe(false);
  });

  test("SubjectAccessReview asks about someone else (and needs permission to)", async () => {
    const body = { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec: { user: "alice", groups: ["dev"], resourceAttributes: { namespace: "team", verb: "watch", resource: "pods" } } };
    const res = await admin("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", body);
    expect([res.status, res.body.status.allowed]).toEqual([201, true]);
    const denied = await admin("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", { ...body, spec: { ...body.spec, user: "bob", groups: [] } });
    expect(denied.body.status.allowed).toBe(false);
    const byAlice = await alice("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", body);
    expect(byAlice.body.message).toBe('subjectaccessreviews.authorization.k8s.io is forbidden: User "alice" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope');
  });

  test("SelfSubjectRulesReview lists the Role's rules and the defaults", async () => {
    const res = await alice("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace: "team" } });
    expect(res.status).toBe(201);
    expect(res.body.status.resourceRules).toContainEqual({ verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods", "pods/log"] });
    expect(res.body.status.resourceRules).toContainEqual({ verbs: ["get", "update"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["settings"] });
    expect(res.body.status.resourceRules).toContainEqual({ verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"] });
    expect(res.body.status.nonResourceRules).toContainEqual({ verbs: ["get"], nonResourceURLs: ["/healthz", "/livez", "/readyz", "/version", "/version/"] });
    expect(res.body.status.incomplete).toBe(false);
  });
});

describe("escalation prevention", () => {
  beforeAll(async () => {
    await mustCreate(`${RBAC}/namespaces/team/roles`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "role-writer", namespace: "team" },
      rules: [
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: ["create", "update", "patch", "get"] },
        { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] },
      ],
    });
    await mustCreate(`${RBAC}/namespaces/team/rolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "escalator-writes-roles", namespace: "team" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "role-writer" },
      subjects: [{ kind: "User", name: "escalator" }],
    });
  });
  const esc = as("esc-token");
  const role = (name: string, rules: unknown[]) => ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name, namespace: "team" }, rules });

  test("a Role with only permissions the user holds may be created", async () => {
    expect((await esc("POST", `${RBAC}/namespaces/team/roles`, role("cm-reader", [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }]))).status).toBe(201);
  });

  test("a Role granting more is refused, naming what is not held", async () => {
    const res = await esc("POST", `${RBAC}/namespaces/team/roles`, role("secret-reader", [{ apiGroups: [""], resources: ["secrets", "configmaps"], verbs: ["get"] }]));
    expect(res.status).toBe(403);
    expect(res.body.message).toBe(
      'roles.rbac.authorization.k8s.io "secret-reader" is forbidden: user "escalator" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
    );
  });

  test("a patch (merge or server-side apply) that would grant more is refused too", async () => {
    const merge = await esc("PATCH", `${RBAC}/namespaces/team/roles/cm-reader`, { rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }] }, { "content-type": "application/merge-patch+json" });
    expect(merge.status).toBe(403);
    expect(merge.body.message).toContain('{APIGroups:[""], Resources:["secrets"], Verbs:["list"]}');
    const apply = await esc(
      "PATCH",
      `${RBAC}/namespaces/team/roles/applied?fieldManager=esc`,
      role("applied", [{ apiGroups: [""], resources: ["pods"], verbs: ["delete"] }]),
      { "content-type": "application/apply-patch+yaml" },
    );
    expect(apply.status).toBe(403);
    expect((await admin("GET", `${RBAC}/namespaces/team/roles/applied`)).status).toBe(404);
    expect((await admin("GET", `${RBAC}/namespaces/team/roles/cm-reader`)).body.rules).toEqual([{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }]);
    const harmless = await esc("PATCH", `${RBAC}/namespaces/team/roles/cm-reader`, { rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list"] }] }, { "content-type": "application/merge-patch+json" });
    expect(harmless.status).toBe(200);
  });

  test("binding a role needs its permissions or bind on it", async () => {
    const binding = (name: string, roleName: string) => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name, namespace: "team" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
      subjects: [{ kind: "User", name: "bob" }],
    });
    expect((await esc("POST", `${RBAC}/namespaces/team/rolebindings`, binding("bob-admin", "admin"))).status).toBe(403);
    expect((await esc("POST", `${RBAC}/namespaces/team/rolebindings`, { ...binding("bob-cm", "x"), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "cm-reader" } })).status).toBe(201);
  });
});

describe("RBAC across a restart with a data dir", () => {
  test("bindings restored from disk authorize as before; the default policy is not duplicated", async () => {
    const data = mkdtempSync(join(tmpdir(), "kode-rbac-data-"));
    const tokens = join(data, "tokens.csv");
    writeFileSync(tokens, "adm,root,0,system:masters\nfrank-token,frank,7\n");
    try {
      const first = await startApiServer({ authorizationMode: "RBAC", tokenFile: tokens, dataDir: data });
      const res = await fetch(`${first.url}${RBAC}/clusterrolebindings`, {
        method: "POST",
        headers: { authorization: "Bearer adm", "content-type": "application/json" },
        body: JSON.stringify({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "frank-view" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" }, subjects: [{ kind: "User", name: "frank" }] }),
      });
      expect(res.status).toBe(201);
      await first.stop();
      const second = await startApiServer({ authorizationMode: "RBAC", tokenFile: tokens, dataDir: data });
      try {
        const cms = await fetch(`${second.url}/api/v1/configmaps`, { headers: { authorization: "Bearer frank-token" } });
        expect(cms.status).toBe(200);
        const secrets = await fetch(`${second.url}/api/v1/secrets`, { headers: { authorization: "Bearer frank-token" } });
        expect(secrets.status).toBe(403);
        const roles = (await (await fetch(`${second.url}${RBAC}/clusterroles`, { headers: { authorization: "Bearer adm" } })).json()) as any;
        expect(roles.items.filter((r: any) => r.metadata.name === "cluster-admin")).toHaveLength(1);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
