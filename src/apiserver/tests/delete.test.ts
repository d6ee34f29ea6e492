// Checklist §5 H: DeleteOptions (body and query), Success Status vs object replies, preconditions,
// finalizers and deletionTimestamp, propagation finalizers that stay without --gc (envtest parity),
// deletecollection, dryRun, CRD deletion and namespace deletion.
import { describe, expect, test } from "bun:test";
import { useApiServer, widgetCrd, WIDGETS, type TestClient } from "../testing.ts";

const CM = "/api/v1/namespaces/default/configmaps";
const PODS = "/api/v1/namespaces/default/pods";
const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const cm = (name: string, extra: { labels?: Record<string, string>; finalizers?: string[] } = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, ...extra },
  data: { a: "1" },
});
const pod = (name: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name },
  spec: { containers: [{ name: "c", image: "busybox" }] },
});
const widget = (name: string, finalizers?: string[]) => ({
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name, ...(finalizers ? { finalizers } : {}) },
  spec: { size: 2 },
});

/** Events of a watch from `rv` on `path` until `n` arrived (bounded guard against hangs). */
const eventsFrom = (client: TestClient, path: string, rv: string, n: number, selector = "") =>
  client.watch(`${path}?watch=true&resourceVersion=${rv}${selector ? `&${selector}` : ""}`, (e) => e.length >= n, 5000);

describe("delete replies and DeleteOptions (H1, H2)", () => {
  const ctx = useApiServer();

  test("a ConfigMap delete answers a Success Status with name, kind (plural) and uid", async () => {
    const created = await ctx.client.post(CM, cm("status-reply"));
    const res = await ctx.client.delete(`${CM}/status-reply`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Success" });
    expect(res.body.details).toMatchObject({ name: "status-reply", kind: "configmaps", uid: created.body.metadata.uid });
    expect((await ctx.client.get(`${CM}/status-reply`)).status).toBe(404);
  });

  test("a custom resource delete answers a Success Status; a Pod delete answers the object", async () => {
    expect((await ctx.client.post(CRDS, widgetCrd())).status).toBe(201);
    const w = await ctx.client.post(WIDGETS, widget("gone"));
    const res = await ctx.client.delete(`${WIDGETS}/gone`, { propagationPolicy: "Background" });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("Success");
    expect(res.body.details).toMatchObject({ name: "gone", group: "example.com", kind: "widgets", uid: w.body.metadata.uid });

    const p = await ctx.client.post(PODS, pod("p1"));
    expect(p.status).toBe(201);
    const del = await ctx.client.delete(`${PODS}/p1`);
    expect(del.status).toBe(200);
    expect(del.body.kind).toBe("Pod");
    expect(del.body.apiVersion).toBe("v1");
    expect(del.body.metadata.uid).toBe(p.body.metadata.uid);
    expect((await ctx.client.get(`${PODS}/p1`)).status).toBe(404);
  });

  test("deleting a missing object is a 404 NotFound", async () => {
    const res = await ctx.client.delete(`${CM}/never-was`);
    expect(res.status).toBe(404);
    expect(res.body.reason).toBe("NotFound");
    expect(res.body.message).toBe('configmaps "never-was" not found');
  });

  test("propagationPolicy is read from the body (kubectl) and from the query (client-node)", async () => {
    await ctx.client.post(CM, cm("pp-body"));
    await ctx.client.post(CM, cm("pp-query"));
    const body = await ctx.client.delete(`${CM}/pp-body`, { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Foreground" });
    const query = await ctx.client.delete(`${CM}/pp-query?propagationPolicy=Orphan`);
    expect(body.status).toBe(200);
    expect(query.status).toBe(200);
    expect(body.body.metadata.finalizers).toEqual(["foregroundDeletion"]);
    expect(query.body.metadata.finalizers).toEqual(["orphan"]);
    const bad = await ctx.client.delete(`${CM}/pp-body?propagationPolicy=Sideways`);
    expect(bad.status).toBe(400);
  });

  test("preconditions: a uid or resourceVersion mismatch is 409 Conflict, a match deletes", async () => {
    const created = await ctx.client.post(CM, cm("pre"));
    const uid = await ctx.client.delete(`${CM}/pre`, { preconditions: { uid: "00000000-0000-0000-0000-000000000000" } });
    expect(uid.status).toBe(409);
    expect(uid.body.reason).toBe("Conflict");
    expect(uid.body.message).toBe(
      `Operation cannot be fulfilled on configmaps "pre": Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000, UID in object meta: ${created.body.metadata.uid}`,
    );
    const rv = await ctx.client.delete(`${CM}/pre`, { preconditions: { resourceVersion: "1" } });
    expect(rv.status).toBe(409);
    expect(rv.body.message).toContain("Precondition failed: ResourceVersion in precondition: 1");
    expect((await ctx.client.get(`${CM}/pre`)).status).toBe(200);
    const ok = await ctx.client.delete(`${CM}/pre`, {
      preconditions: { uid: created.body.metadata.uid, resourceVersion: created.body.metadata.resourceVersion },
    });
    expect(ok.status).toBe(200);
    expect((await ctx.client.get(`${CM}/pre`)).status).toBe(404);
  });

  test("dryRun (query or body) answers as a delete would but keeps the object and sends no event", async () => {
    const created = await ctx.client.post(CM, cm("dry", { labels: { dry: "yes" } }));
    const q = await ctx.client.delete(`${CM}/dry?dryRun=All`);
    expect(q.status).toBe(200);
    expect(q.body.status).toBe("Success");
    const b = await ctx.client.delete(`${CM}/dry`, { dryRun: ["All"] });
    expect(b.status).toBe(200);
    const fin = await ctx.client.post(CM, cm("dry-fin", { labels: { dry: "yes" }, finalizers: ["example.com/keep"] }));
    const f = await ctx.client.delete(`${CM}/dry-fin?dryRun=All`);
    expect(f.status).toBe(200);
    expect(f.body.metadata.deletionTimestamp).toBeDefined();
    const after = await ctx.client.get(`${CM}/dry`);
    expect(after.status).toBe(200);
    expect(after.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
    const afterFin = await ctx.client.get(`${CM}/dry-fin`);
    expect(afterFin.body.metadata.deletionTimestamp).toBeUndefined();
    expect(afterFin.body.metadata.resourceVersion).toBe(fin.body.metadata.resourceVersion);
    // The first event after both creates is the marker: the dry runs wrote nothing.
    await ctx.client.post(CM, cm("dry-marker", { labels: { dry: "yes" } }));
    const events = await eventsFrom(ctx.client, CM, fin.body.metadata.resourceVersion, 1, "labelSelector=dry%3Dyes");
    expect(events.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual(["ADDED:dry-marker"]);
  });
});

describe("finalizers (H3–H5, H7)", () => {
  const ctx = useApiServer();

  test("with finalizers: deletionTimestamp set, MODIFIED sent, 200 with the object; repeating changes nothing", async () => {
    const created = await ctx.client.post(CM, cm("fin", { finalizers: ["example.com/cleanup"] }));
    const del = await ctx.client.delete(`${CM}/fin`);
    expect(del.status).toBe(200);
    expect(del.body.kind).toBe("ConfigMap");
    expect(del.body.metadata.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(del.body.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(del.body.metadata.finalizers).toEqual(["example.com/cleanup"]);
    expect(Number(del.body.metadata.resourceVersion)).toBeGreaterThan(Number(created.body.metadata.resourceVersion));
    const events = await eventsFrom(ctx.client, CM, created.body.metadata.resourceVersion, 1, "fieldSelector=metadata.name%3Dfin");
    expect(events.map((e) => e.type)).toEqual(["MODIFIED"]);
    expect(events[0].object.metadata.deletionTimestamp).toBe(del.body.metadata.deletionTimestamp);

    const again = await ctx.client.delete(`${CM}/fin`);
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(del.body.metadata.resourceVersion);
    expect(again.body.metadata.deletionTimestamp).toBe(del.body.metadata.deletionTimestamp);
    expect((await ctx.client.get(`${CM}/fin`)).body.metadata.resourceVersion).toBe(del.body.metadata.resourceVersion);
  });

  test("no new finalizers while deleting (422); other updates still work", async () => {
    await ctx.client.post(CM, cm("nonew", { finalizers: ["example.com/a"] }));
    await ctx.client.delete(`${CM}/nonew`);
    const add = await ctx.client.patch(`${CM}/nonew`, { metadata: { finalizers: ["example.com/a", "example.com/b"] } });
    expect(add.status).toBe(422);
    expect(add.body.reason).toBe("Invalid");
    expect(add.body.message).toBe(
      'ConfigMap "nonew" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b"}',
    );
    expect(add.body.details.causes[0]).toMatchObject({ reason: "FieldValueForbidden", field: "metadata.finalizers" });
    const data = await ctx.client.patch(`${CM}/nonew`, { data: { a: "2" } });
    expect(data.status).toBe(200);
    expect(data.body.data.a).toBe("2");
    expect(data.body.metadata.deletionTimestamp).toBeDefined();
    // deletionTimestamp cannot be unset by an update.
    const unset = await ctx.client.patch(`${CM}/nonew`, { metadata: { deletionTimestamp: null } });
    expect(unset.body.metadata.deletionTimestamp).toBe(data.body.metadata.deletionTimestamp);
  });

  test("removing the last finalizer deletes the object: DELETED event, then 404", async () => {
    expect((await ctx.client.post(CRDS, widgetCrd())).status).toBe(201);
    const created = await ctx.client.post(WIDGETS, widget("wf", ["example.com/a", "example.com/b"]));
    expect(created.status).toBe(201);
    const marked = await ctx.client.delete(`${WIDGETS}/wf`);
    expect(marked.body.metadata.deletionTimestamp).toBeDefined();
    const one = await ctx.client.patch(`${WIDGETS}/wf`, [{ op: "remove", path: "/metadata/finalizers/0" }], "application/json-patch+json");
    expect(one.status).toBe(200);
    expect(one.body.metadata.finalizers).toEqual(["example.com/b"]);
    expect((await ctx.client.get(`${WIDGETS}/wf`)).status).toBe(200);
    const last = await ctx.client.patch(`${WIDGETS}/wf`, [{ op: "remove", path: "/metadata/finalizers" }], "application/json-patch+json");
    expect(last.status).toBe(200);
    expect((await ctx.client.get(`${WIDGETS}/wf`)).status).toBe(404);
    const events = await eventsFrom(ctx.client, WIDGETS, created.body.metadata.resourceVersion, 3);
    expect(events.map((e) => e.type)).toEqual(["MODIFIED", "MODIFIED", "DELETED"]);
    expect(events[2].object.metadata.finalizers ?? []).toEqual([]);
  });

  test("Foreground and Orphan add their finalizers, which stay without --gc; Background adds none", async () => {
    for (const [policy, finalizer] of [
      ["Foreground", "foregroundDeletion"],
      ["Orphan", "orphan"],
    ]) {
      await ctx.client.post(CM, cm(`pol-${policy.toLowerCase()}`));
      const res = await ctx.client.delete(`${CM}/pol-${policy.toLowerCase()}?propagationPolicy=${policy}`);
      expect(res.status).toBe(200);
      expect(res.body.metadata.finalizers).toEqual([finalizer]);
      expect(res.body.metadata.deletionTimestamp).toBeDefined();
    }
    await ctx.client.post(CM, cm("pol-orphandeps"));
    const legacy = await ctx.client.delete(`${CM}/pol-orphandeps`, { orphanDependents: true });
    expect(legacy.body.metadata.finalizers).toEqual(["orphan"]);
    // Nothing removes them: after further writes (which would wake any controller) they are still there.
    await ctx.client.post(CM, cm("pol-poke"));
    await ctx.client.delete(`${CM}/pol-poke`);
    for (const name of ["pol-foreground", "pol-orphan", "pol-orphandeps"]) {
      const got = await ctx.client.get(`${CM}/${name}`);
      expect(got.status).toBe(200);
      expect(got.body.metadata.deletionTimestamp).toBeDefined();
    }
    await ctx.client.post(CM, cm("pol-bg"));
    const bg = await ctx.client.delete(`${CM}/pol-bg`, { propagationPolicy: "Background" });
    expect(bg.body.status).toBe("Success");
    expect((await ctx.client.get(`${CM}/pol-bg`)).status).toBe(404);
  });
});

describe("deletecollection (H11)", () => {
  const ctx = useApiServer();

  test("DELETE on a collection removes exactly the objects matching the label selector", async () => {
    for (const [name, team] of [
      ["dc-1", "a"],
      ["dc-2", "a"],
      ["dc-3", "b"],
    ])
      await ctx.client.post(CM, cm(name, { labels: { team } }));
    await ctx.client.post("/api/v1/namespaces/kube-system/configmaps", cm("dc-other", { labels: { team: "a" } }));
    const res = await ctx.client.delete(`${CM}?labelSelector=team%3Da`);
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe("ConfigMapList");
    expect(res.body.items.map((i: any) => i.metadata.name)).toEqual(["dc-1", "dc-2"]);
    const left = await ctx.client.get(`${CM}?labelSelector=team`);
    expect(left.body.items.map((i: any) => i.metadata.name)).toEqual(["dc-3"]);
    expect((await ctx.client.get("/api/v1/namespaces/kube-system/configmaps/dc-other")).status).toBe(200);
  });

  test("deletecollection honours dryRun and finalizers", async () => {
    await ctx.client.post(CM, cm("dcf-1", { labels: { grp: "f" }, finalizers: ["example.com/x"] }));
    await ctx.client.post(CM, cm("dcf-2", { labels: { grp: "f" } }));
    const dry = await ctx.client.delete(`${CM}?labelSelector=grp%3Df&dryRun=All`);
    expect(dry.status).toBe(200);
    expect((await ctx.client.get(`${CM}?labelSelector=grp%3Df`)).body.items).toHaveLength(2);
    await ctx.client.delete(`${CM}?labelSelector=grp%3Df`);
    const left = await ctx.client.get(`${CM}?labelSelector=grp%3Df`);
    expect(left.body.items.map((i: any) => i.metadata.name)).toEqual(["dcf-1"]);
    expect(left.body.items[0].metadata.deletionTimestamp).toBeDefined();
  });
});

describe("CRD and namespace deletion (H9, H10)", () => {
  const ctx = useApiServer();

  test("deleting a CRD deletes its custom resources (DELETED events) and removes them from discovery", async () => {
    expect((await ctx.client.post(CRDS, widgetCrd())).status).toBe(201);
    await ctx.client.post(WIDGETS, widget("c1"));
    await ctx.client.post("/api/v1/namespaces", { metadata: { name: "crd-ns" } });
    const c2 = await ctx.client.post("/apis/example.com/v1/namespaces/crd-ns/widgets", widget("c2"));
    const from = c2.body.metadata.resourceVersion;
    expect((await ctx.client.get("/apis/example.com/v1")).status).toBe(200);
    const watching = ctx.client.watch(`/apis/example.com/v1/widgets?watch=true&resourceVersion=${from}`, (e) => e.length >= 2, 5000);
    const del = await ctx.client.delete(`${CRDS}/widgets.example.com`);
    expect(del.status).toBe(200);
    const events = await watching;
    expect(events.map((e) => `${e.type}:${e.object.metadata.name}`).sort()).toEqual(["DELETED:c1", "DELETED:c2"]);
    // Cleanup runs right after the delete; poll the (bounded) state rather than time it.
    for (let i = 0; i < 100 && (await ctx.client.get(`${CRDS}/widgets.example.com`)).status !== 404; i++) await Bun.sleep(10);
    expect((await ctx.client.get(`${CRDS}/widgets.example.com`)).status).toBe(404);
    expect((await ctx.client.get("/apis/example.com/v1")).status).toBe(404);
    expect((await ctx.client.get(WIDGETS)).status).toBe(404);
    const groups = await ctx.client.get("/apis");
    expect(groups.body.groups.map((g: any) => g.name)).not.toContain("example.com");
    // Re-creating the CRD serves an empty collection: the old objects are gone for good.
    expect((await ctx.client.post(CRDS, widgetCrd())).status).toBe(201);
    expect((await ctx.client.get("/apis/example.com/v1/widgets")).body.items).toEqual([]);
  });

  test("deleting a namespace makes it Terminating, refuses new content, and it stays without --gc", async () => {
    await ctx.client.post("/api/v1/namespaces", { metadata: { name: "doomed" } });
    await ctx.client.post("/api/v1/namespaces/doomed/configmaps", cm("inside"));
    const del = await ctx.client.delete("/api/v1/namespaces/doomed");
    expect(del.status).toBe(200);
    expect(del.body.kind).toBe("Namespace");
    expect(del.body.metadata.deletionTimestamp).toBeDefined();
    expect(del.body.status.phase).toBe("Terminating");
    expect(del.body.spec.finalizers).toEqual(["kubernetes"]);
    const create = await ctx.client.post("/api/v1/namespaces/doomed/configmaps", cm("late"));
    expect(create.status).toBe(403);
    expect(create.body.reason).toBe("Forbidden");
    expect(create.body.message).toContain("unable to create new content in namespace doomed because it is being terminated");
    // Further writes elsewhere do not finish it: no namespace controller without --gc.
    await ctx.client.post(CM, cm("poke"));
    await ctx.client.delete(`${CM}/poke`);
    const ns = await ctx.client.get("/api/v1/namespaces/doomed");
    expect(ns.status).toBe(200);
    expect(ns.body.status.phase).toBe("Terminating");
    expect((await ctx.client.get("/api/v1/namespaces/doomed/configmaps/inside")).status).toBe(200);
    const terminating = await ctx.client.get("/api/v1/namespaces?fieldSelector=status.phase%3DTerminating");
    expect(terminating.body.items.map((i: any) => i.metadata.name)).toEqual(["doomed"]);
  });
});

describe("CRD deletion with finalizers (H10)", () => {
  const ctx = useApiServer();

  test("a CRD's deletion waits for custom resources with finalizers, which get a deletionTimestamp", async () => {
    expect((await ctx.client.post(CRDS, widgetCrd())).status).toBe(201);
    await ctx.client.post(WIDGETS, { ...widget("held"), metadata: { name: "held", finalizers: ["example.com/hold"] } });
    await ctx.client.delete(`${CRDS}/widgets.example.com`);
    let held: any;
    for (let i = 0; i < 100 && !held?.metadata?.deletionTimestamp; i++) {
      held = (await ctx.client.get(`${WIDGETS}/held`)).body;
      await Bun.sleep(10);
    }
    expect(held.metadata.deletionTimestamp).toBeString();
    const crd = await ctx.client.get(`${CRDS}/widgets.example.com`);
    expect(crd.status).toBe(200);
    expect(crd.body.status.conditions.find((c: any) => c.type === "Terminating")?.status).toBe("True");
    await ctx.client.patch(`${WIDGETS}/held`, [{ op: "remove", path: "/metadata/finalizers" }], "application/json-patch+json");
    for (let i = 0; i < 100 && (await ctx.client.get(`${CRDS}/widgets.example.com`)).status !== 404; i++) await Bun.sleep(10);
    expect((await ctx.client.get(`${CRDS}/widgets.example.com`)).status).toBe(404);
  });
});
