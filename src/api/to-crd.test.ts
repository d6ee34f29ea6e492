import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { listMap, quantity, runtimeDefault } from "./common.ts";
import { lintStructural, toCrdSchema } from "./to-crd.ts";


describe("toCrdSchema", () => {
  test("int-or-string with the string branch's pattern hoisted", () => {
    expect(toCrdSchema(quantity("q"))).toEqual({
      anyOf: [{ type: "integer" }, { type: "string" }],
      description: "q",
      pattern: expect.any(String),
      "x-kubernetes-int-or-string": true,
    });
  });

  test("free-form values become preserve-unknown-fields", () => {
    const schema = v.object({
      a: v.pipe(v.record(v.string(), v.unknown()), v.description("a")),
      b: v.pipe(v.unknown(), v.description("b")),
      c: v.pipe(v.record(v.string(), v.string()), v.description("c")),
    });
    expect(toCrdSchema(schema)).toEqual({
      type: "object",
      required: ["a", "b", "c"],
      properties: {
        a: { type: "object", description: "a", "x-kubernetes-preserve-unknown-fields": true },
        b: { description: "b", "x-kubernetes-preserve-unknown-fields": true },
        c: { type: "object", description: "c", additionalProperties: { type: "string" } },
      },
    });
  });

  test("strict objects lose additionalProperties:false; literals get a type; empty required is dropped", () => {
    const schema = v.strictObject({ x: v.optional(v.pipe(v.literal("only"), v.description("x"))), n: v.optional(v.pipe(v.literal(3), v.description("n"))) });
    expect(toCrdSchema(schema)).toEqual({
      type: "object",
      properties: { x: { type: "string", enum: ["only"], description: "x" }, n: { type: "number", enum: [3], description: "n" } },
    });
  });

  test("defaults go into the CRD unless marked runtimeDefault", () => {
    const schema = v.object({
      a: v.optional(v.pipe(v.string(), v.description("a")), "x"),
      b: runtimeDefault(v.optional(v.pipe(v.string(), v.description("b")), "y")),
    });
    const out = toCrdSchema(schema) as any;
    expect(out.properties.a.default).toBe("x");
    expect(out.properties.b.default).toBeUndefined();
    expect(v.parse(schema, {})).toEqual({ a: "x", b: "y" });
  });

  test("list-type map metadata is copied", () => {
    const out = toCrdSchema(listMap(v.object({ name: v.pipe(v.string(), v.description("n")) }), ["name"], "l")) as any;
    expect(out).toMatchObject({ type: "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"], description: "l" });
  });

  test("non-structural schemas are refused", () => {
    expect(() => toCrdSchema(v.union([v.string(), v.boolean()]))).toThrow(/integer\|string/);
    expect(() => toCrdSchema(v.variant("k", [v.object({ k: v.literal("a") }), v.object({ k: v.literal("b") })]))).toThrow(/variant/);
    expect(() => toCrdSchema(v.pipe(v.string(), v.regex(/a/i)))).toThrow();
    // A missing description is a lint error (kubectl explain needs it).
    expect(() => toCrdSchema(v.object({ x: v.string() }))).toThrow(/description is missing/);
    // Recursion would need $ref.
    const Node: v.GenericSchema = v.object({ child: v.optional(v.lazy(() => Node)) });
    expect(() => toCrdSchema(Node)).toThrow();
  });
});

describe("lintStructural", () => {
  test("accepts a structural schema", () => {
    expect(
      lintStructural({
        type: "object",
        properties: {
          metadata: { type: "object" },
          q: { description: "q", "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] },
          l: {
            description: "l",
            type: "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            items: { type: "object", required: ["name"], properties: { name: { type: "string", description: "n" } } },
          },
        },
      }),
    ).toEqual([]);
  });

  test("reports each kind of problem", () => {
    const problems = lintStructural({
      type: "object",
      properties: {
        metadata: { type: "object", description: "not allowed" },
        untyped: { description: "u" },
        closed: { type: "object", description: "c", additionalProperties: false },
        both: { type: "object", description: "b", properties: { x: { type: "string", description: "x" } }, additionalProperties: { type: "string" } },
        junctor: { type: "string", description: "j", anyOf: [{ type: "string", pattern: "a" }] },
        ref: { $ref: "#/x", description: "r" } as any,
        look: { type: "string", description: "l", pattern: "^(?!x)" },
        nodesc: { type: "string" },
        badmap: {
          type: "array",
          description: "m",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
          items: { type: "object", properties: { name: { type: "string", description: "n" } } },
        },
        arr: { type: "array", description: "a" },
        missing: { type: "object", description: "m", required: ["nope"], properties: {} },
      },
    });
    const text = problems.join("\n");
    for (const expected of [
      "properties[metadata]: must not specify description",
      "properties[untyped]: type is required",
      "properties[closed]: additionalProperties: false is forbidden",
      "properties[both]: properties and additionalProperties are mutually exclusive",
      "properties[junctor].anyOf[0]: type is forbidden inside anyOf/allOf/oneOf/not",
      "properties[ref]: $ref is not allowed in a CRD schema",
      "properties[look]: pattern uses lookarounds",
      "properties[nodesc]: description is missing",
      "properties[badmap].items: map key name must be required or have a default",
      "properties[arr]: items is required for arrays",
      "properties[missing]: required property nope is not defined",
    ]) {
      expect(text).toContain(expected);
    }
  });
});
