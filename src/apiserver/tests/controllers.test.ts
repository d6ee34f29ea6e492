// Checklist §5 H8/H9 and the simulated kubelet: the optional controllers (gc: true, simulateKubelet:
// true) and their absence by default (envtest parity).
import { describe, expect, test } from "bun:test";
import { useApiServer, type TestClient } from "../testing.ts";

const CM = "/api/v1/namespaces/default/configmaps";
const STS = "/apis/apps/v1/namespaces/default/statefulsets";
const DEPLOY = "/apis/apps/v1/namespaces/default/deployments";
const JOBS = "/apis/batch/v1/namespaces/default/jobs";
const PODS = "/api/v1/namespaces/default/pods";

type Owner = { apiVersion: string; kind: string; name: string; uid: string; blockOwnerDeletion?: boolean; controller?: boolean };
const ownerRef = (o: any, extra: Partial<Owner> = {}): Owner => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  uid: o.metadata.uid,
  ...extra,
});
const cm = (name: string, owners: Owner[] = [], finalizers?: string[]) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, ...(owners.length ? { ownerReferences: owners } : {}), ...(finalizers ? { finalizers } : {}) },
  data: { a: "1" },
});

/** Poll a GET until `pred` holds (bounded guard against hangs); returns the last response. */
async function until(client: TestClient, path: string, pred: (res: { status: number; body: any }) => boolean, guardMs = 3000) {
  const deadline = Date.now() + guardMs;
  let res = await client.get(path);
  while (!pred(res) && Date.now() < deadline) {
    await Bun.sleep(10);
    res = await client.get(path);
  }
  return res;
}
const gone = (client: TestClient, path: string) => until(client, path, (r) => r.status === 404);

const statefulSet = (name: string, replicas: number) => ({
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name },
  spec: {
    replicas,
    serviceName: name,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image: "busybox:1.36" }] } },
  },
});
const deployment = (name: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image: "busybox:1.36" }] } },
  },
});
const job = (name: string) => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name },
  spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "busybox:1.36" }] } } },
});
const condition = (obj: any, type: string) => (obj?.status?.conditions ?? []).find((c: any) => c.type === type);

describe("garbage collector (gc: true, H8)", () => {
  const ctx = useApiServer({ gc: true });

  test("background: dependents whose owners are all gone are deleted; one live owner keeps a dependent", async () => {
    const a = (await ctx.client.post(CM, cm("owner-a"))).body;
    const b = (await ctx.client.post(CM, cm("owner-b"))).body;
    await ctx.client.post(CM, cm("dep-only-a", [ownerRef(a)]));
    await ctx.client.post(CM, cm("dep-a-and-b", [ownerRef(a), ownerRef(b)]));
    await ctx.client.post(CM, cm("dep-only-b", [ownerRef(b)]));
    // An owner with the same name but another uid is a different object.
    await ctx.client.post(CM, cm("dep-stale-uid", [{ ...ownerRef(b), uid: "6f1b0a52-0000-4000-8000-000000000000" }]));
    expect((await ctx.client.delete(`${CM}/owner-a`)).status).toBe(200);
    expect((await gone(ctx.client, `${CM}/dep-only-a`)).status).toBe(404);
    expect((await gone(ctx.client, `${CM}/dep-stale-uid`)).status).toBe(404);
    // With a solid owner left, the collector only drops the dangling reference (attemptToDeleteItem).
    const both = await until(ctx.client, `${CM}/dep-a-and-b`, (r) => r.body.metadata?.ownerReferences?.length === 1);
    expect(both.status).toBe(200);
    expect(both.body.metadata.deletionTimestamp).toBeUndefined();
    expect(both.body.metadata.ownerReferences.map((r: any) => r.uid)).toEqual([b.metadata.uid]);
    expect((await ctx.client.get(`${CM}/dep-only-b`)).status).toBe(200);
    // Once the last owner goes, the shared dependent goes too.
    await ctx.client.delete(`${CM}/owner-b`);
    expect((await gone(ctx.client, `${CM}/dep-a-and-b`)).status).toBe(404);
    expect((await gone(ctx.client, `${CM}/dep-only-b`)).status).toBe(404);
  });

  test("an owner in another namespace counts as absent; a cluster-scoped owner counts", async () => {
    await ctx.client.post("/api/v1/namespaces", { metadata: { name: "gc-other" } });
    const foreign = (await ctx.client.post("/api/v1/namespaces/gc-other/configmaps", cm("foreign-owner"))).body;
    const clusterOwner = (
      await ctx.client.post("/apis/rbac.authorization.k8s.io/v1/clusterroles", { metadata: { name: "gc-owner" }, rules: [] })
    ).body;
    await ctx.client.post(CM, cm("dep-cross-ns", [ownerRef(foreign)]));
    await ctx.client.post(CM, cm("dep-cluster-owner", [ownerRef(clusterOwner)]));
    expect((await gone(ctx.client, `${CM}/dep-cross-ns`)).status).toBe(404);
    expect((await ctx.client.get("/api/v1/namespaces/gc-other/configmaps/foreign-owner")).status).toBe(200);
    expect((await ctx.client.get(`${CM}/dep-cluster-owner`)).status).toBe(200);
    await ctx.client.delete("/apis/rbac.authorization.k8s.io/v1/clusterroles/gc-owner");
    expect((await gone(ctx.client, `${CM}/dep-cluster-owner`)).status).toBe(404);
  });

  test("foreground: the owner waits for its blockOwnerDeletion dependents, then goes", async () => {
    const owner = (await ctx.client.post(CM, cm("fg-owner"))).body;
    await ctx.client.post(CM, cm("fg-blocker", [ownerRef(owner, { blockOwnerDeletion: true })], ["example.com/hold"]));
    await ctx.client.post(CM, cm("fg-plain", [ownerRef(owner, { blockOwnerDeletion: true })]));
    const del = await ctx.client.delete(`${CM}/fg-owner`, { propagationPolicy: "Foreground" });
    expect(del.status).toBe(200);
    expect(del.body.metadata.finalizers).toEqual(["foregroundDeletion"]);
    expect((await gone(ctx.client, `${CM}/fg-plain`)).status).toBe(404);
    const blocker = await until(ctx.client, `${CM}/fg-blocker`, (r) => !!r.body.metadata?.deletionTimestamp);
    expect(blocker.body.metadata.deletionTimestamp).toBeDefined();
    // The blocker cannot finish (it holds a finalizer), so the owner must still be there.
    const waiting = await ctx.client.get(`${CM}/fg-owner`);
    expect(waiting.status).toBe(200);
    expect(waiting.body.metadata.finalizers).toEqual(["foregroundDeletion"]);
    await ctx.client.patch(`${CM}/fg-blocker`, [{ op: "remove", path: "/metadata/finalizers" }], "application/json-patch+json");
    expect((await gone(ctx.client, `${CM}/fg-blocker`)).status).toBe(404);
    expect((await gone(ctx.client, `${CM}/fg-owner`)).status).toBe(404);
  });

  test("foreground: a dependent that also has a solid owner drops the reference and does not block", async () => {
    const owner = (await ctx.client.post(CM, cm("fgs-owner"))).body;
    const solid = (await ctx.client.post(CM, cm("fgs-solid"))).body;
    await ctx.client.post(CM, cm("fgs-shared", [ownerRef(owner, { blockOwnerDeletion: true }), ownerRef(solid)]));
    await ctx.client.delete(`${CM}/fgs-owner?propagationPolicy=Foreground`);
    expect((await gone(ctx.client, `${CM}/fgs-owner`)).status).toBe(404);
    const shared = await ctx.client.get(`${CM}/fgs-shared`);
    expect(shared.status).toBe(200);
    expect(shared.body.metadata.deletionTimestamp).toBeUndefined();
    expect(shared.body.metadata.ownerReferences.map((r: any) => r.uid)).toEqual([solid.metadata.uid]);
  });

  test("orphan: ownerReferences to the owner are stripped, dependents kept, then the owner goes", async () => {
    const owner = (await ctx.client.post(CM, cm("or-owner"))).body;
    const other = (await ctx.client.post(CM, cm("or-other"))).body;
    await ctx.client.post(CM, cm("or-dep", [ownerRef(owner)]));
    await ctx.client.post(CM, cm("or-dep2", [ownerRef(owner), ownerRef(other)]));
    const del = await ctx.client.delete(`${CM}/or-owner?propagationPolicy=Orphan`);
    expect(del.body.metadata.finalizers).toEqual(["orphan"]);
    expect((await gone(ctx.client, `${CM}/or-owner`)).status).toBe(404);
    const dep = await ctx.client.get(`${CM}/or-dep`);
    expect(dep.status).toBe(200);
    expect(dep.body.metadata.ownerReferences ?? []).toEqual([]);
    const dep2 = await ctx.client.get(`${CM}/or-dep2`);
    expect(dep2.body.metadata.ownerReferences.map((r: any) => r.uid)).toEqual([other.metadata.uid]);
  });

  test("namespace finalization: contents are deleted (finalizers respected), then the namespace", async () => {
    await ctx.client.post("/api/v1/namespaces", { metadata: { name: "gc-ns" } });
    const base = "/api/v1/namespaces/gc-ns/configmaps";
    await ctx.client.post(base, cm("c1"));
    await ctx.client.post(base, cm("c2", [], ["example.com/hold"]));
    await ctx.client.post("/api/v1/namespaces/gc-ns/secrets", { metadata: { name: "s1" }, stringData: { k: "v" } });
    const del = await ctx.client.delete("/api/v1/namespaces/gc-ns");
    expect(del.body.status.phase).toBe("Terminating");
    expect((await gone(ctx.client, `${base}/c1`)).status).toBe(404);
    expect((await gone(ctx.client, "/api/v1/namespaces/gc-ns/secrets/s1")).status).toBe(404);
    const held = await until(ctx.client, `${base}/c2`, (r) => !!r.body.metadata?.deletionTimestamp);
    expect(held.body.metadata.deletionTimestamp).toBeDefined();
    const ns = await ctx.client.get("/api/v1/namespaces/gc-ns");
    expect(ns.status).toBe(200);
    expect(ns.body.status.phase).toBe("Terminating");
    await ctx.client.patch(`${base}/c2`, { metadata: { finalizers: null } });
    expect((await gone(ctx.client, "/api/v1/namespaces/gc-ns")).status).toBe(404);
    // Other namespaces are untouched.
    expect((await ctx.client.get("/api/v1/namespaces/default")).body.status.phase).toBe("Active");
  });
});

describe("simulated kubelet (simulateKubelet: true, kubeletDelayMs: 50) with gc", () => {
  const ctx = useApiServer({ simulateKubelet: true, kubeletDelayMs: 50, gc: true });
  const off = useApiServer();

  test("a StatefulSet gets Running/Ready pods <name>-0..n-1 with an owner reference and a ready status", async () => {
    const sts = (await ctx.client.post(STS, statefulSet("db", 3))).body;
    expect((await off.client.post(STS, statefulSet("db", 3))).status).toBe(201);
    const ready = await until(ctx.client, `${STS}/db`, (r) => r.body.status?.readyReplicas === 3);
    expect(ready.body.status).toMatchObject({ replicas: 3, readyReplicas: 3, observedGeneration: 1 });
    const pods = await ctx.client.get(`${PODS}?labelSelector=app%3Ddb`);
    expect(pods.body.items.map((p: any) => p.metadata.name)).toEqual(["db-0", "db-1", "db-2"]);
    for (const p of pods.body.items) {
      expect(p.status.phase).toBe("Running");
      expect(condition(p, "Ready")?.status).toBe("True");
      expect(p.metadata.ownerReferences).toEqual([
        expect.objectContaining({ apiVersion: "apps/v1", kind: "StatefulSet", name: "db", uid: sts.metadata.uid, controller: true }),
      ]);
      expect(p.spec.containers[0].image).toBe("busybox:1.36");
    }
    // The same StatefulSet on a server without the simulator got nothing.
    expect((await off.client.get(`${PODS}`)).body.items).toEqual([]);
    expect((await off.client.get(`${STS}/db`)).body.status?.readyReplicas).toBeUndefined();
  });

  test("scaling down removes the surplus pods and reports the new generation", async () => {
    await until(ctx.client, `${STS}/db`, (r) => r.body.status?.readyReplicas === 3);
    const scaled = await ctx.client.patch(`${STS}/db/scale`, { spec: { replicas: 1 } });
    expect(scaled.status).toBe(200);
    const done = await until(ctx.client, `${STS}/db`, (r) => r.body.status?.observedGeneration === 2 && r.body.status?.readyReplicas === 1);
    expect(done.body.metadata.generation).toBe(2);
    expect(done.body.status).toMatchObject({ replicas: 1, readyReplicas: 1, observedGeneration: 2 });
    const pods = await ctx.client.get(`${PODS}?labelSelector=app%3Ddb`);
    expect(pods.body.items.map((p: any) => p.metadata.name)).toEqual(["db-0"]);
  });

  test("a Deployment becomes Available; a Job gets Complete", async () => {
    await ctx.client.post(DEPLOY, deployment("web"));
    await ctx.client.post(JOBS, job("once"));
    await off.client.post(DEPLOY, deployment("web"));
    await off.client.post(JOBS, job("once"));
    const dep = await until(ctx.client, `${DEPLOY}/web`, (r) => condition(r.body, "Available")?.status === "True");
    expect(condition(dep.body, "Available")?.status).toBe("True");
    expect(dep.body.status).toMatchObject({ readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
    const j = await until(ctx.client, `${JOBS}/once`, (r) => condition(r.body, "Complete")?.status === "True");
    expect(condition(j.body, "Complete")?.status).toBe("True");
    expect(j.body.status.succeeded).toBe(1);
    expect(j.body.status.completionTime).toBeDefined();
    // Meanwhile, without the simulator, neither moved.
    expect(condition((await off.client.get(`${DEPLOY}/web`)).body, "Available")).toBeUndefined();
    expect(condition((await off.client.get(`${JOBS}/once`)).body, "Complete")).toBeUndefined();
  });

  test("a settled simulated cluster makes no further writes", async () => {
    await until(ctx.client, `${DEPLOY}/web`, (r) => condition(r.body, "Available")?.status === "True");
    await until(ctx.client, `${JOBS}/once`, (r) => condition(r.body, "Complete")?.status === "True");
    await until(ctx.client, `${STS}/db`, (r) => r.body.status?.observedGeneration === 2);
    // Let any reconcile triggered by the controllers' own status writes run (many kubelet delays).
    await Bun.sleep(500);
    const before = await ctx.client.get("/__kode/hooks/stats");
    const writesBefore = ctx.server.hooks.writes();
    await Bun.sleep(500);
    const after = await ctx.client.get("/__kode/hooks/stats");
    expect(after.body.resourceVersion).toBe(before.body.resourceVersion);
    expect(ctx.server.state.store.resourceVersion).toBe(before.body.resourceVersion);
    expect(ctx.server.hooks.writes()).toBe(writesBefore);
    // A client write that changes nothing does not wake the controllers into writing either.
    const sts = await ctx.client.get(`${STS}/db`);
    expect((await ctx.client.put(`${STS}/db`, sts.body)).body.metadata.resourceVersion).toBe(sts.body.metadata.resourceVersion);
    await Bun.sleep(300);
    expect(ctx.server.state.store.resourceVersion).toBe(before.body.resourceVersion);
  });

  test("a deleted StatefulSet pod is recreated under the same name with a new uid", async () => {
    // Runs after the settled-cluster test: no reconcile is pending, so only the pod's deletion can trigger one.
    const before = await until(ctx.client, `${PODS}/db-0`, (r) => r.status === 200);
    expect((await ctx.client.delete(`${PODS}/db-0`)).status).toBe(200);
    const after = await until(ctx.client, `${PODS}/db-0`, (r) => r.status === 200 && r.body.metadata.uid !== before.body.metadata.uid);
    expect(after.status).toBe(200);
    expect(after.body.metadata.uid).not.toBe(before.body.metadata.uid);
    expect(after.body.status.phase).toBe("Running");
  });

  test("with gc, deleting the StatefulSet removes its pods", async () => {
    await ctx.client.delete(`${STS}/db`);
    expect((await gone(ctx.client, `${PODS}/db-0`)).status).toBe(404);
  });
});

describe("controllers off (envtest parity)", () => {
  const ctx = useApiServer();
  const on = useApiServer({ gc: true });

  test("without gc, dependents of a deleted owner stay", async () => {
    for (const c of [ctx.client, on.client]) {
      const owner = (await c.post(CM, cm("owner"))).body;
      await c.post(CM, cm("dependent", [ownerRef(owner)]));
      await c.delete(`${CM}/owner`);
    }
    // When the collector of the gc server has removed its dependent, the other server still has its own.
    expect((await gone(on.client, `${CM}/dependent`)).status).toBe(404);
    const kept = await ctx.client.get(`${CM}/dependent`);
    expect(kept.status).toBe(200);
    expect(kept.body.metadata.deletionTimestamp).toBeUndefined();
  });
});
