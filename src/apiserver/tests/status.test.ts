// Checklist §5 G: the status subresource, generation, and the scale subresource.
import { beforeAll, describe, expect, test } from "bun:test";
import { useApiServer, widgetCrd, WIDGETS } from "../testing.ts";

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const GADGETS = "/apis/example.com/v1/namespaces/default/gadgets";
const DEPLOY = "/apis/apps/v1/namespaces/default/deployments";
const MERGE = "application/merge-patch+json";
const JSONPATCH = "application/json-patch+json";
const READY = { conditions: [{ type: "Ready", status: "True", reason: "Done" }] };

const widget = (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name },
  spec,
  ...extra,
});

/** The Widget CRD without the status subresource, as kind Gadget. */
function gadgetCrd() {
  const crd = widgetCrd() as any;
  crd.metadata = { name: "gadgets.example.com" };
  crd.spec.names = { plural: "gadgets", singular: "gadget", kind: "Gadget" };
  delete crd.spec.versions[0].subresources;
  return crd;
}

describe("status subresource (G)", () => {
  const ctx = useApiServer();
  beforeAll(async () => {
    expect((await ctx.client.post(CRDS, widgetCrd())).status).toBe(201);
    expect((await ctx.client.post(CRDS, gadgetCrd())).status).toBe(201);
  });

  test("B4: status is dropped on create", async () => {
    const res = await ctx.client.post(WIDGETS, widget("c1", { size: 2 }, { status: READY }));
    expect(res.status).toBe(201);
    expect(res.body.status).toBeUndefined();
    expect(res.body.metadata.generation).toBe(1);
    expect((await ctx.client.get(`${WIDGETS}/c1`)).body.status).toBeUndefined();
  });

  test("G2: main-resource PUT and PATCH cannot change status", async () => {
    const created = await ctx.client.post(WIDGETS, widget("m1", { size: 2 }));
    const withStatus = await ctx.client.put(`${WIDGETS}/m1/status`, { ...created.body, status: READY });
    expect(withStatus.status).toBe(200);

    const put = await ctx.client.put(`${WIDGETS}/m1`, { ...withStatus.body, spec: { size: 3 }, status: { conditions: [] } });
    expect(put.status).toBe(200);
    expect(put.body.spec.size).toBe(3);
    expect(put.body.status).toEqual(READY);

    const patch = await ctx.client.patch(`${WIDGETS}/m1`, { status: { conditions: [{ type: "Ready", status: "False" }] } }, MERGE);
    expect(patch.status).toBe(200);
    expect(patch.body.status).toEqual(READY);
    expect(patch.body.metadata.resourceVersion).toBe(put.body.metadata.resourceVersion);

    const remove = await ctx.client.patch(`${WIDGETS}/m1`, [{ op: "remove", path: "/status" }], JSONPATCH);
    expect(remove.status).toBe(200);
    expect(remove.body.status).toEqual(READY);

    // An object without status: status sent to the main resource is dropped.
    const bare = await ctx.client.post(WIDGETS, widget("m2", { size: 1 }));
    const bareUpdate = await ctx.client.put(`${WIDGETS}/m2`, { ...bare.body, status: READY });
    expect(bareUpdate.status).toBe(200);
    expect(bareUpdate.body.status).toBeUndefined();
  });

  test("G3: /status PUT changes only status; labels and spec sent there are ignored", async () => {
    const created = await ctx.client.post(WIDGETS, widget("s1", { size: 2 }));
    const res = await ctx.client.put(`${WIDGETS}/s1/status`, {
      ...created.body,
      metadata: { ...created.body.metadata, labels: { sneaky: "yes" }, annotations: { a: "b" }, finalizers: ["example.com/f"] },
      spec: { size: 9 },
      status: READY,
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toEqual(READY);
    expect(res.body.spec).toEqual({ size: 2 });
    expect(res.body.metadata.labels).toBeUndefined();
    expect(res.body.metadata.annotations).toBeUndefined();
    expect(res.body.metadata.finalizers).toBeUndefined();
    expect(res.body.metadata.generation).toBe(1);
    expect(Number(res.body.metadata.resourceVersion)).toBeGreaterThan(Number(created.body.metadata.resourceVersion));
    const read = await ctx.client.get(`${WIDGETS}/s1`);
    expect(read.body.status).toEqual(READY);
    expect(read.body.spec).toEqual({ size: 2 });
  });

  test("G3: /status PATCH (merge and JSON) changes only status", async () => {
    await ctx.client.post(WIDGETS, widget("s2", { size: 2 }));
    const merge = await ctx.client.patch(`${WIDGETS}/s2/status`, { metadata: { labels: { x: "y" } }, spec: { size: 7 }, status: READY }, MERGE);
    expect(merge.status).toBe(200);
    expect(merge.body.status).toEqual(READY);
    expect(merge.body.spec.size).toBe(2);
    expect(merge.body.metadata.labels).toBeUndefined();
    expect(merge.body.metadata.generation).toBe(1);

    const json = await ctx.client.patch(`${WIDGETS}/s2/status`, [{ op: "replace", path: "/status/conditions/0/status", value: "False" }], JSONPATCH);
    expect(json.status).toBe(200);
    expect(json.body.status.conditions[0].status).toBe("False");
    expect(json.body.metadata.generation).toBe(1);
  });

  test("G3: a /status body without status removes status", async () => {
    const created = await ctx.client.post(WIDGETS, widget("s3", { size: 2 }));
    const set = await ctx.client.put(`${WIDGETS}/s3/status`, { ...created.body, status: READY });
    expect(set.body.status).toEqual(READY);
    const { status: _s, ...withoutStatus } = set.body;
    const cleared = await ctx.client.put(`${WIDGETS}/s3/status`, withoutStatus);
    expect(cleared.status).toBe(200);
    expect(cleared.body.status).toBeUndefined();
    expect(cleared.body.spec).toEqual({ size: 2 });
    expect((await ctx.client.get(`${WIDGETS}/s3`)).body.status).toBeUndefined();
  });

  test("G3: a stale resourceVersion on /status gives 409", async () => {
    const created = await ctx.client.post(WIDGETS, widget("s4", { size: 2 }));
    await ctx.client.patch(`${WIDGETS}/s4`, { spec: { size: 3 } }, MERGE);
    const put = await ctx.client.put(`${WIDGETS}/s4/status`, { ...created.body, status: READY });
    expect(put.status).toBe(409);
    expect(put.body.message).toBe('Operation cannot be fulfilled on widgets.example.com "s4": the object has been modified; please apply your changes to the latest version and try again');
    const patch = await ctx.client.patch(`${WIDGETS}/s4/status`, { metadata: { resourceVersion: created.body.metadata.resourceVersion }, status: READY }, MERGE);
    expect(patch.status).toBe(409);
    expect((await ctx.client.get(`${WIDGETS}/s4`)).body.status).toBeUndefined();
  });

  test("G5: GET /status returns the whole object", async () => {
    const created = await ctx.client.post(WIDGETS, widget("s5", { size: 4 }, { metadata: { name: "s5", labels: { a: "b" } } }));
    const res = await ctx.client.get(`${WIDGETS}/s5/status`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ apiVersion: "example.com/v1", kind: "Widget", spec: { size: 4 } });
    expect(res.body.metadata.labels).toEqual({ a: "b" });
    expect(res.body.metadata.uid).toBe(created.body.metadata.uid);
    expect((await ctx.client.get(`${WIDGETS}/missing/status`)).status).toBe(404);
  });

  test("G4: without the subresource /status gives 404, and status is a normal field", async () => {
    const created = await ctx.client.post(GADGETS, { apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g1" }, spec: { size: 1 }, status: READY });
    expect(created.status).toBe(201);
    expect(created.body.status).toEqual(READY);
    expect((await ctx.client.get(`${GADGETS}/g1/status`)).status).toBe(404);
    expect((await ctx.client.put(`${GADGETS}/g1/status`, created.body)).status).toBe(404);
    expect((await ctx.client.patch(`${GADGETS}/g1/status`, { status: {} }, MERGE)).status).toBe(404);
    expect((await ctx.client.get(`${WIDGETS}/s5/bogus`)).status).toBe(404);
  });

  test("G1: generation bumps on spec changes only; without a status subresource status changes bump it too", async () => {
    const w = await ctx.client.post(WIDGETS, widget("gen", { size: 1 }));
    const meta = await ctx.client.patch(`${WIDGETS}/gen`, { metadata: { labels: { x: "1" }, annotations: { y: "2" } } }, MERGE);
    expect(meta.body.metadata.generation).toBe(1);
    const status = await ctx.client.patch(`${WIDGETS}/gen/status`, { status: READY }, MERGE);
    expect(status.body.metadata.generation).toBe(1);
    const spec = await ctx.client.put(`${WIDGETS}/gen`, { ...status.body, spec: { size: 2 } });
    expect(spec.body.metadata.generation).toBe(2);
    const sameSpec = await ctx.client.put(`${WIDGETS}/gen`, { ...spec.body, metadata: { ...spec.body.metadata, labels: { x: "2" } } });
    expect(sameSpec.body.metadata.generation).toBe(2);
    expect(w.body.metadata.generation).toBe(1);

    const g = await ctx.client.post(GADGETS, { apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g2" }, spec: { size: 1 } });
    expect(g.body.metadata.generation).toBe(1);
    const gStatus = await ctx.client.patch(`${GADGETS}/g2`, { status: READY }, MERGE);
    expect(gStatus.body.status).toEqual(READY);
    expect(gStatus.body.metadata.generation).toBe(2);
    const gLabels = await ctx.client.patch(`${GADGETS}/g2`, { metadata: { labels: { a: "b" } } }, MERGE);
    expect(gLabels.body.metadata.generation).toBe(2);
  });
});

describe("scale subresource on a Deployment", () => {
  const ctx = useApiServer();
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web" },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx" }] } },
    },
  };
  let created: any;
  beforeAll(async () => {
    created = (await ctx.client.post(DEPLOY, deployment)).body;
  });

  test("GET …/scale returns an autoscaling/v1 Scale", async () => {
    const res = await ctx.client.get(`${DEPLOY}/web/scale`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: { name: "web", namespace: "default", uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion },
      spec: { replicas: 2 },
      status: { replicas: 0, selector: "app=web" },
    });
    const missing = await ctx.client.get(`${DEPLOY}/nope/scale`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('deployments.apps "nope" not found');
  });

  test("PUT …/scale sets spec.replicas and bumps generation", async () => {
    const scale = (await ctx.client.get(`${DEPLOY}/web/scale`)).body;
    const res = await ctx.client.put(`${DEPLOY}/web/scale`, { ...scale, spec: { replicas: 5 } });
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe("Scale");
    expect(res.body.spec.replicas).toBe(5);
    const dep = await ctx.client.get(`${DEPLOY}/web`);
    expect(dep.body.spec.replicas).toBe(5);
    expect(dep.body.metadata.generation).toBe(2);
    expect(res.body.metadata.resourceVersion).toBe(dep.body.metadata.resourceVersion);

    const stale = await ctx.client.put(`${DEPLOY}/web/scale`, { ...scale, spec: { replicas: 6 } });
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe("Conflict");
    expect((await ctx.client.get(`${DEPLOY}/web`)).body.spec.replicas).toBe(5);
  });

  test("PATCH …/scale (merge and JSON patch) like kubectl scale", async () => {
    const merge = await ctx.client.patch(`${DEPLOY}/web/scale`, { spec: { replicas: 3 } }, MERGE);
    expect(merge.status).toBe(200);
    expect(merge.body.spec.replicas).toBe(3);
    const json = await ctx.client.patch(`${DEPLOY}/web/scale`, [{ op: "replace", path: "/spec/replicas", value: 1 }], JSONPATCH);
    expect(json.status).toBe(200);
    expect(json.body.spec.replicas).toBe(1);
    expect((await ctx.client.get(`${DEPLOY}/web`)).body.spec.replicas).toBe(1);
    const negative = await ctx.client.patch(`${DEPLOY}/web/scale`, { spec: { replicas: -1 } }, MERGE);
    expect(negative.status).toBe(422);
    expect(negative.body.reason).toBe("Invalid");
  });

  test("scale is listed in discovery for deployments and absent for configmaps", async () => {
    const list = await ctx.client.get("/apis/apps/v1");
    const scale = list.body.resources.find((r: any) => r.name === "deployments/scale");
    expect(scale).toMatchObject({ group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] });
    expect((await ctx.client.post("/api/v1/namespaces/default/configmaps", { metadata: { name: "cm" } })).status).toBe(201);
    expect((await ctx.client.get("/api/v1/namespaces/default/configmaps/cm/scale")).status).toBe(404);
  });
});
