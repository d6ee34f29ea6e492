// The whole lifecycle timeline in the sandbox (embedded API server with RBAC and its kubelet simulation, the operator
// in process with the shipped RBAC) on an injected clock: hours in milliseconds. The activity readings come from
// stand-ins of code-server's /healthz through the operator's own HTTP getter; everything else is the real path:
// status.activity written by the Kode reconciler only when it changes, IdleSoon/MaxRunTimeSoon Warning Events with
// the time, the automatic pause through pauseKode (paused-by=operator, pause-reason idle / max-run-time), the
// keep-alive-until annotation, and refused values reported with a reason while nothing is deleted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KODE_TEMPLATES, KODES } from "../src/api/resources.ts";
import type { Clock, HttpGet } from "../src/lifecycle/poller.ts";
import { EVENTS, PODS, PVCS, SECRETS, SERVICES, STATEFULSETS } from "../src/kube/resources.ts";
import { startSandbox, type Sandbox } from "../src/operator/sandbox.ts";
import { eventually } from "./operator-harness.ts";

const MIN = 60_000;
const UA = "kode-operator/";

class FakeClock implements Clock {
  constructor(public t: number) {}
  now = () => this.t;
  setTimeout = () => 0;
  clearTimeout = () => {};
}

let sandbox: Sandbox;
let dir: string;
const clock = new FakeClock(Date.now());
/** What each Kode's code-server answers on /healthz (by pod name); absent: connection refused. */
const healthz = new Map<string, { status: "alive" | "expired"; lastHeartbeat: number }>();
const gets: string[] = [];
const get: HttpGet = async (path) => {
  gets.push(path);
  const pod = /\/pods\/([^/:]+)/.exec(path)?.[1] ?? "";
  const body = healthz.get(pod);
  if (!body) throw new Error("connection refused");
  return { status: 200, body };
};

const until = <T>(what: string, check: () => Promise<T | undefined | false>, ms = 20_000) => eventually(what, check, ms, 25) as Promise<T>;
const kode = (name: string) => sandbox.client.get<any>(KODES, name, "default");
const cond = (k: any, type: string) => k?.status?.conditions?.find((c: any) => c.type === type);
const eventsOf = async (name: string) =>
  ((await sandbox.client.list<any>(EVENTS, { namespace: "default" })).items as any[]).filter((e) => e.involvedObject.name === name).map((e) => ({ type: e.type, reason: e.reason, message: e.message }));
/** Advance the injected clock and run one round of the poller (and of the Kodes with nothing to read). */
async function round(ms = MIN) {
  clock.t += ms;
  await sandbox.operator.lifecycle.runDue();
}
const rfc = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

const template = (name: string, type: string, lifecycle: Record<string, string>) => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "KodeTemplate",
  metadata: { name, namespace: "default" },
  spec: { type, image: type === "webtop" ? "linuxserver/webtop:latest" : "linuxserver/code-server:latest", lifecycle },
});
const newKode = (name: string, tpl: string, extra: Record<string, unknown> = {}, annotations?: Record<string, string>) => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "Kode",
  metadata: { name, namespace: "default", ...(annotations && { annotations }) },
  spec: { templateRef: { kind: "KodeTemplate", name: tpl }, user: "dev", storage: { resources: { requests: { storage: "1Gi" } } }, ...extra },
});
async function running(name: string) {
  return until(`${name} Running and registered`, async () => ((await kode(name))?.status?.phase === "Running" && (sandbox.operator.lifecycle.poller.has(`default/${name}`) || name.startsWith("w")) ? kode(name) : undefined));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kode-lifecycle-timeline-"));
  sandbox = await startSandbox({ kubeconfigPath: join(dir, "kubeconfig"), kubeletDelayMs: 20, operator: { activity: { clock, get, random: () => 0.5, intervalMs: MIN } } });
  await sandbox.client.create(KODE_TEMPLATES, template("idle30", "code-server", { idleTimeout: "30m", warnBefore: "5m" }));
  await sandbox.client.create(KODE_TEMPLATES, template("capped", "webtop", { maxRunTime: "2h", warnBefore: "10m" }));
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("idle → warned → paused, on the injected clock", () => {
  test("30 minutes idle: Idle written once, no write while idle, IdleSoon at 25m with the time, paused at 30m; nothing deleted", async () => {
    await sandbox.client.create(KODES, newKode("cs1", "idle30"));
    await running("cs1");
    const pvcUid = (await sandbox.client.get<any>(PVCS, "cs1-home", "default")).metadata.uid;
    const start = clock.t;
    healthz.set("cs1-0", { status: "expired", lastHeartbeat: start - 5 * MIN });
    // Within the active window after the start: Active ("recently used").
    await round();
    const first = await until("the first verdict", async () => (await kode("cs1"))?.status?.activity);
    expect(first).toMatchObject({ verdict: "Active", signal: "code-server" });
    expect(first.reason).toStartWith("active: recently used, now no browser connected");
    await round(2 * MIN);
    const idle = await until("Idle", async () => ((await kode("cs1"))?.status?.activity?.verdict === "Idle" ? (await kode("cs1")).status.activity : undefined));
    expect(idle.reason).toBe("idle: no browser connected");
    const idleSince = Date.parse(idle.idleSince);
    expect(idle.pauseAt).toBe(rfc(idleSince + 30 * MIN));

    // Idle for a while: polled every minute, not one write (no status, no Event).
    await Bun.sleep(300);
    const writesBefore = sandbox.server.hooks.writes(UA);
    const getsBefore = gets.length;
    while (clock.t < idleSince + 24 * MIN) await round();
    await Bun.sleep(300);
    expect(gets.length - getsBefore).toBeGreaterThanOrEqual(19);
    expect(sandbox.server.hooks.writes(UA)).toBe(writesBefore);

    // warnBefore (5m) ahead: one IdleSoon naming the time.
    while (clock.t < idleSince + 25 * MIN) await round();
    await round();
    const warning = await until("IdleSoon", async () => (await eventsOf("cs1")).find((e) => e.reason === "IdleSoon"));
    expect(warning.type).toBe("Warning");
    expect(warning.message).toContain(`pausing at ${rfc(idleSince + 30 * MIN)}`);
    expect(warning.message).toContain("kode.jacero.io/keep-alive-until");
    await round();
    expect((await eventsOf("cs1")).filter((e) => e.reason === "IdleSoon")).toHaveLength(1);

    while (clock.t < idleSince + 30 * MIN) await round();
    await round();
    const paused = await until("Paused", async () => ((await kode("cs1"))?.status?.phase === "Paused" ? kode("cs1") : undefined));
    expect(paused.spec.paused).toBe(true);
    expect(paused.metadata.annotations).toMatchObject({ "kode.jacero.io/paused-by": "operator", "kode.jacero.io/pause-reason": "idle" });
    expect(cond(paused, "Paused")).toMatchObject({ status: "True", reason: "Idle" });
    expect(paused.status.activity).toBeUndefined();
    expect(sandbox.operator.lifecycle.poller.has("default/cs1")).toBe(false);
    await until("the pod gone", async () => !(await sandbox.client.get(PODS, "cs1-0", "default")));
    expect((await sandbox.client.get<any>(PVCS, "cs1-home", "default")).metadata.uid).toBe(pvcUid);
    expect(await sandbox.client.get(SECRETS, "cs1-auth", "default")).toBeDefined();
    expect(await sandbox.client.get(SERVICES, "cs1", "default")).toBeDefined();
    expect(sandbox.operator.metrics.expose()).toContain('kode_pauses_total{reason="idle"} 1');
  });

  test("use in between cancels the warning's pause; resume gives the full idle timeout again", async () => {
    // Each test starts on the wall clock: the pods' start times (the simulated kubelet's) are wall-clock times.
    clock.t = Date.now();
    await sandbox.client.create(KODES, newKode("cs2", "idle30"));
    await running("cs2");
    healthz.set("cs2-0", { status: "expired", lastHeartbeat: clock.t - 60 * MIN });
    await round(3 * MIN);
    const idle = await until("Idle", async () => ((await kode("cs2"))?.status?.activity?.verdict === "Idle" ? (await kode("cs2")).status.activity : undefined));
    const idleSince = Date.parse(idle.idleSince);
    while (clock.t < idleSince + 26 * MIN) await round();
    await until("IdleSoon", async () => (await eventsOf("cs2")).find((e) => e.reason === "IdleSoon"));
    // Somebody opens the IDE: a browser connects.
    healthz.set("cs2-0", { status: "alive", lastHeartbeat: clock.t });
    await round();
    const active = await until("Active", async () => ((await kode("cs2"))?.status?.activity?.verdict === "Active" ? (await kode("cs2")).status.activity : undefined));
    expect(active.pauseAt).toBeUndefined();
    while (clock.t < idleSince + 40 * MIN) await round();
    expect((await kode("cs2")).spec.paused).toBeUndefined();
  });
});

describe("keep-alive-until and refused values", () => {
  test("keep-alive-until postpones the pause; not a time or in the past: LifecycleValid=False, a Warning Event, the template's timeout applies", async () => {
    clock.t = Date.now();
    const until1 = clock.t + 3 * 60 * MIN;
    await sandbox.client.create(KODES, newKode("cs3", "idle30", {}, { "kode.jacero.io/keep-alive-until": rfc(until1) }));
    await running("cs3");
    healthz.set("cs3-0", { status: "expired", lastHeartbeat: clock.t - 60 * MIN });
    await round(3 * MIN);
    const idle = await until("Idle", async () => ((await kode("cs3"))?.status?.activity?.verdict === "Idle" ? (await kode("cs3")).status.activity : undefined));
    expect(idle.pauseAt).toBe(rfc(until1));

    await sandbox.client.mergePatch(KODES, "cs3", { metadata: { annotations: { "kode.jacero.io/keep-alive-until": "tomorrow" } } }, { namespace: "default" });
    const bad = await until("LifecycleValid=False", async () => (cond(await kode("cs3"), "LifecycleValid")?.status === "False" ? kode("cs3") : undefined));
    expect(cond(bad, "LifecycleValid")).toMatchObject({ reason: "InvalidKeepAlive" });
    expect(cond(bad, "LifecycleValid").message).toContain('kode.jacero.io/keep-alive-until="tomorrow" is not an RFC 3339 time');
    expect(bad.status.phase).toBe("Running");
    await until("the Warning Event", async () => (await eventsOf("cs3")).find((e) => e.type === "Warning" && e.reason === "InvalidKeepAlive"));
    await round();
    const back = await until("the template's pause time", async () => {
      const a = (await kode("cs3"))?.status?.activity;
      return a?.pauseAt === rfc(Date.parse(a?.idleSince) + 30 * MIN) ? a : undefined;
    });
    expect(back.verdict).toBe("Idle");

    await sandbox.client.mergePatch(KODES, "cs3", { metadata: { annotations: { "kode.jacero.io/keep-alive-until": rfc(clock.t - MIN) } } }, { namespace: "default" });
    const past = await until("in the past", async () => (cond(await kode("cs3"), "LifecycleValid")?.message?.includes("is in the past") ? kode("cs3") : undefined));
    expect(cond(past, "LifecycleValid").reason).toBe("InvalidKeepAlive");
    expect(await sandbox.client.get(PVCS, "cs3-home", "default")).toBeDefined();
  });

  test("a Kode lengthening the template's idleTimeout: refused with the reason, the template's 30m applies", async () => {
    clock.t = Date.now();
    await sandbox.client.create(KODES, newKode("cs4", "idle30", { lifecycle: { idleTimeout: "2h" } }));
    const k = await until("LifecycleValid=False", async () => (cond(await kode("cs4"), "LifecycleValid")?.status === "False" ? kode("cs4") : undefined));
    expect(cond(k, "LifecycleValid")).toMatchObject({ reason: "LifecycleLongerThanTemplate" });
    expect(cond(k, "LifecycleValid").message).toBe("spec.lifecycle.idleTimeout 2h is longer than the template's 30m; a Kode may only shorten it (the template's values apply)");
    await until("the Warning Event", async () => (await eventsOf("cs4")).find((e) => e.type === "Warning" && e.reason === "LifecycleLongerThanTemplate"));
    await running("cs4");
    healthz.set("cs4-0", { status: "expired", lastHeartbeat: clock.t - 60 * MIN });
    await round(3 * MIN);
    const idle = await until("Idle", async () => ((await kode("cs4"))?.status?.activity?.verdict === "Idle" ? (await kode("cs4")).status.activity : undefined));
    expect(idle.pauseAt).toBe(rfc(Date.parse(idle.idleSince) + 30 * MIN));
  });
});

describe("max run time, and a type with nothing to read", () => {
  test("webtop without a sidecar: Unknown with the reason, never polled, paused at maxRunTime after MaxRunTimeSoon", async () => {
    clock.t = Date.now();
    await sandbox.client.create(KODES, newKode("w1", "capped"));
    await running("w1");
    await round();
    const a = await until("the Unknown verdict", async () => (await kode("w1"))?.status?.activity);
    expect(a).toMatchObject({ verdict: "Unknown", reason: "unknown: no activity signal for type webtop without a sidecar", signal: "none" });
    expect(sandbox.operator.lifecycle.poller.has("default/w1")).toBe(false);
    expect(gets.filter((p) => p.includes("/pods/w1-0"))).toEqual([]);
    const pauseAt = Date.parse(a.pauseAt);
    while (clock.t < pauseAt - 10 * MIN) await round(10 * MIN);
    await round(MIN);
    const w = await until("MaxRunTimeSoon", async () => (await eventsOf("w1")).find((e) => e.reason === "MaxRunTimeSoon"));
    expect(w.message).toContain(`maximum run time reached at ${rfc(pauseAt)}`);
    while (clock.t < pauseAt) await round(5 * MIN);
    await round();
    const paused = await until("Paused", async () => ((await kode("w1"))?.status?.phase === "Paused" ? kode("w1") : undefined));
    expect(paused.metadata.annotations["kode.jacero.io/pause-reason"]).toBe("max-run-time");
    expect((await sandbox.client.get<any>(STATEFULSETS, "w1", "default")).spec.replicas).toBe(0);
    expect(gets.filter((p) => p.includes("/pods/w1-0"))).toEqual([]);
    expect(sandbox.operator.metrics.expose()).toContain('kode_pauses_total{reason="max-run-time"} 1');
  });

  test("start timings: status.startup of the pod, and the histogram observed", async () => {
    const k = await kode("cs2");
    expect(k.status.startup.startedAt).toBeDefined();
    expect(k.status.startup.readyAt).toBeDefined();
    expect(k.status.startup.seconds).toBeGreaterThanOrEqual(0);
    expect(sandbox.operator.metrics.expose()).toMatch(/kode_start_duration_seconds_count\{type="code-server",template="idle30"\} [1-9]/);
  });
});
