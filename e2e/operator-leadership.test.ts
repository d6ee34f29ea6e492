// Leadership: once the lease is lost, not one write leaves the old leader, not even with a queue full of work
// and writes in flight; the new leader finishes the job. Two operators run in this process against the
// embedded API server as the operator's ServiceAccount (shipped RBAC enforced), each with its own User-Agent, so the server's counters and the clients' own request
// hooks tell them apart.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createClient } from "../src/kube/client.ts";
import { loadClientConfig } from "../src/kube/kubeconfig.ts";
import { silentLogger, type Logger } from "../src/kube/logger.ts";
import { LEASES } from "../src/kube/resources.ts";
import { startOperator, type RunningOperator } from "../src/operator/operator.ts";
import { createKode, createTemplate, eventually, isRunning, startE2E, waitKode, type E2E } from "./operator-harness.ts";

setDefaultTimeout(90_000);

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const LEASE = { leaseDurationSeconds: 3, renewDeadlineMs: 1500, retryPeriodMs: 300 };
const KODES = 40;

/** A client whose writes are counted as they leave and as they are answered. */
async function countingClient(env: E2E, userAgent: string) {
  const counts = { sent: 0, answered: 0 };
  const client = createClient(await loadClientConfig({ kubeconfig: env.operatorKubeconfig }), {
    userAgent,
    qps: 0,
    onRequest: (method) => void (WRITE_METHODS.has(method) && counts.sent++),
    onResponse: (method) => void (WRITE_METHODS.has(method) && counts.answered++),
  });
  return { client, counts };
}

/** A logger that calls `onLost` when the leader elector says the lease is lost. */
function watchingLogger(onLost: () => void): Logger {
  const log: Logger = {
    ...silentLogger,
    error: (msg) => {
      if (msg === "leader election lost") onLost();
    },
    child: () => log,
  };
  return log;
}

describe("leadership: the old leader stops writing the moment its lease is lost", () => {
  let env: E2E;
  const operators: RunningOperator[] = [];

  beforeAll(async () => {
    env = await startE2E({ startOperator: false });
    await createTemplate(env.client, "cs", "default", { type: "code-server", image: "linuxserver/code-server:latest" });
  });
  afterAll(async () => {
    for (const op of operators) await op.stop().catch(() => {});
    await env?.stop();
  });

  test("zero writes leave the old leader after the loss; the new leader converges every Kode", async () => {
    const a = await countingClient(env, "kode-operator-a/1");
    const b = await countingClient(env, "kode-operator-b/1");
    let atLoss: { sent: number; answered: number; serverWrites: number } | undefined;
    const opA = startOperator({
      client: a.client,
      concurrency: 2,
      leaderElection: { namespace: env.operatorNamespace, identity: "replica-a", ...LEASE },
      logger: watchingLogger(() => (atLoss = { ...a.counts, serverWrites: env.server.hooks.writes("kode-operator-a/") })),
    });
    operators.push(opA);
    await opA.ready;
    const opB = startOperator({ client: b.client, concurrency: 4, leaderElection: { namespace: env.operatorNamespace, identity: "replica-b", ...LEASE } });
    operators.push(opB);

    await createKode(env.client, "warm", "default", { templateRef: { name: "cs" } });
    await waitKode(env.client, "default", "warm", "Running", isRunning);
    expect(env.server.hooks.writes("kode-operator-b/")).toBe(0);

    // A has plenty to do (slowed down, so writes are in flight) when it can no longer renew its lease.
    env.server.hooks.injectFault({ userAgent: "kode-operator-a/", verb: "create", resource: "statefulsets", latencyMs: 150 });
    await Promise.all(Array.from({ length: KODES }, (_, i) => createKode(env.client, `k${i}`, "default", { templateRef: { name: "cs" } })));
    env.server.hooks.injectFault({ userAgent: "kode-operator-a/", verb: "update", resource: "leases", status: 500, message: "renewal refused" });

    await opA.done;
    expect(opA.lostLeadership).toBe(true);
    expect(atLoss).toBeDefined();
    // Not one write left A after the loss...
    expect(a.counts.sent).toBe(atLoss!.sent);
    // ...and the server saw from A at most the writes already on their way then.
    const inFlightAtLoss = atLoss!.sent - atLoss!.answered;
    expect(env.server.hooks.writes("kode-operator-a/") - atLoss!.serverWrites).toBeLessThanOrEqual(inFlightAtLoss);

    // B takes over and finishes what A left: it had work left, so draining it would have meant writes.
    const holder = await eventually("B holding the lease", async () => {
      const lease = await env.client.get<{ metadata: { name: string }; spec?: { holderIdentity?: string } }>(LEASES, "kode-operator-leader", env.operatorNamespace);
      return lease?.spec?.holderIdentity === "replica-b" ? "replica-b" : undefined;
    });
    expect(holder).toBe("replica-b");
    for (let i = 0; i < KODES; i++) await waitKode(env.client, "default", `k${i}`, "Running", isRunning, 60_000);
    expect(env.server.hooks.count({ userAgent: "kode-operator-b/", verb: "create", resource: "statefulsets" })).toBeGreaterThan(0);
    expect(a.counts.sent).toBe(atLoss!.sent);
  });
});
