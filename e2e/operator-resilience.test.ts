// End-to-end resilience of the `kode operator` process: SIGKILL in the middle of a burst of creates and a restart
// (no duplicate or orphaned children, generated passwords never replaced), convergence under injected faults
// (≈10 % 500/429 answers to the operator, watches dropped every 250 ms, forced 410 Expired relists), and the
// steady state: once converged, a fresh operator's initial pass and its resync rounds make zero API writes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KODE_TEMPLATES, KODES } from "../src/api/resources.ts";
import { STATEFULSETS } from "../src/kube/resources.ts";
import {
  childInvariantProblems,
  createKode,
  createNamespace,
  createTemplate,
  eventually,
  FINALIZER,
  isRunning,
  managedChildren,
  OPERATOR_UA,
  startChaos,
  startE2E,
  trackPasswords,
  type E2E,
  type Obj,
} from "./operator-harness.ts";

const it = (name: string, fn: () => Promise<void>, timeoutMs = 120_000) => test(name, fn, timeoutMs);

async function kodesIn(env: E2E, ns: string): Promise<Obj[]> {
  return (await env.client.list<Obj>(KODES, { namespace: ns })).items;
}

/** Wait until `count` Kodes exist in `ns` and all are Running for their current generation. */
async function waitAllRunning(env: E2E, ns: string, count: number, timeoutMs = 60_000) {
  return eventually(
    `${count} Kodes in ${ns} to be Running`,
    async () => {
      const kodes = await kodesIn(env, ns);
      const notYet = kodes.filter((k) => !isRunning(k));
      if (kodes.length === count && notYet.length === 0) return kodes;
      throw new Error(`${kodes.length} Kodes, not Running: ${notYet.map((k) => `${k.metadata.name}=${k.status?.phase ?? "-"}`).join(" ").slice(0, 600)}`);
    },
    timeoutMs,
    100,
  );
}

async function waitConverged(env: E2E, ns: string, count: number, opts: { pvc: boolean }, timeoutMs = 60_000) {
  await waitAllRunning(env, ns, count, timeoutMs);
  await eventually(`children of the Kodes in ${ns} to be exactly one each`, async () => {
    const problems = await childInvariantProblems(env.client, ns, opts);
    if (problems.length === 0) return true;
    throw new Error(problems.slice(0, 10).join("; "));
  }, timeoutMs);
}

describe("operator killed (SIGKILL) in the middle of a burst, then restarted", () => {
  let env: E2E;
  const ns = "burst";
  const N = 30;

  beforeAll(async () => {
    env = await startE2E({ gc: true, kubeletDelayMs: 30, concurrency: 4 });
    await createNamespace(env.client, ns);
    await createTemplate(env.client, "cs", ns, { type: "code-server", image: "linuxserver/code-server:latest" });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  }, 30_000);

  it(`${N} Kodes: exactly one StatefulSet/Service/Secret/PVC each, no orphans, all Running, passwords never replaced`, async () => {
    const passwords = trackPasswords(env.server, ns);
    try {
      const firstPid = env.operator.pid;
      // The burst: creates go out one after another while the operator works; it is killed once it has created a
      // few StatefulSets (so it is mid-way: checked below, far from done).
      let created = 0;
      const burst = (async () => {
        for (let i = 0; i < N; i++) {
          await createKode(env.client, `k${String(i).padStart(2, "0")}`, ns, {
            templateRef: { name: "cs" },
            user: `user${i}`,
            storage: { resources: { requests: { storage: "1Gi" } } },
          });
          created++;
        }
      })();
      await eventually(
        "the operator to have created a few StatefulSets",
        () => env.server.hooks.count({ userAgent: OPERATOR_UA, verb: "create", resource: "statefulsets", code: 201 }) >= 3,
        30_000,
        2,
      );
      await env.operator.kill("SIGKILL");
      expect(env.operator.alive).toBe(false);
      const atKill = {
        created,
        statefulSets: (await env.client.list(STATEFULSETS, { namespace: ns })).items.length,
        running: (await kodesIn(env, ns)).filter(isRunning).length,
      };
      await burst;
      // It really was mid-burst: not everything was done when it died.
      expect(atKill.running).toBeLessThan(N);
      expect(atKill.statefulSets).toBeGreaterThan(0);

      await env.operator.startAndWait();
      expect(env.operator.pid).not.toBe(firstPid);
      await waitConverged(env, ns, N, { pvc: true });
      expect(env.operator.alive).toBe(true);

      const kodes = await kodesIn(env, ns);
      for (const k of kodes) expect(k.metadata.finalizers).toEqual([FINALIZER]);
      // Exactly N of each child kind, all ours: nothing duplicated under another name, nothing orphaned.
      const kids = await managedChildren(env.client, ns);
      for (const kind of ["StatefulSet", "Service", "Secret", "PersistentVolumeClaim"]) expect(kids.filter((c) => c.kind === kind).length).toBe(N);
      // A generated password is written once: the kill and restart never replaced one.
      expect(passwords.changed()).toEqual([]);
      expect(passwords.seen.size).toBe(N);
      console.log(`[e2e] burst: killed after ${atKill.created}/${N} creates, ${atKill.statefulSets} StatefulSets, ${atKill.running} Running; converged after restart`);
    } finally {
      passwords.stop();
    }
  });

  it("deleting them all afterwards leaves no child behind", async () => {
    for (const k of await kodesIn(env, ns)) await env.client.delete(KODES, k.metadata.name, { namespace: ns });
    await eventually("every Kode and managed child to be gone", async () => {
      const [kodes, kids] = [await kodesIn(env, ns), await managedChildren(env.client, ns)];
      if (kodes.length === 0 && kids.length === 0) return true;
      throw new Error(`${kodes.length} Kodes, ${kids.length} children left`);
    }, 60_000);
  });
});

describe("faults: ≈10 % 500/429, dropped watches, forced 410; then the steady state", () => {
  let env: E2E;
  const ns = "faults";
  const N = 20;

  beforeAll(async () => {
    env = await startE2E({ gc: true, kubeletDelayMs: 30, resync: "10m" });
    await createNamespace(env.client, ns);
    await createTemplate(env.client, "cs", ns, { type: "code-server", image: "linuxserver/code-server:latest" });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  }, 30_000);

  it(`${N} Kodes converge to Running under injected faults`, async () => {
    const passwords = trackPasswords(env.server, ns);
    const hooks = env.server.hooks;
    const relists = () => hooks.count({ userAgent: OPERATOR_UA, verb: "list", code: 200 });
    const listsBefore = relists();
    // Paced by the operator's own requests: a fault every 10, all watches dropped every 25, and on every third
    // drop the Kode, StatefulSet and Secret watches get 410 Expired when they reconnect.
    const chaos = startChaos(env.server, {
      rate: 0.1,
      statuses: [500, 429],
      dropWatchesEvery: 25,
      expireEveryNthDrop: 3,
      expireResources: ["kodes", "statefulsets", "secrets"],
    });
    try {
      for (let i = 0; i < N; i++)
        await createKode(env.client, `f${String(i).padStart(2, "0")}`, ns, {
          templateRef: { name: "cs" },
          storage: { resources: { requests: { storage: "1Gi" } } },
        });
      await waitConverged(env, ns, N, { pvc: true }, 90_000);
      // The faults really happened, while the Kodes converged.
      expect(chaos.served()).toBeGreaterThanOrEqual(10);
      expect(chaos.drops).toBeGreaterThanOrEqual(5);
      expect(relists() - listsBefore).toBeGreaterThanOrEqual(3); // 410 → relist
      console.log(
        `[e2e] faults: ${chaos.served()} injected 500/429 of ${chaos.requests()} operator requests, ${chaos.drops} watch drops, ${relists() - listsBefore} relists`,
      );
    } finally {
      chaos.stop();
    }
    // Converged state holds once the faults stop, and survived them intact.
    await waitConverged(env, ns, N, { pvc: true });
    expect(passwords.changed()).toEqual([]);
    passwords.stop();
    expect(env.operator.alive).toBe(true);
  });

  it("steady state: a fresh operator with --resync 300ms makes zero writes in its initial pass and two resync rounds", async () => {
    await waitConverged(env, ns, N, { pvc: true });
    await eventually("the template status to count the Kodes", async () => (await env.client.get<Obj>(KODE_TEMPLATES, "cs", ns))?.status?.kodes === N);
    // Running comes with the StatefulSet; the pod's start timings follow with the pod's own update, one write later.
    await eventually("every Kode's start timings", async () => (await kodesIn(env, ns)).every((k) => k.status?.startup?.readyAt));
    // Let the running operator finish whatever it was doing (e.g. Events) before the measurement starts.
    await env.operator.stop();
    env.operator.opts.resync = "300ms";
    const writesBefore = env.server.hooks.writes(OPERATOR_UA);
    const byKindBefore = env.server.hooks.requests({ userAgent: OPERATOR_UA, writesOnly: true });
    const statusBefore = new Map((await kodesIn(env, ns)).map((k) => [k.metadata.name, JSON.stringify(k.status)]));
    const readsBefore = env.server.hooks.count({ userAgent: OPERATOR_UA, verb: "get" });
    await env.operator.startAndWait();
    const initial = await eventually("the initial pass over every Kode", async () => {
      const n = await env.operator.kodeReconciles();
      return n >= N ? n : 0;
    });
    await eventually("two resync rounds", async () => (await env.operator.kodeReconciles()) >= initial + 2 * N, 30_000);
    // Only what this operator wrote: the counters are the server's since it started.
    const writes = env.server.hooks
      .requests({ userAgent: OPERATOR_UA, writesOnly: true })
      .map((r) => ({ ...r, count: r.count - (byKindBefore.find((b) => b.verb === r.verb && b.resource === r.resource && b.code === r.code && b.userAgent === r.userAgent)?.count ?? 0) }))
      .filter((r) => r.count > 0);
    const newWrites = env.server.hooks.writes(OPERATOR_UA) - writesBefore;
    const changed = newWrites ? (await kodesIn(env, ns)).filter((k) => JSON.stringify(k.status) !== statusBefore.get(k.metadata.name)).map((k) => `${k.metadata.name}: ${statusBefore.get(k.metadata.name)} -> ${JSON.stringify(k.status)}`) : [];
    expect(newWrites, `writes: ${JSON.stringify(writes)}; status changed: ${changed.join("; ")}`).toBe(0);
    // Reconciles are served from the informer caches: no per-object GETs either.
    expect(env.server.hooks.count({ userAgent: OPERATOR_UA, verb: "get" }) - readsBefore).toBe(0);
    expect(await env.operator.metric("kode_reconcile_total", { controller: "kode", result: "error" })).toBe(0);
    const all = await kodesIn(env, ns);
    expect(all.filter(isRunning).length).toBe(N);
  });
});
