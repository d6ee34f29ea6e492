// The simulated kubelet and workload controllers (--simulate-kubelet): Deployments own ReplicaSets that own
// Pods, rollouts make a new ReplicaSet and scale the old to 0, DaemonSets run one Pod on the one Node,
// Jobs a completed Pod; the status fields kubectl's and helm's readiness checks read.
import { describe, expect, test } from "bun:test";
import { useApiServer, type TestClient } from "../testing.ts";

const DEPLOY = "/apis/apps/v1/namespaces/default/deployments";
const RS = "/apis/apps/v1/namespaces/default/replicasets";
const DS = "/apis/apps/v1/namespaces/default/daemonsets";
const JOBS = "/apis/batch/v1/namespaces/default/jobs";
const PODS = "/api/v1/namespaces/default/pods";

async function until(client: TestClient, path: string, pred: (body: any) => boolean, guardMs = 5000) {
  const deadline = Date.now() + guardMs;
  let res = await client.get(path);
  while (!pred(res.body) && Date.now() < deadline) {
    await Bun.sleep(20);
    res = await client.get(path);
  }
  return res.body;
}

const container = (image: string) => ({ name: "main", image });
const deployment = (name: string, replicas: number, image = "nginx:1.27") => ({
  metadata: { name, annotations: { "kubernetes.io/change-cause": `image ${image}` } },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [container(image)] } } },
});
const condition = (o: any, type: string) => o?.status?.conditions?.find((c: any) => c.type === type);
const ready = (d: any) => d.status?.observedGeneration === d.metadata.generation && condition(d, "Progressing")?.reason === "NewReplicaSetAvailable" && d.status?.availableReplicas === d.spec.replicas;

describe("workload controllers (simulateKubelet)", () => {
  const ctx = useApiServer({ simulateKubelet: true, kubeletDelayMs: 20, gc: true });

  test("the simulated Node exists and is Ready", async () => {
    const node = await ctx.client.get("/api/v1/nodes/kode-simulated-node");
    expect(node.status).toBe(200);
    expect(condition(node.body, "Ready")).toMatchObject({ status: "True", reason: "KubeletReady" });
    expect(node.body.metadata.labels["kubernetes.io/os"]).toBe("linux");
  });

  test("a Deployment gets a ReplicaSet <name>-<hash> and Pods owned by it, labelled with the hash", async () => {
    const dep = (await ctx.client.post(DEPLOY, deployment("web", 2))).body;
    const done = await until(ctx.client, `${DEPLOY}/web`, ready);
    expect(done.status).toMatchObject({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect(done.status.unavailableReplicas).toBeUndefined();
    expect(condition(done, "Available")).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable" });
    expect(done.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("1");

    const sets = (await ctx.client.get(`${RS}?labelSelector=app%3Dweb`)).body.items;
    expect(sets).toHaveLength(1);
    const rs = sets[0];
    const hash = rs.metadata.labels["pod-template-hash"];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: dep.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(rs.metadata.annotations).toMatchObject({ "deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/desired-replicas": "2", "deployment.kubernetes.io/max-replicas": "3", "kubernetes.io/change-cause": "image nginx:1.27" });
    expect(rs.spec.selector).toEqual({ matchLabels: { app: "web", "pod-template-hash": hash } });
    expect(rs.status).toEqual({ availableReplicas: 2, fullyLabeledReplicas: 2, observedGeneration: 1, readyReplicas: 2, replicas: 2 });

    const pods = (await ctx.client.get(`${PODS}?labelSelector=app%3Dweb`)).body.items;
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.metadata.generateName).toBe(`web-${hash}-`);
      expect(p.metadata.labels).toEqual({ app: "web", "pod-template-hash": hash });
      expect(p.metadata.ownerReferences[0]).toMatchObject({ kind: "ReplicaSet", name: rs.metadata.name, uid: rs.metadata.uid, controller: true });
      expect(p.status.phase).toBe("Running");
      expect(p.spec.nodeName).toBe("kode-simulated-node");
    }
  });

  test("a template change rolls out: a new ReplicaSet with revision 2, the old scaled to 0; undo brings revision 1's template back as 3", async () => {
    await until(ctx.client, `${DEPLOY}/web`, ready);
    const [first] = (await ctx.client.get(`${RS}?labelSelector=app%3Dweb`)).body.items;
    await ctx.client.patch(`${DEPLOY}/web`, { metadata: { annotations: { "kubernetes.io/change-cause": "image nginx:1.28" } }, spec: { template: { spec: { containers: [container("nginx:1.28")] } } } });
    const rolled = await until(ctx.client, `${DEPLOY}/web`, (d) => ready(d) && d.status.observedGeneration === 2 && d.status.replicas === 2);
    expect(rolled.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("2");
    const sets = (await ctx.client.get(`${RS}?labelSelector=app%3Dweb`)).body.items;
    expect(sets).toHaveLength(2);
    const old = sets.find((s: any) => s.metadata.uid === first.metadata.uid);
    const next = sets.find((s: any) => s.metadata.uid !== first.metadata.uid);
    expect(old.spec.replicas).toBe(0);
    expect(old.status.replicas).toBe(0);
    expect(next.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("2");
    expect(next.metadata.annotations["kubernetes.io/change-cause"]).toBe("image nginx:1.28");
    const pods = (await ctx.client.get(`${PODS}?labelSelector=app%3Dweb`)).body.items;
    expect(pods.map((p: any) => p.spec.containers[0].image)).toEqual(["nginx:1.28", "nginx:1.28"]);

    // What `kubectl rollout undo` does: put revision 1's template back.
    const template = structuredClone(first.spec.template);
    delete template.metadata.labels["pod-template-hash"];
    await ctx.client.patch(`${DEPLOY}/web`, { spec: { template } });
    const undone = await until(ctx.client, `${DEPLOY}/web`, (d) => ready(d) && d.status.observedGeneration === 3 && d.status.replicas === 2);
    expect(undone.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("3");
    const after = (await ctx.client.get(`${RS}/${first.metadata.name}`)).body;
    expect(after.spec.replicas).toBe(2);
    expect(after.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("3");
  });

  test("a deleted ReplicaSet pod is replaced; scaling the Deployment scales its ReplicaSet", async () => {
    await until(ctx.client, `${DEPLOY}/web`, (d) => ready(d) && d.status.observedGeneration === 3);
    const [victim] = (await ctx.client.get(`${PODS}?labelSelector=app%3Dweb`)).body.items;
    await ctx.client.delete(`${PODS}/${victim.metadata.name}`);
    const replaced = await until(ctx.client, `${PODS}?labelSelector=app%3Dweb`, (l) => l.items.length === 2 && !l.items.some((p: any) => p.metadata.uid === victim.metadata.uid));
    expect(replaced.items).toHaveLength(2);
    await ctx.client.patch(`${DEPLOY}/web/scale`, { spec: { replicas: 3 } });
    const scaled = await until(ctx.client, `${DEPLOY}/web`, (d) => ready(d) && d.status.replicas === 3);
    expect(scaled.status).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
    expect((await ctx.client.get(`${PODS}?labelSelector=app%3Dweb`)).body.items).toHaveLength(3);
  });

  test("a DaemonSet runs one Pod on the Node; a nodeSelector that matches no Node runs none", async () => {
    const spec = (labels: Record<string, string>, nodeSelector?: Record<string, string>) => ({
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { ...(nodeSelector ? { nodeSelector } : {}), containers: [container("fluent-bit:3")] } },
    });
    await ctx.client.post(DS, { metadata: { name: "agent" }, spec: spec({ app: "agent" }, { "kubernetes.io/os": "linux" }) });
    await ctx.client.post(DS, { metadata: { name: "gpu" }, spec: spec({ app: "gpu" }, { accelerator: "gpu" }) });
    const agent = await until(ctx.client, `${DS}/agent`, (d) => d.status?.numberReady === 1);
    expect(agent.status).toEqual({ currentNumberScheduled: 1, desiredNumberScheduled: 1, numberAvailable: 1, numberMisscheduled: 0, numberReady: 1, observedGeneration: 1, updatedNumberScheduled: 1 });
    const pods = (await ctx.client.get(`${PODS}?labelSelector=app%3Dagent`)).body.items;
    expect(pods).toHaveLength(1);
    expect(pods[0].metadata.ownerReferences[0]).toMatchObject({ kind: "DaemonSet", name: "agent" });
    expect(pods[0].metadata.labels["controller-revision-hash"]).toBeTruthy();
    const gpu = await until(ctx.client, `${DS}/gpu`, (d) => d.status?.observedGeneration === 1);
    expect(gpu.status).toEqual({ currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, observedGeneration: 1 });
    expect((await ctx.client.get(`${PODS}?labelSelector=app%3Dgpu`)).body.items).toEqual([]);
    // A template change replaces the pod.
    await ctx.client.patch(`${DS}/agent`, { spec: { template: { spec: { containers: [container("fluent-bit:4")] } } } });
    const updated = await until(ctx.client, `${PODS}?labelSelector=app%3Dagent`, (l) => l.items.length === 1 && l.items[0].spec.containers[0].image === "fluent-bit:4");
    expect(updated.items[0].metadata.uid).not.toBe(pods[0].metadata.uid);
  });

  test("a Job gets a completed Pod and a Complete status", async () => {
    await ctx.client.post(JOBS, { metadata: { name: "once" }, spec: { template: { spec: { restartPolicy: "Never", containers: [container("busybox:1.36")] } } } });
    const job = await until(ctx.client, `${JOBS}/once`, (j) => condition(j, "Complete")?.status === "True");
    expect(job.status.succeeded).toBe(1);
    const pods = (await ctx.client.get(`${PODS}?labelSelector=job-name%3Donce`)).body.items;
    expect(pods).toHaveLength(1);
    expect(pods[0].status.phase).toBe("Succeeded");
    expect(pods[0].status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
  });

  test("with gc, deleting the Deployment removes its ReplicaSets and Pods", async () => {
    await ctx.client.delete(`${DEPLOY}/web`);
    const sets = await until(ctx.client, `${RS}?labelSelector=app%3Dweb`, (l) => l.items.length === 0);
    expect(sets.items).toEqual([]);
    const pods = await until(ctx.client, `${PODS}?labelSelector=app%3Dweb`, (l) => l.items.length === 0);
    expect(pods.items).toEqual([]);
  });

  test("a settled cluster makes no writes", async () => {
    await Bun.sleep(300);
    const before = ctx.server.state.store.resourceVersion;
    await Bun.sleep(400);
    expect(ctx.server.state.store.resourceVersion).toBe(before);
  });
});
