import { describe, expect, test } from "bun:test";
import type { JSONSchemaProps } from "../types";
import { applyDefaults } from "./schema";

const schema: JSONSchemaProps = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      properties: {
        size: { type: "integer", default: 3 },
        color: { type: "string", default: "red" },
        note: { type: "string", nullable: true, default: "n" },
        comment: { type: "string" },
        optional: { type: "string", nullable: true },
        resources: {
          type: "object",
          default: {},
          properties: { cpu: { type: "string", default: "100m" }, memory: { type: "string", default: "128Mi" } },
        },
        storage: { type: "object", properties: { size: { type: "string", default: "1Gi" } } },
        tags: { type: "array", default: ["a"], items: { type: "string" } },
        containers: {
          type: "array",
          items: { type: "object", properties: { name: { type: "string" }, pull: { type: "string", default: "IfNotPresent" } } },
        },
        ports: { type: "array", items: { type: "integer", default: 80 } },
        envs: { type: "object", additionalProperties: { type: "object", properties: { value: { type: "string", default: "" } } } },
      },
    },
  },
};

function run(spec: Record<string, unknown>): Record<string, unknown> {
  const obj: Record<string, unknown> = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec };
  applyDefaults(obj, schema);
  return obj.spec as Record<string, unknown>;
}

describe("applyDefaults", () => {
  test("fills absent fields and keeps present ones", () => {
    const spec = run({ size: 5 });
    expect(spec.size).toBe(5);
    expect(spec.color).toBe("red");
  });

  test("falsy values are present values", () => {
    const spec = run({ size: 0, color: "" });
    expect(spec.size).toBe(0);
    expect(spec.color).toBe("");
  });

  test("a non-nullable null with a default gets the default", () => {
    expect(run({ size: null }).size).toBe(3);
  });

  test("a nullable null is kept", () => {
    const spec = run({ note: null, optional: null });
    expect(spec.note).toBeNull();
    expect(spec.optional).toBeNull();
  });

  test("a non-nullable null without a default is removed", () => {
    const spec = run({ comment: null });
    expect("comment" in spec).toBe(false);
  });

  test("defaults inside a missing parent are not applied", () => {
    expect(run({}).storage).toBeUndefined();
    expect(run({ storage: {} }).storage).toEqual({ size: "1Gi" });
  });

  test("a parent default {} enables its children's defaults in the same pass", () => {
    expect(run({}).resources).toEqual({ cpu: "100m", memory: "128Mi" });
    expect(run({ resources: { cpu: "1" } }).resources).toEqual({ cpu: "1", memory: "128Mi" });
  });

  test("list items and map values are defaulted", () => {
    const spec = run({ containers: [{ name: "a" }, { name: "b", pull: "Always" }], ports: [null, 8080], envs: { A: {}, B: { value: "x" } } });
    expect(spec.containers).toEqual([{ name: "a", pull: "IfNotPresent" }, { name: "b", pull: "Always" }]);
    expect(spec.ports).toEqual([80, 8080]);
    expect(spec.envs).toEqual({ A: { value: "" }, B: { value: "x" } });
  });

  test("defaults are deep copies", () => {
    const first = run({});
    (first.tags as string[]).push("mutated");
    (first.resources as Record<string, unknown>).cpu = "9";
    const second = run({});
    expect(second.tags).toEqual(["a"]);
    expect(second.resources).toEqual({ cpu: "100m", memory: "128Mi" });
  });

  test("the whole Widget: size defaults to 3", () => {
    const widgetSchema: JSONSchemaProps = {
      type: "object",
      properties: { spec: { type: "object", properties: { size: { type: "integer", minimum: 1, default: 3 } } } },
    };
    const obj: Record<string, unknown> = { spec: {} };
    applyDefaults(obj, widgetSchema);
    expect(obj).toEqual({ spec: { size: 3 } });
  });
});
