import { describe, expect, test } from "bun:test";
import { parseCodeServerHealthz, parseEnvoyStats, parseJupyterKernels, parseJupyterStatus, type Reading } from "./signals.ts";
import { evaluate, nextPause, warningMessage, type EvaluateInput, type Memory } from "./verdict.ts";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const MIN = 60_000;
const at = (minutes: number) => T0 + minutes * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

const jupyter = (lastActivityMin: number, busy = 0, connections = 0, kernels = 1): Reading =>
  parseJupyterStatus(
    { started: iso(T0), last_activity: iso(at(lastActivityMin)), connections, kernels },
    Array.from({ length: kernels }, (_, i) => ({ id: `k${i}`, execution_state: i < busy ? "busy" : "idle" })),
  );
const envoy = (requests: number, rx: number, upgrades = 0, cx = 0): Reading =>
  parseEnvoyStats({
    stats: [
      { name: "http.ide.downstream_rq_total", value: requests },
      { name: "http.ide.downstream_cx_rx_bytes_total", value: rx },
      { name: "http.ide.downstream_cx_upgrades_active", value: upgrades },
      { name: "http.ide.downstream_cx_active", value: cx },
    ],
  });

const base = (over: Partial<EvaluateInput>): EvaluateInput => ({
  now: at(0),
  runningSince: T0,
  policy: { idleTimeoutMs: 30 * MIN, warnBeforeMs: 5 * MIN },
  readings: [],
  memory: {},
  floor: { rxBytesPerMinute: 2048, requestsPerMinute: 2 },
  activeWindowMs: 2 * MIN,
  noSignalReason: "no activity signal for type webtop without a sidecar",
  ...over,
});

describe("signals", () => {
  test("code-server /healthz", () => {
    expect(parseCodeServerHealthz({ status: "alive", lastHeartbeat: 1764583200000 })).toEqual({
      ok: true,
      sample: { kind: "code-server", status: "alive", lastHeartbeat: 1764583200000 },
    });
    expect(parseCodeServerHealthz({ status: "sleeping", lastHeartbeat: 1 })).toEqual({
      ok: false,
      source: "code-server",
      error: 'code-server /healthz answered status "sleeping", expected alive or expired',
    });
    expect(parseCodeServerHealthz("<html>")).toMatchObject({ ok: false });
  });

  test("jupyter /api/status and /api/kernels (the server's own field names)", () => {
    const r = parseJupyterStatus(
      { started: "2026-12-01T10:00:00.000000Z", last_activity: "2026-12-01T10:05:30.123456Z", connections: 2, kernels: 2 },
      [
        { id: "a", name: "python3", execution_state: "busy", connections: 1 },
        { id: "b", name: "python3", execution_state: "idle", connections: 1 },
      ],
    );
    expect(r).toEqual({
      ok: true,
      sample: { kind: "jupyter", started: Date.parse("2026-12-01T10:00:00Z"), lastActivity: Date.parse("2026-12-01T10:05:30.123Z"), connections: 2, kernels: 2, busyKernels: 1 },
    });
    expect(parseJupyterStatus({ message: "Forbidden" }, [])).toEqual({
      ok: false,
      source: "jupyter",
      error: "jupyter /api/status has no started/last_activity times",
    });
  });

  test("jupyter /api/kernels alone (behind the sidecar): the newest kernel's activity, busy kernels, connections", () => {
    expect(
      parseJupyterKernels([
        { id: "a", name: "python3", last_activity: "2026-12-01T10:05:30.123456Z", execution_state: "busy", connections: 1 },
        { id: "b", name: "python3", last_activity: "2026-12-01T09:00:00.000000Z", execution_state: "idle", connections: 2 },
      ]),
    ).toEqual({ ok: true, sample: { kind: "jupyter", lastActivity: Date.parse("2026-12-01T10:05:30.123Z"), connections: 3, kernels: 2, busyKernels: 1 } });
    expect(parseJupyterKernels([])).toEqual({ ok: true, sample: { kind: "jupyter", connections: 0, kernels: 0, busyKernels: 0 } });
    expect(parseJupyterKernels({ message: "Forbidden" })).toEqual({ ok: false, source: "jupyter", error: "jupyter /api/kernels did not answer a JSON list" });
  });

  test("a Jupyter reading without kernels behind the sidecar leaves the verdict to the sidecar's traffic", () => {
    const noKernels: Reading = { ok: true, sample: { kind: "jupyter", connections: 0, kernels: 0, busyKernels: 0 } };
    const idle = evaluate(base({ now: at(600), readings: [noKernels], memory: {} }));
    expect(idle.activity.verdict).toBe("Idle");
    expect(idle.activity.reason).toBe("idle: no notebook activity, no kernels");
  });

  test("envoy /stats?format=json", () => {
    expect(envoy(10, 5000, 1, 2)).toEqual({
      ok: true,
      sample: { kind: "envoy", requests: 10, rxBytes: 5000, upgradesActive: 1, connectionsActive: 2 },
    });
    expect(parseEnvoyStats({ stats: [{ name: "http.other.downstream_rq_total", value: 1 }] })).toMatchObject({ ok: false, source: "envoy" });
  });
});

describe("verdicts", () => {
  test("a busy kernel is active even when nothing else happened for an hour", () => {
    const e = evaluate(base({ now: at(60), readings: [jupyter(0, 1)] }));
    expect(e.activity).toEqual({ verdict: "Active", reason: "active: kernel busy", signal: "jupyter", lastActiveTime: at(60) });
    expect(e.action).toEqual({ kind: "none" });
  });

  test("jupyter idle for 31m with a 30m timeout: paused, the reason says why", () => {
    const e = evaluate(base({ now: at(31), readings: [jupyter(1, 0, 1)] }));
    expect(e.activity).toEqual({
      verdict: "Idle",
      reason: "idle: no notebook activity, kernels idle, 1 connection",
      signal: "jupyter",
      lastActiveTime: at(1),
      idleSince: at(1),
      pauseAt: at(31),
      pauseReason: "idle",
    });
    expect(e.action).toEqual({ kind: "pause", reason: "idle" });
  });

  test("warned warnBefore ahead of the pause", () => {
    const e = evaluate(base({ now: at(26), readings: [jupyter(0)] }));
    expect(e.activity.pauseAt).toBe(at(30));
    expect(e.action).toEqual({ kind: "warn", reason: "idle", at: at(30) });
    expect(warningMessage(e.activity, at(26))).toBe(
      "idle (no notebook activity, kernels idle) for 26m; pausing at 2026-12-01T10:30:00Z unless it is used (annotate kode.jacero.io/keep-alive-until=<RFC 3339 time> to postpone)",
    );
    const before = evaluate(base({ now: at(24), readings: [jupyter(0)] }));
    expect(before.action).toEqual({ kind: "none" });
  });

  test("an open tab's keep-alive traffic through Envoy is idle; typing is active", () => {
    const m0: Memory = { lastActiveTime: at(0), envoy: { sample: { kind: "envoy", requests: 100, rxBytes: 10_000, upgradesActive: 1, connectionsActive: 1 }, at: at(10) } };
    // one minute, 600 bytes (VS Code pings), no requests: below the 2 KiB/min floor
    const idle = evaluate(base({ now: at(11), readings: [envoy(100, 10_600, 1, 1)], memory: m0 }));
    expect(idle.activity).toEqual({
      verdict: "Idle",
      reason: "idle: only keep-alive traffic, 1 connection",
      signal: "envoy",
      lastActiveTime: at(0),
      idleSince: at(0),
      pauseAt: at(30),
      pauseReason: "idle",
    });
    const typing = evaluate(base({ now: at(12), readings: [envoy(103, 19_000, 1, 1)], memory: idle.memory }));
    expect(typing.activity).toEqual({
      verdict: "Active",
      reason: "active: user input through the sidecar, 1 connection",
      signal: "envoy",
      lastActiveTime: at(12),
    });
    expect(typing.action).toEqual({ kind: "none" });
  });

  test("code-server alive behind Envoy is only an open tab; without Envoy it counts and says so", () => {
    const cs = parseCodeServerHealthz({ status: "alive", lastHeartbeat: at(39) });
    const mem: Memory = { lastActiveTime: at(0), envoy: { sample: { kind: "envoy", requests: 5, rxBytes: 1000, upgradesActive: 1, connectionsActive: 1 }, at: at(39) } };
    const behind = evaluate(base({ now: at(40), readings: [cs, envoy(5, 1200, 1, 1)], memory: mem }));
    expect(behind.activity).toMatchObject({ verdict: "Idle", reason: "idle: only keep-alive traffic, 1 connection", signal: "code-server+envoy", idleSince: at(0) });
    const onlyTab = evaluate(base({ now: at(40), readings: [cs, { ok: false, source: "envoy", error: "envoy /stats answered HTTP 503" }] }));
    expect(onlyTab.activity).toMatchObject({ verdict: "Unknown", reason: "unknown: browser connected" });
    const alone = evaluate(base({ now: at(40), readings: [cs] }));
    expect(alone.activity.verdict).toBe("Active");
    expect(alone.activity.reason).toBe("active: browser connected (code-server heartbeat; add the Envoy sidecar to tell input from an open tab)");
    const expired = evaluate(base({ now: at(40), readings: [parseCodeServerHealthz({ status: "expired", lastHeartbeat: at(5) })] }));
    expect(expired.activity).toMatchObject({ verdict: "Idle", reason: "idle: no browser connected", idleSince: at(5), pauseAt: at(35) });
    expect(expired.action).toEqual({ kind: "pause", reason: "idle" });
  });

  test("unknown never pauses for idleness, whatever the time", () => {
    const none = evaluate(base({ now: at(600), readings: [] }));
    expect(none.activity).toEqual({ verdict: "Unknown", reason: "unknown: no activity signal for type webtop without a sidecar", signal: "none" });
    expect(none.action).toEqual({ kind: "none" });
    const broken = evaluate(base({ now: at(600), readings: [{ ok: false, source: "jupyter", error: "jupyter /api/status answered HTTP 403" }], memory: { lastActiveTime: at(0) } }));
    expect(broken.activity).toEqual({ verdict: "Unknown", reason: "unknown: jupyter /api/status answered HTTP 403", signal: "jupyter", lastActiveTime: at(0) });
    expect(broken.action).toEqual({ kind: "none" });
  });

  test("max-run-time pauses a busy Kode; keep-alive-until postpones up to the template's cap", () => {
    const policy = { maxRunTimeMs: 60 * MIN, templateMaxRunTimeMs: 90 * MIN, warnBeforeMs: 5 * MIN };
    const busy = evaluate(base({ now: at(60), policy, readings: [jupyter(60, 1)] }));
    expect(busy.activity).toMatchObject({ verdict: "Active", pauseAt: at(60), pauseReason: "max-run-time" });
    expect(busy.action).toEqual({ kind: "pause", reason: "max-run-time" });
    const extended = evaluate(base({ now: at(60), policy: { ...policy, keepAliveUntil: at(75) }, readings: [jupyter(60, 1)] }));
    expect(extended.activity.pauseAt).toBe(at(75));
    expect(extended.action).toEqual({ kind: "none" });
    const beyondCap = evaluate(base({ now: at(60), policy: { ...policy, keepAliveUntil: at(500) }, readings: [jupyter(60, 1)] }));
    expect(beyondCap.activity.pauseAt).toBe(at(90));
  });

  test("keep-alive-until postpones an idle pause", () => {
    const e = evaluate(base({ now: at(40), policy: { idleTimeoutMs: 30 * MIN, warnBeforeMs: 5 * MIN, keepAliveUntil: at(120) }, readings: [jupyter(0)] }));
    expect(e.activity).toMatchObject({ verdict: "Idle", pauseAt: at(120), pauseReason: "idle" });
    expect(e.action).toEqual({ kind: "none" });
  });

  test("a resumed Kode is not idle since before it started again", () => {
    const e = evaluate(base({ now: at(101), runningSince: at(100), readings: [jupyter(0)], memory: { lastActiveTime: at(0) } }));
    expect(e.activity).toMatchObject({ verdict: "Active", lastActiveTime: at(100) });
    const later = evaluate(base({ now: at(125), runningSince: at(100), readings: [jupyter(0)] }));
    expect(later.activity).toMatchObject({ verdict: "Idle", idleSince: at(100), pauseAt: at(130) });
  });

  test("the first Envoy sample is inconclusive and becomes the baseline", () => {
    const e = evaluate(base({ now: at(5), readings: [envoy(1, 100, 0, 0)] }));
    expect(e.activity).toEqual({ verdict: "Unknown", reason: "unknown: first sample of the sidecar's traffic", signal: "envoy" });
    expect(e.memory.envoy).toEqual({ sample: { kind: "envoy", requests: 1, rxBytes: 100, upgradesActive: 0, connectionsActive: 0 }, at: at(5) });
  });

  test("nextPause without policy values has no pause", () => {
    expect(nextPause({ runningSince: T0, policy: { warnBeforeMs: 0 } }, { verdict: "Idle", idleSince: T0 })).toBeUndefined();
  });
});
