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
