// Checklist §5 E: PATCH with merge, JSON and strategic-merge patches; content types; preconditions.
import { beforeAll, describe, expect, test } from "bun:test";
import { useApiServer, widgetCrd, WIDGETS } from "../testing.ts";

const CM = "/api/v1/namespaces/default/configmaps";
const DEPLOY = "/apis/apps/v1/namespaces/default/deployments";
const STS = "/apis/apps/v1/namespaces/default/statefulsets";
const MERGE = "application/merge-patch+json";
const JSONPATCH = "application/json-patch+json";
const SMP = "application/strategic-merge-patch+json";

const cm = (name: string, data: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, ...extra },
  data,
});

const widget = (name: string, spec: Record<string, unknown>) => ({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name }, spec });

const deployment = (name: string, kind: "Deployment" | "StatefulSet" = "Deployment") => ({
  apiVersion: "apps/v1",
  kind,
  metadata: { name },
  spec: {
    replicas: 1,
    ...(kind === "StatefulSet" ? { serviceName: name } : {}),
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [
          { name: "app", image: "app:1", env: [{ name: "A", value: "1" }] },
          { name: "sidecar", image: "sidecar:1" },
        ],
      },
    },
  },
});

describe("merge patch (E1)", () => {
  const ctx = useApiServer();

  test("objects merge recursively and null deletes a key", async () => {
    await ctx.client.post(CM, cm("m1", { a: "1", b: "2" }, { labels: { x: "1", y: "2" } }));
    const res = await ctx.client.patch(`${CM}/m1`, { metadata: { labels: { y: null, z: "3" } }, data: { a: null, c: "3" } }, MERGE);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ b: "2", c: "3" });
    expect(res.body.metadata.labels).toEqual({ x: "1", z: "3" });
    const read = await ctx.client.get(`${CM}/m1`);
    expect(read.body.data).toEqual({ b: "2", c: "3" });
  });

  test("arrays are replaced wholesale", async () => {
    expect((await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd())).status).toBe(201);
    await ctx.client.post(WIDGETS, widget("arr", { size: 2, tags: ["a", "b", "c"] }));
    const res = await ctx.client.patch(`${WIDGETS}/arr`, { spec: { tags: ["z"] } }, MERGE);
    expect(res.status).toBe(200);
    expect(res.body.spec).toEqual({ size: 2, tags: ["z"] });
  });

  test("finalizers are a list too: a merge patch replaces them", async () => {
    await ctx.client.post(CM, cm("mfin", {}, { finalizers: ["example.com/a"] }));
    const res = await ctx.client.patch(`${CM}/mfin`, { metadata: { finalizers: ["example.com/b"] } }, MERGE);
    expect(res.body.metadata.finalizers).toEqual(["example.com/b"]);
    await ctx.client.patch(`${CM}/mfin`, { metadata: { finalizers: null } }, MERGE);
  });

  test("a malformed body gives 400 BadRequest", async () => {
    await ctx.client.post(CM, cm("m2", { a: "1" }));
    const res = await ctx.client.patch(`${CM}/m2`, "{not json", MERGE);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ kind: "Status", status: "Failure", reason: "BadRequest", code: 400 });
    expect((await ctx.client.get(`${CM}/m2`)).body.data).toEqual({ a: "1" });
  });

  test("patch of a missing object gives 404 NotFound", async () => {
    const res = await ctx.client.patch(`${CM}/missing`, { data: { a: "1" } }, MERGE);
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('configmaps "missing" not found');
    const cr = await ctx.client.patch(`${WIDGETS}/missing`, { spec: { size: 1 } }, MERGE);
    expect(cr.status).toBe(404);
    expect(cr.body.message).toBe('widgets.example.com "missing" not found');
    expect(cr.body.details).toMatchObject({ name: "missing", group: "example.com", kind: "widgets" });
  });
});

describe("JSON patch (E2)", () => {
  const ctx = useApiServer();

  test("add, remove, replace, move, copy and test apply in order", async () => {
    await ctx.client.post(CM, cm("j1", { a: "1", b: "2" }));
    const res = await ctx.client.patch(
      `${CM}/j1`,
      [
        { op: "test", path: "/data/a", value: "1" },
        { op: "add", path: "/data/c", value: "3" },
        { op: "remove", path: "/data/b" },
        { op: "replace", path: "/data/a", value: "10" },
        { op: "move", from: "/data/c", path: "/data/d" },
        { op: "copy", from: "/data/a", path: "/data/e" },
        { op: "add", path: "/metadata/labels", value: { "example.com/x": "v", y: "w" } },
      ],
      JSONPATCH,
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ a: "10", d: "3", e: "10" });
    expect(res.body.metadata.labels).toEqual({ "example.com/x": "v", y: "w" });
    const escaped = await ctx.client.patch(`${CM}/j1`, [{ op: "remove", path: "/metadata/labels/example.com~1x" }], JSONPATCH);
    expect(escaped.status).toBe(200);
    expect(escaped.body.metadata.labels).toEqual({ y: "w" });
  });

  test("a failed test op gives 422 with the generic message and leaves the object unchanged", async () => {
    const created = await ctx.client.post(CM, cm("j2", { a: "1" }));
    const res = await ctx.client.patch(`${CM}/j2`, [{ op: "test", path: "/data/a", value: "2" }, { op: "replace", path: "/data/a", value: "3" }], JSONPATCH);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ kind: "Status", status: "Failure", reason: "Invalid", code: 422 });
    expect(res.body.message).toBe("the server rejected our request due to an error in our request");
    const read = await ctx.client.get(`${CM}/j2`);
    expect(read.body.data).toEqual({ a: "1" });
    expect(read.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
  });

  test("an operation on a missing path gives 422 with the generic message", async () => {
    await ctx.client.post(CM, cm("j3", { a: "1" }));
    for (const op of [
      { op: "remove", path: "/data/nope" },
      { op: "replace", path: "/spec/x", value: 1 },
      { op: "add", path: "/no/such/parent", value: 1 },
    ]) {
      const res = await ctx.client.patch(`${CM}/j3`, [op], JSONPATCH);
      expect(res.status).toBe(422);
      expect(res.body.message).toBe("the server rejected our request due to an error in our request");
    }
  });

  test("an undecodable patch gives 400", async () => {
    await ctx.client.post(CM, cm("j4", { a: "1" }));
    for (const body of ["{bad", JSON.stringify({ op: "add", path: "/data/x", value: "1" }), JSON.stringify([{ op: "frobnicate", path: "/data/a" }]), JSON.stringify([{ op: "add", path: "/data/x" }])]) {
      const res = await ctx.client.patch(`${CM}/j4`, body, JSONPATCH);
      expect(res.status).toBe(400);
      expect(res.body.reason).toBe("BadRequest");
    }
  });

  test("more than 10000 operations gives 413", async () => {
    await ctx.client.post(CM, cm("j5", { a: "1" }));
    const ok = await ctx.client.patch(`${CM}/j5`, Array.from({ length: 10000 }, () => ({ op: "test", path: "/data/a", value: "1" })), JSONPATCH);
    expect(ok.status).toBe(200);
    const ops = Array.from({ length: 10001 }, () => ({ op: "test", path: "/data/a", value: "1" }));
    const res = await ctx.client.patch(`${CM}/j5`, ops, JSONPATCH);
    expect(res.status).toBe(413);
    expect(res.body.reason).toBe("RequestEntityTooLarge");
    expect(res.body.message).toBe("Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001");
  });

  test("a JSON patch may not change the object's name", async () => {
    await ctx.client.post(CM, cm("j6", { a: "1" }));
    const res = await ctx.client.patch(`${CM}/j6`, [{ op: "replace", path: "/metadata/name", value: "other" }], JSONPATCH);
    expect(res.status).toBe(400);
    expect((await ctx.client.get(`${CM}/other`)).status).toBe(404);
  });
});

describe("strategic merge patch (E3)", () => {
  const ctx = useApiServer();
  beforeAll(async () => {
    await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd());
  });

  test("ConfigMap: maps merge, null deletes", async () => {
    await ctx.client.post(CM, cm("s1", { a: "1", b: "2" }, { annotations: { keep: "1", drop: "2" } }));
    const res = await ctx.client.patch(`${CM}/s1`, { data: { b: null, c: "3" }, metadata: { annotations: { drop: null } } }, SMP);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ a: "1", c: "3" });
    expect(res.body.metadata.annotations).toEqual({ keep: "1" });
  });

  // Without $setElementOrder, apimachinery's mergeSortedSlice puts items new to the live list first.
  test("metadata.finalizers is a merged set: SMP adds, $deleteFromPrimitiveList removes", async () => {
    await ctx.client.post(CM, cm("s2", {}, { finalizers: ["example.com/a"] }));
    const add = await ctx.client.patch(`${CM}/s2`, { metadata: { finalizers: ["example.com/b"] } }, SMP);
    expect(add.status).toBe(200);
    expect(add.body.metadata.finalizers).toEqual(["example.com/b", "example.com/a"]);
    const again = await ctx.client.patch(`${CM}/s2`, { metadata: { finalizers: ["example.com/a"] } }, SMP);
    expect(again.body.metadata.finalizers).toEqual(["example.com/b", "example.com/a"]);
    expect(again.body.metadata.resourceVersion).toBe(add.body.metadata.resourceVersion);
    const del = await ctx.client.patch(`${CM}/s2`, { metadata: { "$deleteFromPrimitiveList/finalizers": ["example.com/a"] } }, SMP);
    expect(del.status).toBe(200);
    expect(del.body.metadata.finalizers).toEqual(["example.com/b"]);
  });

  test("Deployment: containers merge by name, env merges by name, $patch: delete removes one", async () => {
    expect((await ctx.client.post(DEPLOY, deployment("d1"))).status).toBe(201);
    const res = await ctx.client.patch(
      `${DEPLOY}/d1`,
      { spec: { template: { spec: { containers: [{ name: "app", image: "app:2", env: [{ name: "B", value: "2" }] }] } } } },
      SMP,
    );
    expect(res.status).toBe(200);
    const containers = res.body.spec.template.spec.containers;
    expect(containers.map((c: any) => [c.name, c.image])).toEqual([
      ["app", "app:2"],
      ["sidecar", "sidecar:1"],
    ]);
    expect(containers[0].env).toEqual([
      { name: "B", value: "2" },
      { name: "A", value: "1" },
    ]);
    const del = await ctx.client.patch(`${DEPLOY}/d1`, { spec: { template: { spec: { containers: [{ name: "sidecar", $patch: "delete" }] } } } }, SMP);
    expect(del.status).toBe(200);
    expect(del.body.spec.template.spec.containers.map((c: any) => c.name)).toEqual(["app"]);
  });

  test("StatefulSet: a new container is merged in (placed first, as apimachinery orders it), existing ones are kept", async () => {
    expect((await ctx.client.post(STS, deployment("st1", "StatefulSet"))).status).toBe(201);
    const res = await ctx.client.patch(`${STS}/st1`, { spec: { template: { spec: { containers: [{ name: "extra", image: "extra:1" }] } } } }, SMP);
    expect(res.status).toBe(200);
    expect(res.body.spec.template.spec.containers.map((c: any) => c.name)).toEqual(["extra", "app", "sidecar"]);
    const ordered = await ctx.client.patch(
      `${STS}/st1`,
      { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "app" }, { name: "sidecar" }, { name: "extra" }], containers: [{ name: "extra", image: "extra:2" }] } } } },
      SMP,
    );
    expect(ordered.status).toBe(200);
    expect(ordered.body.spec.template.spec.containers.map((c: any) => [c.name, c.image])).toEqual([
      ["app", "app:1"],
      ["sidecar", "sidecar:1"],
      ["extra", "extra:2"],
    ]);
    // A merge patch of the same document replaces the list instead.
    const merge = await ctx.client.patch(`${STS}/st1`, { spec: { template: { spec: { containers: [{ name: "only", image: "only:1" }] } } } }, MERGE);
    expect(merge.body.spec.template.spec.containers.map((c: any) => c.name)).toEqual(["only"]);
  });

  test("a custom resource refuses SMP with 415 and the exact message", async () => {
    await ctx.client.post(WIDGETS, widget("w1", { size: 1 }));
    const res = await ctx.client.patch(`${WIDGETS}/w1`, { spec: { size: 2 } }, SMP);
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ kind: "Status", status: "Failure", reason: "UnsupportedMediaType", code: 415 });
    expect(res.body.message).toBe(
      "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
    );
    expect((await ctx.client.get(`${WIDGETS}/w1`)).body.spec.size).toBe(1);
  });
});

describe("content types, preconditions and generation (E5–E7)", () => {
  const ctx = useApiServer();
  beforeAll(async () => {
    await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd());
  });

  test("an unknown Content-Type gives 415", async () => {
    await ctx.client.post(CM, cm("c1", { a: "1" }));
    for (const type of ["text/plain", "application/xml", "application/json"]) {
      const res = await ctx.client.patch(`${CM}/c1`, { data: { a: "2" } }, type);
      expect(res.status).toBe(415);
      expect(res.body.reason).toBe("UnsupportedMediaType");
      expect(res.body.message).toStartWith("the body of the request was in an unknown format - accepted media types include: ");
      expect(res.body.message).toContain("application/strategic-merge-patch+json");
    }
    expect((await ctx.client.get(`${CM}/c1`)).body.data.a).toBe("1");
  });

  test("a content type with parameters is accepted", async () => {
    await ctx.client.post(CM, cm("c2", { a: "1" }));
    const res = await ctx.client.patch(`${CM}/c2`, { data: { a: "2" } }, "application/merge-patch+json; charset=utf-8");
    expect(res.status).toBe(200);
    expect(res.body.data.a).toBe("2");
  });

  test("metadata.resourceVersion in a patch is a precondition: current passes, stale gives 409", async () => {
    const created = await ctx.client.post(CM, cm("p1", { a: "1" }));
    const rv = created.body.metadata.resourceVersion;
    const ok = await ctx.client.patch(`${CM}/p1`, { metadata: { resourceVersion: rv }, data: { a: "2" } }, MERGE);
    expect(ok.status).toBe(200);
    expect(ok.body.metadata.resourceVersion).not.toBe(rv);
    const stale = await ctx.client.patch(`${CM}/p1`, { metadata: { resourceVersion: rv }, data: { a: "3" } }, MERGE);
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe("Conflict");
    expect(stale.body.message).toBe('Operation cannot be fulfilled on configmaps "p1": the object has been modified; please apply your changes to the latest version and try again');
    const json = await ctx.client.patch(`${CM}/p1`, [{ op: "replace", path: "/metadata/resourceVersion", value: rv }, { op: "replace", path: "/data/a", value: "4" }], JSONPATCH);
    expect(json.status).toBe(409);
    expect((await ctx.client.get(`${CM}/p1`)).body.data.a).toBe("2");
  });

  test("a patch without resourceVersion is unconditional, even for custom resources", async () => {
    const created = await ctx.client.post(WIDGETS, widget("u1", { size: 1 }));
    await ctx.client.patch(`${WIDGETS}/u1`, { spec: { size: 2 } }, MERGE);
    const res = await ctx.client.patch(`${WIDGETS}/u1`, { spec: { size: 3 } }, MERGE);
    expect(res.status).toBe(200);
    expect(res.body.spec.size).toBe(3);
    const stale = await ctx.client.patch(`${WIDGETS}/u1`, { metadata: { resourceVersion: created.body.metadata.resourceVersion }, spec: { size: 4 } }, MERGE);
    expect(stale.status).toBe(409);
    expect(stale.body.message).toBe('Operation cannot be fulfilled on widgets.example.com "u1": the object has been modified; please apply your changes to the latest version and try again');
  });

  test("generation bumps only when the spec changes", async () => {
    const created = await ctx.client.post(WIDGETS, widget("g1", { size: 1 }));
    expect(created.body.metadata.generation).toBe(1);
    const labels = await ctx.client.patch(`${WIDGETS}/g1`, { metadata: { labels: { a: "b" } } }, MERGE);
    expect(labels.body.metadata.generation).toBe(1);
    expect(labels.body.metadata.resourceVersion).not.toBe(created.body.metadata.resourceVersion);
    const spec = await ctx.client.patch(`${WIDGETS}/g1`, { spec: { size: 5 } }, MERGE);
    expect(spec.body.metadata.generation).toBe(2);
    const json = await ctx.client.patch(`${WIDGETS}/g1`, [{ op: "add", path: "/spec/color", value: "red" }], JSONPATCH);
    expect(json.body.metadata.generation).toBe(3);
    const same = await ctx.client.patch(`${WIDGETS}/g1`, { spec: { size: 5 } }, MERGE);
    expect(same.body.metadata.generation).toBe(3);
    expect(same.body.metadata.resourceVersion).toBe(json.body.metadata.resourceVersion);

    const dep = await ctx.client.post(DEPLOY, deployment("gen-d"));
    expect(dep.body.metadata.generation).toBe(1);
    const depLabel = await ctx.client.patch(`${DEPLOY}/gen-d`, { metadata: { annotations: { note: "x" } } }, SMP);
    expect(depLabel.body.metadata.generation).toBe(1);
    const depSpec = await ctx.client.patch(`${DEPLOY}/gen-d`, { spec: { replicas: 3 } }, SMP);
    expect(depSpec.body.metadata.generation).toBe(2);
  });

  test("dryRun=All on a patch answers the patched object but stores nothing", async () => {
    const created = await ctx.client.post(CM, cm("dry", { a: "1" }));
    const res = await ctx.client.patch(`${CM}/dry?dryRun=All`, { data: { a: "2" } }, MERGE);
    expect(res.status).toBe(200);
    expect(res.body.data.a).toBe("2");
    const read = await ctx.client.get(`${CM}/dry`);
    expect(read.body.data.a).toBe("1");
    expect(read.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
  });
});
