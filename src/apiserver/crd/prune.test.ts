import { describe, expect, test } from "bun:test";
import type { JSONSchemaProps } from "../types";
import { pruneUnknownFields } from "./schema";

const schema: JSONSchemaProps = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      properties: {
        color: { type: "string" },
        port: { "x-kubernetes-int-or-string": true },
        rules: { type: "array", items: { type: "object", properties: { host: { type: "string" } } } },
        selectors: { type: "object", additionalProperties: { type: "object", properties: { key: { type: "string" } } } },
        labels: { type: "object", additionalProperties: { type: "string" } },
        config: {
          type: "object",
          "x-kubernetes-preserve-unknown-fields": true,
          properties: { known: { type: "object", properties: { a: { type: "string" } } } },
        },
        template: {
          type: "object",
          "x-kubernetes-embedded-resource": true,
          properties: { spec: { type: "object", properties: { replicas: { type: "integer" } } } },
        },
        templates: {
          type: "object",
          additionalProperties: { type: "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true },
        },
        matrix: { type: "array", items: { type: "array", items: { type: "object", properties: { v: { type: "integer" } } } } },
      },
    },
    status: { type: "object", properties: { ready: { type: "boolean" } } },
  },
};

function resource(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w1", namespace: "default" }, spec, ...extra };
}

describe("pruneUnknownFields", () => {
  test("drops an unknown spec field and reports its path", () => {
    const obj = resource({ color: "red", colour: "red" });
    expect(pruneUnknownFields(obj, schema)).toEqual(["spec.colour"]);
    expect(obj.spec).toEqual({ color: "red" });
  });

  test("keeps apiVersion, kind and metadata at the root but drops other unknown root fields", () => {
    const obj = resource({}, { extra: 1 });
    expect(pruneUnknownFields(obj, schema)).toEqual(["extra"]);
    expect(Object.keys(obj).sort()).toEqual(["apiVersion", "kind", "metadata", "spec"]);
  });

  test("reports list items with their index", () => {
    const rules = Array.from({ length: 7 }, (_, i) => (i === 6 ? { host: "h", x: 1 } : { host: "h" }));
    const obj = resource({ rules });
    expect(pruneUnknownFields(obj, schema)).toEqual(["spec.rules[6].x"]);
    expect((obj.spec as { rules: unknown[] }).rules[6]).toEqual({ host: "h" });
  });

  test("nested lists", () => {
    const obj = resource({ matrix: [[{ v: 1 }], [{ v: 2, w: 3 }]] });
    expect(pruneUnknownFields(obj, schema)).toEqual(["spec.matrix[1][0].w"]);
  });

  test("prunes root metadata to ObjectMeta and lists it first", () => {
    const obj = resource({ zzz: 1 });
    (obj.metadata as Record<string, unknown>).foo = "bar";
    (obj.metadata as Record<string, unknown>).ownerReferences = [{ apiVersion: "v1", kind: "K", name: "n", uid: "u", bogus: true }];
    expect(pruneUnknownFields(obj, schema)).toEqual(["metadata.foo", "metadata.ownerReferences[0].bogus", "spec.zzz"]);
    expect(obj.metadata).toEqual({
      name: "w1", namespace: "default", ownerReferences: [{ apiVersion: "v1", kind: "K", name: "n", uid: "u" }],
    });
  });

  test("returns the paths sorted", () => {
    const obj = resource({ b: 1, a: 2, color: "x" }, { status: { ready: true, zeta: 1, alpha: 2 } });
    expect(pruneUnknownFields(obj, schema)).toEqual(["spec.a", "spec.b", "status.alpha", "status.zeta"]);
  });

  test("x-kubernetes-preserve-unknown-fields keeps unknown fields but prunes inside known ones", () => {
    const obj = resource({ config: { anything: { deep: [1, 2] }, known: { a: "x", b: "y" } } });
    expect(pruneUnknownFields(obj, schema)).toEqual(["spec.config.known.b"]);
    expect((obj.spec as Record<string, unknown>).config).toEqual({ anything: { deep: [1, 2] }, known: { a: "x" } });
  });

  test("int-or-string values are left alone", () => {
    const obj = resource({ port: "http" });
    expect(pruneUnknownFields(obj, schema)).toEqual([]);
    expect((obj.spec as Record<string, unknown>).port).toBe("http");
  });

  test("additionalProperties keeps every key and prunes inside the values", () => {
    const obj = resource({ selectors: { a: { key: "k", extra: 1 }, b: { key: "j" } }, labels: { any: "thing" } });
    expect(pruneUnknownFields(obj, schema)).toEqual(["spec.selectors.a.extra"]);
    expect((obj.spec as Record<string, unknown>).selectors).toEqual({ a: { key: "k" }, b: { key: "j" } });
    expect((obj.spec as Record<string, unknown>).labels).toEqual({ any: "thing" });
  });

  test("embedded resources keep apiVersion, kind and metadata, and their metadata is pruned to ObjectMeta", () => {
    const template = {
      apiVersion: "v1", kind: "Pod", metadata: { name: "p", labels: { a: "b" }, bogus: 1 }, spec: { replicas: 1, other: 2 }, junk: true,
    };
    const obj = resource({ template });
    expect(pruneUnknownFields(obj, schema)).toEqual(["spec.template.junk", "spec.template.spec.other", "spec.template.metadata.bogus"]);
    expect((obj.spec as Record<string, unknown>).template).toEqual({
      apiVersion: "v1", kind: "Pod", metadata: { name: "p", labels: { a: "b" } }, spec: { replicas: 1 },
    });
  });

  test("embedded resources under a map are reported with field.Path keys", () => {
    const obj = resource({ templates: { main: { apiVersion: "v1", kind: "Pod", metadata: { name: "x", nope: 1 }, spec: { keep: true } } } });
    expect(pruneUnknownFields(obj, schema)).toEqual(["spec.templates[main].metadata.nope"]);
    expect((obj.spec as Record<string, Record<string, unknown>>).templates.main).toEqual({
      apiVersion: "v1", kind: "Pod", metadata: { name: "x" }, spec: { keep: true },
    });
  });

  test("an object without a schema loses every field", () => {
    const bare: JSONSchemaProps = { type: "object" };
    const obj = resource({ a: 1 });
    expect(pruneUnknownFields(obj, bare)).toEqual(["spec"]);
    expect(obj.spec).toBeUndefined();
  });

  test("a schema preserving unknown fields at the root keeps everything", () => {
    const open: JSONSchemaProps = { type: "object", "x-kubernetes-preserve-unknown-fields": true };
    const obj = resource({ a: { b: 1 } }, { status: { c: 2 } });
    expect(pruneUnknownFields(obj, open)).toEqual([]);
    expect(obj.spec).toEqual({ a: { b: 1 } });
    expect(obj.status).toEqual({ c: 2 });
  });

  test("scalars where an object is expected are kept for validation to reject", () => {
    const obj = resource("not-an-object" as unknown as Record<string, unknown>);
    expect(pruneUnknownFields(obj, schema)).toEqual([]);
    expect(obj.spec).toBe("not-an-object");
  });
});
