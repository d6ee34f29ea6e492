// RBAC objects are validated as kube-apiserver validates them (422 with its messages).
import { describe, expect, test } from "bun:test";
import { useApiServer } from "../testing.ts";

const RBAC = "/apis/rbac.authorization.k8s.io/v1";
const G = "rbac.authorization.k8s.io";

describe("RBAC validation", () => {
  const ctx = useApiServer();
  const causes = (body: any) => body.details.causes.map((c: { field: string; message: string }) => `${c.field}: ${c.message}`);

  test("roleRef cannot change on a RoleBinding or ClusterRoleBinding update; subjects can", async () => {
    const rb = { metadata: { name: "rb" }, roleRef: { apiGroup: G, kind: "ClusterRole", name: "edit" }, subjects: [{ kind: "User", name: "alice" }] };
    const created = await ctx.client.post(`${RBAC}/namespaces/default/rolebindings`, rb);
    expect(created.status).toBe(201);
    expect(created.body.subjects).toEqual([{ apiGroup: G, kind: "User", name: "alice" }]);
    const changed = await ctx.client.put(`${RBAC}/namespaces/default/rolebindings/rb`, { ...created.body, roleRef: { apiGroup: G, kind: "ClusterRole", name: "view" } });
    expect(changed.status).toBe(422);
    expect(changed.body.message).toBe(
      'RoleBinding.rbac.authorization.k8s.io "rb" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"view"}: cannot change roleRef',
    );
    const subjects = await ctx.client.put(`${RBAC}/namespaces/default/rolebindings/rb`, { ...created.body, subjects: [{ kind: "Group", name: "devs" }] });
    expect(subjects.status).toBe(200);

    const crb = { metadata: { name: "crb" }, roleRef: { kind: "ClusterRole", name: "edit" }, subjects: [{ kind: "User", name: "alice" }] };
    const c = await ctx.client.post(`${RBAC}/clusterrolebindings`, crb);
    expect(c.status).toBe(201);
    expect(c.body.roleRef).toEqual({ apiGroup: G, kind: "ClusterRole", name: "edit" });
    const patched = await ctx.client.patch(`${RBAC}/clusterrolebindings/crb`, { roleRef: { name: "admin" } });
    expect(patched.status).toBe(422);
    expect(patched.body.message).toBe(
      'ClusterRoleBinding.rbac.authorization.k8s.io "crb" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"admin"}: cannot change roleRef',
    );
  });

  test("rules need verbs and apiGroups/resources, or nonResourceURLs (cluster roles only, never both)", async () => {
    const role = await ctx.client.post(`${RBAC}/namespaces/default/roles`, {
      metadata: { name: "bad" },
      rules: [{ apiGroups: [""], resources: ["pods"] }, { verbs: ["get"] }, { verbs: ["get"], nonResourceURLs: ["/healthz"] }],
    });
    expect(role.status).toBe(422);
    expect(causes(role.body)).toEqual([
      "rules[0].verbs: Required value: verbs must contain at least one value",
      "rules[1].apiGroups: Required value: resource rules must supply at least one api group",
      "rules[1].resources: Required value: resource rules must supply at least one resource",
      'rules[2].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
    ]);
    const mixed = await ctx.client.post(`${RBAC}/clusterroles`, {
      metadata: { name: "mixed" },
      rules: [{ verbs: ["get"], nonResourceURLs: ["/metrics"], resources: ["pods"], apiGroups: [""] }],
    });
    expect(mixed.status).toBe(422);
    expect(mixed.body.message).toBe(
      'ClusterRole.rbac.authorization.k8s.io "mixed" is invalid: rules[0].nonResourceURLs: Invalid value: []string{"/metrics"}: rules cannot apply to both regular resources and non-resource URLs',
    );
    const ok = await ctx.client.post(`${RBAC}/clusterroles`, { metadata: { name: "metrics" }, rules: [{ verbs: ["get"], nonResourceURLs: ["/metrics"] }] });
    expect(ok.status).toBe(201);
  });

  test("subjects need a kind and a name; a ServiceAccount of a ClusterRoleBinding its namespace", async () => {
    const res = await ctx.client.post(`${RBAC}/clusterrolebindings`, {
      metadata: { name: "subjects" },
      roleRef: { apiGroup: G, kind: "Role", name: "x" },
      subjects: [{ kind: "User" }, { kind: "ServiceAccount", name: "robot" }, { kind: "Robot", name: "r2" }],
    });
    expect(res.status).toBe(422);
    expect(causes(res.body)).toEqual([
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      "subjects[0].name: Required value",
      "subjects[1].namespace: Required value",
      'subjects[2].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    ]);
    const noName = await ctx.client.post(`${RBAC}/namespaces/default/rolebindings`, { metadata: { name: "noname" }, roleRef: { apiGroup: G, kind: "Role" } });
    expect(noName.status).toBe(422);
    expect(noName.body.message).toBe('RoleBinding.rbac.authorization.k8s.io "noname" is invalid: roleRef.name: Required value');
  });
});
