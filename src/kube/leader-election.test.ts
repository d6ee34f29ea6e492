import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startApiServer, type ApiServer } from "../apiserver/server.ts";
import { createClient, type Client } from "./client.ts";
import { loadClientConfig, staticClientConfig } from "./kubeconfig.ts";
import { LeaderElector, realClock, type Clock, type Lease } from "./leader-election.ts";
import { LEASES } from "./resources.ts";

const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** Runs time `factor` times faster: the default 15 s lease, 10 s deadline and 2 s retry stay realistic. */
function fastClock(factor: number): Clock {
  const origin = Date.now();
  return {
    now: () => origin + (Date.now() - origin) * factor,
    sleep: (ms, signal) => realClock.sleep(ms / factor, signal),
  };
}

let api: ApiServer;
const clients: Client[] = [];
let lease = 0;

beforeAll(async () => {
  api = await startApiServer();
  reader = createClient(staticClientConfig({ server: api.url }), { userAgent: "lease-reader" });
  clients.push(reader);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await api?.stop();
});

interface Candidate {
  elector: LeaderElector;
  log: string[];
  signal?: AbortSignal;
  run?: Promise<void>;
}

let electors: Candidate[] = [];
afterEach(async () => {
  api.hooks.clearFaults();
  await Promise.all(electors.map((c) => c.elector.release()));
  electors = [];
});

async function candidate(identity: string, leaseName: string, timeline: string[], clock = fastClock(10)): Promise<Candidate> {
  const client = createClient(await loadClientConfig({ kubeconfig: api.kubeconfigPath }), { userAgent: `elector-${identity}` });
  clients.push(client);
  const c: Candidate = { log: [] } as unknown as Candidate;
  c.elector = new LeaderElector({
    client,
    namespace: "default",
    name: leaseName,
    identity,
    clock,
    onStartedLeading: (signal) => {
      c.signal = signal;
      timeline.push(`+${identity}`);
      // Work that runs while leading and stops when told to.
      return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    },
    onStoppedLeading: () => timeline.push(`-${identity}`),
  });
  electors.push(c);
  return c;
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for condition");
    await Bun.sleep(10);
  }
}

let reader: Client;
const getLease = (name: string) => reader.get<Lease>(LEASES, name, "default");

/** At no point in the timeline do two candidates lead at once. */
function expectNoOverlap(timeline: string[]) {
  let leaders = 0;
  for (const e of timeline) {
    leaders += e.startsWith("+") ? 1 : -1;
    expect(leaders).toBeLessThanOrEqual(1);
  }
}

describe("LeaderElector", () => {
  test("of two candidates exactly one leads, and keeps renewing", async () => {
    const name = `lease-${++lease}`;
    const timeline: string[] = [];
    const a = await candidate("a", name, timeline);
    const b = await candidate("b", name, timeline);
    a.run = a.elector.run();
    b.run = b.elector.run();
    await until(() => a.elector.isLeader() || b.elector.isLeader());
    const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
    const first = (await getLease(name))!;
    expect(first.spec).toMatchObject({ holderIdentity: leader.elector.identity, leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(first.spec!.acquireTime).toMatch(MICRO);
    expect(first.spec!.renewTime).toMatch(MICRO);

    await Bun.sleep(700); // 7 s of lease time: three renewals
    expect(leader.elector.isLeader()).toBe(true);
    expect(follower.elector.isLeader()).toBe(false);
    expect(follower.elector.leader()).toBe(leader.elector.identity);
    const later = (await getLease(name))!;
    expect(later.spec!.holderIdentity).toBe(leader.elector.identity);
    expect(later.spec!.acquireTime).toBe(first.spec!.acquireTime);
    expect(Date.parse(later.spec!.renewTime!)).toBeGreaterThan(Date.parse(first.spec!.renewTime!));
    expect(later.spec!.leaseTransitions).toBe(0);
    expect(api.hooks.count({ verb: "update", resource: "leases", userAgent: `elector-${leader.elector.identity}`, code: 200 })).toBeGreaterThanOrEqual(2);
    expect(timeline).toEqual([`+${leader.elector.identity}`]);
  });

  test("when the leader releases, the other takes over at once", async () => {
    const name = `lease-${++lease}`;
    const timeline: string[] = [];
    // A slower clock: the lease would take 3 s of real time to expire, so takeover must come from release.
    const clock = fastClock(5);
    const a = await candidate("a", name, timeline, clock);
    a.run = a.elector.run();
    await until(() => a.elector.isLeader());
    const b = await candidate("b", name, timeline, clock);
    b.run = b.elector.run();
    await Bun.sleep(100);
    expect(b.elector.isLeader()).toBe(false);
    const before = (await getLease(name))!;

    const releasedAt = clock.now();
    expect(await a.elector.release()).toBe(true);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.signal!.aborted).toBe(true);
    await a.run;
    await until(() => b.elector.isLeader());

    const after = (await getLease(name))!;
    expect(after.spec).toMatchObject({ holderIdentity: "b", leaseDurationSeconds: 15, leaseTransitions: 1 });
    expect(after.spec!.acquireTime).not.toBe(before.spec!.acquireTime);
    expect(after.spec!.acquireTime).toMatch(MICRO);
    // b did not wait for the 15 s lease to expire.
    expect(Date.parse(after.spec!.acquireTime!) - releasedAt).toBeLessThan(15_000);
    expect(timeline).toEqual(["+a", "-a", "+b"]);
  });

  test("a leader whose renewals fail steps down; the other takes over after expiry", async () => {
    const name = `lease-${++lease}`;
    const timeline: string[] = [];
    const clock = fastClock(10); // shared, so lease times of a and b compare
    const a = await candidate("a", name, timeline, clock);
    a.run = a.elector.run();
    await until(() => a.elector.isLeader());
    const b = await candidate("b", name, timeline, clock);
    b.run = b.elector.run();
    await Bun.sleep(300);
    const renewedBefore = (await getLease(name))!.spec!;

    api.hooks.injectFault({ resource: "leases", userAgent: "elector-a", status: 500 });
    await a.run; // steps down after the 10 s renew deadline (1 s here)
    expect(a.elector.isLeader()).toBe(false);
    expect(a.signal!.aborted).toBe(true);
    expect(timeline).toEqual(["+a", "-a"]);

    await until(() => b.elector.isLeader());
    expectNoOverlap(timeline);
    expect(timeline).toEqual(["+a", "-a", "+b"]);
    const after = (await getLease(name))!.spec!;
    expect(after).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
    // b waited for a's last renewal to be at least a lease duration old (on b's clock).
    expect(Date.parse(after.acquireTime!) - Date.parse(renewedBefore.renewTime!)).toBeGreaterThanOrEqual(15_000);
    expect(api.hooks.count({ resource: "leases", userAgent: "elector-a", code: 500 })).toBeGreaterThan(0);
  });

  test("cancelling run() releases the lease by default", async () => {
    const name = `lease-${++lease}`;
    const timeline: string[] = [];
    const a = await candidate("a", name, timeline);
    const ac = new AbortController();
    a.run = a.elector.run(ac.signal);
    await until(() => a.elector.isLeader());
    ac.abort();
    await a.run;
    expect((await getLease(name))!.spec).toMatchObject({ holderIdentity: "", leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(timeline).toEqual(["+a", "-a"]);
    expect(await a.elector.release()).toBe(false); // nothing left to release
  });

  test("a lease held by someone else is honoured until it expires", async () => {
    const name = `lease-${++lease}`;
    const client = createClient(await loadClientConfig({ kubeconfig: api.kubeconfigPath }));
    clients.push(client);
    await client.create<Lease>(LEASES, {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace: "default" },
      spec: { holderIdentity: "gone", leaseDurationSeconds: 15, renewTime: "2020-01-01T00:00:00.000000Z", leaseTransitions: 4 },
    });
    const timeline: string[] = [];
    const a = await candidate("a", name, timeline);
    a.run = a.elector.run();
    // The renewTime is old, but expiry is judged on a's own clock from when a first saw the record.
    await Bun.sleep(1_000);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.elector.leader()).toBe("gone");
    await until(() => a.elector.isLeader());
    expect((await getLease(name))!.spec).toMatchObject({ holderIdentity: "a", leaseTransitions: 5 });
  });

  test("validates its timing", () => {
    const base = { client: {} as Client, namespace: "default", name: "x", identity: "a", onStartedLeading() {} };
    expect(() => new LeaderElector({ ...base, leaseDurationSeconds: 10, renewDeadlineMs: 10_000 })).toThrow(/longer than the renew deadline/);
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow(/1.2/);
    expect(() => new LeaderElector({ ...base, leaseDurationSeconds: 1.5 })).toThrow(/positive integer/);
    expect(() => new LeaderElector({ ...base, identity: "" })).toThrow(/identity/);
  });
});
