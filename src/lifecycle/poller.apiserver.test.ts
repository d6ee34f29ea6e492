// The poller through the embedded API server's pod proxy, as it runs in the operator: the project's Kubernetes
// client GETs pods/NAME:PORT/proxy/..., the test hook forwards to a loopback target. Targets: a REAL Jupyter
// server (Debian python3-jupyter-server + python3-ipykernel), and two stand-ins built from the documented formats
// (code-server cannot be installed here; Envoy's admin `/stats?format=json` answers {"stats":[{name,value}]}).
// The clock is a fake one driven round by round; verdicts, warnings and pauses come from evaluate(), status writes
// from the write policy, as the reconciler will do it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApiServer, type ApiServer } from "../apiserver/server.ts";
import { createClient, type Client } from "../kube/client.ts";
import { loadClientConfig } from "../kube/kubeconfig.ts";
import { activityStatusChanged, activityStatusFields, type ActivityStatusFields } from "./activity-status.ts";
import { ActivityPoller, clientGetter, type Clock, type PollResult } from "./poller.ts";
import type { ActivityTarget } from "./targets.ts";
import { runCell } from "./testdata/jupyter-kernel.ts";
import { evaluate, type Action, type Evaluation, type Policy } from "./verdict.ts";

const MIN = 60_000;
const PYTHON = ["/usr/bin/python3", "python3"].find((p) => Bun.spawnSync([p, "-c", "import jupyter_server, ipykernel"]).exitCode === 0);

let api: ApiServer;
let client: Client;

beforeAll(async () => {
  api = await startApiServer();
  client = createClient(await loadClientConfig({ kubeconfig: api.kubeconfigPath }), { userAgent: "kode-operator/activity-test" });
});
afterAll(async () => {
  client?.close();
  await api?.stop();
});

async function createPod(name: string) {
  const res = await client.request("POST", "/api/v1/namespaces/default/pods", { metadata: { name }, spec: { containers: [{ name: "ide", image: "x" }] } });
  expect(res.status).toBe(201);
}

class FakeClock implements Clock {
  constructor(public t: number) {}
  now = () => this.t;
  setTimeout = () => 0;
  clearTimeout = () => {};
}

/** What the reconciler will do with each result: evaluate, keep the stored status, count the writes it would make. */
function harness(clock: FakeClock, policy: Policy, runningSince: number) {
  const evaluations: Evaluation[] = [];
  const actions: Action[] = [];
  let stored: ActivityStatusFields | undefined;
  let writes = 0;
  const poller = new ActivityPoller({
    get: clientGetter(client),
    clock,
    random: () => 0.5,
    timeoutMs: 5_000,
    onResult: (r: PollResult) => {
      const e = evaluate({ now: r.at, runningSince, policy, readings: r.readings, memory: r.memory, floor: r.target.floor, activeWindowMs: 2 * MIN, noSignalReason: r.target.noSignalReason });
      evaluations.push(e);
      actions.push(e.action);
      const next = activityStatusFields(e.activity, stored);
      if (activityStatusChanged(stored, next)) {
        writes++;
        stored = next;
      }
      return e.memory;
    },
  });
  const round = async (advanceMs = MIN) => {
    clock.t += advanceMs;
    const n = await poller.runDue();
    expect(n).toBe(1);
    return evaluations.at(-1)!;
  };
  return { poller, round, evaluations, actions, writes: () => writes, stored: () => stored };
}

describe("code-server /healthz stand-in through the pod proxy", () => {
  let server: ReturnType<typeof Bun.serve>;
  let health = { status: "alive", lastHeartbeat: 0 };
  const paths: string[] = [];
  beforeAll(async () => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => {
        paths.push(new URL(req.url).pathname);
        return Response.json(health);
      },
    });
    await createPod("cs-0");
    api.hooks.registerPodProxy("default", "cs-0", `http://127.0.0.1:${server.port}`);
  });
  afterAll(() => server.stop(true));

  test("alive is active (and says why); expired goes idle from the last heartbeat, warns, then pauses", async () => {
    const T0 = Date.parse("2026-12-01T10:00:00Z");
    const clock = new FakeClock(T0);
    const h = harness(clock, { idleTimeoutMs: 5 * MIN, warnBeforeMs: 2 * MIN }, T0);
    const target: ActivityTarget = { key: "default/cs", namespace: "default", pod: "cs-0", sources: [{ kind: "code-server", port: 8443, path: "/healthz" }], floor: { rxBytesPerMinute: 2048, requestsPerMinute: 2 }, noSignalReason: "-" };
    h.poller.upsert(target);
    health = { status: "alive", lastHeartbeat: T0 + 50_000 };
    let e = await h.round();
    expect(paths).toEqual(["/healthz"]);
    expect(e.activity.verdict).toBe("Active");
    expect(e.activity.reason).toBe("active: browser connected (code-server heartbeat; add the Envoy sidecar to tell input from an open tab)");
    // The tab is closed at 10:01.
    health = { status: "expired", lastHeartbeat: T0 + MIN };
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      e = await h.round();
      seen.push(`${e.activity.verdict} ${e.action.kind}`);
    }
    // 10:02 recently used; 10:03 idle since 10:01 (the active window is 2m), pause at 10:06, warned from 10:04.
    expect(seen).toEqual(["Active none", "Idle none", "Idle warn", "Idle warn", "Idle pause", "Idle pause"]);
    expect(e.activity.reason).toBe("idle: no browser connected");
    expect(e.activity.idleSince).toBe(T0 + MIN);
    expect(e.activity.pauseAt).toBe(T0 + 6 * MIN);
    // Writes: the first Active, "recently used" (reason), Idle; nothing for the rounds in between.
    expect(h.writes()).toBe(3);
  });
});

describe("Envoy stats stand-in through the pod proxy", () => {
  let server: ReturnType<typeof Bun.serve>;
  const counters = { rq: 100, rx: 50_000, upgrades: 1, cx: 1 };
  const queries: string[] = [];
  beforeAll(async () => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => {
        const url = new URL(req.url);
        queries.push(`${url.pathname}?${url.searchParams.get("format")}&${url.searchParams.get("filter")}`);
        return Response.json({
          stats: [
            { name: "http.ide.downstream_cx_active", value: counters.cx },
            { name: "http.ide.downstream_cx_rx_bytes_total", value: counters.rx },
            { name: "http.ide.downstream_cx_upgrades_active", value: counters.upgrades },
            { name: "http.ide.downstream_rq_total", value: counters.rq },
          ],
        });
      },
    });
    await createPod("env-0");
    api.hooks.registerPodProxy("default", "env-0", `http://127.0.0.1:${server.port}`);
  });
  afterAll(() => server.stop(true));

  test("first sample unknown, keep-alive only goes idle, typing is active; no writes while nothing changes", async () => {
    const T0 = Date.parse("2026-12-01T10:00:00Z");
    const clock = new FakeClock(T0);
    const h = harness(clock, { idleTimeoutMs: 30 * MIN, warnBeforeMs: 5 * MIN }, T0 - 60 * MIN);
    h.poller.upsert({ key: "default/env", namespace: "default", pod: "env-0", sources: [{ kind: "envoy", port: 19003 }], floor: { rxBytesPerMinute: 2048, requestsPerMinute: 2 }, noSignalReason: "-" });
    let e = await h.round();
    expect(queries[0]).toBe("/stats?json&^http\\.ide\\.(downstream_rq_total|downstream_cx_rx_bytes_total|downstream_cx_upgrades_active|downstream_cx_active)$");
    expect(e.activity.reason).toBe("unknown: first sample of the sidecar's traffic");
    const writesBefore = h.writes();
    for (let i = 0; i < 20; i++) {
      counters.rx += 1_000; // keep-alive: under the 2 KiB/min floor
      e = await h.round();
    }
    expect(e.activity.verdict).toBe("Idle");
    expect(e.activity.reason).toBe("idle: only keep-alive traffic, 1 connection");
    // Unknown -> Idle is one write; 20 quiet rounds add none.
    expect(h.writes() - writesBefore).toBe(1);
    counters.rx += 40_000;
    counters.rq += 12;
    e = await h.round();
    expect(e.activity.verdict).toBe("Active");
    expect(e.activity.reason).toBe("active: user input through the sidecar, 1 connection");
    const writesActive = h.writes();
    for (let i = 0; i < 10; i++) {
      counters.rx += 30_000;
      e = await h.round();
    }
    expect(e.activity.verdict).toBe("Active");
    expect(h.writes()).toBe(writesActive);
  });

  test("the pod goes away: an error reading, Unknown, never a pause", async () => {
    const T0 = Date.parse("2026-12-01T12:00:00Z");
    const clock = new FakeClock(T0);
    const h = harness(clock, { idleTimeoutMs: 1 * MIN, warnBeforeMs: 0 }, T0 - 600 * MIN);
    await createPod("gone-0");
    h.poller.upsert({ key: "default/gone", namespace: "default", pod: "gone-0", sources: [{ kind: "envoy", port: 19003 }], floor: { rxBytesPerMinute: 1, requestsPerMinute: 1 }, noSignalReason: "-" });
    const e = await h.round();
    expect(e.activity.verdict).toBe("Unknown");
    expect(e.activity.reason).toStartWith("unknown: envoy /stats answered HTTP 503");
    expect(e.action).toEqual({ kind: "none" });
  });
});

describe.skipIf(!PYTHON)("a real Jupyter server through the pod proxy", () => {
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  let base = "";
  let dir = "";
  let spawnedAt = 0;
  // Jupyter as it runs behind an authenticating sidecar: its own auth off (the poller reads it through the
  // sidecar's health listener; the embedded pod proxy, like a real one, would drop an Authorization header).
  const direct = (path: string, init?: RequestInit) => fetch(`${base}${path}`, init);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kode-poller-jupyter-"));
    const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const port = probe.port!;
    probe.stop(true);
    base = `http://127.0.0.1:${port}`;
    spawnedAt = Date.now();
    proc = Bun.spawn(
      [PYTHON!, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", `--ServerApp.port=${port}`, "--ServerApp.token=", "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True", `--ServerApp.root_dir=${dir}`, "--ServerApp.open_browser=False", "--allow-root"],
      { stdout: "ignore", stderr: "ignore", env: { ...process.env, HOME: dir, JUPYTER_RUNTIME_DIR: join(dir, "rt") } },
    );
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`${base}/api`)).ok) break;
      } catch {}
      await Bun.sleep(100);
    }
    await createPod("jup-0");
    api.hooks.registerPodProxy("default", "jup-0", base);
  }, 60_000);
  afterAll(() => {
    proc?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const target: ActivityTarget = {
    key: "default/jup", namespace: "default", pod: "jup-0",
    sources: [{ kind: "jupyter", port: 8888, pathPrefix: "" }], floor: { rxBytesPerMinute: 4096, requestsPerMinute: 2 }, noSignalReason: "-",
  };

  test("idle past a short idleTimeout: warned, then paused; polling does not count as use", async () => {
    const start = Date.now();
    const clock = new FakeClock(start);
    // The Kode has been running since the server was started.
    const h = harness(clock, { idleTimeoutMs: 3 * MIN, warnBeforeMs: 1 * MIN }, spawnedAt);
    h.poller.upsert(target);
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const e = await h.round();
      seen.push(`${e.activity.verdict} ${e.action.kind}`);
    }
    // last_activity is the server's start (between spawnedAt and start): active for 2 minutes after it, idle after,
    // the pause due 3 minutes after it and warned one minute before.
    expect(seen).toEqual(["Active none", "Idle warn", "Idle pause", "Idle pause", "Idle pause"]);
    const last = h.evaluations.at(-1)!;
    expect(last.activity.reason).toBe("idle: no notebook activity, no kernels");
    expect(last.action).toEqual({ kind: "pause", reason: "idle" });
    // Idle since the server's own last_activity, which the rounds of polling did not move.
    expect(last.activity.idleSince!).toBeGreaterThanOrEqual(spawnedAt - 1000);
    expect(last.activity.idleSince!).toBeLessThanOrEqual(start);
    expect(last.activity.pauseAt).toBe(last.activity.idleSince! + 3 * MIN);
    expect(h.writes()).toBe(2);
  }, 30_000);

  test("a kernel running time.sleep keeps it Active (kernel busy); connections are counted", async () => {
    const cell = await runCell(base, "import time; time.sleep(10)");
    const state = async () => ((await (await direct("/api/kernels?no_track_activity=1")).json()) as { execution_state: string }[])[0]?.execution_state;
    // The kernel said on iopub it runs the cell; the server's own view follows from the same stream.
    let deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await state()) !== "busy") await Bun.sleep(50);
    expect(await state()).toBe("busy");

    // Hours later on the operator's clock: only the busy kernel can keep it active.
    const start = Date.now();
    const clock = new FakeClock(start + 3 * 60 * MIN);
    const h = harness(clock, { idleTimeoutMs: 30 * MIN, warnBeforeMs: 5 * MIN }, start);
    h.poller.upsert(target);
    const busy = await h.round();
    expect(busy.activity).toMatchObject({ verdict: "Active", reason: "active: kernel busy" });
    expect(busy.action).toEqual({ kind: "none" });

    await cell.finished;
    deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await state()) !== "idle") await Bun.sleep(200);
    const after = await h.round(60 * MIN);
    expect(after.activity.verdict).toBe("Idle");
    // The open websocket is the one connection Jupyter reports.
    expect(after.activity.reason).toBe("idle: no notebook activity, kernels idle, 1 connection");
    await cell.close();
  }, 120_000);
});

// The pod-proxy hook by port (POST /__kode/hooks/pod-proxy {namespace, pod, port, target}): one pod, two ports,
// each source read from its own.
describe("per-port pod proxy targets", () => {
  test("Envoy on 19003 and code-server on 8443 of the same pod", async () => {
    const envoy = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ stats: [{ name: "http.ide.downstream_rq_total", value: 1 }, { name: "http.ide.downstream_cx_rx_bytes_total", value: 1 }] }) });
    const cs = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ status: "expired", lastHeartbeat: 0 }) });
    try {
      await createPod("ports-0");
      for (const [port, srv] of [[19003, envoy], [8443, cs]] as const) {
        const res = await fetch(`${api.url}/__kode/hooks/pod-proxy`, { method: "POST", body: JSON.stringify({ namespace: "default", pod: "ports-0", port, target: `http://127.0.0.1:${srv.port}` }) });
        expect(res.status).toBe(201);
      }
      const results: PollResult[] = [];
      const clock = new FakeClock(Date.parse("2026-12-01T10:00:00Z"));
      const poller = new ActivityPoller({ get: clientGetter(client), clock, random: () => 0, onResult: (r) => void results.push(r) });
      poller.upsert({ key: "default/ports", namespace: "default", pod: "ports-0", sources: [{ kind: "envoy", port: 19003 }, { kind: "code-server", port: 8443, path: "/healthz" }], floor: { rxBytesPerMinute: 1, requestsPerMinute: 1 }, noSignalReason: "-" });
      await poller.runDue();
      expect(results[0]!.readings).toEqual([
        { ok: true, sample: { kind: "envoy", requests: 1, rxBytes: 1, upgradesActive: 0, connectionsActive: 0 } },
        { ok: true, sample: { kind: "code-server", status: "expired", lastHeartbeat: 0 } },
      ]);
    } finally {
      envoy.stop(true);
      cs.stop(true);
    }
  });
});

// As kube-apiserver's authentication filter: the caller's credentials end at the API server. A Jupyter token in an
// Authorization header therefore never reaches the pod, which is why Jupyter without a sidecar is not polled.
describe("the pod proxy keeps the caller's credentials", () => {
  test("Authorization and Impersonate-* headers are not forwarded; other headers are", async () => {
    const seen: Record<string, string>[] = [];
    const echo = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => (seen.push(Object.fromEntries(req.headers)), Response.json({})) });
    try {
      await createPod("creds-0");
      api.hooks.registerPodProxy("default", "creds-0", `http://127.0.0.1:${echo.port}`);
      const res = await client.request("GET", "/api/v1/namespaces/default/pods/creds-0:8888/proxy/api/status", undefined, { authorization: "token jupyter-secret", "x-kode-test": "kept" });
      expect(res.status).toBe(200);
      expect(seen[0]!.authorization).toBeUndefined();
      expect(Object.keys(seen[0]!).filter((h) => h.startsWith("impersonate-"))).toEqual([]);
      expect(seen[0]!["x-kode-test"]).toBe("kept");
    } finally {
      echo.stop(true);
    }
  });
});
