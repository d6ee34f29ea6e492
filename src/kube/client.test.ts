// The client against the embedded API server over real HTTP: CRUD, merge patch, status, errors, watch,
// raw requests, User-Agent, and the rate limiter's token accounting in the request path.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startApiServer, type ApiServer } from "../apiserver/server.ts";
import { generateTlsMaterial } from "../apiserver/tls.ts";
import { widgetCrd } from "../apiserver/testing.ts";
import { createClient, DEFAULT_USER_AGENT, FencedError, collectionPath, fencedClient, objectPath, type Client } from "./client.ts";
import { KubeError, TransportError, isConflict, isInvalid } from "./errors.ts";
import { loadClientConfig, staticClientConfig } from "./kubeconfig.ts";
import { TokenBucket } from "./rate-limit.ts";
import type { KubeObject, ResourceRef } from "./types.ts";

const CONFIGMAPS: ResourceRef = { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true };
const NAMESPACES: ResourceRef = { group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false };
const WIDGETS: ResourceRef = { group: "example.com", version: "v1", plural: "widgets", kind: "Widget", namespaced: true };
const CRDS: ResourceRef = { group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false };

type ConfigMap = KubeObject & { data?: Record<string, string> };
type Widget = KubeObject & { spec?: { size?: number; color?: string }; status?: { conditions?: { type: string; status: string }[] } };

const cm = (name: string, data: Record<string, string> = { a: "1" }): ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "default" },
  data,
});

let api: ApiServer;
let client: Client;

beforeAll(async () => {
  api = await startApiServer();
  client = createClient(await loadClientConfig({ kubeconfig: api.kubeconfigPath }), { userAgent: "client-test/1" });
  await client.create(CRDS, widgetCrd() as unknown as KubeObject);
  // The CRD is served once established; wait for discovery to know it.
  for (let i = 0; i < 100; i++) {
    const res = await client.request("GET", "/apis/example.com/v1");
    await res.body?.cancel();
    if (res.ok) break;
    await Bun.sleep(20);
  }
});

afterAll(async () => {
  client.close();
  await api.stop();
});

describe("paths", () => {
  test("core, group, namespaced and cluster-scoped paths", () => {
    expect(collectionPath(CONFIGMAPS, "ns1")).toBe("/api/v1/namespaces/ns1/configmaps");
    expect(collectionPath(CONFIGMAPS)).toBe("/api/v1/configmaps");
    expect(objectPath(WIDGETS, "w1", "default", "status")).toBe("/apis/example.com/v1/namespaces/default/widgets/w1/status");
    expect(objectPath(NAMESPACES, "default")).toBe("/api/v1/namespaces/default");
    expect(() => objectPath(CONFIGMAPS, "x")).toThrow(/namespace is required/);
  });
});

describe("CRUD", () => {
  test("create, get, list, merge patch, delete", async () => {
    const created = await client.create(CONFIGMAPS, cm("crud-1", { a: "1" }));
    expect(created.metadata.uid).toBeTruthy();
    expect(created.metadata.resourceVersion).toBeTruthy();

    const got = await client.get<ConfigMap>(CONFIGMAPS, "crud-1", "default");
    expect(got?.data).toEqual({ a: "1" });

    const patched = await client.mergePatch<ConfigMap>(CONFIGMAPS, "crud-1", { data: { b: "2", a: null } }, { namespace: "default", fieldManager: "kode-test" });
    expect(patched.data).toEqual({ b: "2" });
    expect(patched.metadata.managedFields as unknown[] | undefined).toBeDefined();

    const list = await client.list<ConfigMap>(CONFIGMAPS, { namespace: "default" });
    expect(list.metadata.resourceVersion).toBeTruthy();
    expect(list.items.map((i) => i.metadata.name)).toContain("crud-1");

    expect(await client.delete(CONFIGMAPS, "crud-1", { namespace: "default" })).toBe(true);
    expect(await client.get(CONFIGMAPS, "crud-1", "default")).toBeUndefined();
    expect(await client.delete(CONFIGMAPS, "crud-1", { namespace: "default" })).toBe(false);
  });

  test("cluster-scoped get", async () => {
    const ns = await client.get(NAMESPACES, "default");
    expect(ns?.metadata.name).toBe("default");
  });

  test("list with label selector and pagination", async () => {
    for (const n of ["pg-1", "pg-2", "pg-3"]) await client.create(CONFIGMAPS, { ...cm(n), metadata: { name: n, namespace: "default", labels: { set: "pg" } } });
    await client.create(CONFIGMAPS, cm("pg-other"));
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await client.list(CONFIGMAPS, { namespace: "default", labelSelector: "set=pg", limit: 2, continue: cont });
      names.push(...page.items.map((i) => i.metadata.name));
      cont = page.metadata.continue;
      pages++;
    } while (cont);
    expect(pages).toBe(2);
    expect(names.sort()).toEqual(["pg-1", "pg-2", "pg-3"]);
  });

  test("dryRun create stores nothing", async () => {
    const obj = await client.create(CONFIGMAPS, cm("dry-1"), { dryRun: true });
    expect(obj.metadata.name).toBe("dry-1");
    expect(await client.get(CONFIGMAPS, "dry-1", "default")).toBeUndefined();
  });

  test("status is patched through /status and spec changes there are ignored", async () => {
    const w: Widget = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w-status", namespace: "default" }, spec: { size: 2 } };
    await client.create(WIDGETS, w);
    const after = await client.mergePatch<Widget>(
      WIDGETS,
      "w-status",
      { spec: { size: 9 }, status: { conditions: [{ type: "Ready", status: "True" }] } },
      { namespace: "default", subresource: "status" },
    );
    expect(after.status?.conditions?.[0]).toEqual({ type: "Ready", status: "True" });
    expect(after.spec?.size).toBe(2);
    // A main-resource patch ignores status.
    const main = await client.mergePatch<Widget>(WIDGETS, "w-status", { status: { conditions: [] } }, { namespace: "default" });
    expect(main.status?.conditions?.length).toBe(1);
  });

  test("delete with preconditions and propagation policy", async () => {
    const created = await client.create(CONFIGMAPS, cm("pre-1"));
    const err = await client
      .delete(CONFIGMAPS, "pre-1", { namespace: "default", preconditions: { uid: "00000000-0000-0000-0000-000000000000" } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect(err.code).toBe(409);
    expect(await client.delete(CONFIGMAPS, "pre-1", { namespace: "default", propagationPolicy: "Foreground", preconditions: { uid: created.metadata.uid } })).toBe(true);
  });
});

describe("errors", () => {
  test("409 AlreadyExists on a duplicate create", async () => {
    await client.create(CONFIGMAPS, cm("dup-1"));
    const err = await client.create(CONFIGMAPS, cm("dup-1")).catch((e) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect(err.code).toBe(409);
    expect(err.reason).toBe("AlreadyExists");
    expect(err.message).toContain('"dup-1" already exists');
    expect(err.request).toBe("POST /api/v1/namespaces/default/configmaps");
  });

  test("409 Conflict on a stale resourceVersion", async () => {
    const created = await client.create(CONFIGMAPS, cm("stale-1"));
    await client.mergePatch(CONFIGMAPS, "stale-1", { data: { a: "2" } }, { namespace: "default" });
    const err = await client
      .mergePatch(CONFIGMAPS, "stale-1", { metadata: { resourceVersion: created.metadata.resourceVersion }, data: { a: "3" } }, { namespace: "default" })
      .catch((e) => e);
    expect(isConflict(err)).toBe(true);
    expect(err.reason).toBe("Conflict");
  });

  test("422 Invalid carries the server's message", async () => {
    const bad: Widget = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w-bad", namespace: "default" }, spec: { color: "purple" } };
    const err = await client.create(WIDGETS, bad).catch((e) => e);
    expect(isInvalid(err)).toBe(true);
    expect(err.reason).toBe("Invalid");
    expect(err.message).toContain("spec.color");
    expect(err.status?.details?.causes?.length).toBeGreaterThan(0);
  });

  test("404 on patch of a missing object throws NotFound", async () => {
    const err = await client.mergePatch(CONFIGMAPS, "missing", { data: {} }, { namespace: "default" }).catch((e) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect(err.code).toBe(404);
    expect(err.reason).toBe("NotFound");
  });

  test("500 and 429 with Retry-After become KubeErrors", async () => {
    api.hooks.injectFault({ verb: "get", resource: "configmaps", status: 500, times: 1, userAgent: "client-test" });
    const e500 = await client.get(CONFIGMAPS, "x", "default").catch((e) => e);
    expect(e500).toBeInstanceOf(KubeError);
    expect(e500.code).toBe(500);
    expect(e500.reason).toBe("InternalError");

    api.hooks.injectFault({ verb: "list", resource: "configmaps", status: 429, retryAfterSeconds: 7, times: 1, userAgent: "client-test" });
    const e429 = await client.list(CONFIGMAPS, { namespace: "default" }).catch((e) => e);
    expect(e429.code).toBe(429);
    expect(e429.reason).toBe("TooManyRequests");
    expect(e429.retryAfterSeconds).toBe(7);
  });

  test("connection refused is a TransportError", async () => {
    const dead = createClient(staticClientConfig({ server: "http://127.0.0.1:1" }));
    const err = await dead.get(CONFIGMAPS, "x", "default").catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toContain("GET http://127.0.0.1:1/api/v1/namespaces/default/configmaps/x");
  });
});

describe("watch", () => {
  test("events from a resourceVersion, ending when the signal aborts", async () => {
    const list = await client.list(CONFIGMAPS, { namespace: "default" });
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of client.watch<ConfigMap>(CONFIGMAPS, { namespace: "default", resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
        seen.push(`${e.type}:${e.object.metadata.name}`);
        if (seen.length === 3) ac.abort();
      }
    })();
    await client.create(CONFIGMAPS, cm("w-1"));
    await client.mergePatch(CONFIGMAPS, "w-1", { data: { a: "2" } }, { namespace: "default" });
    await client.delete(CONFIGMAPS, "w-1", { namespace: "default" });
    await done; // resolves (no error) after the abort
    expect(seen).toEqual(["ADDED:w-1", "MODIFIED:w-1", "DELETED:w-1"]);
  });

  test("a watch from an expired resourceVersion yields an ERROR event with 410", async () => {
    const list = await client.list(CONFIGMAPS, { namespace: "default" });
    api.hooks.expireNextWatch("configmaps");
    const events = [];
    for await (const e of client.watch(CONFIGMAPS, { namespace: "default", resourceVersion: list.metadata.resourceVersion })) events.push(e);
    expect(events).toHaveLength(1);
    expect(events[0].type).toBe("ERROR");
    expect((events[0].object as unknown as { code: number }).code).toBe(410);
  });

  test("an HTTP error on a watch throws a KubeError", async () => {
    api.hooks.injectFault({ verb: "watch", resource: "configmaps", status: 503, times: 1, userAgent: "client-test" });
    const iterate = async () => {
      for await (const _ of client.watch(CONFIGMAPS, { namespace: "default" })) break;
    };
    const err = await iterate().catch((e) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect(err.code).toBe(503);
  });

  test("breaking out of the loop closes the request", async () => {
    await client.create(CONFIGMAPS, cm("brk-1"));
    const before = api.state.watches.size;
    for await (const e of client.watch(CONFIGMAPS, { namespace: "default" })) {
      expect(e.type).toBe("ADDED");
      expect(api.state.watches.size).toBe(before + 1);
      break;
    }
    for (let i = 0; i < 100 && api.state.watches.size > before; i++) await Bun.sleep(10);
    expect(api.state.watches.size).toBe(before);
  });
});

describe("requests", () => {
  test("User-Agent defaults to kode-operator/<version>", async () => {
    expect(DEFAULT_USER_AGENT).toMatch(/^kode-operator\/\d+\.\d+\.\d+/);
    const c = createClient(await loadClientConfig({ kubeconfig: api.kubeconfigPath }));
    api.hooks.resetCounters();
    await c.get(NAMESPACES, "default");
    expect(api.hooks.count({ verb: "get", resource: "namespaces", userAgent: DEFAULT_USER_AGENT })).toBe(1);
    c.close();
  });

  test("request() passes through a raw response", async () => {
    const res = await client.request("GET", "/version");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { gitVersion?: string }).gitVersion).toBeTruthy();
    const missing = await client.request("GET", "/api/v1/namespaces/default/configmaps/none");
    expect(missing.status).toBe(404);
  });

  test("every request takes a token from the rate limiter", async () => {
    let now = 0;
    const slept: number[] = [];
    const limiter = new TokenBucket({ qps: 10, burst: 2, now: () => now, sleep: async (ms) => void slept.push(ms) });
    const c = createClient(await loadClientConfig({ kubeconfig: api.kubeconfigPath }), { rateLimiter: limiter });
    await c.get(NAMESPACES, "default");
    await c.get(NAMESPACES, "default");
    expect(slept).toEqual([]);
    await c.get(NAMESPACES, "default"); // burst spent: waits 1/qps
    expect(slept).toEqual([100]);
    expect(limiter.throttledRequests).toBe(1);
    c.close();
  });
});

describe("keep-alive", () => {
  test("HTTPS requests with per-request TLS settings share one connection", async () => {
    const tls = await generateTlsMaterial();
    let connections = 0;
    const body = JSON.stringify({ metadata: { name: "default" } });
    // A raw TLS listener, so connections can be counted.
    const server = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: tls.serverCert, key: tls.serverKey },
      socket: {
        open() {
          connections++;
        },
        data(socket, data) {
          if (data.toString().includes("\r\n\r\n"))
            socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
        },
      },
    });
    const c = createClient(staticClientConfig({ server: `https://127.0.0.1:${server.port}`, tls: { ca: tls.caCert } }));
    try {
      for (let i = 0; i < 20; i++) expect((await c.get(NAMESPACES, "default"))?.metadata.name).toBe("default");
      expect(connections).toBe(1);
    } finally {
      c.close();
      server.stop(true);
    }
  });
});

describe("fenced clients", () => {
  test("once the fence aborts, a write in flight is aborted and no further request leaves; the plain client goes on", async () => {
    const ua = "fence-test/1";
    const base = createClient(await loadClientConfig({ kubeconfig: api.kubeconfigPath }), { userAgent: ua });
    const fence = new AbortController();
    const fenced = base.fenced(fence.signal);
    await fenced.create(CONFIGMAPS, cm("fenced-1"));
    const slow = api.hooks.injectFault({ userAgent: ua, verb: "create", resource: "configmaps", latencyMs: 300 });
    const inFlight = fenced.create(CONFIGMAPS, cm("fenced-2"));
    await Bun.sleep(50);
    fence.abort();
    expect(await inFlight.then(() => "created", (e) => (e instanceof FencedError ? "fenced" : String(e)))).toBe("fenced");
    api.hooks.removeFault(slow);
    const before = api.hooks.count({ userAgent: ua });
    expect(await fenced.create(CONFIGMAPS, cm("fenced-3")).then(() => "created", (e) => (e instanceof FencedError ? "fenced" : String(e)))).toBe("fenced");
    expect(await fenced.get(CONFIGMAPS, "fenced-1", "default").then(() => "read", (e) => (e instanceof FencedError ? "fenced" : String(e)))).toBe("fenced");
    expect(api.hooks.count({ userAgent: ua })).toBe(before);
    expect((await base.get<ConfigMap>(CONFIGMAPS, "fenced-1", "default"))?.data).toEqual({ a: "1" });
    base.close();
  });

  test("fencedClient wraps any KubeClient: calls after the fence are refused before reaching it", async () => {
    const calls: string[] = [];
    const inner = { ...client, create: async (ref: ResourceRef, obj: KubeObject) => (calls.push(`create ${obj.metadata.name}`), obj) } as Client;
    delete (inner as Partial<Client>).fenced;
    const fence = new AbortController();
    const wrapped = fencedClient(inner, fence.signal);
    await wrapped.create(CONFIGMAPS, cm("w-1"));
    fence.abort();
    await expect(wrapped.create(CONFIGMAPS, cm("w-2"))).rejects.toBeInstanceOf(FencedError);
    expect(calls).toEqual(["create w-1"]);
  });
});
