// Checklist §5 A–D: metadata, create, get/list, update and optimistic concurrency.
import { describe, expect, test } from "bun:test";
import { useApiServer, widgetCrd, WIDGETS } from "../testing.ts";

const CM = "/api/v1/namespaces/default/configmaps";
const cm = (name: string, data: Record<string, string> = { a: "1" }, labels?: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});

describe("metadata and resourceVersion (A)", () => {
  const ctx = useApiServer();

  test("A1/A3: create sets uid, creationTimestamp (seconds, Z), one global increasing resourceVersion", async () => {
    const a = await ctx.client.post(CM, cm("a1"));
    const b = await ctx.client.post("/api/v1/namespaces/default/secrets", { metadata: { name: "s1" }, stringData: { x: "y" } });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(typeof a.body.metadata.resourceVersion).toBe("string");
    expect(Number(b.body.metadata.resourceVersion)).toBeGreaterThan(Number(a.body.metadata.resourceVersion));
  });

  test("A3: client-sent uid, creationTimestamp and generation are ignored", async () => {
    const res = await ctx.client.post(CM, { ...cm("a3"), metadata: { name: "a3", uid: "mine", creationTimestamp: "2001-01-01T00:00:00Z", generation: 9 } });
    expect(res.body.metadata.uid).not.toBe("mine");
    expect(res.body.metadata.creationTimestamp).not.toBe("2001-01-01T00:00:00Z");
    expect(res.body.metadata.generation).toBeUndefined();
  });

  test("A2: a list's resourceVersion is the global counter, not the max of its items", async () => {
    await ctx.client.post("/api/v1/namespaces/default/secrets", { metadata: { name: "later" } });
    const list = await ctx.client.get(CM);
    const maxItem = Math.max(...list.body.items.map((i: any) => Number(i.metadata.resourceVersion)));
    expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThan(maxItem);
  });

  test("A4: generateName appends 5 characters from the apimachinery alphabet", async () => {
    const res = await ctx.client.post(CM, { metadata: { generateName: "gen-" }, data: {} });
    expect(res.status).toBe(201);
    expect(res.body.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  test("A5: invalid and missing names give 422 on metadata.name", async () => {
    const bad = await ctx.client.post(CM, cm("Bad_Name"));
    expect(bad.status).toBe(422);
    expect(bad.body.reason).toBe("Invalid");
    expect(bad.body.details.causes[0].field).toBe("metadata.name");
    const missing = await ctx.client.post(CM, { metadata: {}, data: {} });
    expect(missing.status).toBe(422);
    expect(missing.body.message).toContain("metadata.name: Required value: name or generateName is required");
  });

  test("A6: a body name different from the URL name is a 400", async () => {
    await ctx.client.post(CM, cm("a6"));
    const res = await ctx.client.put(`${CM}/a6`, cm("other"));
    expect(res.status).toBe(400);
    expect(res.body.message).toBe("the name of the object (other) does not match the name on the URL (a6)");
  });

  test("A8: a write that changes nothing keeps the resourceVersion and emits no event", async () => {
    const created = await ctx.client.post(CM, cm("a8"));
    const rv = created.body.metadata.resourceVersion;
    const patched = await ctx.client.patch(`${CM}/a8`, { data: { a: "1" } });
    expect(patched.status).toBe(200);
    expect(patched.body.metadata.resourceVersion).toBe(rv);
    const events = await ctx.client.watch(`${CM}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Da8`, (e) => e.length > 0, 300);
    expect(events).toEqual([]);
  });
});

describe("create (B)", () => {
  const ctx = useApiServer();

  test("B1: an existing name gives 409 AlreadyExists in the real format", async () => {
    await ctx.client.post(CM, cm("b1"));
    const res = await ctx.client.post(CM, cm("b1"));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ kind: "Status", status: "Failure", reason: "AlreadyExists", message: 'configmaps "b1" already exists', details: { name: "b1", kind: "configmaps" } });
  });

  test("B2: a create in a missing namespace gives 404 namespaces not found", async () => {
    const res = await ctx.client.post("/api/v1/namespaces/nope/configmaps", cm("x"));
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('namespaces "nope" not found');
    expect(res.body.details.kind).toBe("namespaces");
  });

  test("B3: a create in a terminating namespace gives 403", async () => {
    await ctx.client.post("/api/v1/namespaces", { metadata: { name: "doomed" } });
    await ctx.client.delete("/api/v1/namespaces/doomed");
    const res = await ctx.client.post("/api/v1/namespaces/doomed/configmaps", cm("x"));
    expect(res.status).toBe(403);
    expect(res.body.message).toContain("because it is being terminated");
  });

  test("B5: dryRun=All validates and answers 201 but stores nothing", async () => {
    const res = await ctx.client.post(`${CM}?dryRun=All`, cm("dry"));
    expect(res.status).toBe(201);
    expect((await ctx.client.get(`${CM}/dry`)).status).toBe(404);
  });

  test("secrets: default type Opaque and stringData folded into data", async () => {
    const res = await ctx.client.post("/api/v1/namespaces/default/secrets", { metadata: { name: "sd" }, stringData: { password: "hunter2" }, data: { other: "eA==" } });
    expect(res.body.type).toBe("Opaque");
    expect(res.body.stringData).toBeUndefined();
    expect(res.body.data).toEqual({ other: "eA==", password: Buffer.from("hunter2").toString("base64") });
  });

  test("namespaces are seeded with the metadata.name label and phase Active", async () => {
    const res = await ctx.client.get("/api/v1/namespaces");
    const names = res.body.items.map((n: any) => n.metadata.name);
    expect(names).toEqual(expect.arrayContaining(["default", "kube-system", "kube-public", "kube-node-lease"]));
    const def = res.body.items.find((n: any) => n.metadata.name === "default");
    expect(def.metadata.labels["kubernetes.io/metadata.name"]).toBe("default");
    expect(def.status.phase).toBe("Active");
  });
});

describe("get and list (C)", () => {
  const ctx = useApiServer();

  test("C1: a missing object gives 404 with the real message", async () => {
    const res = await ctx.client.get(`${CM}/missing`);
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('configmaps "missing" not found');
  });

  test("C2/C3: lists are ordered by namespace then name and carry <Kind>List", async () => {
    await ctx.client.post("/api/v1/namespaces", { metadata: { name: "aaa" } });
    for (const [ns, n] of [["default", "zeta"], ["aaa", "beta"], ["default", "alpha"]]) await ctx.client.post(`/api/v1/namespaces/${ns}/configmaps`, cm(n));
    const res = await ctx.client.get("/api/v1/configmaps");
    expect(res.body.kind).toBe("ConfigMapList");
    expect(res.body.apiVersion).toBe("v1");
    expect(res.body.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual(["aaa/beta", "default/alpha", "default/zeta"]);
  });

  test("C4: label selectors (=, !=, in, notin, exists, !exists) and 400 for a bad one", async () => {
    await ctx.client.post(CM, cm("l1", {}, { app: "web", tier: "gold" }));
    await ctx.client.post(CM, cm("l2", {}, { app: "db" }));
    await ctx.client.post(CM, cm("l3", {}, { app: "cache", tier: "silver" }));
    const names = async (sel: string) => (await ctx.client.get(`${CM}?labelSelector=${encodeURIComponent(sel)}`)).body.items.map((i: any) => i.metadata.name);
    expect(await names("app=web")).toEqual(["l1"]);
    expect(await names("app!=web,app")).toEqual(["l2", "l3"]);
    expect(await names("app in (db,cache)")).toEqual(["l2", "l3"]);
    expect(await names("app notin (db),tier")).toEqual(["l1", "l3"]);
    expect(await names("app,!tier")).toEqual(["l2"]);
    expect((await ctx.client.get(`${CM}?labelSelector=${encodeURIComponent("app in (")}`)).status).toBe(400);
  });

  test("C5: field selectors on metadata.name and 400 for unsupported fields", async () => {
    const res = await ctx.client.get(`${CM}?fieldSelector=metadata.name%3Dl1`);
    expect(res.body.items.map((i: any) => i.metadata.name)).toEqual(["l1"]);
    const bad = await ctx.client.get(`${CM}?fieldSelector=spec.foo%3Dx`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe("field label not supported: spec.foo");
  });

  test("C6: limit/continue pages through one consistent snapshot", async () => {
    for (let i = 0; i < 5; i++) await ctx.client.post("/api/v1/namespaces/default/serviceaccounts", { metadata: { name: `sa-${i}` } });
    const p1 = await ctx.client.get("/api/v1/namespaces/default/serviceaccounts?limit=2");
    expect(p1.body.items.length).toBe(2);
    expect(p1.body.metadata.continue).toBeTruthy();
    expect(p1.body.metadata.remainingItemCount).toBe(3);
    await ctx.client.post("/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "sa-9" } });
    const p2 = await ctx.client.get(`/api/v1/namespaces/default/serviceaccounts?limit=2&continue=${p1.body.metadata.continue}`);
    const p3 = await ctx.client.get(`/api/v1/namespaces/default/serviceaccounts?limit=2&continue=${p2.body.metadata.continue}`);
    expect(p3.body.metadata.continue).toBeUndefined();
    const all = [...p1.body.items, ...p2.body.items, ...p3.body.items].map((i: any) => i.metadata.name);
    expect(all).toEqual(["sa-0", "sa-1", "sa-2", "sa-3", "sa-4"]);
    expect(p2.body.metadata.resourceVersion).toBe(p1.body.metadata.resourceVersion);
    const stale = await ctx.client.get("/api/v1/namespaces/default/serviceaccounts?limit=2&continue=eyJpZCI6Im5vcGUiLCJvZmZzZXQiOjJ9");
    expect(stale.status).toBe(410);
    expect(stale.body.reason).toBe("Expired");
  });

  test("C8: Table output for a built-in with its usual columns", async () => {
    const res = await ctx.client.get(CM, { accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" });
    expect(res.body.kind).toBe("Table");
    expect(res.body.columnDefinitions.map((c: any) => c.name)).toEqual(["Name", "Data", "Age"]);
    const row = res.body.rows.find((r: any) => r.cells[0] === "l1");
    expect(row.object.kind).toBe("PartialObjectMetadata");
    expect(row.cells[1]).toBe(0);
  });
});

describe("update and optimistic concurrency (D)", () => {
  const ctx = useApiServer();

  test("D1: a stale resourceVersion gives 409 Conflict with the real message", async () => {
    const created = await ctx.client.post(CM, cm("d1"));
    await ctx.client.put(`${CM}/d1`, { ...created.body, data: { a: "2" } });
    const res = await ctx.client.put(`${CM}/d1`, { ...created.body, data: { a: "3" } });
    expect(res.status).toBe(409);
    expect(res.body.message).toBe('Operation cannot be fulfilled on configmaps "d1": the object has been modified; please apply your changes to the latest version and try again');
  });

  test("D2: custom resources refuse a PUT without resourceVersion; ConfigMaps allow it", async () => {
    expect((await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd())).status).toBe(201);
    await ctx.client.post(WIDGETS, { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { size: 2 } });
    const res = await ctx.client.put(`${WIDGETS}/w`, { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { size: 4 } });
    expect(res.status).toBe(422);
    expect(res.body.message).toContain("metadata.resourceVersion: Invalid value: 0x0: must be specified for an update");
    await ctx.client.post(CM, cm("d2"));
    const ok = await ctx.client.put(`${CM}/d2`, cm("d2", { a: "9" }));
    expect(ok.status).toBe(200);
    expect(ok.body.data.a).toBe("9");
  });

  test("D3: PUT of a missing object gives 404", async () => {
    expect((await ctx.client.put(`${CM}/nope`, cm("nope"))).status).toBe(404);
  });

  test("D5: an update returns 200 with a new resourceVersion", async () => {
    const created = await ctx.client.post(CM, cm("d5"));
    const res = await ctx.client.put(`${CM}/d5`, { ...created.body, data: { a: "2" } });
    expect(res.status).toBe(200);
    expect(Number(res.body.metadata.resourceVersion)).toBeGreaterThan(Number(created.body.metadata.resourceVersion));
    expect(res.body.metadata.uid).toBe(created.body.metadata.uid);
  });
});
