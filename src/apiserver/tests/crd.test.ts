// Checklist §5 J (and P): CustomResourceDefinitions over HTTP — registration, discovery, pruning,
// defaulting, validation, fieldValidation, printer columns, versions, scope, selectableFields, OpenAPI.
import { beforeAll, describe, expect, test } from "bun:test";
import { useApiServer, widgetCrd, WIDGETS } from "../testing.ts";

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const AGG = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const MERGE = "application/merge-patch+json";

const widget = (name: string, spec?: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name },
  ...(spec ? { spec } : {}),
  ...extra,
});

/** A CRD in its own group with one version and the given schema/extras. */
function crd(plural: string, kind: string, version: Record<string, unknown>, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.test.example.org` },
    spec: {
      group: "test.example.org",
      scope: "Namespaced",
      names: { plural, singular: kind.toLowerCase(), kind },
      versions: [{ name: "v1", served: true, storage: true, ...version }],
      ...spec,
    },
  };
}

const THING_SCHEMA = {
  openAPIV3Schema: {
    type: "object",
    properties: {
      spec: {
        type: "object",
        required: ["name"],
        properties: {
          name: { type: "string" },
          size: { type: "integer", minimum: 1, default: 3 },
          color: { type: "string", enum: ["red", "green", "blue"] },
          code: { type: "string", pattern: "^[A-Z]+$", maxLength: 5 },
          tags: { type: "array", maxItems: 3, items: { type: "string" } },
          nested: { type: "object", properties: { level: { type: "integer", default: 5 }, mode: { type: "string", default: "auto" } } },
          withDefault: { type: "object", default: {}, properties: { inner: { type: "string", default: "x" } } },
          free: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        },
      },
    },
  },
};
const THINGS = "/apis/test.example.org/v1/namespaces/default/things";
const thing = (name: string, spec: Record<string, unknown>) => ({ apiVersion: "test.example.org/v1", kind: "Thing", metadata: { name }, spec });

describe("CRD registration and discovery (J1)", () => {
  const ctx = useApiServer();

  test("resources are served and discoverable as soon as the create returns", async () => {
    expect((await ctx.client.get("/apis/example.com/v1")).status).toBe(404);
    expect((await ctx.client.get(WIDGETS)).status).toBe(404);
    const res = await ctx.client.post(CRDS, widgetCrd());
    expect(res.status).toBe(201);
    // No waiting: the very next requests must see the new resources.
    const [legacy, groups, agg, list] = await Promise.all([
      ctx.client.get("/apis/example.com/v1"),
      ctx.client.get("/apis"),
      ctx.client.get("/apis", { accept: AGG }),
      ctx.client.get(WIDGETS),
    ]);
    expect(legacy.status).toBe(200);
    expect(legacy.body).toMatchObject({ kind: "APIResourceList", groupVersion: "example.com/v1" });
    expect(legacy.body.resources).toContainEqual(
      expect.objectContaining({ name: "widgets", singularName: "widget", namespaced: true, kind: "Widget", shortNames: ["wd"] }),
    );
    expect(legacy.body.resources).toContainEqual(expect.objectContaining({ name: "widgets/status", kind: "Widget", verbs: ["get", "patch", "update"] }));
    const verbs = legacy.body.resources.find((r: any) => r.name === "widgets").verbs;
    expect([...verbs].sort()).toEqual(["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]);

    expect(groups.body.groups).toContainEqual({
      name: "example.com",
      versions: [{ groupVersion: "example.com/v1", version: "v1" }],
      preferredVersion: { groupVersion: "example.com/v1", version: "v1" },
    });

    expect(agg.headers.get("content-type")).toContain("as=APIGroupDiscoveryList");
    expect(agg.body.kind).toBe("APIGroupDiscoveryList");
    const group = agg.body.items.find((i: any) => i.metadata.name === "example.com");
    expect(group.versions[0].version).toBe("v1");
    const resource = group.versions[0].resources.find((r: any) => r.resource === "widgets");
    expect(resource).toMatchObject({ responseKind: { group: "example.com", version: "v1", kind: "Widget" }, scope: "Namespaced", singularResource: "widget", shortNames: ["wd"] });
    expect(resource.subresources).toContainEqual(expect.objectContaining({ subresource: "status", verbs: ["get", "patch", "update"] }));

    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ kind: "WidgetList", apiVersion: "example.com/v1", items: [] });
  });

  test("the stored CRD reports NamesAccepted/Established, acceptedNames and storedVersions", async () => {
    const res = await ctx.client.get(`${CRDS}/widgets.example.com`);
    expect(res.status).toBe(200);
    const conds = Object.fromEntries(res.body.status.conditions.map((c: any) => [c.type, c.status]));
    expect(conds).toMatchObject({ NamesAccepted: "True", Established: "True" });
    expect(res.body.status.acceptedNames).toMatchObject({ plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList", shortNames: ["wd"] });
    expect(res.body.status.storedVersions).toEqual(["v1"]);
    expect(res.body.metadata.generation).toBe(1);
  });

  test("a watch on CRDs sees the Established CRD", async () => {
    const events = await ctx.client.watch(`${CRDS}?watch=true&fieldSelector=metadata.name%3Dwidgets.example.com`, (e) => e.length >= 1);
    expect(events[0].type).toBe("ADDED");
    expect(events[0].object.status.conditions.find((c: any) => c.type === "Established").status).toBe("True");
  });

  test("deleting the CRD removes its resources from discovery and serving", async () => {
    await ctx.client.post(WIDGETS, widget("w1", { size: 1 }));
    const del = await ctx.client.delete(`${CRDS}/widgets.example.com`);
    expect(del.status).toBe(200);
    // Cleanup runs right after the delete; poll by request count, not by time.
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) gone = (await ctx.client.get(`${CRDS}/widgets.example.com`)).status === 404;
    expect(gone).toBe(true);
    expect((await ctx.client.get("/apis/example.com/v1")).status).toBe(404);
    expect((await ctx.client.get(WIDGETS)).status).toBe(404);
  });
});

describe("bad CRDs give 422 (J2)", () => {
  const ctx = useApiServer();

  test("metadata.name must be <plural>.<group>", async () => {
    const bad = widgetCrd({ metadata: { name: "gizmos.example.com" } });
    const res = await ctx.client.post(CRDS, bad);
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe("Invalid");
    expect(res.body.message).toStartWith('CustomResourceDefinition.apiextensions.k8s.io "gizmos.example.com" is invalid: ');
    expect(res.body.message).toContain('metadata.name: Invalid value: "gizmos.example.com": must be spec.names.plural+"."+spec.group');
    expect(res.body.details).toMatchObject({ name: "gizmos.example.com", group: "apiextensions.k8s.io", kind: "CustomResourceDefinition" });
    expect(res.body.details.causes).toContainEqual(expect.objectContaining({ reason: "FieldValueInvalid", field: "metadata.name" }));
    expect((await ctx.client.get("/apis/example.com/v1")).status).toBe(404);
  });

  test("a version without a schema", async () => {
    const bad = widgetCrd() as any;
    delete bad.spec.versions[0].schema;
    const res = await ctx.client.post(CRDS, bad);
    expect(res.status).toBe(422);
    expect(res.body.message).toContain("spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required");
    expect(res.body.details.causes).toContainEqual({ reason: "FieldValueRequired", field: "spec.versions[0].schema.openAPIV3Schema", message: "Required value: schemas are required" });
  });

  test("two storage versions", async () => {
    const bad = widgetCrd() as any;
    bad.spec.versions.push({ ...bad.spec.versions[0], name: "v2" });
    const res = await ctx.client.post(CRDS, bad);
    expect(res.status).toBe(422);
    expect(res.body.message).toContain("must have exactly one version marked as storage version");
    expect(res.body.details.causes).toContainEqual(expect.objectContaining({ field: "spec.versions" }));
    expect((await ctx.client.get(`${CRDS}/widgets.example.com`)).status).toBe(404);
  });
});

describe("pruning, defaulting and validation of custom resources (J3–J7)", () => {
  const ctx = useApiServer();
  beforeAll(async () => {
    expect((await ctx.client.post(CRDS, widgetCrd())).status).toBe(201);
    expect((await ctx.client.post(CRDS, crd("things", "Thing", { schema: THING_SCHEMA }))).status).toBe(201);
  });

  test("J3: unknown fields are pruned (spec, top level, metadata); preserve-unknown-fields keeps them", async () => {
    const res = await ctx.client.post(
      `${THINGS}?fieldValidation=Ignore`,
      { ...thing("p1", { name: "n", bogus: 1, nested: { level: 2, junk: true }, free: { anything: { goes: [1] } } }), topLevel: "x", metadata: { name: "p1", madeUp: "y" } },
    );
    expect(res.status).toBe(201);
    expect(res.body.topLevel).toBeUndefined();
    expect(res.body.metadata.madeUp).toBeUndefined();
    expect(res.body.spec.bogus).toBeUndefined();
    expect(res.body.spec.nested).toEqual({ level: 2, mode: "auto" });
    expect(res.body.spec.free).toEqual({ anything: { goes: [1] } });
    const read = await ctx.client.get(`${THINGS}/p1`);
    expect(read.body.spec.bogus).toBeUndefined();
    expect(read.body.topLevel).toBeUndefined();
  });

  test("J4: defaults apply on create, and inside nested objects only when the parent exists", async () => {
    const res = await ctx.client.post(WIDGETS, widget("d1", { color: "red" }));
    expect(res.status).toBe(201);
    expect(res.body.spec).toEqual({ color: "red", size: 3 });
    const noSpec = await ctx.client.post(WIDGETS, widget("d2"));
    expect(noSpec.status).toBe(201);
    expect(noSpec.body.spec).toBeUndefined();

    const withoutNested = await ctx.client.post(THINGS, thing("d3", { name: "n" }));
    expect(withoutNested.body.spec.nested).toBeUndefined();
    // A parent with `default: {}` is created, and its children's defaults follow in the same pass.
    expect(withoutNested.body.spec.withDefault).toEqual({ inner: "x" });
    expect(withoutNested.body.spec.size).toBe(3);
    const withNested = await ctx.client.post(THINGS, thing("d4", { name: "n", nested: {} }));
    expect(withNested.body.spec.nested).toEqual({ level: 5, mode: "auto" });
  });

  test("J4: defaults apply on update and patch too", async () => {
    const created = await ctx.client.post(WIDGETS, widget("d5", { size: 7 }));
    const patched = await ctx.client.patch(`${WIDGETS}/d5`, { spec: { size: null } }, MERGE);
    expect(patched.status).toBe(200);
    expect(patched.body.spec.size).toBe(3);
    const put = await ctx.client.put(`${WIDGETS}/d5`, { ...patched.body, spec: { color: "blue" } });
    expect(put.body.spec).toEqual({ color: "blue", size: 3 });
    expect(created.body.spec.size).toBe(7);
  });

  test("J6: validation errors are 422 with the real message format and causes", async () => {
    const cases: [Record<string, unknown>, string, string, string][] = [
      [{ name: "n", size: 0 }, "spec.size", "FieldValueInvalid", "Invalid value: 0: spec.size in body should be greater than or equal to 1"],
      [{ name: "n", size: "big" }, "spec.size", "FieldValueTypeInvalid", 'Invalid value: "string": spec.size in body must be of type integer: "string"'],
      [{ name: "n", color: "purple" }, "spec.color", "FieldValueNotSupported", 'Unsupported value: "purple": supported values: "red", "green", "blue"'],
      [{ size: 2 }, "spec.name", "FieldValueRequired", "Required value"],
      [{ name: "n", code: "abc" }, "spec.code", "FieldValueInvalid", "Invalid value: \"abc\": spec.code in body should match '^[A-Z]+$'"],
      [{ name: "n", code: "ABCDEFG" }, "spec.code", "FieldValueTooLong", "Too long: may not be more than 5 bytes"],
      [{ name: "n", tags: ["a", "b", "c", "d"] }, "spec.tags", "FieldValueTooMany", "Too many: 4: must have at most 3 items"],
    ];
    for (const [spec, field, reason, message] of cases) {
      const res = await ctx.client.post(THINGS, thing("v1", spec));
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ kind: "Status", status: "Failure", reason: "Invalid", code: 422 });
      expect(res.body.message).toBe(`Thing.test.example.org "v1" is invalid: ${field}: ${message}`);
      expect(res.body.details).toMatchObject({ name: "v1", group: "test.example.org", kind: "Thing" });
      expect(res.body.details.causes).toEqual([{ reason, message, field }]);
    }
    expect((await ctx.client.get(`${THINGS}/v1`)).status).toBe(404);
  });

  test("J6: several errors are joined in brackets", async () => {
    const res = await ctx.client.post(THINGS, thing("v2", { name: "n", size: 0, color: "pink" }));
    expect(res.status).toBe(422);
    expect(res.body.message).toStartWith('Thing.test.example.org "v2" is invalid: [');
    expect(res.body.message).toContain("spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1");
    expect(res.body.message).toContain('spec.color: Unsupported value: "pink": supported values: "red", "green", "blue"');
    expect(res.body.details.causes).toHaveLength(2);
  });

  test("J6: updates are validated too", async () => {
    await ctx.client.post(WIDGETS, widget("v3", { size: 2 }));
    const res = await ctx.client.patch(`${WIDGETS}/v3`, { spec: { size: -5 } }, MERGE);
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('Widget.example.com "v3" is invalid: spec.size: Invalid value: -5: spec.size in body should be greater than or equal to 1');
    expect((await ctx.client.get(`${WIDGETS}/v3`)).body.spec.size).toBe(2);
  });

  test("J6: an update that leaves the spec as it was passes; under a changed schema the unchanged spec is checked again", async () => {
    const url = `${THINGS}/t-unchanged`;
    expect((await ctx.client.post(THINGS, thing("t-unchanged", { name: "a", color: "red" }))).status).toBe(201);
    expect((await ctx.client.patch(url, { metadata: { labels: { a: "1" } } }, MERGE)).status).toBe(200);
    const bad = await ctx.client.patch(url, { metadata: { labels: { a: "2" } }, spec: { color: "purple" } }, MERGE);
    expect(bad.status).toBe(422);
    expect(bad.body.message).toContain('spec.color: Unsupported value: "purple": supported values: "red", "green", "blue"');
    // The CRD no longer allows red: the stored spec is checked again on the next update, as without ratcheting.
    const current = await ctx.client.get(`${CRDS}/things.test.example.org`);
    const tightened = structuredClone(current.body);
    tightened.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.color.enum = ["green", "blue"];
    expect((await ctx.client.put(`${CRDS}/things.test.example.org`, tightened)).status).toBe(200);
    const again = await ctx.client.patch(url, { metadata: { labels: { a: "3" } } }, MERGE);
    expect(again.status).toBe(422);
    expect(again.body.message).toContain('spec.color: Unsupported value: "red": supported values: "green", "blue"');
    // Fixed, it passes, and a later label-only update passes without the spec being in question.
    expect((await ctx.client.patch(url, { spec: { color: "green" } }, MERGE)).status).toBe(200);
    expect((await ctx.client.patch(url, { metadata: { labels: { a: "4" } } }, MERGE)).status).toBe(200);
    expect((await ctx.client.get(url)).body.metadata.labels).toEqual({ a: "4" });
  });

  test("J7/P: fieldValidation=Strict rejects unknown fields with 400", async () => {
    const res = await ctx.client.post(`${WIDGETS}?fieldValidation=Strict`, widget("f1", { size: 2, colour: "red" }));
    expect(res.status).toBe(400);
    expect(res.body.reason).toBe("BadRequest");
    expect(res.body.message).toBe('Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.colour"');
    expect((await ctx.client.get(`${WIDGETS}/f1`)).status).toBe(404);
    const two = await ctx.client.post(`${WIDGETS}?fieldValidation=Strict`, widget("f1", { size: 2, colour: "red", shape: "round" }));
    expect(two.status).toBe(400);
    expect(two.body.message).toContain('unknown field "spec.colour"');
    expect(two.body.message).toContain(', unknown field "spec.shape"');
  });

  test("J7/P: Warn (and the default) prune and send a Warning header; Ignore is silent", async () => {
    const expected = '299 - "unknown field \\"spec.colour\\""';
    const warn = await ctx.client.post(`${WIDGETS}?fieldValidation=Warn`, widget("f2", { size: 2, colour: "red" }));
    expect(warn.status).toBe(201);
    expect(warn.headers.get("warning")).toBe(expected);
    expect(warn.body.spec).toEqual({ size: 2 });

    const dflt = await ctx.client.post(WIDGETS, widget("f3", { size: 2, colour: "red" }));
    expect(dflt.status).toBe(201);
    expect(dflt.headers.get("warning")).toBe(expected);

    const patched = await ctx.client.patch(`${WIDGETS}/f3`, { spec: { colour: "blue" } }, MERGE);
    expect(patched.status).toBe(200);
    expect(patched.headers.get("warning")).toBe(expected);

    const ignore = await ctx.client.post(`${WIDGETS}?fieldValidation=Ignore`, widget("f4", { size: 2, colour: "red" }));
    expect(ignore.status).toBe(201);
    expect(ignore.headers.get("warning")).toBeNull();
    expect(ignore.body.spec).toEqual({ size: 2 });

    const known = await ctx.client.post(WIDGETS, widget("f5", { size: 2 }));
    expect(known.headers.get("warning")).toBeNull();

    const bad = await ctx.client.post(`${WIDGETS}?fieldValidation=Loud`, widget("f6", { size: 2 }));
    expect(bad.status).toBe(400);
  });
});

describe("printer columns (J8)", () => {
  const ctx = useApiServer();
  beforeAll(async () => {
    await ctx.client.post(CRDS, widgetCrd());
    await ctx.client.post(CRDS, crd("plains", "Plain", { schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }));
  });

  test("Table output has Name, the CRD columns in order, and null for missing values", async () => {
    await ctx.client.post(WIDGETS, widget("t1", { size: 4 }));
    const w2 = await ctx.client.post(WIDGETS, widget("t2", { size: 1 }));
    await ctx.client.put(`${WIDGETS}/t2/status`, { ...w2.body, status: { conditions: [{ type: "Ready", status: "True" }] } });
    const res = await ctx.client.get(WIDGETS, { accept: TABLE });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: "Table", apiVersion: "meta.k8s.io/v1" });
    expect(res.body.columnDefinitions.map((c: any) => [c.name, c.type])).toEqual([
      ["Name", "string"],
      ["Size", "integer"],
      ["Ready", "string"],
      ["Age", "date"],
    ]);
    expect(res.body.columnDefinitions[0].format).toBe("name");
    expect(res.body.columnDefinitions[1].description).toBe("Custom resource definition column (in JSONPath format): .spec.size");
    const rows = Object.fromEntries(res.body.rows.map((r: any) => [r.cells[0], r]));
    expect(rows.t1.cells.slice(0, 3)).toEqual(["t1", 4, null]);
    expect(rows.t2.cells.slice(0, 3)).toEqual(["t2", 1, "True"]);
    expect(rows.t1.cells[3]).toMatch(/^\d+[smhd]/);
    expect(rows.t1.object).toMatchObject({ kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: { name: "t1" } });

    const one = await ctx.client.get(`${WIDGETS}/t2`, { accept: TABLE });
    expect(one.body.kind).toBe("Table");
    expect(one.body.rows).toHaveLength(1);
    expect(one.body.rows[0].cells[2]).toBe("True");
  });

  test("a CRD without columns gets a single Age column after Name", async () => {
    await ctx.client.post("/apis/test.example.org/v1/namespaces/default/plains", { apiVersion: "test.example.org/v1", kind: "Plain", metadata: { name: "p" } });
    const res = await ctx.client.get("/apis/test.example.org/v1/namespaces/default/plains", { accept: TABLE });
    expect(res.body.columnDefinitions.map((c: any) => c.name)).toEqual(["Name", "Age"]);
    expect(res.body.rows[0].cells[0]).toBe("p");
  });
});

describe("versions, scope, CRD updates and selectableFields (J9, K3, C5)", () => {
  const ctx = useApiServer();

  test("two served versions share one storage; apiVersion is rewritten on read", async () => {
    const twoVersions = widgetCrd() as any;
    twoVersions.spec.versions.push({ ...structuredClone(twoVersions.spec.versions[0]), name: "v1beta1", storage: false });
    expect((await ctx.client.post(CRDS, twoVersions)).status).toBe(201);
    const BETA = "/apis/example.com/v1beta1/namespaces/default/widgets";
    const created = await ctx.client.post(BETA, { apiVersion: "example.com/v1beta1", kind: "Widget", metadata: { name: "mv" }, spec: { size: 2 } });
    expect(created.status).toBe(201);
    expect(created.body.apiVersion).toBe("example.com/v1beta1");
    const v1 = await ctx.client.get(`${WIDGETS}/mv`);
    expect(v1.body.apiVersion).toBe("example.com/v1");
    expect(v1.body.metadata.uid).toBe(created.body.metadata.uid);
    const list = await ctx.client.get(BETA);
    expect(list.body.apiVersion).toBe("example.com/v1beta1");
    expect(list.body.items.map((i: any) => i.apiVersion)).toEqual(["example.com/v1beta1"]);
    const wrong = await ctx.client.post(BETA, { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "mv2" }, spec: { size: 2 } });
    expect(wrong.status).toBe(400);

    const groups = await ctx.client.get("/apis");
    const group = groups.body.groups.find((g: any) => g.name === "example.com");
    expect(group.versions.map((v: any) => v.version)).toEqual(["v1", "v1beta1"]);
    expect(group.preferredVersion.version).toBe("v1");
    const agg = await ctx.client.get("/apis", { accept: AGG });
    expect(agg.body.items.find((i: any) => i.metadata.name === "example.com").versions.map((v: any) => v.version)).toEqual(["v1", "v1beta1"]);
    expect((await ctx.client.get("/apis/example.com/v1beta1")).status).toBe(200);

    // A watch of one version sees writes made through the other.
    const rv = created.body.metadata.resourceVersion;
    await ctx.client.patch(`${WIDGETS}/mv`, { spec: { size: 5 } }, MERGE);
    const events = await ctx.client.watch(`${BETA}?watch=true&resourceVersion=${rv}`, (e) => e.length >= 1);
    expect(events[0]).toMatchObject({ type: "MODIFIED", object: { apiVersion: "example.com/v1beta1", spec: { size: 5 } } });
  });

  test("a CRD update adding a version serves it at once and records storedVersions", async () => {
    const current = await ctx.client.get(`${CRDS}/widgets.example.com`);
    const updated = structuredClone(current.body);
    for (const v of updated.spec.versions) v.storage = false;
    updated.spec.versions.push({ ...structuredClone(updated.spec.versions[0]), name: "v2", storage: true });
    const res = await ctx.client.put(`${CRDS}/widgets.example.com`, updated);
    expect(res.status).toBe(200);
    expect(res.body.metadata.generation).toBe(2);
    expect(res.body.status.storedVersions).toEqual(["v1", "v2"]);
    const v2 = await ctx.client.get("/apis/example.com/v2/namespaces/default/widgets/mv");
    expect(v2.status).toBe(200);
    expect(v2.body.apiVersion).toBe("example.com/v2");
    expect(v2.body.spec.size).toBe(5);
    expect((await ctx.client.get("/apis", { accept: AGG })).body.items.find((i: any) => i.metadata.name === "example.com").versions[0].version).toBe("v2");
  });

  test("K3: a cluster-scoped CRD is served without a namespace; the namespaced URL is 404", async () => {
    const cluster = crd("clusterthings", "ClusterThing", { schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: { a: { type: "string" } } } } } } }, { scope: "Cluster" });
    expect((await ctx.client.post(CRDS, cluster)).status).toBe(201);
    const path = "/apis/test.example.org/v1/clusterthings";
    const created = await ctx.client.post(path, { apiVersion: "test.example.org/v1", kind: "ClusterThing", metadata: { name: "ct", namespace: "default" }, spec: { a: "x" } });
    expect(created.status).toBe(201);
    expect(created.body.metadata.namespace).toBeUndefined();
    expect((await ctx.client.get(`${path}/ct`)).body.spec.a).toBe("x");
    expect((await ctx.client.get("/apis/test.example.org/v1/namespaces/default/clusterthings/ct")).status).toBe(404);
    expect((await ctx.client.post("/apis/test.example.org/v1/namespaces/default/clusterthings", { metadata: { name: "x" } })).status).toBe(404);
    const disc = await ctx.client.get("/apis/test.example.org/v1");
    expect(disc.body.resources.find((r: any) => r.name === "clusterthings").namespaced).toBe(false);
  });

  test("C5: selectableFields add field selectors; other fields stay unsupported", async () => {
    const selectable = crd(
      "gizmos",
      "Gizmo",
      {
        schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: { color: { type: "string" }, size: { type: "integer" } } } } } },
        selectableFields: [{ jsonPath: ".spec.color" }, { jsonPath: ".spec.size" }],
      },
    );
    expect((await ctx.client.post(CRDS, selectable)).status).toBe(201);
    const GIZMOS = "/apis/test.example.org/v1/namespaces/default/gizmos";
    for (const [name, color, size] of [["a", "red", 1], ["b", "blue", 2], ["c", "red", 3]] as const)
      expect((await ctx.client.post(GIZMOS, { apiVersion: "test.example.org/v1", kind: "Gizmo", metadata: { name }, spec: { color, size } })).status).toBe(201);
    const names = async (sel: string) => {
      const res = await ctx.client.get(`${GIZMOS}?fieldSelector=${encodeURIComponent(sel)}`);
      expect(res.status).toBe(200);
      return res.body.items.map((i: any) => i.metadata.name);
    };
    expect(await names("spec.color=red")).toEqual(["a", "c"]);
    expect(await names("spec.color!=red")).toEqual(["b"]);
    expect(await names("spec.size=2")).toEqual(["b"]);
    expect(await names("spec.color=red,metadata.name=c")).toEqual(["c"]);
    const bad = await ctx.client.get(`${GIZMOS}?fieldSelector=spec.shape%3Dround`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe("field label not supported: spec.shape");
    const widgetsBad = await ctx.client.get(`${WIDGETS}?fieldSelector=spec.color%3Dred`);
    expect(widgetsBad.status).toBe(400);
  });
});

describe("OpenAPI v3", () => {
  const ctx = useApiServer();
  beforeAll(async () => {
    await ctx.client.post(CRDS, widgetCrd());
  });

  test("the root lists the CRD group-version; its document has a PATCH op with the GVK", async () => {
    const root = await ctx.client.get("/openapi/v3");
    expect(root.status).toBe(200);
    const entry = root.body.paths["apis/example.com/v1"];
    expect(entry.serverRelativeURL).toStartWith("/openapi/v3/apis/example.com/v1?hash=");
    expect(root.body.paths["api/v1"]).toBeDefined();
    expect(root.body.paths["apis/apps/v1"]).toBeDefined();
    const doc = await ctx.client.get(entry.serverRelativeURL);
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toStartWith("3.");
    const patch = doc.body.paths["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"].patch;
    expect(patch["x-kubernetes-group-version-kind"]).toEqual({ group: "example.com", version: "v1", kind: "Widget" });
    expect(patch.parameters.map((p: any) => p.name)).toContain("fieldValidation");
    const schemas = Object.values(doc.body.components.schemas) as any[];
    expect(schemas.some((s) => s["x-kubernetes-group-version-kind"]?.some((g: any) => g.kind === "Widget"))).toBe(true);
    expect(JSON.stringify(doc.body)).not.toContain("application/strategic-merge-patch+json");
  });

  test("the api/v1 document has PATCH ops for Namespace and ConfigMap", async () => {
    const root = await ctx.client.get("/openapi/v3");
    const doc = await ctx.client.get(root.body.paths["api/v1"].serverRelativeURL);
    expect(doc.body.paths["/api/v1/namespaces/{name}"].patch["x-kubernetes-group-version-kind"]).toEqual({ group: "", version: "v1", kind: "Namespace" });
    expect(doc.body.paths["/api/v1/namespaces/{namespace}/configmaps/{name}"].patch["x-kubernetes-group-version-kind"]).toEqual({ group: "", version: "v1", kind: "ConfigMap" });
  });

  test("the root hash changes when a CRD changes the document", async () => {
    const before = (await ctx.client.get("/openapi/v3")).body.paths["apis/example.com/v1"].serverRelativeURL;
    const current = await ctx.client.get(`${CRDS}/widgets.example.com`);
    const updated = structuredClone(current.body);
    updated.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.weight = { type: "integer" };
    expect((await ctx.client.put(`${CRDS}/widgets.example.com`, updated)).status).toBe(200);
    const after = (await ctx.client.get("/openapi/v3")).body.paths["apis/example.com/v1"].serverRelativeURL;
    expect(after).not.toBe(before);
    expect((await ctx.client.get("/openapi/v3/apis/nope.example.com/v1")).status).toBe(404);
  });
});
