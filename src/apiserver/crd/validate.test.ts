import { describe, expect, test } from "bun:test";
import type { FieldCause, JSONSchemaProps } from "../types";
import { validateAgainstSchema } from "./schema";

const widgetSchema: JSONSchemaProps = {
  type: "object",
  properties: {
    apiVersion: { type: "string" },
    kind: { type: "string" },
    metadata: { type: "object" },
    spec: {
      type: "object",
      required: ["image"],
      properties: {
        image: { type: "string" },
        size: { type: "integer", minimum: 1, maximum: 10, default: 3 },
        color: { type: "string", enum: ["red", "green"] },
        name: { type: "string", maxLength: 5, minLength: 2, pattern: "^[a-zé]+$" },
        ratio: { type: "number", exclusiveMinimum: true, minimum: 0, exclusiveMaximum: true, maximum: 1 },
        step: { type: "integer", multipleOf: 5 },
        fraction: { type: "number", multipleOf: 0.25 },
        big: { type: "number", maximum: 1000000 },
        port: { "x-kubernetes-int-or-string": true },
        id: { type: "string", format: "uuid" },
        when: { type: "string", format: "date-time" },
        day: { type: "string", format: "date" },
        count32: { type: "integer", format: "int32" },
        note: { type: "string", nullable: true },
        tags: { type: "array", items: { type: "string" }, minItems: 2, maxItems: 3, "x-kubernetes-list-type": "set" },
        labels: { type: "object", additionalProperties: { type: "string" }, minProperties: 1, maxProperties: 2 },
        rules: {
          type: "array",
          items: { type: "object", required: ["port"], properties: { port: { type: "integer" }, host: { type: "string" } } },
        },
        ports: {
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["port"],
          items: { type: "object", properties: { port: { type: "integer" }, protocol: { type: "string" } } },
        },
        extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        checked: { type: "string", "x-kubernetes-validations": [{ rule: "self.size() > 100" }] },
        level: { type: "integer", enum: [1, 2] },
      },
    },
  },
};

function widget(spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w1" }, spec: { image: "nginx", ...spec } };
}

function cause(reason: FieldCause["reason"], field: string, message: string): FieldCause {
  return { reason, field, message };
}

describe("validateAgainstSchema", () => {
  test("a valid widget has no causes", () => {
    const valid = widget({
      size: 3, color: "red", name: "abc", ratio: 0.5, step: 10, fraction: 0.75, port: "http", id: "0f8fad5b-d9cb-469f-a165-70867728950e",
      when: "2024-01-02T03:04:05Z", day: "2024-02-29", count32: 2 ** 40, note: null, tags: ["a", "b"], labels: { a: "b" },
      rules: [{ port: 80 }], ports: [{ port: 80 }, { port: 443 }], extra: { anything: { goes: [1] } }, checked: "x", level: 2,
    });
    expect(validateAgainstSchema(valid, widgetSchema)).toEqual([]);
  });

  const cases: [string, Record<string, unknown>, FieldCause[]][] = [
    ["below minimum", { size: 0 }, [cause("FieldValueInvalid", "spec.size", "Invalid value: 0: spec.size in body should be greater than or equal to 1")]],
    ["above maximum", { size: 11 }, [cause("FieldValueInvalid", "spec.size", "Invalid value: 11: spec.size in body should be less than or equal to 10")]],
    ["string for an integer", { size: "string" }, [
      cause("FieldValueTypeInvalid", "spec.size", 'Invalid value: "string": spec.size in body must be of type integer: "string"'),
    ]],
    ["boolean for an integer", { size: true }, [
      cause("FieldValueTypeInvalid", "spec.size", 'Invalid value: "boolean": spec.size in body must be of type integer: "boolean"'),
    ]],
    ["a fraction for an integer", { size: 1.5 }, [
      cause("FieldValueTypeInvalid", "spec.size", 'Invalid value: "number": spec.size in body must be of type integer: "number"'),
      cause("FieldValueInvalid", "<nil>", 'Invalid value: "": Checked value must be of type integer (default format) in spec.size'),
    ]],
    ["an object for a string", { image: { a: 1 } }, [
      cause("FieldValueTypeInvalid", "spec.image", 'Invalid value: "object": spec.image in body must be of type string: "object"'),
    ]],
    ["enum mismatch", { color: "blue" }, [cause("FieldValueNotSupported", "spec.color", 'Unsupported value: "blue": supported values: "red", "green"')]],
    ["integer enum mismatch", { level: 3 }, [cause("FieldValueNotSupported", "spec.level", 'Unsupported value: 3: supported values: "1", "2"')]],
    ["too long", { name: "abcdef" }, [cause("FieldValueTooLong", "spec.name", "Too long: may not be more than 5 bytes")]],
    ["too short", { name: "a" }, [cause("FieldValueInvalid", "spec.name", 'Invalid value: "a": spec.name in body should be at least 2 chars long')]],
    ["pattern", { name: "AB" }, [cause("FieldValueInvalid", "spec.name", "Invalid value: \"AB\": spec.name in body should match '^[a-zé]+$'")]],
    ["exclusive minimum", { ratio: 0 }, [cause("FieldValueInvalid", "spec.ratio", "Invalid value: 0: spec.ratio in body should be greater than 0")]],
    ["exclusive maximum", { ratio: 1 }, [cause("FieldValueInvalid", "spec.ratio", "Invalid value: 1: spec.ratio in body should be less than 1")]],
    ["integer multipleOf", { step: 7 }, [cause("FieldValueInvalid", "spec.step", "Invalid value: 7: spec.step in body should be a multiple of 5")]],
    ["float multipleOf", { fraction: 0.3 }, [cause("FieldValueInvalid", "spec.fraction", "Invalid value: 0.3: spec.fraction in body should be a multiple of 0.25")]],
    ["float bound printed like Go", { big: 2000000.5 }, [
      cause("FieldValueInvalid", "spec.big", "Invalid value: 2.0000005e+06: spec.big in body should be less than or equal to 1e+06"),
    ]],
    ["integer bound printed as an integer", { big: 2000000 }, [
      cause("FieldValueInvalid", "spec.big", "Invalid value: 2000000: spec.big in body should be less than or equal to 1000000"),
    ]],
    ["int-or-string with a boolean", { port: true }, [
      cause("FieldValueTypeInvalid", "spec.port", 'Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"'),
    ]],
    ["bad uuid", { id: "nope" }, [cause("FieldValueTypeInvalid", "spec.id", 'Invalid value: "nope": spec.id in body must be of type uuid: "nope"')]],
    ["bad date-time", { when: "2024-01-02 03:04" }, [
      cause("FieldValueTypeInvalid", "spec.when", 'Invalid value: "2024-01-02 03:04": spec.when in body must be of type date-time: "2024-01-02 03:04"'),
    ]],
    ["impossible date", { day: "2023-02-29" }, [cause("FieldValueTypeInvalid", "spec.day", 'Invalid value: "2023-02-29": spec.day in body must be of type date: "2023-02-29"')]],
    ["null for a non-nullable field", { image: null }, [
      cause("FieldValueTypeInvalid", "spec.image", 'Invalid value: "null": spec.image in body must be of type string: "null"'),
    ]],
    ["too few items", { tags: ["a"] }, [cause("FieldValueInvalid", "spec.tags", "Invalid value: 1: spec.tags in body should have at least 2 items")]],
    ["too many items", { tags: ["a", "b", "c", "d"] }, [cause("FieldValueTooMany", "spec.tags", "Too many: 4: must have at most 3 items")]],
    ["duplicate in a set", { tags: ["a", "b", "a"] }, [cause("FieldValueDuplicate", "spec.tags[2]", 'Duplicate value: "a"')]],
    ["duplicate key in a map list", { ports: [{ port: 80 }, { port: 80, protocol: "UDP" }] }, [
      cause("FieldValueDuplicate", "spec.ports[1]", 'Duplicate value: map[string]interface {}{"port":80}'),
    ]],
    ["two map-list entries without their key", { ports: [{ protocol: "TCP" }, { protocol: "UDP" }] }, [
      cause("FieldValueDuplicate", "spec.ports[1]", "Duplicate value: map[string]interface {}{}"),
    ]],
    ["map value of the wrong type", { labels: { a: 5 } }, [
      cause("FieldValueTypeInvalid", "spec.labels.a", 'Invalid value: "integer": spec.labels.a in body must be of type string: "integer"'),
    ]],
    ["too few properties", { labels: {} }, [cause("FieldValueInvalid", "spec.labels", "Invalid value: 0: spec.labels in body should have at least 1 properties")]],
    ["too many properties", { labels: { a: "1", b: "2", c: "3" } }, [cause("FieldValueTooMany", "spec.labels", "Too many: 3: must have at most 2 items")]],
    ["list items are addressed by index", { rules: [{ port: 1 }, { port: "x" }, { host: "h" }] }, [
      cause("FieldValueTypeInvalid", "spec.rules[1].port", 'Invalid value: "string": spec.rules[1].port in body must be of type integer: "string"'),
      cause("FieldValueRequired", "spec.rules[2].port", "Required value"),
    ]],
  ];

  test.each(cases)("%s", (_name, spec, expected) => {
    expect(validateAgainstSchema(widget(spec), widgetSchema)).toEqual(expected);
  });

  test("a missing required field", () => {
    const obj = widget({});
    delete (obj.spec as Record<string, unknown>).image;
    expect(validateAgainstSchema(obj, widgetSchema)).toEqual([cause("FieldValueRequired", "spec.image", "Required value")]);
  });

  test("maxLength counts code points, not bytes", () => {
    expect(validateAgainstSchema(widget({ name: "ééééé" }), widgetSchema)).toEqual([]);
  });

  test("several errors are all reported, in field order", () => {
    const causes = validateAgainstSchema(widget({ size: 0, color: "blue" }), widgetSchema);
    expect(causes.map((c) => c.field)).toEqual(["spec.color", "spec.size"]);
  });

  test("root metadata is not checked beyond what the schema declares", () => {
    const obj = widget({});
    obj.metadata = { name: "w1", labels: { a: "b" }, annotations: { x: "y" } };
    expect(validateAgainstSchema(obj, widgetSchema)).toEqual([]);
  });

  test("a required top-level field", () => {
    const schema: JSONSchemaProps = { type: "object", required: ["spec"], properties: { spec: { type: "object" } } };
    expect(validateAgainstSchema({ apiVersion: "v", kind: "K", metadata: {} }, schema)).toEqual([
      cause("FieldValueRequired", "spec", "Required value"),
    ]);
  });

  describe("composition", () => {
    const schema: JSONSchemaProps = {
      type: "object",
      properties: {
        spec: {
          type: "object",
          properties: { a: { type: "string" }, b: { type: "string" } },
          oneOf: [{ required: ["a"] }, { required: ["b"] }],
        },
        status: { type: "object", properties: { n: { type: "integer" } }, anyOf: [{ required: ["n"] }] },
        other: { type: "string", not: { enum: ["forbidden"] } },
        all: { type: "integer", allOf: [{ minimum: 1 }, { maximum: 5 }] },
      },
    };

    test("oneOf with no branch valid reports at <nil> plus the closest branch", () => {
      expect(validateAgainstSchema({ spec: {} }, schema)).toEqual([
        cause("FieldValueInvalid", "<nil>", 'Invalid value: "": "spec" must validate one and only one schema (oneOf). Found none valid'),
        cause("FieldValueRequired", "spec.a", "Required value"),
      ]);
    });

    test("oneOf with two valid branches", () => {
      expect(validateAgainstSchema({ spec: { a: "x", b: "y" } }, schema)).toEqual([
        cause("FieldValueInvalid", "<nil>", 'Invalid value: "": "spec" must validate one and only one schema (oneOf). Found 2 valid alternatives'),
      ]);
    });

    test("oneOf with exactly one valid branch passes", () => {
      expect(validateAgainstSchema({ spec: { b: "y" } }, schema)).toEqual([]);
    });

    test("anyOf", () => {
      expect(validateAgainstSchema({ status: {} }, schema)).toEqual([
        cause("FieldValueInvalid", "<nil>", 'Invalid value: "": "status" must validate at least one schema (anyOf)'),
        cause("FieldValueRequired", "status.n", "Required value"),
      ]);
    });

    test("not", () => {
      expect(validateAgainstSchema({ other: "forbidden" }, schema)).toEqual([
        cause("FieldValueInvalid", "<nil>", 'Invalid value: "": "other" must not validate the schema (not)'),
      ]);
      expect(validateAgainstSchema({ other: "fine" }, schema)).toEqual([]);
    });

    test("allOf", () => {
      expect(validateAgainstSchema({ all: 9 }, schema)).toEqual([
        cause("FieldValueInvalid", "all", "Invalid value: 9: all in body should be less than or equal to 5"),
        cause("FieldValueInvalid", "<nil>", 'Invalid value: "": "all" must validate all the schemas (allOf)'),
      ]);
    });
  });

  test("an embedded resource's metadata is validated like any declared field", () => {
    const schema: JSONSchemaProps = {
      type: "object",
      properties: {
        spec: {
          type: "object",
          properties: {
            template: {
              type: "object",
              "x-kubernetes-embedded-resource": true,
              properties: { metadata: { type: "object", properties: { name: { type: "string", maxLength: 3 } } } },
            },
          },
        },
      },
    };
    expect(validateAgainstSchema({ spec: { template: { metadata: { name: "long-name" } } } }, schema)).toEqual([
      cause("FieldValueTooLong", "spec.template.metadata.name", "Too long: may not be more than 3 bytes"),
    ]);
  });
});
