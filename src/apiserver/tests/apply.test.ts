// Checklist §5 F: server-side apply (application/apply-patch+yaml) over HTTP.
import { beforeAll, describe, expect, test } from "bun:test";
import { TestClient, useApiServer, widgetCrd, WIDGETS } from "../testing.ts";

const APPLY = "application/apply-patch+yaml";
const CM = "/api/v1/namespaces/default/configmaps";

const widget = (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name },
  spec,
  ...extra,
});

const managers = (obj: any) =>
  (obj.metadata.managedFields ?? []).map((m: any) => `${m.manager}/${m.operation}${m.subresource ? "/" + m.subresource : ""}`).sort();
const entry = (obj: any, manager: string, operation = "Apply") =>
  (obj.metadata.managedFields ?? []).find((m: any) => m.manager === manager && m.operation === operation && !m.subresource);

describe("server-side apply (F)", () => {
  const ctx = useApiServer();
  const apply = (name: string, body: unknown, manager?: string, query = "") =>
    ctx.client.patch(`${WIDGETS}/${name}?${manager ? `fieldManager=${manager}` : ""}${query}`, body, APPLY);

  beforeAll(async () => {
    expect((await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd())).status).toBe(201);
  });

  test("F3: apply creates a missing object (201) with one Apply managedFields entry", async () => {
    const res = await apply("a1", widget("a1", { size: 2, color: "red" }), "mgr-a");
    expect(res.status).toBe(201);
    expect(res.body.metadata.generation).toBe(1);
    expect(res.body.spec).toEqual({ size: 2, color: "red" });
    const mf = res.body.metadata.managedFields;
    expect(mf).toHaveLength(1);
    expect(mf[0]).toMatchObject({ manager: "mgr-a", operation: "Apply", apiVersion: "example.com/v1", fieldsType: "FieldsV1" });
    expect(mf[0].time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(mf[0].fieldsV1).toEqual({ "f:spec": { "f:color": {}, "f:size": {} } });
    const read = await ctx.client.get(`${WIDGETS}/a1`);
    expect(read.body.metadata.uid).toBe(res.body.metadata.uid);
    expect(read.body.metadata.managedFields).toEqual(mf);
  });

  test("F2: YAML bodies are accepted (and JSON is YAML too)", async () => {
    const yaml = ["apiVersion: example.com/v1", "kind: Widget", "metadata:", "  name: y1", "  labels:", "    app: demo", "spec:", "  size: 4", "  tags:", "    - one", "    - two", ""].join("\n");
    const res = await apply("y1", yaml, "yaml-mgr");
    expect(res.status).toBe(201);
    expect(res.body.spec).toEqual({ size: 4, tags: ["one", "two"] });
    expect(res.body.metadata.labels).toEqual({ app: "demo" });
    expect(entry(res.body, "yaml-mgr").fieldsV1).toEqual({ "f:metadata": { "f:labels": { "f:app": {} } }, "f:spec": { "f:size": {}, "f:tags": {} } });
    const bad = await apply("y2", "spec: [unclosed", "yaml-mgr");
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toBe("BadRequest");
  });

  test("F1: fieldManager is required for apply (PatchOptions validation, before the lookup)", async () => {
    for (const name of ["a1", "never-created"]) {
      const res = await apply(name, widget(name, { size: 9 }));
      expect(res.status).toBe(422);
      expect(res.body.reason).toBe("Invalid");
      expect(res.body.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
      expect(res.body.details.causes).toEqual([{ reason: "FieldValueRequired", message: "Required value: is required for apply patch", field: "fieldManager" }]);
    }
    expect((await ctx.client.get(`${WIDGETS}/never-created`)).status).toBe(404);
    expect((await ctx.client.get(`${WIDGETS}/a1`)).body.spec.size).toBe(2);
    const force = await ctx.client.patch(`${WIDGETS}/a1?force=true`, { spec: { size: 9 } }, "application/merge-patch+json");
    expect(force.status).toBe(422);
    expect(force.body.message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  });

  test("a name in the body that differs from the URL gives 400", async () => {
    const res = await apply("n1", widget("n2", { size: 1 }), "mgr-a");
    expect(res.status).toBe(400);
    expect(res.body.message).toBe("the name of the object (n2) does not match the name on the URL (n1)");
  });

  test("re-applying the same configuration changes nothing (same resourceVersion)", async () => {
    const first = await apply("r1", widget("r1", { size: 2 }), "mgr-a");
    const again = await apply("r1", widget("r1", { size: 2 }), "mgr-a");
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
    expect(again.body.metadata.generation).toBe(1);
    const changed = await apply("r1", widget("r1", { size: 3 }), "mgr-a");
    expect(changed.status).toBe(200);
    expect(Number(changed.body.metadata.resourceVersion)).toBeGreaterThan(Number(first.body.metadata.resourceVersion));
    expect(changed.body.metadata.generation).toBe(2);
  });

  test("F4: a second manager changing an owned field gets 409 with FieldManagerConflict causes", async () => {
    await apply("c1", widget("c1", { size: 2, color: "red" }), "mgr-a");
    const res = await apply("c1", widget("c1", { size: 5 }), "mgr-b");
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ kind: "Status", status: "Failure", reason: "Conflict", code: 409 });
    expect(res.body.message).toBe('Apply failed with 1 conflict: conflict with "mgr-a": .spec.size');
    expect(res.body.details.causes).toEqual([{ type: "FieldManagerConflict", message: 'conflict with "mgr-a"', field: ".spec.size" }]);
    expect((await ctx.client.get(`${WIDGETS}/c1`)).body.spec.size).toBe(2);

    const two = await apply("c1", widget("c1", { size: 5, color: "blue" }), "mgr-b");
    expect(two.status).toBe(409);
    expect(two.body.message).toBe('Apply failed with 2 conflicts: conflicts with "mgr-a":\n- .spec.color\n- .spec.size');
    expect(two.body.details.causes.map((c: any) => c.field).sort()).toEqual([".spec.color", ".spec.size"]);
  });

  test("F4: applying the same value as another manager shares ownership without conflict", async () => {
    await apply("c2", widget("c2", { size: 2, color: "red" }), "mgr-a");
    const res = await apply("c2", widget("c2", { size: 2 }), "mgr-b");
    expect(res.status).toBe(200);
    expect(managers(res.body)).toEqual(["mgr-a/Apply", "mgr-b/Apply"]);
    expect(entry(res.body, "mgr-b").fieldsV1).toEqual({ "f:spec": { "f:size": {} } });
  });

  test("F4: force=true takes ownership from the other manager", async () => {
    await apply("f1", widget("f1", { size: 2, color: "red" }), "mgr-a");
    const res = await apply("f1", widget("f1", { size: 7 }), "mgr-b", "&force=true");
    expect(res.status).toBe(200);
    expect(res.body.spec).toEqual({ size: 7, color: "red" });
    expect(entry(res.body, "mgr-b").fieldsV1).toEqual({ "f:spec": { "f:size": {} } });
    expect(entry(res.body, "mgr-a").fieldsV1).toEqual({ "f:spec": { "f:color": {} } });
    // mgr-a no longer owns size: changing it back is a conflict with mgr-b now.
    const back = await apply("f1", widget("f1", { size: 2, color: "red" }), "mgr-a");
    expect(back.status).toBe(409);
    expect(back.body.message).toBe('Apply failed with 1 conflict: conflict with "mgr-b": .spec.size');
  });

  test("F5: fields the manager applied before and now omits are removed, unless someone else owns them", async () => {
    await apply("o1", widget("o1", { size: 2, color: "red", tags: ["x"] }), "mgr-a");
    const res = await apply("o1", widget("o1", { size: 2 }), "mgr-a");
    expect(res.status).toBe(200);
    expect(res.body.spec).toEqual({ size: 2 });
    expect(entry(res.body, "mgr-a").fieldsV1).toEqual({ "f:spec": { "f:size": {} } });

    await apply("o2", widget("o2", { size: 2, color: "red" }), "mgr-a");
    await apply("o2", widget("o2", { color: "red" }), "mgr-b");
    const kept = await apply("o2", widget("o2", { size: 2 }), "mgr-a");
    expect(kept.body.spec).toEqual({ size: 2, color: "red" });
    expect(entry(kept.body, "mgr-a").fieldsV1).toEqual({ "f:spec": { "f:size": {} } });
  });

  test("F4: PUT and PATCH record Update managers from fieldManager or the User-Agent prefix", async () => {
    const created = await apply("u1", widget("u1", { size: 2 }), "mgr-a");
    const put = await ctx.client.put(`${WIDGETS}/u1?fieldManager=editor`, { ...created.body, spec: { ...created.body.spec, color: "green" } });
    expect(put.status).toBe(200);
    const editor = entry(put.body, "editor", "Update");
    expect(editor).toMatchObject({ manager: "editor", operation: "Update", apiVersion: "example.com/v1", fieldsType: "FieldsV1" });
    expect(editor.fieldsV1).toEqual({ "f:spec": { "f:color": {} } });

    const operator = new TestClient(ctx.server, "my-operator/v0.3.1 (linux/amd64) kode/abc");
    const patched = await operator.patch(`${WIDGETS}/u1`, { metadata: { labels: { team: "a" } } });
    expect(patched.status).toBe(200);
    // Update managers also own a map they created ("." entry).
    expect(entry(patched.body, "my-operator", "Update").fieldsV1).toEqual({ "f:metadata": { "f:labels": { ".": {}, "f:team": {} } } });
    expect(managers(patched.body)).toEqual(["editor/Update", "mgr-a/Apply", "my-operator/Update"]);

    // An Update manager that changed a field conflicts with an apply of a different value.
    const conflict = await apply("u1", widget("u1", { size: 2, color: "red" }), "mgr-a");
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toBe('Apply failed with 1 conflict: conflict with "editor" using example.com/v1: .spec.color');
  });

  test("create through POST records an Update manager too", async () => {
    const res = await ctx.client.post(`${CM}?fieldManager=creator`, { metadata: { name: "cm1" }, data: { a: "1" } });
    expect(res.status).toBe(201);
    expect(res.body.metadata.managedFields).toHaveLength(1);
    expect(res.body.metadata.managedFields[0]).toMatchObject({ manager: "creator", operation: "Update", apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: { "f:data": { ".": {}, "f:a": {} } } });
  });

  test("apply works for built-ins, and an apply to a new ConfigMap creates it", async () => {
    const res = await ctx.client.patch(`${CM}/applied?fieldManager=kubectl`, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "applied" }, data: { k: "v" } }, APPLY);
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({ k: "v" });
    expect(entry(res.body, "kubectl").fieldsV1).toEqual({ "f:data": { "f:k": {} } });
  });

  test("F7: status in an apply to the main resource is ignored; an apply to /status touches only status", async () => {
    const created = await apply("s1", widget("s1", { size: 2 }, { status: { conditions: [{ type: "Ready", status: "True" }] } }), "mgr-a");
    expect(created.status).toBe(201);
    expect(created.body.status).toBeUndefined();
    expect(entry(created.body, "mgr-a").fieldsV1).toEqual({ "f:spec": { "f:size": {} } });

    const res = await ctx.client.patch(
      `${WIDGETS}/s1/status?fieldManager=status-mgr`,
      widget("s1", { size: 99 }, { metadata: { name: "s1", labels: { sneaky: "yes" } }, status: { conditions: [{ type: "Ready", status: "True" }] } }),
      APPLY,
    );
    expect(res.status).toBe(200);
    expect(res.body.status).toEqual({ conditions: [{ type: "Ready", status: "True" }] });
    expect(res.body.spec).toEqual({ size: 2 });
    expect(res.body.metadata.labels).toBeUndefined();
    expect(res.body.metadata.generation).toBe(1);
    const statusEntry = res.body.metadata.managedFields.find((m: any) => m.manager === "status-mgr");
    expect(statusEntry).toMatchObject({ operation: "Apply", subresource: "status", fieldsType: "FieldsV1" });
    // The status strategy's reset fields are only `spec` (apiextensions statusStrategy.GetResetFieldsFilter).
    expect(statusEntry.fieldsV1["f:status"]).toEqual({ "f:conditions": {} });
    expect(statusEntry.fieldsV1["f:spec"]).toBeUndefined();

    const read = await ctx.client.get(`${WIDGETS}/s1`);
    expect(read.body.spec).toEqual({ size: 2 });
    expect(read.body.status.conditions[0].status).toBe("True");

    const missing = await ctx.client.patch(`${WIDGETS}/nope/status?fieldManager=status-mgr`, widget("nope", {}, { status: {} }), APPLY);
    expect(missing.status).toBe(404);
  });

  test("dryRun=All apply to a missing object answers 201 and stores nothing", async () => {
    const res = await apply("dry", widget("dry", { size: 2 }), "mgr-a", "&dryRun=All");
    expect(res.status).toBe(201);
    expect((await ctx.client.get(`${WIDGETS}/dry`)).status).toBe(404);
  });
});
