// The operator as a process: metrics, health, structured logs, graceful shutdown and leader election.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { LEASES } from "../src/kube/resources.ts";
import { createKode, createTemplate, eventually, OperatorProcess, startE2E, waitKode, type E2E } from "./operator-harness.ts";

setDefaultTimeout(90_000);

describe("operator runtime: metrics, health, logs", () => {
  let env: E2E;
  beforeAll(async () => {
    env = await startE2E();
    await createTemplate(env.client, "cs", "default", { type: "code-server", image: "linuxserver/code-server:latest" });
    await createKode(env.client, "observed", "default", { templateRef: { name: "cs" }, user: "dev" });
    await waitKode(env.client, "default", "observed", "Running", (k) => k.status?.phase === "Running");
  });
  afterAll(() => env?.stop());

  test("/metrics exposes reconciles by result, their duration, queue depth, API requests by verb and code, Kodes by phase", async () => {
    const op = env.operator;
    expect(await op.metric("kode_reconcile_total", { controller: "kode", result: "success" })).toBeGreaterThan(0);
    expect(await op.metric("kode_reconcile_duration_seconds_count", { controller: "kode" })).toBeGreaterThan(0);
    const text = await op.metricsText();
    expect(text).toMatch(/^# TYPE kode_reconcile_duration_seconds histogram$/m);
    expect(text).toMatch(/^kode_workqueue_depth\{controller="kode"\} \d+$/m);
    expect(await op.metric("kode_api_requests_total", { verb: "POST", code: "201" })).toBeGreaterThanOrEqual(3);
    expect(await op.metric("kode_kodes", { phase: "Running" })).toBe(1);
    expect(await op.metric("process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  test("/healthz and /readyz answer 200 once caches are synced", async () => {
    for (const path of ["/healthz", "/readyz"]) expect((await fetch(`${env.operator.url}${path}`)).status).toBe(200);
  });

  test("logs are JSON lines with time, level and msg", () => {
    const lines = env.operator.logs().map((l) => l.replace(/^\[\d+\] /, ""));
    const json = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    expect(json.length).toBeGreaterThan(0);
    for (const entry of json) expect(Object.keys(entry)).toEqual(expect.arrayContaining(["time", "level", "msg"]));
    expect(json.some((e) => e.msg === "caches synced; starting workers")).toBe(true);
  });

  test("SIGTERM shuts down gracefully with exit code 0", async () => {
    expect(await env.operator.kill("SIGTERM")).toBe(0);
  });
});

describe("operator runtime: leader election", () => {
  let env: E2E;
  const replicas: OperatorProcess[] = [];
  const holder = async () => (await env.client.get(LEASES, "kode-operator-leader", env.operatorNamespace))?.spec as { holderIdentity?: string } | undefined;

  beforeAll(async () => {
    env = await startE2E({ startOperator: false });
    await createTemplate(env.client, "cs", "default", { type: "code-server", image: "linuxserver/code-server:latest" });
    for (let i = 0; i < 2; i++) {
      const op = new OperatorProcess({ kubeconfig: env.operatorKubeconfig, extraArgs: ["--leader-elect", "--leader-election-namespace", env.operatorNamespace] });
      replicas.push(op);
      await op.start();
    }
    // A standby replica is ready too: it takes over when the leader goes.
    for (const op of replicas) await op.waitReady();
  });
  afterAll(async () => {
    for (const op of replicas) await op.kill("SIGKILL");
    await env?.stop();
  });

  test("exactly one replica leads and reconciles; when it stops, the other takes over", async () => {
    const first = await eventually("a lease holder", async () => (await holder())?.holderIdentity || undefined);
    await createKode(env.client, "one", "default", { templateRef: { name: "cs" } });
    await waitKode(env.client, "default", "one", "Running", (k) => k.status?.phase === "Running");
    const reconciled = await Promise.all(replicas.map((op) => op.metric("kode_reconcile_total", { controller: "kode" })));
    expect(reconciled.filter((n) => n > 0).length).toBe(1);
    const leader = replicas[reconciled.findIndex((n) => n > 0)];
    const standby = replicas.find((op) => op !== leader)!;

    // A graceful stop releases the lease, so the standby takes over without waiting for it to expire.
    expect(await leader.kill("SIGTERM")).toBe(0);
    const second = await eventually("a new lease holder", async () => {
      const id = (await holder())?.holderIdentity;
      return id && id !== first ? id : undefined;
    });
    expect(second).not.toBe(first);
    await createKode(env.client, "two", "default", { templateRef: { name: "cs" } });
    await waitKode(env.client, "default", "two", "Running", (k) => k.status?.phase === "Running");
    expect(await standby.metric("kode_reconcile_total", { controller: "kode" })).toBeGreaterThan(0);
  });
});

describe("operator runtime: --namespace", () => {
  let env: E2E;
  beforeAll(async () => {
    env = await startE2E({ startOperator: false });
    env.operator.opts.extraArgs = ["--namespace", "team-a", "--namespace", "team-b"];
    for (const ns of ["team-a", "team-b", "team-c"]) {
      await env.client.create({ group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false }, { metadata: { name: ns } });
      await createTemplate(env.client, "cs", ns, { type: "code-server", image: "linuxserver/code-server:latest" });
      await createKode(env.client, "k", ns, { templateRef: { name: "cs" } });
    }
    await env.operator.startAndWait();
  });
  afterAll(() => env?.stop());

  test("only Kodes in the watched namespaces are reconciled", async () => {
    for (const ns of ["team-a", "team-b"]) await waitKode(env.client, ns, "k", "Running", (k) => k.status?.phase === "Running");
    // Both watched Kodes have settled; the third was never looked at.
    const other = await env.client.get({ group: "kode.jacero.io", version: "v1alpha1", plural: "kodes", kind: "Kode", namespaced: true }, "k", "team-c");
    expect(other?.status).toBeUndefined();
    expect(other?.metadata.finalizers).toBeUndefined();
  });
});
