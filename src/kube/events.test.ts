import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startApiServer, type ApiServer } from "../apiserver/server.ts";
import { createClient, type Client } from "./client.ts";
import { EventRecorder, formatMicroTime, formatTime, type CoreEvent } from "./events.ts";
import { createLogger } from "./logger.ts";
import { loadClientConfig } from "./kubeconfig.ts";
import { EVENTS, NAMESPACES } from "./resources.ts";
import type { KubeObject, ResourceRef } from "./types.ts";

const CONFIGMAPS: ResourceRef = { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true };
const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

let api: ApiServer;
let client: Client;

beforeAll(async () => {
  api = await startApiServer();
  client = createClient(await loadClientConfig({ kubeconfig: api.kubeconfigPath }), { userAgent: "events-test" });
});
afterAll(async () => {
  client?.close();
  await api?.stop();
});

let n = 0;
async function configMap(): Promise<KubeObject> {
  return client.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${++n}`, namespace: "default" }, data: {} });
}

function eventsFor(uid: string, namespace = "default") {
  return client.list<CoreEvent>(EVENTS, { namespace, fieldSelector: `involvedObject.uid=${uid}` }).then((l) => l.items);
}

describe("EventRecorder", () => {
  test("creates a core/v1 Event with the involved object, source and timestamps", async () => {
    const cm = await configMap();
    const now = Date.parse("2026-11-25T10:00:00.123Z") + 0.456;
    const rec = new EventRecorder({ client, component: "kode-operator", instance: "kode-operator-0", now: () => now });
    await rec.event(cm, "Normal", "Created", "created the StatefulSet");

    const [ev] = await eventsFor(cm.metadata.uid!);
    expect(ev.metadata.name).toMatch(/^cm-\d+\.[0-9a-f]+$/);
    expect(ev.metadata.name.startsWith(`${cm.metadata.name}.`)).toBe(true);
    expect(ev.metadata.namespace).toBe("default");
    expect(ev.involvedObject).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      name: cm.metadata.name,
      namespace: "default",
      uid: cm.metadata.uid!,
      resourceVersion: cm.metadata.resourceVersion!,
    });
    expect(ev).toMatchObject({
      type: "Normal",
      reason: "Created",
      message: "created the StatefulSet",
      action: "Created",
      count: 1,
      source: { component: "kode-operator", host: "kode-operator-0" },
      reportingComponent: "kode-operator",
      reportingInstance: "kode-operator-0",
      firstTimestamp: "2026-11-25T10:00:00Z",
      lastTimestamp: "2026-11-25T10:00:00Z",
      eventTime: "2026-11-25T10:00:00.123456Z",
    });
    expect(rec.stats).toEqual({ created: 1, updated: 0, failed: 0 });

    // Both event APIs show it.
    const v1 = await client.list(
      { group: "events.k8s.io", version: "v1", plural: "events", kind: "Event", namespaced: true },
      { namespace: "default", fieldSelector: `regarding.uid=${cm.metadata.uid}` },
    );
    expect(v1.items).toHaveLength(1);
    expect(v1.items[0].note).toBe("created the StatefulSet");
  });

  test("aggregates the same event: count and lastTimestamp instead of a new Event", async () => {
    const cm = await configMap();
    let now = Date.parse("2026-11-25T10:00:00Z");
    const rec = new EventRecorder({ client, component: "kode-operator", instance: "i", now: () => now });
    await rec.warning(cm, "ReconcileError", "template not found");
    now += 30_000;
    await rec.warning(cm, "ReconcileError", "template not found");
    let events = await eventsFor(cm.metadata.uid!);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ count: 2, type: "Warning", firstTimestamp: "2026-11-25T10:00:00Z", lastTimestamp: "2026-11-25T10:00:30Z" });

    // A different message, type or reason is a different Event.
    await rec.warning(cm, "ReconcileError", "template ready");
    await rec.normal(cm, "ReconcileError", "template not found");
    expect(await eventsFor(cm.metadata.uid!)).toHaveLength(3);

    // After the window, a new Event.
    now += 11 * 60_000;
    await rec.warning(cm, "ReconcileError", "template not found");
    events = await eventsFor(cm.metadata.uid!);
    expect(events).toHaveLength(4);
    expect(events.filter((e) => e.message === "template not found" && e.type === "Warning").map((e) => e.count).sort()).toEqual([1, 2]);
    expect(rec.stats).toEqual({ created: 4, updated: 1, failed: 0 });
  });

  test("concurrent repeats coalesce into one Event", async () => {
    const cm = await configMap();
    const rec = new EventRecorder({ client, component: "kode-operator", instance: "i" });
    for (let i = 0; i < 10; i++) void rec.normal(cm, "Synced", "in sync");
    await rec.flush();
    const events = await eventsFor(cm.metadata.uid!);
    expect(events).toHaveLength(1);
    expect(events[0].count).toBe(10);
    expect(rec.stats.created).toBe(1);
    expect(rec.stats.updated).toBeLessThanOrEqual(1);
  });

  test("cluster-scoped objects get their events in default", async () => {
    const ns = await client.create<KubeObject>(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "events-test-ns" } });
    const rec = new EventRecorder({ client, component: "kode-operator", instance: "i" });
    await rec.normal(ns, "Observed", "namespace seen");
    const [ev] = await eventsFor(ns.metadata.uid!);
    expect(ev.metadata.namespace).toBe("default");
    expect(ev.involvedObject.namespace).toBeUndefined();
    expect(ev.involvedObject).toMatchObject({ kind: "Namespace", name: "events-test-ns", uid: ns.metadata.uid! });
  });

  test("kubectl describe style lookup by kind and name", async () => {
    const cm = await configMap();
    const rec = new EventRecorder({ client, component: "kode-operator", instance: "i" });
    await rec.normal(cm, "Found", "x");
    const items = (
      await client.list<CoreEvent>(EVENTS, {
        namespace: "default",
        fieldSelector: `involvedObject.kind=ConfigMap,involvedObject.apiVersion=v1,involvedObject.name=${cm.metadata.name}`,
      })
    ).items;
    expect(items.map((e) => e.reason)).toEqual(["Found"]);
  });

  test("long messages are truncated to 1024 bytes; long names stay valid", async () => {
    const cm = await configMap();
    const rec = new EventRecorder({ client, component: "kode-operator", instance: "x".repeat(300) });
    await rec.normal(cm, "R".repeat(200), "é".repeat(2000));
    const [ev] = await eventsFor(cm.metadata.uid!);
    expect(Buffer.byteLength(ev.message)).toBe(1024);
    expect(ev.reason).toHaveLength(128);
    expect(ev.reportingInstance).toHaveLength(128);

    const long = await client.create<KubeObject>(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${"a".repeat(240)}-b.c`, namespace: "default" } });
    await rec.normal(long, "Long", "name");
    const [lev] = await eventsFor(long.metadata.uid!);
    expect(lev.metadata.name.length).toBeLessThanOrEqual(253);
    expect(lev.metadata.name).toMatch(/^a+\.[0-9a-f]+$/);
    expect(rec.stats.failed).toBe(0);
  });

  test("never throws; failures are counted and logged at debug", async () => {
    const cm = await configMap();
    const lines: string[] = [];
    const logger = createLogger("json", "debug", { write: (l) => lines.push(l) });
    const rec = new EventRecorder({ client, component: "kode-operator", instance: "i", logger });
    api.hooks.injectFault({ verb: "create", resource: "events", userAgent: "events-test", status: 500, times: 1 });
    await rec.normal(cm, "Failing", "first try fails");
    expect(rec.stats.failed).toBe(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: "debug", msg: "creating event failed", reason: "Failing" });
    // The next occurrence creates it, with the count of both.
    await rec.normal(cm, "Failing", "first try fails");
    const [ev] = await eventsFor(cm.metadata.uid!);
    expect(ev.count).toBe(2);

    // A patch that finds the Event gone records it anew.
    await client.delete(EVENTS, ev.metadata.name, { namespace: "default" });
    await rec.normal(cm, "Failing", "first try fails");
    const again = await eventsFor(cm.metadata.uid!);
    expect(again).toHaveLength(1);
    expect(again[0].count).toBe(3);

    // A broken object does not throw either.
    await rec.normal({ metadata: {} } as KubeObject, "X", "y");
    expect(rec.stats.failed).toBe(2);
  });

  test("the aggregation cache is bounded", async () => {
    const cm = await configMap();
    const rec = new EventRecorder({ client, component: "kode-operator", instance: "i", cacheSize: 2 });
    await rec.normal(cm, "A", "a");
    await rec.normal(cm, "B", "b");
    await rec.normal(cm, "C", "c"); // evicts A
    await rec.normal(cm, "A", "a"); // so this is a new Event
    const events = await eventsFor(cm.metadata.uid!);
    expect(events.filter((e) => e.reason === "A")).toHaveLength(2);
    expect((rec as unknown as { cache: Map<string, unknown> }).cache.size).toBe(2);
  });
});

describe("time formats", () => {
  test("MicroTime has six fractional digits; Time has none", () => {
    expect(formatMicroTime(Date.parse("2026-11-25T10:00:00.123Z") + 0.456)).toBe("2026-11-25T10:00:00.123456Z");
    expect(formatMicroTime(Date.parse("2026-11-25T10:00:00Z"))).toBe("2026-11-25T10:00:00.000000Z");
    expect(formatMicroTime(Date.now())).toMatch(MICRO);
    expect(formatTime(Date.parse("2026-11-25T10:00:00.999Z"))).toBe("2026-11-25T10:00:00Z");
    expect(formatTime(Date.now())).toMatch(SECONDS);
  });
});
