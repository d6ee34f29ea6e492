// Test hooks: fault injection (status, Retry-After, times, latency, user-agent scope), request
// counters (in process and over HTTP under /__kode/hooks/), and the pod proxy subresource.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { TestClient, useApiServer, widgetCrd, WIDGETS } from "../testing.ts";

const CM = "/api/v1/namespaces/default/configmaps";
const SECRETS = "/api/v1/namespaces/default/secrets";
const json = async (res: Promise<Response>): Promise<any> => (await res).json();
const cm = (name: string, data: Record<string, string> = { a: "1" }) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data });

describe("fault injection", () => {
  const ctx = useApiServer();
  const hooks = () => ctx.server.hooks;

  test("a 500 on one verb/resource leaves other verbs and resources alone", async () => {
    hooks().clearFaults();
    const id = hooks().injectFault({ verb: "create", resource: "configmaps", status: 500 });
    const res = await ctx.client.post(CM, cm("f500"));
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "InternalError", code: 500 });
    expect((await ctx.client.get(`${CM}/f500`)).status).toBe(404); // not stored, and reads still work
    expect((await ctx.client.post(SECRETS, { metadata: { name: "f500" } })).status).toBe(201);
    hooks().removeFault(id);
    expect((await ctx.client.post(CM, cm("f500"))).status).toBe(201);
  });

  test("a 429 carries the Retry-After header and details.retryAfterSeconds; `times` limits it", async () => {
    hooks().clearFaults();
    hooks().injectFault({ verb: "list", resource: "configmaps", status: 429, retryAfterSeconds: 3, times: 2, message: "slow down" });
    for (let i = 0; i < 2; i++) {
      const res = await ctx.client.get(CM);
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("3");
      expect(res.body).toMatchObject({ reason: "TooManyRequests", code: 429, message: "slow down", details: { retryAfterSeconds: 3 } });
    }
    const third = await ctx.client.get(CM);
    expect(third.status).toBe(200);
    expect(third.body.kind).toBe("ConfigMapList");
  });

  test("a 409 on update; a fault on a custom resource by plural or plural.group", async () => {
    hooks().clearFaults();
    await ctx.client.post(CM, cm("f409"));
    hooks().injectFault({ verb: "update", resource: "configmaps", status: 409, times: 1 });
    const got = await ctx.client.get(`${CM}/f409`);
    const res = await ctx.client.put(`${CM}/f409`, { ...got.body, data: { a: "2" } });
    expect(res.status).toBe(409);
    expect(res.body.reason).toBe("Conflict");
    expect((await ctx.client.get(`${CM}/f409`)).body.data.a).toBe("1");
    expect((await ctx.client.put(`${CM}/f409`, { ...got.body, data: { a: "2" } })).status).toBe(200);

    expect((await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd())).status).toBe(201);
    hooks().injectFault({ verb: "create", resource: "widgets.example.com", status: 503, times: 1 });
    hooks().injectFault({ verb: "get", resource: "widgets", status: 500, times: 1 });
    const w = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "wf" }, spec: {} };
    expect((await ctx.client.post(WIDGETS, w)).status).toBe(503);
    expect((await ctx.client.post(WIDGETS, w)).status).toBe(201);
    expect((await ctx.client.get(`${WIDGETS}/wf`)).status).toBe(500);
    expect((await ctx.client.get(`${WIDGETS}/wf`)).status).toBe(200);
  });

  test("a fault on a resource does not hit its subresources, and one on a subresource hits only it", async () => {
    hooks().clearFaults();
    const created = await ctx.client.post(WIDGETS, { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "sub" }, spec: { size: 1 } });
    expect(created.status).toBe(201);
    hooks().injectFault({ verb: "patch", resource: "widgets", status: 500 });
    const status = await ctx.client.patch(`${WIDGETS}/sub/status`, { status: { conditions: [{ type: "Ready", status: "True" }] } });
    expect(status.status).toBe(200);
    expect((await ctx.client.patch(`${WIDGETS}/sub`, { spec: { size: 2 } })).status).toBe(500);
    hooks().clearFaults();
    hooks().injectFault({ verb: "patch", resource: "widgets/status", status: 500 });
    expect((await ctx.client.patch(`${WIDGETS}/sub`, { spec: { size: 2 } })).status).toBe(200);
    expect((await ctx.client.patch(`${WIDGETS}/sub/status`, { status: {} })).status).toBe(500);
    hooks().clearFaults();
    hooks().injectFault({ verb: "patch", resource: "pods/status", status: 500 });
    await ctx.client.post("/api/v1/namespaces/default/pods", { metadata: { name: "ps" }, spec: { containers: [{ name: "c", image: "x" }] } });
    expect((await ctx.client.patch("/api/v1/namespaces/default/pods/ps/status", { status: { phase: "Running" } })).status).toBe(500);
    expect((await ctx.client.patch("/api/v1/namespaces/default/pods/ps", { metadata: { labels: { a: "b" } } })).status).toBe(200);
    hooks().clearFaults();
  });

  test("latency delays the request but still serves it (checked by ordering, not time)", async () => {
    hooks().clearFaults();
    hooks().injectFault({ verb: "create", resource: "configmaps", latencyMs: 300, times: 1 });
    const order: string[] = [];
    const slow = ctx.client.post(CM, cm("slow")).then((r) => (order.push("slow"), r));
    await Bun.sleep(0);
    const fast = ctx.client.post(SECRETS, { metadata: { name: "fast" } }).then((r) => (order.push("fast"), r));
    const [s, f] = await Promise.all([slow, fast]);
    expect(s.status).toBe(201);
    expect(f.status).toBe(201);
    expect(order).toEqual(["fast", "slow"]);
    expect(Number(s.body.metadata.resourceVersion)).toBeGreaterThan(Number(f.body.metadata.resourceVersion));
    // Latency plus a status delays, then fails.
    hooks().injectFault({ verb: "get", resource: "configmaps", latencyMs: 50, status: 500, times: 1 });
    expect((await ctx.client.get(`${CM}/slow`)).status).toBe(500);
    expect((await ctx.client.get(`${CM}/slow`)).status).toBe(200);
  });

  test("user-agent scoped faults hit only that client", async () => {
    hooks().clearFaults();
    const operator = new TestClient(ctx.server, "kode-operator/0.1 (linux/amd64)");
    const kubectl = new TestClient(ctx.server, "kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07");
    hooks().injectFault({ userAgent: "kode-operator", status: 500 });
    expect((await operator.get(CM)).status).toBe(500);
    expect((await operator.post(CM, cm("ua-op"))).status).toBe(500);
    expect((await kubectl.get(CM)).status).toBe(200);
    expect((await kubectl.post(CM, cm("ua-kubectl"))).status).toBe(201);
    hooks().clearFaults();
    expect((await operator.get(CM)).status).toBe(200);
  });
});

describe("request counters", () => {
  const ctx = useApiServer();

  test("counts by verb, resource, code and user agent; writes(ua) counts only writes", async () => {
    const hooks = ctx.server.hooks;
    const op = new TestClient(ctx.server, "my-operator/1.0");
    const other = new TestClient(ctx.server, "someone-else/2.0");
    hooks.resetCounters();
    expect(hooks.count()).toBe(0);
    await op.post(CM, cm("c1"));
    await op.post(CM, cm("c1")); // 409
    await op.get(`${CM}/c1`);
    await op.get(`${CM}/missing`); // 404
    await op.get(CM);
    await op.patch(`${CM}/c1`, { data: { a: "2" } });
    await op.delete(`${CM}/c1`);
    await other.post(SECRETS, { metadata: { name: "s" } });
    await other.get(SECRETS);
    hooks.injectFault({ verb: "create", resource: "secrets", status: 500, times: 1 });
    await other.post(SECRETS, { metadata: { name: "s2" } });

    expect(hooks.count({ verb: "create", resource: "configmaps" })).toBe(2);
    expect(hooks.count({ verb: "create", resource: "configmaps", code: 201 })).toBe(1);
    expect(hooks.count({ verb: "create", code: 409 })).toBe(1);
    expect(hooks.count({ verb: "get", code: 404 })).toBe(1);
    expect(hooks.count({ verb: "list" })).toBe(2);
    expect(hooks.count({ resource: "secrets", code: 500 })).toBe(1);
    expect(hooks.count({ userAgent: "my-operator" })).toBe(7);
    expect(hooks.writes("my-operator")).toBe(4);
    expect(hooks.writes("someone-else")).toBe(2);
    expect(hooks.writes()).toBe(6);
    const records = hooks.requests({ verb: "patch" });
    expect(records).toEqual([{ verb: "patch", resource: "configmaps", code: 200, userAgent: "my-operator/1.0", count: 1 }]);
    // Watches are counted as watches, not lists; a resource with a group is "<plural>.<group>".
    await op.watch(`${CM}?watch=true&resourceVersion=0`, () => true, 500);
    await op.get("/apis/apps/v1/namespaces/default/deployments");
    expect(hooks.count({ verb: "watch", resource: "configmaps" })).toBe(1);
    expect(hooks.requests({ resource: "deployments" }).map((r) => r.resource)).toEqual(["deployments.apps"]);
    expect(hooks.count({ resource: "deployments.apps" })).toBe(1);
  });

  test("the HTTP face: counters, faults, watches and stats from a separate fetch", async () => {
    const base = `${ctx.server.url}/__kode/hooks`;
    const op = new TestClient(ctx.server, "remote-op/1.0");
    expect((await fetch(`${base}/requests`, { method: "DELETE" })).status).toBe(200);
    await op.post(CM, cm("h1"));
    await op.patch(`${CM}/h1`, { data: { b: "2" } });
    await op.get(`${CM}/h1`);
    const all = await json(fetch(`${base}/requests?userAgent=remote-op`));
    expect(all.total).toBe(3);
    const writes = await json(fetch(`${base}/requests?userAgent=remote-op&writesOnly=true`));
    expect(writes.total).toBe(2);
    const patches = await json(fetch(`${base}/requests?verb=patch&resource=configmaps&code=200`));
    expect(patches.records).toEqual([{ verb: "patch", resource: "configmaps", code: 200, userAgent: "remote-op/1.0", count: 1 }]);
    // Hook requests are not counted themselves.
    expect((await json(fetch(`${base}/requests`))).total).toBe(3);

    const added = await fetch(`${base}/faults`, { method: "POST", body: JSON.stringify({ verb: "get", resource: "configmaps", status: 429, retryAfterSeconds: 1 }) });
    expect(added.status).toBe(201);
    const { id } = (await added.json()) as any;
    expect(typeof id).toBe("number");
    const faulted = await op.get(`${CM}/h1`);
    expect(faulted.status).toBe(429);
    expect(faulted.headers.get("retry-after")).toBe("1");
    expect((await fetch(`${base}/faults/${id}`, { method: "DELETE" })).status).toBe(200);
    expect((await op.get(`${CM}/h1`)).status).toBe(200);
    expect((await fetch(`${base}/faults`, { method: "POST", body: "[nope" })).status).toBe(400);

    const watching = op.watch(`${CM}?watch=true&resourceVersion=0&fieldSelector=metadata.name%3Dh1`, () => false, 4000);
    let stats = await json(fetch(`${base}/stats`));
    for (let i = 0; i < 100 && stats.watches < 1; i++) {
      await Bun.sleep(10);
      stats = await json(fetch(`${base}/stats`));
    }
    expect(stats.watches).toBe(1);
    expect(stats.objects["/configmaps"]).toBe(ctx.server.state.store.count("/configmaps"));
    expect(stats.resourceVersion).toBe(ctx.server.state.store.resourceVersion);
    const closed = await json(fetch(`${base}/watches/close?resource=configmaps`, { method: "POST" }));
    expect(closed.closed).toBe(1);
    const events = await watching; // ends because the server closed the stream
    expect(events.map((e) => e.type)).toEqual(["ADDED"]);

    const rv = ctx.server.state.store.resourceVersion;
    expect((await fetch(`${base}/watches/expire?resource=configmaps`, { method: "POST" })).status).toBe(200);
    const expiredEvents = await op.watch(`${CM}?watch=true&resourceVersion=${rv}`, (e) => e.length > 0, 4000);
    expect(expiredEvents.map((e) => [e.type, e.object.code])).toEqual([["ERROR", 410]]);
    expect((await fetch(`${base}/nonsense`)).status).toBe(404);
  });
});

describe("pod proxy subresource", () => {
  const ctx = useApiServer();
  let target: Server<undefined>;
  const seen: { method: string; path: string; query: string; body: string; header: string | null }[] = [];

  beforeAll(() => {
    target = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const url = new URL(req.url);
        const body = await req.text();
        seen.push({ method: req.method, path: url.pathname, query: url.search, body, header: req.headers.get("x-test") });
        return new Response(JSON.stringify({ echo: url.pathname + url.search, body }), {
          status: url.pathname === "/teapot" ? 418 : 200,
          headers: { "content-type": "application/json", "x-from-target": "yes" },
        });
      },
    });
  });
  afterAll(() => target.stop(true));

  const PODS = "/api/v1/namespaces/default/pods";

  test("GET and POST are forwarded with path, query, body and headers; the status passes through", async () => {
    await ctx.client.post(PODS, { metadata: { name: "ide" }, spec: { containers: [{ name: "c", image: "x" }] } });
    ctx.server.hooks.registerPodProxy("default", "ide", `http://127.0.0.1:${target.port}/`);
    const get = await ctx.client.get(`${PODS}/ide/proxy/api/files?path=%2Fhome&x=1`, { "x-test": "hello" });
    expect(get.status).toBe(200);
    expect(get.headers.get("x-from-target")).toBe("yes");
    expect(get.body.echo).toBe("/api/files?path=%2Fhome&x=1");
    expect(seen.at(-1)).toMatchObject({ method: "GET", path: "/api/files", query: "?path=%2Fhome&x=1", header: "hello" });
    const post = await ctx.client.post(`${PODS}/ide/proxy/run?now=true`, { cmd: "ls" });
    expect(post.status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ method: "POST", path: "/run", query: "?now=true", body: JSON.stringify({ cmd: "ls" }) });
    const named = await ctx.client.get(`${PODS}/ide:8080/proxy/teapot`);
    expect(named.status).toBe(418);
    expect(seen.at(-1)!.path).toBe("/teapot");
    const root = await ctx.client.get(`${PODS}/ide/proxy/`);
    expect(root.status).toBe(200);
    expect(seen.at(-1)!.path).toBe("/");
  });

  test("503 when no target is registered for an existing pod; 404 when the pod is missing", async () => {
    await ctx.client.post(PODS, { metadata: { name: "lonely" }, spec: { containers: [{ name: "c", image: "x" }] } });
    const none = await ctx.client.get(`${PODS}/lonely/proxy/`);
    expect(none.status).toBe(503);
    expect(none.body).toMatchObject({ kind: "Status", reason: "ServiceUnavailable", code: 503 });
    const missing = await ctx.client.get(`${PODS}/ghost/proxy/`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('pods "ghost" not found');
    // Registered, then unregistered.
    ctx.server.hooks.registerPodProxy("default", "lonely", `http://127.0.0.1:${target.port}`);
    expect((await ctx.client.get(`${PODS}/lonely/proxy/x`)).status).toBe(200);
    ctx.server.hooks.unregisterPodProxy("default", "lonely");
    expect((await ctx.client.get(`${PODS}/lonely/proxy/x`)).status).toBe(503);
  });

  test("a target per port: pods/NAME:PORT/proxy goes to that port's target, other ports to the pod-wide one", async () => {
    const other = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => new Response(`port target ${new URL(req.url).pathname}`) });
    try {
      await ctx.client.post(PODS, { metadata: { name: "multi" }, spec: { containers: [{ name: "c", image: "x" }] } });
      ctx.server.hooks.registerPodProxy("default", "multi", `http://127.0.0.1:${target.port}`);
      ctx.server.hooks.registerPodProxy("default", "multi", `http://127.0.0.1:${other.port}`, 8081);
      expect((await ctx.client.get(`${PODS}/multi:8081/proxy/activity`)).body).toBe("port target /activity");
      expect((await ctx.client.get(`${PODS}/http:multi:8081/proxy/activity`)).body).toBe("port target /activity");
      expect((await ctx.client.get(`${PODS}/multi:9000/proxy/activity`)).body.echo).toBe("/activity");
      expect((await ctx.client.get(`${PODS}/multi/proxy/activity`)).body.echo).toBe("/activity");
      ctx.server.hooks.unregisterPodProxy("default", "multi", 8081);
      expect((await ctx.client.get(`${PODS}/multi:8081/proxy/activity`)).body.echo).toBe("/activity");

      // Over HTTP, with a port only: other ports of the pod have no target.
      await ctx.client.post(PODS, { metadata: { name: "only-port" }, spec: { containers: [{ name: "c", image: "x" }] } });
      const base = `${ctx.server.url}/__kode/hooks/pod-proxy`;
      const reg = await fetch(base, {
        method: "POST",
        body: JSON.stringify({ namespace: "default", pod: "only-port", port: 8080, target: `http://127.0.0.1:${other.port}` }),
      });
      expect(reg.status).toBe(201);
      expect((await ctx.client.get(`${PODS}/only-port:8080/proxy/x`)).body).toBe("port target /x");
      expect((await ctx.client.get(`${PODS}/only-port/proxy/x`)).status).toBe(503);
      expect((await ctx.client.get(`${PODS}/only-port:8081/proxy/x`)).status).toBe(503);
      const bad = await fetch(base, { method: "POST", body: JSON.stringify({ namespace: "default", pod: "only-port", port: -1, target: `http://127.0.0.1:${other.port}` }) });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toBe("port must be a port number or a port name");
    } finally {
      other.stop(true);
    }
  });

  test("registration over HTTP accepts loopback targets only", async () => {
    await ctx.client.post(PODS, { metadata: { name: "remote" }, spec: { containers: [{ name: "c", image: "x" }] } });
    const base = `${ctx.server.url}/__kode/hooks/pod-proxy`;
    const bad = await fetch(base, { method: "POST", body: JSON.stringify({ namespace: "default", pod: "remote", target: "http://example.com/" }) });
    expect(bad.status).toBe(400);
    const ok = await fetch(base, { method: "POST", body: JSON.stringify({ namespace: "default", pod: "remote", target: `http://127.0.0.1:${target.port}` }) });
    expect(ok.status).toBe(201);
    const res = await ctx.client.get(`${PODS}/remote/proxy/hello?q=1`);
    expect(res.status).toBe(200);
    expect(res.body.echo).toBe("/hello?q=1");
  });
});
