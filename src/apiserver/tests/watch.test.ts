// Checklist §5 I (watch protocol) and §0.3–0.6, §0.10: headers at once, kind/apiVersion on events,
// replay and resume, 410, selectors and their transitions, bookmarks, WatchList, timeouts, Table
// watches, hooks that end streams, scoping, DELETED state, no-op writes and fan-out without loss.
import { afterEach, describe, expect, test } from "bun:test";
import type { ApiServer } from "../server.ts";
import { useApiServer, widgetCrd, WIDGETS } from "../testing.ts";

const CM = "/api/v1/namespaces/default/configmaps";
const cm = (name: string, data: Record<string, string> = { a: "1" }, labels?: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});
const enc = encodeURIComponent;

/** An open watch stream read incrementally; waits are bounded only as a guard against hangs. */
class WatchStream {
  events: any[] = [];
  ended = false;
  private wake: (() => void) | undefined;
  private controller = new AbortController();

  private constructor(readonly status: number, readonly headers: Headers) {}

  static async open(server: ApiServer, path: string, headers: Record<string, string> = {}): Promise<WatchStream> {
    const controller = new AbortController();
    const res = await fetch(`${server.url}${path}`, { headers: { "user-agent": "kode-tests/1.0", ...headers }, signal: controller.signal });
    const w = new WatchStream(res.status, res.headers);
    w.controller = controller;
    open.add(w);
    if (res.status !== 200) {
      w.events.push(await res.json());
      w.ended = true;
      return w;
    }
    w.pump(res.body!.getReader());
    return w;
  }

  private async pump(reader: { read(): Promise<{ value?: Uint8Array; done?: boolean }> }) {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) this.events.push(JSON.parse(line));
        }
        this.wake?.();
      }
    } catch {}
    this.ended = true;
    this.wake?.();
  }

  /** Wait until pred(events) holds or the stream ends; a generous guard turns a hang into a failure. */
  async until(pred: (events: any[]) => boolean, guardMs = 5000): Promise<any[]> {
    const deadline = Date.now() + guardMs;
    while (!pred(this.events) && !this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return this.events;
  }

  count(n: number) {
    return this.until((e) => e.length >= n);
  }

  /** Wait for the server to end the stream. */
  async end(guardMs = 5000) {
    await this.until(() => false, guardMs);
    return this.ended;
  }

  close() {
    this.controller.abort();
    open.delete(this);
  }
}
const open = new Set<WatchStream>();
afterEach(() => {
  for (const w of [...open]) w.close();
});

const names = (events: any[]) => events.map((e) => `${e.type}:${e.object?.metadata?.name}`);

describe("watch basics (§0.3–0.5, I2, I7)", () => {
  const ctx = useApiServer();

  test("headers arrive on a quiet watch before any event exists", async () => {
    // No object of this kind exists, so nothing can be written; fetch must still resolve.
    const w = await WatchStream.open(ctx.server, "/api/v1/namespaces/kube-public/configmaps?watch=true&resourceVersion=0");
    expect(w.status).toBe(200);
    expect(w.headers.get("content-type")).toContain("application/json");
    expect(w.events).toEqual([]);
    const created = await ctx.client.post("/api/v1/namespaces/kube-public/configmaps", cm("late"));
    await w.count(1);
    expect(w.events[0].type).toBe("ADDED");
    expect(w.events[0].object.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
  });

  test("every event object carries kind and apiVersion (built-in and custom resource)", async () => {
    expect((await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd())).status).toBe(201);
    const list = await ctx.client.get(WIDGETS);
    const rv = list.body.metadata.resourceVersion;
    const ws = await WatchStream.open(ctx.server, `${WIDGETS}?watch=true&resourceVersion=${rv}`);
    const cs = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dkinds`);
    await ctx.client.post(WIDGETS, { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "k1" }, spec: { size: 2 } });
    const got = await ctx.client.get(`${WIDGETS}/k1`);
    await ctx.client.put(`${WIDGETS}/k1`, { ...got.body, spec: { size: 4 } });
    await ctx.client.delete(`${WIDGETS}/k1`);
    await ctx.client.post(CM, cm("kinds"));
    await ctx.client.patch(`${CM}/kinds`, { data: { a: "2" } });
    await ctx.client.delete(`${CM}/kinds`);
    await ws.count(3);
    await cs.count(3);
    expect(ws.events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
    expect(cs.events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
    for (const e of ws.events) expect([e.object.kind, e.object.apiVersion]).toEqual(["Widget", "example.com/v1"]);
    for (const e of cs.events) expect([e.object.kind, e.object.apiVersion]).toEqual(["ConfigMap", "v1"]);
  });

  test("resourceVersion unset or 0 replays current objects as ADDED, then live events", async () => {
    const ns = "/api/v1/namespaces/kube-node-lease/configmaps";
    await ctx.client.post(ns, cm("r1"));
    await ctx.client.post(ns, cm("r2"));
    for (const q of ["watch=true", "watch=1&resourceVersion=0"]) {
      const w = await WatchStream.open(ctx.server, `${ns}?${q}`);
      await w.count(2);
      expect(names(w.events)).toEqual(["ADDED:r1", "ADDED:r2"]);
      await ctx.client.patch(`${ns}/r1`, { data: { q } });
      await w.count(3);
      expect(names(w.events)[2]).toBe("MODIFIED:r1");
      expect(w.events[2].object.data.q).toBe(q);
      w.close();
    }
  });

  test("resume from a resourceVersion replays only newer events, in order", async () => {
    const a = await ctx.client.post(CM, cm("resume-a"));
    const from = a.body.metadata.resourceVersion;
    await ctx.client.patch(`${CM}/resume-a`, { data: { a: "2" } });
    await ctx.client.post(CM, cm("resume-b"));
    await ctx.client.delete(`${CM}/resume-a`);
    const w = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${from}&labelSelector=${enc("!nothing")}`);
    await w.until((e) => e.some((x) => x.type === "DELETED" && x.object.metadata.name === "resume-a"));
    const ours = w.events.filter((e) => e.object.metadata.name.startsWith("resume-"));
    expect(names(ours)).toEqual(["MODIFIED:resume-a", "ADDED:resume-b", "DELETED:resume-a"]);
    const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs.every((rv) => rv > Number(from))).toBe(true);
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
  });

  test("a non-numeric resourceVersion is a 400", async () => {
    const res = await ctx.client.get(`${CM}?watch=true&resourceVersion=abc`);
    expect(res.status).toBe(400);
    expect(res.body.reason).toBe("BadRequest");
  });

  test("DELETED carries the final state with the deletion's resourceVersion", async () => {
    const created = await ctx.client.post(CM, cm("final", { keep: "me" }, { app: "final" }));
    const w = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${created.body.metadata.resourceVersion}&labelSelector=app%3Dfinal`);
    const del = await ctx.client.delete(`${CM}/final`);
    expect(del.status).toBe(200);
    await w.count(1);
    const ev = w.events[0];
    expect(ev.type).toBe("DELETED");
    expect(ev.object.data).toEqual({ keep: "me" });
    expect(ev.object.metadata.uid).toBe(created.body.metadata.uid);
    expect(Number(ev.object.metadata.resourceVersion)).toBeGreaterThan(Number(created.body.metadata.resourceVersion));
    // The deletion's rv is the newest one: a list right after has the same global counter.
    const list = await ctx.client.get("/api/v1/namespaces/kube-system/secrets");
    expect(list.body.metadata.resourceVersion).toBe(ev.object.metadata.resourceVersion);
  });

  test("a no-op write sends nothing: the next event is the following real write", async () => {
    const created = await ctx.client.post(CM, cm("noop", { a: "1" }, { noop: "yes" }));
    const w = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${created.body.metadata.resourceVersion}&labelSelector=noop%3Dyes`);
    expect((await ctx.client.patch(`${CM}/noop`, { data: { a: "1" } })).body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
    expect((await ctx.client.put(`${CM}/noop`, created.body)).status).toBe(200);
    await ctx.client.post(CM, cm("noop-marker", {}, { noop: "yes" }));
    await w.count(1);
    expect(names(w.events)).toEqual(["ADDED:noop-marker"]);
  });
});

describe("410 Expired (I2, I3)", () => {
  const ctx = useApiServer({ watchHistory: 5 });

  test("an rv older than the bounded history gets one ERROR 410 event, then the stream ends", async () => {
    const first = await ctx.client.post(CM, cm("old-0"));
    for (let i = 1; i <= 8; i++) await ctx.client.post(CM, cm(`old-${i}`));
    const w = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${first.body.metadata.resourceVersion}`);
    expect(w.status).toBe(200);
    expect(await w.end()).toBe(true);
    expect(w.events).toHaveLength(1);
    const [ev] = w.events;
    expect(ev.type).toBe("ERROR");
    expect(ev.object).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Expired", code: 410 });
    expect(ev.object.message).toStartWith(`too old resource version: ${first.body.metadata.resourceVersion} (`);
    // A recent rv within the history still resumes.
    const recent = await ctx.client.get(CM);
    const ok = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${recent.body.metadata.resourceVersion}`);
    await ctx.client.post(CM, cm("old-new"));
    await ok.count(1);
    expect(names(ok.events)).toEqual(["ADDED:old-new"]);
  });

  test("hooks.compactHistory() makes every earlier rv expire", async () => {
    const list = await ctx.client.get(CM);
    const rv = list.body.metadata.resourceVersion;
    await ctx.client.post(CM, cm("compact-1"));
    ctx.server.hooks.compactHistory();
    const w = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${rv}`);
    expect(await w.end()).toBe(true);
    expect(w.events.map((e) => [e.type, e.object.code])).toEqual([["ERROR", 410]]);
  });

  test("hooks.expireNextWatch() expires exactly one resumed watch", async () => {
    const list = await ctx.client.get(CM);
    const rv = list.body.metadata.resourceVersion;
    ctx.server.hooks.expireNextWatch("configmaps");
    const w = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${rv}`);
    expect(await w.end()).toBe(true);
    expect(w.events.map((e) => [e.type, e.object.reason])).toEqual([["ERROR", "Expired"]]);
    const again = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${rv}`);
    await ctx.client.post(CM, cm("after-expire"));
    await again.count(1);
    expect(again.ended).toBe(false);
    expect(names(again.events)).toEqual(["ADDED:after-expire"]);
  });
});

describe("selectors and scoping (I1, K4)", () => {
  const ctx = useApiServer();

  test("label and field selectors filter events", async () => {
    const list = await ctx.client.get(CM);
    const rv = list.body.metadata.resourceVersion;
    const byLabel = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${rv}&labelSelector=${enc("tier in (gold)")}`);
    const byField = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${rv}&fieldSelector=${enc("metadata.name=f2")}`);
    await ctx.client.post(CM, cm("f1", {}, { tier: "gold" }));
    await ctx.client.post(CM, cm("f2", {}, { tier: "silver" }));
    await ctx.client.post(CM, cm("f3", {}, { tier: "gold" }));
    await byLabel.count(2);
    await byField.count(1);
    expect(names(byLabel.events)).toEqual(["ADDED:f1", "ADDED:f3"]);
    expect(names(byField.events)).toEqual(["ADDED:f2"]);
  });

  test("an object leaving the selector is DELETED for that watcher, one entering it is ADDED", async () => {
    const created = await ctx.client.post(CM, cm("move", {}, { phase: "in" }));
    const w = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${created.body.metadata.resourceVersion}&labelSelector=phase%3Din`);
    const out = await ctx.client.patch(`${CM}/move`, { metadata: { labels: { phase: "out" } } });
    await ctx.client.patch(`${CM}/move`, { data: { while: "out" } }); // invisible to this watcher
    const back = await ctx.client.patch(`${CM}/move`, { metadata: { labels: { phase: "in" } } });
    await ctx.client.patch(`${CM}/move`, { data: { while: "in" } });
    await w.count(3);
    expect(names(w.events)).toEqual(["DELETED:move", "ADDED:move", "MODIFIED:move"]);
    expect(w.events[0].object.metadata.labels.phase).toBe("out");
    expect(w.events[0].object.metadata.resourceVersion).toBe(out.body.metadata.resourceVersion);
    expect(w.events[1].object.metadata.resourceVersion).toBe(back.body.metadata.resourceVersion);
    expect(w.events[1].object.data.while).toBe("out");
    expect(w.events[2].object.data.while).toBe("in");
  });

  test("a namespaced watch sees only its namespace; a cluster-wide watch sees all", async () => {
    await ctx.client.post("/api/v1/namespaces", { metadata: { name: "scope-b" } });
    const list = await ctx.client.get(CM);
    const rv = list.body.metadata.resourceVersion;
    const sel = `labelSelector=scope%3Dyes`;
    const inDefault = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${rv}&${sel}`);
    const everywhere = await WatchStream.open(ctx.server, `/api/v1/configmaps?watch=true&resourceVersion=${rv}&${sel}`);
    await ctx.client.post("/api/v1/namespaces/scope-b/configmaps", cm("s-b", {}, { scope: "yes" }));
    await ctx.client.post(CM, cm("s-default", {}, { scope: "yes" }));
    await everywhere.count(2);
    await inDefault.count(1);
    expect(everywhere.events.map((e) => `${e.object.metadata.namespace}/${e.object.metadata.name}`)).toEqual(["scope-b/s-b", "default/s-default"]);
    expect(inDefault.events.map((e) => `${e.object.metadata.namespace}/${e.object.metadata.name}`)).toEqual(["default/s-default"]);
    // Replay (rv=0) across namespaces also lists every namespace.
    const replay = await WatchStream.open(ctx.server, `/api/v1/configmaps?watch=true&resourceVersion=0&${sel}`);
    await replay.count(2);
    expect(replay.events.map((e) => e.object.metadata.namespace).sort()).toEqual(["default", "scope-b"]);
  });
});

describe("bookmarks, WatchList, timeouts, Table, hooks (I4–I8)", () => {
  const ctx = useApiServer({ bookmarkIntervalMs: 50 });

  test("allowWatchBookmarks sends BOOKMARK events with only kind/apiVersion/metadata.resourceVersion", async () => {
    const list = await ctx.client.get(CM);
    const w = await WatchStream.open(ctx.server, `${CM}?watch=true&allowWatchBookmarks=true&resourceVersion=${list.body.metadata.resourceVersion}`);
    await w.until((e) => e.filter((x) => x.type === "BOOKMARK").length >= 2);
    const bookmarks = w.events.filter((e) => e.type === "BOOKMARK");
    expect(bookmarks.length).toBeGreaterThanOrEqual(2);
    for (const b of bookmarks) {
      expect(Object.keys(b.object).sort()).toEqual(["apiVersion", "kind", "metadata"]);
      expect(Object.keys(b.object.metadata)).toEqual(["resourceVersion"]);
      expect(b.object.kind).toBe("ConfigMap");
      expect(b.object.apiVersion).toBe("v1");
    }
    const created = await ctx.client.post("/api/v1/namespaces/default/secrets", { metadata: { name: "bm" } });
    // A later bookmark reports the advanced global resourceVersion.
    await w.until((e) => e.some((x) => x.type === "BOOKMARK" && Number(x.object.metadata.resourceVersion) >= Number(created.body.metadata.resourceVersion)));
    expect(w.events.some((x) => x.type === "BOOKMARK" && x.object.metadata.resourceVersion === created.body.metadata.resourceVersion)).toBe(true);
  });

  test("without allowWatchBookmarks no BOOKMARK is ever sent", async () => {
    const list = await ctx.client.get(CM);
    const w = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${list.body.metadata.resourceVersion}&labelSelector=nobm%3Dyes`);
    const bw = await WatchStream.open(ctx.server, `${CM}?watch=true&allowWatchBookmarks=true&resourceVersion=${list.body.metadata.resourceVersion}`);
    await bw.until((e) => e.filter((x) => x.type === "BOOKMARK").length >= 3);
    await ctx.client.post(CM, cm("nobm", {}, { nobm: "yes" }));
    await w.count(1);
    expect(w.events.map((e) => e.type)).toEqual(["ADDED"]);
  });

  test("sendInitialEvents with NotOlderThan: ADDED for all, then the initial-events-end BOOKMARK, then live events", async () => {
    await ctx.client.post(CM, cm("wl-1", {}, { wl: "yes" }));
    await ctx.client.post(CM, cm("wl-2", {}, { wl: "yes" }));
    const now = await ctx.client.get(CM);
    const w = await WatchStream.open(
      ctx.server,
      `${CM}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=&allowWatchBookmarks=true&labelSelector=wl%3Dyes`,
    );
    await w.count(3);
    expect(names(w.events.slice(0, 2))).toEqual(["ADDED:wl-1", "ADDED:wl-2"]);
    const end = w.events[2];
    expect(end.type).toBe("BOOKMARK");
    expect(end.object.kind).toBe("ConfigMap");
    expect(end.object.apiVersion).toBe("v1");
    expect(end.object.metadata.annotations).toEqual({ "k8s.io/initial-events-end": "true" });
    expect(Number(end.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(now.body.metadata.resourceVersion));
    await ctx.client.post(CM, cm("wl-3", {}, { wl: "yes" }));
    await w.until((e) => e.some((x) => x.type === "ADDED" && x.object.metadata.name === "wl-3"));
    expect(w.events.filter((e) => e.type !== "BOOKMARK").map((e) => e.object.metadata.name)).toEqual(["wl-1", "wl-2", "wl-3"]);
  });

  test("sendInitialEvents without resourceVersionMatch=NotOlderThan is a 422 on ListOptions", async () => {
    const res = await ctx.client.get(`${CM}?watch=true&sendInitialEvents=true`);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ kind: "Status", status: "Failure", reason: "Invalid", code: 422 });
    expect(res.body.message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
    );
    expect(res.body.details).toMatchObject({ group: "meta.k8s.io", kind: "ListOptions" });
    expect(res.body.details.causes).toEqual([
      { reason: "FieldValueForbidden", message: "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan", field: "resourceVersionMatch" },
    ]);
    const exact = await ctx.client.get(`${CM}?watch=true&sendInitialEvents=true&resourceVersionMatch=Exact&resourceVersion=1`);
    expect(exact.status).toBe(422);
    expect(exact.body.details.causes.map((c: any) => c.reason)).toEqual(["FieldValueForbidden", "FieldValueNotSupported"]);
    // resourceVersionMatch on a watch needs sendInitialEvents; sendInitialEvents on a list is forbidden.
    const rvm = await ctx.client.get(`${CM}?watch=true&resourceVersionMatch=NotOlderThan&resourceVersion=1`);
    expect(rvm.status).toBe(422);
    expect(rvm.body.message).toContain("resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided");
    const list = await ctx.client.get(`${CM}?sendInitialEvents=true`);
    expect(list.status).toBe(422);
    expect(list.body.message).toBe('ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list');
  });

  test("timeoutSeconds ends the stream cleanly", async () => {
    const list = await ctx.client.get(CM);
    const w = await WatchStream.open(ctx.server, `${CM}?watch=true&timeoutSeconds=1&resourceVersion=${list.body.metadata.resourceVersion}`);
    expect(await w.end(4000)).toBe(true);
    expect(w.events.filter((e) => e.type === "ERROR")).toEqual([]);
  });

  test("a Table watch: first event has columnDefinitions, later ones do not", async () => {
    const list = await ctx.client.get(CM);
    const accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    const w = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=${list.body.metadata.resourceVersion}&labelSelector=tbl%3Dyes`, { accept });
    expect(w.headers.get("content-type")).toContain("as=Table");
    await ctx.client.post(CM, cm("t1", { x: "1", y: "2" }, { tbl: "yes" }));
    await ctx.client.patch(`${CM}/t1`, { data: { z: "3" } });
    await ctx.client.delete(`${CM}/t1`);
    await w.count(3);
    expect(w.events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
    for (const e of w.events) {
      expect(e.object.kind).toBe("Table");
      expect(e.object.apiVersion).toBe("meta.k8s.io/v1");
      expect(e.object.rows).toHaveLength(1);
      expect(e.object.rows[0].cells[0]).toBe("t1");
      expect(e.object.rows[0].object.metadata.name).toBe("t1");
    }
    const cols = w.events[0].object.columnDefinitions;
    expect(cols.map((c: any) => c.name)).toEqual(["Name", "Data", "Age"]);
    expect(w.events[0].object.rows[0].cells[1]).toBe(2);
    expect(w.events[1].object.rows[0].cells[1]).toBe(3);
    expect(w.events[1].object.columnDefinitions ?? null).toBeNull();
    expect(w.events[2].object.columnDefinitions ?? null).toBeNull();
  });

  test("hooks.closeWatches() ends open streams", async () => {
    const a = await WatchStream.open(ctx.server, `${CM}?watch=true&resourceVersion=0&labelSelector=none%3Dyes`);
    const b = await WatchStream.open(ctx.server, `/api/v1/secrets?watch=true&resourceVersion=0&labelSelector=none%3Dyes`);
    const closed = ctx.server.hooks.closeWatches("configmaps");
    expect(closed).toBeGreaterThanOrEqual(1);
    expect(await a.end()).toBe(true);
    expect(b.ended).toBe(false);
    expect(ctx.server.hooks.closeWatches()).toBeGreaterThanOrEqual(1);
    expect(await b.end()).toBe(true);
  });
});

describe("fan-out (I9)", () => {
  const ctx = useApiServer();

  test("100 concurrent watchers each receive every one of N events, in order", async () => {
    const N = 40;
    const list = await ctx.client.get(CM);
    const rv = list.body.metadata.resourceVersion;
    const watchers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        WatchStream.open(ctx.server, i % 2 ? `${CM}?watch=true&resourceVersion=${rv}` : `/api/v1/configmaps?watch=true&resourceVersion=${rv}`),
      ),
    );
    const writes = await Promise.all(Array.from({ length: N }, (_, i) => ctx.client.post(CM, cm(`fan-${i}`))));
    for (const r of writes) expect(r.status).toBe(201);
    const expected = writes.map((r) => r.body.metadata.resourceVersion).sort((a, b) => Number(a) - Number(b));
    await Promise.all(watchers.map((w) => w.count(N)));
    for (const w of watchers) {
      expect(w.events).toHaveLength(N);
      expect(w.events.map((e) => e.object.metadata.resourceVersion)).toEqual(expected);
    }
  });
});
