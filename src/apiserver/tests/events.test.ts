// Checklist §5 N: core/v1 and events.k8s.io/v1 Events are two views of one store.
import { describe, expect, test } from "bun:test";
import { useApiServer } from "../testing.ts";

const CORE = "/api/v1/namespaces/default/events";
const V1 = "/apis/events.k8s.io/v1/namespaces/default/events";

const involved = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "example.com/v1",
  kind: "Widget",
  name,
  namespace: "default",
  uid: `uid-${name}`,
  ...extra,
});

const coreEvent = (name: string, obj: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Event",
  metadata: { name },
  involvedObject: obj,
  reason: "Reconciled",
  message: `reconciled ${obj.name}`,
  type: "Normal",
  source: { component: "widget-controller" },
  firstTimestamp: "2026-01-01T00:00:00Z",
  lastTimestamp: "2026-01-01T00:00:05Z",
  count: 2,
  ...extra,
});

const v1Event = (name: string, regarding: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "events.k8s.io/v1",
  kind: "Event",
  metadata: { name },
  eventTime: "2026-01-01T00:00:00.123456Z",
  reportingController: "example.com/widget-controller",
  reportingInstance: "widget-controller-abc",
  action: "Reconcile",
  reason: "Synced",
  note: "synced the widget",
  type: "Normal",
  regarding,
  ...extra,
});

describe("one store, two views (N1)", () => {
  const ctx = useApiServer();

  test("a core/v1 event reads back through events.k8s.io/v1 with renamed fields", async () => {
    const created = await ctx.client.post(CORE, coreEvent("core-1", involved("w1")));
    expect(created.status).toBe(201);
    expect(created.body.apiVersion).toBe("v1");
    const res = await ctx.client.get(`${V1}/core-1`);
    expect(res.status).toBe(200);
    const e = res.body;
    expect(e.apiVersion).toBe("events.k8s.io/v1");
    expect(e.kind).toBe("Event");
    expect(e.metadata.uid).toBe(created.body.metadata.uid);
    expect(e.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
    expect(e.regarding).toEqual(involved("w1"));
    expect(e.note).toBe("reconciled w1");
    expect(e.deprecatedSource).toEqual({ component: "widget-controller" });
    expect(e.deprecatedFirstTimestamp).toBe("2026-01-01T00:00:00Z");
    expect(e.deprecatedLastTimestamp).toBe("2026-01-01T00:00:05Z");
    expect(e.deprecatedCount).toBe(2);
    expect(e.reason).toBe("Reconciled");
    expect(e.type).toBe("Normal");
    for (const core of ["involvedObject", "message", "source", "firstTimestamp", "lastTimestamp", "count"]) expect(e[core]).toBeUndefined();
  });

  test("an events.k8s.io/v1 event reads back through core/v1 with renamed fields", async () => {
    const created = await ctx.client.post(V1, v1Event("new-1", involved("w2"), { related: involved("w3") }));
    expect(created.status).toBe(201);
    expect(created.body.apiVersion).toBe("events.k8s.io/v1");
    expect(created.body.regarding).toEqual(involved("w2"));
    expect(created.body.note).toBe("synced the widget");
    const res = await ctx.client.get(`${CORE}/new-1`);
    expect(res.status).toBe(200);
    const e = res.body;
    expect(e.apiVersion).toBe("v1");
    expect(e.involvedObject).toEqual(involved("w2"));
    expect(e.message).toBe("synced the widget");
    expect(e.reportingComponent).toBe("example.com/widget-controller");
    expect(e.reportingInstance).toBe("widget-controller-abc");
    expect(e.action).toBe("Reconcile");
    expect(e.related).toEqual(involved("w3"));
    expect(e.eventTime).toBe("2026-01-01T00:00:00.123456Z");
    for (const v1 of ["regarding", "note", "reportingController", "deprecatedSource"]) expect(e[v1]).toBeUndefined();
  });

  test("both lists show events created through either API", async () => {
    const core = await ctx.client.get(CORE);
    const v1 = await ctx.client.get(V1);
    expect(core.body.kind).toBe("EventList");
    expect(core.body.apiVersion).toBe("v1");
    expect(v1.body.kind).toBe("EventList");
    expect(v1.body.apiVersion).toBe("events.k8s.io/v1");
    const names = (l: any) => l.body.items.map((i: any) => i.metadata.name).sort();
    expect(names(core)).toEqual(["core-1", "new-1"]);
    expect(names(v1)).toEqual(["core-1", "new-1"]);
    expect((await ctx.client.get("/api/v1/events")).body.items.length).toBe(2);
  });

  test("watches of both APIs see an event created through one of them, each in its own shape", async () => {
    const rv = (await ctx.client.get(CORE)).body.metadata.resourceVersion;
    const coreWatch = ctx.client.watch(`${CORE}?watch=true&resourceVersion=${rv}`, (e) => e.length >= 2);
    const v1Watch = ctx.client.watch(`${V1}?watch=true&resourceVersion=${rv}`, (e) => e.length >= 2);
    await ctx.client.post(V1, v1Event("watched-1", involved("w4")));
    await ctx.client.post(CORE, coreEvent("watched-2", involved("w5")));
    const [c, v] = await Promise.all([coreWatch, v1Watch]);
    expect(c.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ["ADDED", "watched-1"],
      ["ADDED", "watched-2"],
    ]);
    expect(v.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ["ADDED", "watched-1"],
      ["ADDED", "watched-2"],
    ]);
    expect(c[0].object).toMatchObject({ apiVersion: "v1", kind: "Event", involvedObject: { name: "w4" }, message: "synced the widget" });
    expect(v[1].object).toMatchObject({ apiVersion: "events.k8s.io/v1", kind: "Event", regarding: { name: "w5" }, note: "reconciled w5" });
    expect(c[0].object.metadata.resourceVersion).toBe(v[0].object.metadata.resourceVersion);
  });

  test("an update through one view is seen by the other; delete removes it from both", async () => {
    const created = await ctx.client.post(CORE, coreEvent("upd", involved("w6")));
    const patched = await ctx.client.patch(`${CORE}/upd`, { count: 5, lastTimestamp: "2026-01-01T00:01:00Z" });
    expect(patched.status).toBe(200);
    const v1 = await ctx.client.get(`${V1}/upd`);
    expect(v1.body.deprecatedCount).toBe(5);
    expect(v1.body.metadata.resourceVersion).toBe(patched.body.metadata.resourceVersion);
    expect(v1.body.metadata.resourceVersion).not.toBe(created.body.metadata.resourceVersion);
    const del = await ctx.client.delete(`${V1}/upd`);
    expect(del.status).toBe(200);
    expect((await ctx.client.get(`${CORE}/upd`)).status).toBe(404);
    const missing = await ctx.client.get(`${V1}/upd`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('events.events.k8s.io "upd" not found');
  });
});

describe("involvedObject field selectors (N5, C5)", () => {
  const ctx = useApiServer();

  test("kubectl describe's selector on kind, name, namespace and uid", async () => {
    await ctx.client.post(CORE, coreEvent("e1", involved("target")));
    await ctx.client.post(CORE, coreEvent("e2", involved("target", { kind: "Gadget" })));
    await ctx.client.post(CORE, coreEvent("e3", involved("other")));
    await ctx.client.post(CORE, coreEvent("e4", involved("target", { uid: "uid-stale" }), { type: "Warning", reason: "Failed" }));
    const names = async (path: string, sel: string) => {
      const res = await ctx.client.get(`${path}?fieldSelector=${encodeURIComponent(sel)}`);
      expect(res.status).toBe(200);
      return res.body.items.map((i: any) => i.metadata.name).sort();
    };
    // The selector kubectl describe widget target sends.
    const describeSel = "involvedObject.name=target,involvedObject.namespace=default,involvedObject.kind=Widget,involvedObject.uid=uid-target";
    expect(await names(CORE, describeSel)).toEqual(["e1"]);
    expect(await names("/api/v1/events", describeSel)).toEqual(["e1"]);
    expect(await names(CORE, "involvedObject.name=target")).toEqual(["e1", "e2", "e4"]);
    expect(await names(CORE, "involvedObject.kind=Gadget")).toEqual(["e2"]);
    expect(await names(CORE, "involvedObject.name=target,involvedObject.kind!=Gadget")).toEqual(["e1", "e4"]);
    expect(await names(CORE, "involvedObject.apiVersion=example.com/v1,type=Warning")).toEqual(["e4"]);
    expect(await names(CORE, "reason=Failed")).toEqual(["e4"]);
    expect(await names(CORE, "source=widget-controller,involvedObject.name=other")).toEqual(["e3"]);
    expect(await names(V1, "regarding.name=target,regarding.kind=Widget")).toEqual(["e1", "e4"]);
    const bad = await ctx.client.get(`${CORE}?fieldSelector=involvedObject.colour%3Dred`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe("field label not supported: involvedObject.colour");
  });

  test("a watch with the involvedObject selector only sees matching events", async () => {
    const rv = (await ctx.client.get(CORE)).body.metadata.resourceVersion;
    const sel = encodeURIComponent("involvedObject.name=watched,involvedObject.kind=Widget");
    const watch = ctx.client.watch(`${CORE}?watch=true&resourceVersion=${rv}&fieldSelector=${sel}`, (e) => e.length >= 1);
    await ctx.client.post(CORE, coreEvent("nope", involved("unrelated")));
    await ctx.client.post(CORE, coreEvent("yes", involved("watched")));
    const events = await watch;
    expect(events.map((e) => e.object.metadata.name)).toEqual(["yes"]);
  });
});

describe("core/v1 Event validation (N2, A7)", () => {
  const ctx = useApiServer();

  test("involvedObject.namespace must match the event's namespace", async () => {
    await ctx.client.post("/api/v1/namespaces", { metadata: { name: "other" } });
    const res = await ctx.client.post(CORE, coreEvent("bad-ns", involved("w", { namespace: "other" })));
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe("Invalid");
    expect(res.body.message).toBe('Event "bad-ns" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace');
    expect(res.body.details.causes).toEqual([{ reason: "FieldValueInvalid", field: "involvedObject.namespace", message: 'Invalid value: "other": does not match event.namespace' }]);
    expect((await ctx.client.get(`${CORE}/bad-ns`)).status).toBe(404);
    const okOther = await ctx.client.post("/api/v1/namespaces/other/events", coreEvent("good-ns", involved("w", { namespace: "other" })));
    expect(okOther.status).toBe(201);
  });

  test("with eventTime set, the reporting fields are required", async () => {
    const res = await ctx.client.post(CORE, coreEvent("needs", involved("w"), { eventTime: "2026-01-01T00:00:00.000000Z" }));
    expect(res.status).toBe(422);
    for (const field of ["reportingComponent", "reportingInstance", "action"]) expect(res.body.details.causes).toContainEqual(expect.objectContaining({ reason: "FieldValueRequired", field }));
  });

  test("a MicroTime eventTime with six fractional digits is accepted and kept", async () => {
    const res = await ctx.client.post(
      CORE,
      coreEvent("micro", involved("w"), { eventTime: "2026-03-04T05:06:07.123456Z", reportingComponent: "ctl", reportingInstance: "ctl-1", action: "Sync" }),
    );
    expect(res.status).toBe(201);
    expect(res.body.eventTime).toBe("2026-03-04T05:06:07.123456Z");
    const v1 = await ctx.client.get(`${V1}/micro`);
    expect(v1.body.eventTime).toBe("2026-03-04T05:06:07.123456Z");
    expect(v1.body.reportingController).toBe("ctl");
  });

  test("the core Event Table has the kubectl get events columns", async () => {
    const res = await ctx.client.get(CORE, { accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" });
    expect(res.body.kind).toBe("Table");
    const cols = res.body.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name);
    expect(cols).toEqual(["Last Seen", "Type", "Reason", "Object", "Message"]);
    const row = res.body.rows.find((r: any) => r.object.metadata.name === "micro");
    expect(row.cells[3]).toBe("widget/w");
  });
});

describe("events.k8s.io/v1 Event validation (N3, N4)", () => {
  const ctx = useApiServer();

  test("eventTime is required and type must be Normal or Warning", async () => {
    const noTime = await ctx.client.post(V1, { ...v1Event("v1-no-time", involved("w")), eventTime: undefined });
    expect(noTime.status).toBe(422);
    expect(noTime.body.details.causes).toContainEqual({ reason: "FieldValueRequired", field: "eventTime", message: "Required value" });
    const badType = await ctx.client.post(V1, v1Event("v1-bad-type", involved("w"), { type: "Info" }));
    expect(badType.status).toBe(422);
    expect(badType.body.details.causes[0].field).toBe("type");
  });

  test("reportingController and action are required, reported under their v1 names", async () => {
    const res = await ctx.client.post(V1, { ...v1Event("v1-missing", involved("w")), reportingController: undefined, action: undefined });
    expect(res.status).toBe(422);
    expect(res.body.details.causes.map((c: any) => c.field).sort()).toEqual(["action", "reportingController"]);
  });

  test("a valid v1 Event is created, shows first/last timestamps in the core view, and its reason is immutable", async () => {
    const created = await ctx.client.post(V1, v1Event("v1-ok", involved("w")));
    expect(created.status).toBe(201);
    const core = await ctx.client.get(`${CORE}/v1-ok`);
    expect(core.body.firstTimestamp).toBe("2026-01-01T00:00:00Z");
    const changed = await ctx.client.patch(`${V1}/v1-ok`, { reason: "Other" });
    expect(changed.status).toBe(422);
    expect(changed.body.message).toContain("reason: Invalid value");
  });
});

describe("MicroTime fields decode only with six fractional digits (A7)", () => {
  const ctx = useApiServer();

  test("an Event or Lease with a JavaScript toISOString() time (3 digits) is a 400; 6 digits are fine", async () => {
    const bad = await ctx.client.post(V1, v1Event("ms-event", involved("w"), { eventTime: "2026-01-01T00:00:00.123Z" }));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('parsing time "2026-01-01T00:00:00.123Z"');
    const leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
    const lease = (renewTime: string) => ({ metadata: { name: `l-${renewTime.length}` }, spec: { holderIdentity: "a", leaseDurationSeconds: 15, renewTime } });
    expect((await ctx.client.post(leases, lease(new Date().toISOString()))).status).toBe(400);
    expect((await ctx.client.post(leases, lease("2026-01-01T00:00:00.123456Z"))).status).toBe(201);
  });
});
