// The informer against the embedded API server over real HTTP: initial (paginated) list and live events,
// 410 relists (forced expiry, compacted history) with synthesized deletes, closed watches, 500/429 faults
// on list and watch, selectors and namespaces, bookmarks, inactivity reconnects, indexes, resync and stop().
// Waits poll with a generous guard; nothing asserts on wall-clock durations.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startApiServer, type ApiServer } from "../apiserver/server.ts";
import { createClient, type Client } from "./client.ts";
import { Backoff, Informer, stripManagedFields, stripUnread, stripUnreadAndSpec, type InformerOptions } from "./informer.ts";
import { staticClientConfig } from "./kubeconfig.ts";
import type { KubeObject, ResourceRef } from "./types.ts";

const CONFIGMAPS: ResourceRef = { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true };
const NAMESPACES: ResourceRef = { group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false };
const SECRETS: ResourceRef = { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true };
type ConfigMap = KubeObject & { data?: Record<string, string> };

let api: ApiServer;
let admin: Client;
let seq = 0;

beforeAll(async () => {
  api = await startApiServer();
  admin = createClient(staticClientConfig({ server: api.url }), { userAgent: "informer-test-admin" });
});
afterAll(async () => {
  admin.close();
  await api.stop();
});

async function eventually(cond: () => boolean | Promise<boolean>, what: string, guardMs = 4_000) {
  const end = Date.now() + guardMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await Bun.sleep(10);
  }
}

/** A fresh namespace and a client with its own User-Agent (faults and counters are per User-Agent). */
async function fixture() {
  const id = ++seq;
  const ns = `inf-${id}`;
  await admin.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const ua = `informer-test-${id}`;
  const client = createClient(staticClientConfig({ server: api.url }), { userAgent: ua });
  const cm = (name: string, data: Record<string, string> = { v: "1" }, labels?: Record<string, string>) =>
    admin.create<ConfigMap>(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, ...(labels ? { labels } : {}) }, data });
  const count = (verb: string, code?: number) => api.hooks.count({ verb, resource: "configmaps", userAgent: ua, code });
  return { ns, ua, client, cm, count };
}

/** An informer recording what its handlers saw. */
function record<T extends KubeObject>(inf: Informer<T>) {
  const events: string[] = [];
  inf.on("add", (o) => events.push(`add:${o.metadata.name}`));
  inf.on("update", (o, old) => events.push(`update:${o.metadata.name}${o === old ? ":resync" : ""}`));
  inf.on("delete", (o) => events.push(`delete:${o.metadata.name}`));
  return events;
}

function logger() {
  const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];
  return { warnings, warn: (msg: string, fields?: Record<string, unknown>) => void warnings.push({ msg, fields }) };
}

const informers: Informer<any>[] = [];
function informer(f: Awaited<ReturnType<typeof fixture>>, opts: InformerOptions = {}) {
  const inf = new Informer<ConfigMap>(f.client, CONFIGMAPS, { namespace: f.ns, backoffBaseMs: 20, backoffCapMs: 200, ...opts });
  informers.push(inf);
  return inf;
}
afterAll(async () => {
  await Promise.all(informers.map((i) => i.stop()));
});

describe("Informer", () => {
  test("initial paginated list, then live add/update/delete", async () => {
    const f = await fixture();
    for (const n of ["a", "b", "c"]) await f.cm(n);
    const inf = informer(f, { pageSize: 2 });
    const events = record(inf);
    inf.start();
    expect(await inf.waitForSync()).toBe(true);
    expect(inf.hasSynced).toBe(true);
    expect(f.count("list")).toBe(2); // two pages
    expect(events.sort()).toEqual(["add:a", "add:b", "add:c"]);
    expect(inf.list().map((o) => o.metadata.name).sort()).toEqual(["a", "b", "c"]);
    expect(inf.get(f.ns, "a")?.data).toEqual({ v: "1" });

    events.length = 0;
    await f.cm("d");
    await admin.mergePatch(CONFIGMAPS, "a", { data: { v: "2" } }, { namespace: f.ns });
    await admin.delete(CONFIGMAPS, "b", { namespace: f.ns });
    await eventually(() => events.length === 3, "three live events");
    expect(events).toEqual(["add:d", "update:a", "delete:b"]);
    expect(inf.get(f.ns, "a")?.data).toEqual({ v: "2" });
    expect(inf.get(f.ns, "b")).toBeUndefined();
    // The watch started from the list's resourceVersion, with bookmarks, and needed no relist.
    expect(f.count("list")).toBe(2);
    expect(f.count("watch")).toBe(1);
  });

  test("a namespace filter and a label selector keep other objects out; leaving the selector is a delete", async () => {
    const f = await fixture();
    const other = await fixture();
    await f.cm("in", {}, { app: "x" });
    await f.cm("out", {}, { app: "y" });
    await other.cm("elsewhere", {}, { app: "x" });
    const inf = informer(f, { labelSelector: "app=x" });
    const events = record(inf);
    await inf.start().waitForSync();
    expect(inf.keys()).toEqual([`${f.ns}/in`]);
    await admin.mergePatch(CONFIGMAPS, "in", { metadata: { labels: { app: "z" } } }, { namespace: f.ns });
    await eventually(() => inf.size === 0, "relabelled object gone");
    expect(events).toEqual(["add:in", "delete:in"]);
  });

  test("stripUnread drops managedFields and kubectl's last-applied-configuration, and keeps other annotations", () => {
    const obj = {
      metadata: {
        name: "s",
        managedFields: [{ manager: "kubectl" }],
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"password":"cGFzcw=="}}', keep: "me" },
      },
    } as unknown as KubeObject;
    stripUnread(obj);
    expect(obj).toEqual({ metadata: { name: "s", annotations: { keep: "me" } } } as never);
    const only = { metadata: { name: "t", annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } } } as unknown as KubeObject;
    stripUnread(only);
    expect(only).toEqual({ metadata: { name: "t" } } as never);
  });

  test("stripUnreadAndSpec keeps metadata and status only", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", labels: { a: "b" }, managedFields: [{ manager: "kubelet" }] },
      spec: { containers: [{ name: "ide", image: "x" }] },
      status: { phase: "Running" },
    } as unknown as KubeObject;
    stripUnreadAndSpec(pod);
    expect(pod).toEqual({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", labels: { a: "b" } }, status: { phase: "Running" } } as never);
  });

  test("a transform (stripManagedFields) applies to listed and watched objects before handlers see them", async () => {
    const f = await fixture();
    await f.cm("listed");
    const inf = informer(f, { transform: stripManagedFields });
    const seen: unknown[] = [];
    inf.on("add", (o) => seen.push(o.metadata.managedFields)).on("update", (o) => seen.push(o.metadata.managedFields));
    await inf.start().waitForSync();
    await f.cm("watched");
    await admin.mergePatch(CONFIGMAPS, "listed", { data: { v: "2" } }, { namespace: f.ns });
    await eventually(() => seen.length === 3, "three events");
    expect(seen).toEqual([undefined, undefined, undefined]);
    expect(inf.get(f.ns, "listed")?.data).toEqual({ v: "2" });
    expect((await admin.get(CONFIGMAPS, "listed", f.ns))?.metadata.managedFields).toBeDefined();
  });

  test("a field selector", async () => {
    const f = await fixture();
    await f.cm("one");
    await f.cm("two");
    const inf = informer(f, { fieldSelector: "metadata.name=two" });
    await inf.start().waitForSync();
    expect(inf.keys()).toEqual([`${f.ns}/two`]);
  });

  test("closed watches are resumed from the last resourceVersion without a relist", async () => {
    const f = await fixture();
    await f.cm("a");
    const inf = informer(f);
    const events = record(inf);
    await inf.start().waitForSync();
    await f.cm("b");
    await eventually(() => events.includes("add:b"), "add:b");
    api.hooks.closeWatches("configmaps");
    await eventually(() => f.count("watch") >= 2, "a second watch");
    await f.cm("c");
    await eventually(() => events.includes("add:c"), "add:c");
    expect(f.count("list")).toBe(1);
    expect(events).toEqual(["add:a", "add:b", "add:c"]);
  });

  test("410 on resume (expired resourceVersion) relists", async () => {
    const f = await fixture();
    await f.cm("a");
    const inf = informer(f);
    const events = record(inf);
    await inf.start().waitForSync();
    api.hooks.expireNextWatch("configmaps");
    api.hooks.closeWatches("configmaps");
    await eventually(() => inf.stats.relists === 1, "a relist");
    expect(f.count("list")).toBe(2);
    await f.cm("b");
    await eventually(() => events.includes("add:b"), "add:b after the relist");
    expect(events).toEqual(["add:a", "add:b"]); // the relist found nothing new, so emitted nothing
  });

  test("compacted history while disconnected: relist synthesizes deletes and adds", async () => {
    const f = await fixture();
    await f.cm("stays");
    await f.cm("goes");
    const log = logger();
    const inf = informer(f, { logger: log });
    const events = record(inf);
    await inf.start().waitForSync();
    // Keep the informer off the air: every watch fails until the fault is removed.
    const fault = api.hooks.injectFault({ verb: "watch", resource: "configmaps", status: 500, userAgent: f.ua });
    api.hooks.closeWatches("configmaps");
    await eventually(() => f.count("watch", 500) >= 1, "a failed watch");
    await admin.delete(CONFIGMAPS, "goes", { namespace: f.ns });
    await f.cm("new");
    await admin.mergePatch(CONFIGMAPS, "stays", { data: { v: "2" } }, { namespace: f.ns });
    api.hooks.compactHistory();
    api.hooks.removeFault(fault);
    await eventually(() => inf.stats.relists === 1 && inf.size === 2, "relist after 410");
    expect(events.slice(2).sort()).toEqual(["add:new", "delete:goes", "update:stays"]);
    expect(inf.get(f.ns, "stays")?.data).toEqual({ v: "2" });
    expect(log.warnings.every((w) => w.msg === "watch failed; retrying")).toBe(true);
  });

  test("500s on list are retried with backoff until the informer syncs", async () => {
    const f = await fixture();
    await f.cm("a");
    api.hooks.injectFault({ verb: "list", resource: "configmaps", status: 500, times: 2, userAgent: f.ua });
    const inf = informer(f);
    expect(await inf.start().waitForSync()).toBe(true);
    expect(f.count("list", 500)).toBe(2);
    expect(f.count("list", 200)).toBe(1);
    expect(inf.stats.errors).toBe(2);
    expect(inf.keys()).toEqual([`${f.ns}/a`]);
  });

  test("429 with Retry-After is honoured", async () => {
    const f = await fixture();
    await f.cm("a");
    api.hooks.injectFault({ verb: "list", resource: "configmaps", status: 429, retryAfterSeconds: 1, times: 1, userAgent: f.ua });
    const log = logger();
    const inf = informer(f, { logger: log });
    expect(await inf.start().waitForSync()).toBe(true);
    expect(f.count("list", 429)).toBe(1);
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0].fields?.code).toBe(429);
    expect(log.warnings[0].fields?.retryInMs).toBeGreaterThanOrEqual(1000);
  });

  test("500 and 429 on watch: retried, and live events flow again", async () => {
    const f = await fixture();
    api.hooks.injectFault({ verb: "watch", resource: "configmaps", status: 500, times: 2, userAgent: f.ua });
    api.hooks.injectFault({ verb: "watch", resource: "configmaps", status: 429, times: 1, userAgent: f.ua });
    const inf = informer(f);
    const events = record(inf);
    await inf.start().waitForSync();
    await eventually(() => f.count("watch", 200) === 1, "a watch that works");
    expect(f.count("watch", 500)).toBe(2);
    expect(f.count("watch", 429)).toBe(1);
    await f.cm("late");
    await eventually(() => events.includes("add:late"), "add:late");
    expect(f.count("list")).toBe(1); // watch errors resume from the resourceVersion, no relist
  });

  test("network errors (server unreachable) are retried, never fatal", async () => {
    const dead = createClient(staticClientConfig({ server: "http://127.0.0.1:1" }));
    const log = logger();
    const inf = new Informer(dead, CONFIGMAPS, { backoffBaseMs: 5, backoffCapMs: 20, logger: log });
    inf.start();
    await eventually(() => inf.stats.errors >= 3, "three failed lists");
    expect(inf.hasSynced).toBe(false);
    expect(log.warnings[0].msg).toBe("list failed; retrying");
    await inf.stop();
    expect(await inf.waitForSync()).toBe(false);
  });

  test("a silent watch is reconnected after the inactivity timeout, without a relist", async () => {
    const f = await fixture();
    await f.cm("a");
    const inf = informer(f, { inactivityTimeoutMs: 300 });
    const events = record(inf);
    await inf.start().waitForSync();
    await eventually(() => f.count("watch") >= 3, "two reconnects");
    expect(inf.stats.inactivityTimeouts).toBeGreaterThanOrEqual(2);
    expect(f.count("list")).toBe(1);
    await f.cm("b");
    await eventually(() => events.includes("add:b"), "add:b");
  });

  test("handler exceptions do not stop the informer", async () => {
    const f = await fixture();
    const log = logger();
    const inf = informer(f, { logger: log });
    const events = record(inf);
    inf.on("add", () => {
      throw new Error("handler bug");
    });
    await inf.start().waitForSync();
    await f.cm("a");
    await f.cm("b");
    await eventually(() => events.length === 2, "two adds");
    expect(log.warnings.map((w) => w.msg)).toEqual(["add handler threw", "add handler threw"]);
  });

  test("indexes find objects by derived values and follow updates and deletes", async () => {
    const f = await fixture();
    await f.cm("k1", { template: "go" });
    await f.cm("k2", { template: "go" });
    const inf = informer(f);
    inf.addIndex("template", (o) => (o.data?.template ? [o.data.template] : []));
    await inf.start().waitForSync();
    expect(inf.byIndex("template", "go").map((o) => o.metadata.name).sort()).toEqual(["k1", "k2"]);
    await admin.mergePatch(CONFIGMAPS, "k1", { data: { template: "rust" } }, { namespace: f.ns });
    await f.cm("k3", { template: "rust" });
    await admin.delete(CONFIGMAPS, "k2", { namespace: f.ns });
    await eventually(() => inf.byIndex("template", "rust").length === 2 && inf.byIndex("template", "go").length === 0, "index updated");
    expect([inf.countByIndex("template", "rust"), inf.countByIndex("template", "go")]).toEqual([2, 0]);
    // An update that leaves the indexed value as it is keeps the object findable, with its new content.
    await admin.mergePatch(CONFIGMAPS, "k3", { data: { other: "x" } }, { namespace: f.ns });
    await eventually(() => inf.get(f.ns, "k3")?.data?.other === "x", "k3 updated");
    expect(inf.byIndex("template", "rust").find((o) => o.metadata.name === "k3")?.data).toEqual({ template: "rust", other: "x" });
    expect(inf.countByIndex("template", "rust")).toBe(2);
    // An index added later covers what is cached.
    inf.addIndex("name", (o) => [o.metadata.name]);
    expect(inf.byIndex("name", "k3")).toHaveLength(1);
    expect(() => inf.byIndex("nope", "x")).toThrow(/no index/);
    // Several values per object (a repeated one counts once); a value shared by two, then one, then two again.
    inf.addIndex("tags", (o) => (o.data?.tags ? o.data.tags.split(",") : []));
    await admin.mergePatch(CONFIGMAPS, "k1", { data: { tags: "a,b,a" } }, { namespace: f.ns });
    await admin.mergePatch(CONFIGMAPS, "k3", { data: { tags: "b" } }, { namespace: f.ns });
    const names = (v: string) => inf.byIndex("tags", v).map((o) => o.metadata.name).sort();
    await eventually(() => names("b").length === 2, "both tagged b");
    expect([names("a"), names("b"), inf.countByIndex("tags", "a")]).toEqual([["k1"], ["k1", "k3"], 1]);
    await admin.mergePatch(CONFIGMAPS, "k1", { data: { tags: "c" } }, { namespace: f.ns });
    await eventually(() => names("c").length === 1, "k1 retagged");
    expect([names("a"), names("b"), inf.countByIndex("tags", "b")]).toEqual([[], ["k3"], 1]);
    await admin.mergePatch(CONFIGMAPS, "k1", { data: { tags: "b,c" } }, { namespace: f.ns });
    await eventually(() => names("b").length === 2, "k1 tagged b again");
    await admin.delete(CONFIGMAPS, "k3", { namespace: f.ns });
    await eventually(() => names("b").length === 1, "k3 gone");
    expect([names("b"), names("c"), inf.countByIndex("tags", "b")]).toEqual([["k1"], ["k1"], 1]);
  });

  test("periodic resync emits update(obj, obj) for every cached object", async () => {
    const f = await fixture();
    await f.cm("a");
    await f.cm("b");
    const inf = informer(f, { resyncPeriodMs: 50 });
    const events = record(inf);
    await inf.start().waitForSync();
    await eventually(() => events.filter((e) => e.endsWith(":resync")).length >= 4, "two resyncs");
    expect(new Set(events.filter((e) => e.endsWith(":resync")))).toEqual(new Set(["update:a:resync", "update:b:resync"]));
    await inf.stop();
  });

  test("a resync is spread over its period: each object once per round, a few at a time", async () => {
    const f = await fixture();
    const names = Array.from({ length: 40 }, (_, i) => `s${i}`);
    for (const n of names) await f.cm(n);
    // 400 ms: 20 steps of 20 ms, two objects each.
    const inf = informer(f, { resyncPeriodMs: 400 });
    const seen: string[] = [];
    const batches: number[] = [];
    let inBatch = false;
    inf.on("update", (o, old) => {
      if (o !== old) return;
      seen.push(o.metadata.name);
      // Events emitted in one synchronous run share a batch.
      if (!inBatch) {
        inBatch = true;
        batches.push(0);
        queueMicrotask(() => (inBatch = false));
      }
      batches[batches.length - 1]++;
    });
    await inf.start().waitForSync();
    await eventually(() => seen.length >= 40, "one resync round");
    expect([...seen.slice(0, 40)].sort()).toEqual([...names].sort());
    expect(batches.length).toBeGreaterThanOrEqual(20);
    expect(Math.max(...batches)).toBe(2);
    await inf.stop();
  });

  test("stop() aborts the watch, is idempotent, logs nothing and never restarts", async () => {
    const f = await fixture();
    await f.cm("a");
    const log = logger();
    const inf = informer(f, { logger: log });
    await inf.start().waitForSync();
    await eventually(() => f.count("watch") === 1, "the watch is open");
    const openBefore = api.state.watches.size;
    await inf.stop();
    await inf.stop();
    await eventually(() => api.state.watches.size === openBefore - 1, "the server sees the watch closed");
    const requests = f.count("list") + f.count("watch");
    inf.start(); // no restart after stop
    await f.cm("b");
    await Bun.sleep(100);
    expect(f.count("list") + f.count("watch")).toBe(requests);
    expect(inf.get(f.ns, "b")).toBeUndefined();
    expect(log.warnings).toEqual([]);
  });

  test("stop() during a backoff wait ends at once", async () => {
    const f = await fixture();
    api.hooks.injectFault({ verb: "list", resource: "configmaps", status: 500, userAgent: f.ua });
    const log = logger();
    const inf = informer(f, { logger: log, backoffBaseMs: 60_000, backoffCapMs: 60_000 });
    inf.start();
    await eventually(() => log.warnings.length === 1, "the first failure");
    await inf.stop(); // would hang for the 30-60 s backoff if the sleep were not aborted
    expect(log.warnings).toHaveLength(1);
    api.hooks.clearFaults();
  });
});

describe("bookmarks", () => {
  let bm: ApiServer;
  beforeAll(async () => {
    bm = await startApiServer({ bookmarkIntervalMs: 30 });
  });
  afterAll(() => bm.stop());

  test("bookmarks move the informer's resourceVersion forward", async () => {
    const client = createClient(staticClientConfig({ server: bm.url }));
    await client.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "default" } });
    const inf = new Informer(client, CONFIGMAPS, { namespace: "default" });
    informers.push(inf);
    await inf.start().waitForSync();
    const listed = Number(inf.resourceVersion);
    // A write to another resource moves the global resourceVersion; only a bookmark can tell the informer.
    await client.create(SECRETS, { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" } });
    await eventually(() => Number(inf.resourceVersion) > listed, "a bookmark");
    expect(inf.get("default", "a")).toBeDefined();
    await inf.stop();
  });
});

describe("Backoff", () => {
  test("doubles from the base to the cap with jitter in [d/2, d], and resets", () => {
    const lo = new Backoff(200, 30_000, () => 0);
    expect([lo.next(), lo.next(), lo.next()]).toEqual([100, 200, 400]);
    const hi = new Backoff(200, 30_000, () => 1);
    const seq = Array.from({ length: 10 }, () => hi.next());
    expect(seq.slice(0, 3)).toEqual([200, 400, 800]);
    expect(seq.at(-1)).toBe(30_000);
    hi.reset();
    expect(hi.next()).toBe(200);
  });
});

describe("Informer with keep: only wanted objects are cached", () => {
  test("unwanted objects are dropped from the list and from watch events; recheck fetches a newly wanted one and drops an unwanted one", async () => {
    const f = await fixture();
    const wanted = new Set(["child"]);
    await f.cm("child", { v: "1" });
    for (let i = 0; i < 20; i++) await f.cm(`unrelated-${i}`);
    await f.cm("referenced-later", { v: "r" });
    const inf = informer(f, { keep: (o) => wanted.has(o.metadata.name), pageSize: 5 });
    const events = record(inf);
    await inf.start().waitForSync();
    expect(inf.keys()).toEqual([`${f.ns}/child`]);
    expect(events).toEqual(["add:child"]);

    // Watch events of unwanted objects leave no trace.
    await admin.mergePatch(CONFIGMAPS, "unrelated-3", { data: { v: "2" } }, { namespace: f.ns });
    await admin.mergePatch(CONFIGMAPS, "child", { data: { v: "2" } }, { namespace: f.ns });
    await eventually(() => events.length === 2, "the child's update");
    expect(events).toEqual(["add:child", "update:child"]);
    expect(inf.size).toBe(1);

    // A reference appears: one GET, then the object is cached and reported as added.
    const gets = f.count("get");
    wanted.add("referenced-later");
    await inf.recheck(f.ns, "referenced-later");
    expect(f.count("get")).toBe(gets + 1);
    expect(inf.get(f.ns, "referenced-later")?.data).toEqual({ v: "r" });
    expect(events).toEqual(["add:child", "update:child", "add:referenced-later"]);
    // Already cached: no request.
    await inf.recheck(f.ns, "referenced-later");
    expect(f.count("get")).toBe(gets + 1);

    // A wanted object that does not exist yet: nothing cached; its creation arrives by the watch.
    wanted.add("not-yet");
    await inf.recheck(f.ns, "not-yet");
    expect(inf.get(f.ns, "not-yet")).toBeUndefined();
    await f.cm("not-yet");
    await eventually(() => !!inf.get(f.ns, "not-yet"), "the created object");

    // The reference goes: dropped without an event (it still exists).
    wanted.delete("referenced-later");
    await inf.recheck(f.ns, "referenced-later");
    expect(inf.get(f.ns, "referenced-later")).toBeUndefined();
    expect(events).toEqual(["add:child", "update:child", "add:referenced-later", "add:not-yet"]);

    // Deleting a wanted object is reported even when it was never cached; deleting an unwanted one is not.
    wanted.add("unrelated-5");
    await admin.delete(CONFIGMAPS, "unrelated-5", { namespace: f.ns });
    await admin.delete(CONFIGMAPS, "unrelated-6", { namespace: f.ns });
    await eventually(() => events.length === 5, "the delete");
    await Bun.sleep(100);
    expect(events.slice(4)).toEqual(["delete:unrelated-5"]);
  });
});
