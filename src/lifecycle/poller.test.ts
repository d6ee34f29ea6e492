// The poller on a fake clock with a fake getter: hours of rounds in milliseconds.
import { describe, expect, test } from "bun:test";
import { codeServer } from "../kode/ide/code-server.ts";
import { ideTypes } from "../kode/ide/index.ts";
import { webtop } from "../kode/ide/webtop.ts";
import { ActivityPoller, clientGetter, parseActivityInterval, type Clock, type HttpGet, type PollResult } from "./poller.ts";
import { activityTarget, DEFAULT_ENVOY_FLOOR, podProxyPath, type ActivityTarget } from "./targets.ts";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const MIN = 60_000;

class FakeClock implements Clock {
  t = T0;
  now = () => this.t;
  setTimeout = () => 0;
  clearTimeout = () => {};
}

const target = (name: string, over: Partial<ActivityTarget> = {}): ActivityTarget => ({
  key: `ns/${name}`,
  namespace: "ns",
  pod: `${name}-0`,
  sources: [{ kind: "envoy", port: 19003 }],
  floor: { rxBytesPerMinute: 100, requestsPerMinute: 1 },
  noSignalReason: "-",
  ...over,
});

const envoyBody = (rq: number, rx: number) => ({
  stats: [
    { name: "http.ide.downstream_rq_total", value: rq },
    { name: "http.ide.downstream_cx_rx_bytes_total", value: rx },
  ],
});

function setup(get: HttpGet, over: { concurrency?: number; random?: () => number } = {}) {
  const clock = new FakeClock();
  const results: PollResult[] = [];
  const poller = new ActivityPoller({
    get,
    clock,
    random: over.random ?? (() => 0.5),
    concurrency: over.concurrency,
    onResult: (r) => {
      results.push(r);
      return { ...r.memory, lastActiveTime: r.at };
    },
  });
  return { clock, results, poller };
}

describe("targets from the IDE type files", () => {
  test("code-server without a sidecar reads /healthz on its port; behind Envoy only the sidecar's stats", () => {
    const bare = activityTarget({ namespace: "a", name: "k", pod: "k-0", spec: codeServer, port: 8443, behindEnvoy: false });
    expect(bare.sources).toEqual([{ kind: "code-server", port: 8443, path: "/healthz" }]);
    expect(bare.floor).toEqual({ rxBytesPerMinute: 2048, requestsPerMinute: 2 });
    const proxied = activityTarget({ namespace: "a", name: "k", pod: "k-0", spec: codeServer, port: 8443, behindEnvoy: true });
    expect(proxied.sources).toEqual([{ kind: "envoy", port: 19003 }]);
  });

  test("webtop without a sidecar has nothing to read and says so; with one, Envoy and webtop's floor", () => {
    const bare = activityTarget({ namespace: "a", name: "w", pod: "w-0", spec: webtop, port: 3000, behindEnvoy: false });
    expect(bare.sources).toEqual([]);
    expect(bare.noSignalReason).toBe("no activity signal for type webtop without a sidecar");
    const proxied = activityTarget({ namespace: "a", name: "w", pod: "w-0", spec: webtop, port: 3000, behindEnvoy: true });
    expect(proxied.sources).toEqual([{ kind: "envoy", port: 19003 }]);
    expect(proxied.floor).toEqual({ rxBytesPerMinute: 8192, requestsPerMinute: 2 });
  });

  test("jupyter without a sidecar is not polled (its token cannot go through the pod proxy); a sidecar route adds the native read", () => {
    const spec = ideTypes.jupyter;
    const bare = activityTarget({ namespace: "a", name: "j", pod: "j-0", spec, port: 8888, behindEnvoy: false });
    expect(bare.sources).toEqual([]);
    expect(bare.noSignalReason).toBe("no activity signal for type jupyter without a sidecar (its API needs the token, which the pod proxy cannot carry)");
    const via = activityTarget({ namespace: "a", name: "j", pod: "j-0", spec, port: 8888, behindEnvoy: true, nativeViaSidecar: "/ide/activity" });
    expect(via.sources).toEqual([{ kind: "envoy", port: 19003 }, { kind: "jupyter", port: 19003, pathPrefix: "/ide/activity", kernelsOnly: true }]);
  });

  test("pod proxy paths name the pod and the port", () => {
    expect(podProxyPath("team a", "k-0", 19003, "/stats?x=1")).toBe("/api/v1/namespaces/team%20a/pods/k-0:19003/proxy/stats?x=1");
  });
});

describe("ActivityPoller", () => {
  test("one request per Kode per round; rounds 54-66 s apart; hours of rounds keep the count exact", async () => {
    const paths: string[] = [];
    const { clock, results, poller } = setup(async (path) => {
      paths.push(path);
      return { status: 200, body: envoyBody(paths.length, 10 * paths.length) };
    }, { random: (() => { let i = 0; return () => [0, 1 - 1e-9, 0.5][i++ % 3]!; })() });
    poller.upsert(target("a"));
    poller.upsert(target("b"));
    poller.upsert(target("c"));
    const rounds: number[] = [];
    for (let s = 0; s <= 3600; s++) {
      clock.t = T0 + s * 1000;
      if ((await poller.runDue()) > 0) rounds.push(s);
    }
    expect(paths[0]).toBe(`/api/v1/namespaces/ns/pods/a-0:19003/proxy/stats?format=json&filter=${encodeURIComponent("^http\\.ide\\.(downstream_rq_total|downstream_cx_rx_bytes_total|downstream_cx_upgrades_active|downstream_cx_active)$")}`);
    const perKode = (k: string) => results.filter((r) => r.target.key === k).map((r) => r.at);
    for (const k of ["ns/a", "ns/b", "ns/c"]) {
      const times = perKode(k);
      for (let i = 1; i < times.length; i++) {
        const gap = (times[i]! - times[i - 1]!) / 1000;
        expect(gap).toBeGreaterThanOrEqual(54);
        expect(gap).toBeLessThanOrEqual(67);
      }
      expect(times.length).toBeGreaterThanOrEqual(54);
      expect(times.length).toBeLessThanOrEqual(67);
    }
    expect(poller.requests).toBe(results.length);
    expect(results.every((r) => r.requests === 1 && r.readings.length === 1 && r.readings[0]!.ok)).toBe(true);
  });

  test("memory returned by the callback comes back next round, and is gone with the Kode", async () => {
    const { clock, results, poller } = setup(async () => ({ status: 200, body: envoyBody(1, 1) }));
    poller.upsert(target("a"), { lastActiveTime: 5 });
    clock.t += MIN;
    await poller.runDue();
    expect(results[0]!.memory).toEqual({ lastActiveTime: 5 });
    clock.t += MIN;
    await poller.runDue();
    expect(results[1]!.memory).toEqual({ lastActiveTime: T0 + MIN });
    poller.remove("ns/a");
    expect(poller.has("ns/a")).toBe(false);
    expect(poller.memory("ns/a")).toBeUndefined();
    clock.t += 10 * MIN;
    expect(await poller.runDue()).toBe(0);
  });

  test("a new pod (resume) drops Envoy's previous sample; a target without sources is never polled", async () => {
    const { clock, poller } = setup(async () => ({ status: 200, body: envoyBody(1, 1) }));
    poller.upsert(target("a"), { envoy: { at: T0, sample: { kind: "envoy", requests: 9, rxBytes: 9, upgradesActive: 0, connectionsActive: 0 } }, lastActiveTime: 3 });
    poller.upsert(target("a", { pod: "a-new" }));
    expect(poller.memory("ns/a")).toEqual({ lastActiveTime: 3 });
    poller.upsert(target("w", { sources: [] }));
    expect(poller.has("ns/w")).toBe(false);
    clock.t += 10 * MIN;
    expect(await poller.runDue()).toBe(1);
  });

  test("errors become error readings: HTTP status, transport failure, a body that does not parse", async () => {
    const answers: Record<string, () => Promise<{ status: number; body: unknown }>> = {
      "e-0": async () => ({ status: 503, body: { kind: "Status" } }),
      "t-0": async () => {
        throw new Error("no answer within 5000 ms");
      },
      "b-0": async () => ({ status: 200, body: undefined }),
    };
    const { clock, results, poller } = setup((path) => answers[path.split("/")[6]!.split(":")[0]!]!());
    for (const n of ["e", "t", "b"]) poller.upsert(target(n));
    clock.t += MIN;
    await poller.runDue();
    const byKey = Object.fromEntries(results.map((r) => [r.target.key, r.readings]));
    expect(byKey["ns/e"]).toEqual([{ ok: false, source: "envoy", error: "envoy /stats answered HTTP 503" }]);
    expect(byKey["ns/t"]).toEqual([{ ok: false, source: "envoy", error: "envoy /stats unreachable: no answer within 5000 ms" }]);
    expect(byKey["ns/b"]).toEqual([{ ok: false, source: "envoy", error: 'envoy /stats did not answer {"stats": [...]}' }]);
  });

  test("a Kode removed while its request is out is not reported, and a readded one starts afresh", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { clock, results, poller } = setup(async () => {
      await gate;
      return { status: 200, body: envoyBody(1, 1) };
    });
    poller.upsert(target("a"), { lastActiveTime: 1 });
    clock.t += MIN;
    const round = poller.runDue();
    poller.remove("ns/a");
    poller.upsert(target("a"));
    release();
    expect(await round).toBe(1);
    expect(results).toEqual([]);
    expect(poller.memory("ns/a")).toEqual({});
  });

  test("concurrency is bounded across Kodes", async () => {
    let inFlight = 0;
    let most = 0;
    const { clock, results, poller } = setup(async () => {
      most = Math.max(most, ++inFlight);
      await Bun.sleep(1);
      inFlight--;
      return { status: 200, body: envoyBody(1, 1) };
    }, { concurrency: 3 });
    for (let i = 0; i < 20; i++) poller.upsert(target(`k${i}`));
    clock.t += MIN;
    await poller.runDue();
    expect(results.length).toBe(20);
    expect(most).toBe(3);
  });

  test("jupyter: token header; /api/kernels only when kernels exist and nothing recent already says active", async () => {
    const seen: { path: string; auth?: string }[] = [];
    let status: Record<string, unknown> = {};
    const { clock, results, poller } = setup(async (path, headers) => {
      seen.push({ path, auth: headers.authorization });
      if (path.includes("/api/status")) return { status: 200, body: status };
      return { status: 200, body: [{ id: "k", execution_state: "busy" }] };
    });
    poller.upsert(target("j", { sources: [{ kind: "jupyter", port: 8888, pathPrefix: "" }] }));
    const iso = (ms: number) => new Date(ms).toISOString();
    // No kernels: one request.
    status = { started: iso(T0), last_activity: iso(T0 - 30 * MIN), connections: 0, kernels: 0 };
    clock.t += MIN;
    await poller.runDue();
    expect(seen.map((s) => s.path)).toEqual(["/api/v1/namespaces/ns/pods/j-0:8888/proxy/api/status"]);
    expect(seen[0]!.auth).toBeUndefined();
    expect(results.at(-1)!.requests).toBe(1);
    // Kernels and recent activity: still one request.
    status = { ...status, kernels: 1, last_activity: iso(clock.t + MIN - 10_000) };
    clock.t += MIN;
    await poller.runDue();
    expect(results.at(-1)!.requests).toBe(1);
    // Kernels, quiet for long: the kernels are read (a busy one keeps it active).
    status = { ...status, last_activity: iso(T0 - 30 * MIN) };
    clock.t += MIN;
    await poller.runDue();
    expect(seen.slice(2).map((s) => s.path)).toEqual([
      "/api/v1/namespaces/ns/pods/j-0:8888/proxy/api/status",
      "/api/v1/namespaces/ns/pods/j-0:8888/proxy/api/kernels?no_track_activity=1",
    ]);
    const last = results.at(-1)!;
    expect(last.requests).toBe(2);
    expect(last.readings[0]).toMatchObject({ ok: true, sample: { kind: "jupyter", kernels: 1, busyKernels: 1 } });
    // A refusal (a Jupyter that kept its token) is an error reading.
    status = {};
    const denied = setup(async () => ({ status: 403, body: undefined }));
    denied.poller.upsert(target("j", { sources: [{ kind: "jupyter", port: 8888, pathPrefix: "" }] }));
    denied.clock.t += MIN;
    await denied.poller.runDue();
    expect(denied.results[0]!.readings).toEqual([{ ok: false, source: "jupyter", error: "jupyter /api/status answered HTTP 403" }]);
  });

  test("start() polls on the clock's timers", async () => {
    const timers: { at: number; fn: () => void }[] = [];
    const clock: Clock & { t: number } = {
      t: T0,
      now: () => clock.t,
      setTimeout: (fn, ms) => timers.push({ at: clock.t + ms, fn }),
      clearTimeout: () => {},
    };
    const results: PollResult[] = [];
    const poller = new ActivityPoller({ get: async () => ({ status: 200, body: envoyBody(1, 1) }), clock, random: () => 0.5, onResult: (r) => void results.push(r) });
    poller.start();
    poller.upsert(target("a"));
    expect(timers.length).toBe(1);
    expect(timers[0]!.at).toBe(T0 + 30_000);
    clock.t = timers[0]!.at;
    timers.shift()!.fn();
    await Bun.sleep(5);
    expect(results.length).toBe(1);
    expect(timers.at(-1)!.at).toBe(T0 + 30_000 + MIN);
    poller.stop();
  });

  test("clientGetter turns a slow answer into a timeout and a non-JSON body into undefined", async () => {
    const slow = clientGetter({ request: () => new Promise<Response>((r) => setTimeout(() => r(new Response("{}")), 200)) });
    await expect(slow("/x", {}, 20)).rejects.toThrow("no answer within 20 ms");
    const text = clientGetter({ request: async () => new Response("not json", { status: 200 }) });
    expect(await text("/x", {}, 1000)).toEqual({ status: 200, body: undefined });
  });
});

describe("--activity-interval", () => {
  test("default 60s; durations; too short or not a duration is refused with the flag's name", () => {
    expect(parseActivityInterval(undefined)).toEqual({ ok: true, ms: 60_000 });
    expect(parseActivityInterval("2m")).toEqual({ ok: true, ms: 120_000 });
    expect(parseActivityInterval("1s")).toEqual({ ok: true, ms: 1_000 });
    expect(parseActivityInterval("100ms")).toEqual({ ok: false, message: "--activity-interval: 100ms is shorter than the minimum 1s" });
    const bad = parseActivityInterval("soon");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toStartWith("--activity-interval: ");
  });
});
