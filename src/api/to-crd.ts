// valibot → CRD openAPIV3Schema, and a structural lint for the result.
//
// The conversion uses @valibot/to-json-schema (target openapi-3.0) with an overrideSchema hook that makes
// the output structural (see /work/shared/reference/bun-and-client-node.md §6):
// - union of integer and string → x-kubernetes-int-or-string (the string branch's pattern moves up);
// - unknown/any, and records of unknown → x-kubernetes-preserve-unknown-fields;
// - strict objects lose additionalProperties:false; literals get a type;
// - defaults of schemas marked with runtimeDefault() are dropped (parse-only defaults);
// - any other union, variant or intersect is an error.
// Afterwards empty `required` lists are dropped and every object's keys are sorted, so output is stable.
import { toJsonSchema, type JsonSchema, type OverrideSchemaContext } from "@valibot/to-json-schema";
import type * as v from "valibot";
import type { JSONSchemaProps } from "../apiserver/types.ts";
import { RUNTIME_ONLY_DEFAULT } from "./common.ts";

type Json = Record<string, any>;
type AnySchema = v.BaseSchema<unknown, unknown, v.BaseIssue<unknown>>;

/** Actions that only matter when parsing (no JSON Schema form); `check` rules belong in CEL if needed. */
const RUNTIME_ONLY_ACTIONS = ["check", "trim", "to_lower_case", "to_upper_case", "transform"];

function innerType(schema: AnySchema): string {
  return schema.type;
}

function isUnknown(schema: AnySchema): boolean {
  return schema.type === "unknown" || schema.type === "any";
}

/** The overrideSchema hook (exported for tests). */
export function overrideSchema(context: OverrideSchemaContext): JsonSchema | null | undefined {
  const schema = context.valibotSchema as AnySchema & Json;
  const json = { ...(context.jsonSchema as Json) };
  switch (schema.type) {
    case "union": {
      const types = (schema.options as AnySchema[]).map(innerType).sort();
      if (types.length !== 2 || types[0] !== "number" || types[1] !== "string") {
        throw new Error(`to-crd: only integer|string unions can be converted (x-kubernetes-int-or-string), got ${types.join("|")}`);
      }
      const branches = (json.anyOf ?? []) as Json[];
      const pattern = branches.find((b) => b.type === "string")?.pattern;
      delete json.anyOf;
      return {
        ...json,
        "x-kubernetes-int-or-string": true,
        anyOf: [{ type: "integer" }, { type: "string" }],
        ...(pattern ? { pattern } : {}),
      } as JsonSchema;
    }
    case "variant":
    case "intersect":
      throw new Error(`to-crd: ${schema.type} schemas are not structural and cannot be converted`);
    case "strict_object":
    case "strict_tuple":
      delete json.additionalProperties;
      return json as JsonSchema;
    case "literal":
      return { ...json, type: typeof schema.literal === "number" ? "number" : typeof schema.literal } as JsonSchema;
    case "any":
    case "unknown":
      return { ...json, "x-kubernetes-preserve-unknown-fields": true } as JsonSchema;
    case "record":
      if (isUnknown(schema.value as AnySchema)) {
        delete json.additionalProperties;
        return { ...json, type: "object", "x-kubernetes-preserve-unknown-fields": true } as JsonSchema;
      }
      return undefined;
    case "optional":
    case "exact_optional":
    case "nullish":
    case "undefinedable":
      if (RUNTIME_ONLY_DEFAULT.has(schema)) {
        delete json.default;
        return json as JsonSchema;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Drop empty `required` lists and `$schema`, sort keys (arrays keep their order). */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const key of Object.keys(node).sort()) {
    const value = (node as Json)[key];
    if (key === "$schema") continue;
    if (key === "required" && Array.isArray(value) && value.length === 0) continue;
    // `default` and `enum` values are data, not schema: copy them verbatim.
    if (key === "pattern" && typeof value === "string") out[key] = value.replace(/(?<!\\)\\\//g, "/"); // RegExp.source escapes "/"
    else out[key] = key === "default" || key === "enum" || key === "example" ? structuredClone(value) : tidy(value);
  }
  return out;
}

/** Convert a valibot schema to a structural CRD schema node. Throws on anything non-structural. */
export function toCrdSchema(schema: AnySchema): JSONSchemaProps {
  const json = toJsonSchema(schema, {
    target: "openapi-3.0",
    errorMode: "throw",
    ignoreActions: RUNTIME_ONLY_ACTIONS,
    overrideSchema,
  });
  const result = tidy(json) as JSONSchemaProps;
  const problems = lintStructural(result);
  if (problems.length) throw new Error(`to-crd: the schema is not structural:\n  ${problems.join("\n  ")}`);
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Structural lint

/** The keys of apiextensions.k8s.io/v1 JSONSchemaProps that CRDs accept. */
const ALLOWED_KEYS = new Set([
  "type", "format", "title", "description", "default", "example", "enum", "nullable",
  "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "multipleOf",
  "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxProperties", "minProperties",
  "required", "items", "properties", "additionalProperties", "allOf", "anyOf", "oneOf", "not", "externalDocs",
  "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource", "x-kubernetes-int-or-string",
  "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-validations",
]);
const FORBIDDEN_IN_JUNCTOR = ["type", "description", "default", "nullable", "additionalProperties"];
const RE2_UNSUPPORTED = /\(\?[=!]|\(\?<[=!]|\\[1-9]/;

export interface LintOptions {
  /** Require a description on every property (kubectl explain); default true. */
  requireDescriptions?: boolean;
  /** Problems of a node's x-kubernetes-validations (the API server's CEL compiler, passed in by the tests). */
  ruleProblems?: (node: JSONSchemaProps, path: string, isRoot: boolean) => string[];
}

/**
 * Structural-schema lint (a subset of what kube-apiserver checks, plus house rules): every node has a type
 * unless it is int-or-string or preserve-unknown-fields; no $ref/const/definitions/propertyNames/
 * patternProperties; no additionalProperties:false or together with properties; value validations
 * (anyOf/allOf/oneOf/not) carry no type/description/default/nullable except the int-or-string pattern;
 * list-type map keys exist and are required or defaulted; root metadata only has type (and name/
 * generateName); patterns are RE2-compatible; CEL rules (x-kubernetes-validations) compile; and every other property has a description. Returns "path: problem" strings; empty when fine.
 */
export function lintStructural(root: JSONSchemaProps, options: LintOptions = {}, rootPath = "openAPIV3Schema"): string[] {
  const requireDescriptions = options.requireDescriptions ?? true;
  const problems: string[] = [];
  const visit = (node: Json, path: string, inJunctor: boolean, isProperty: boolean) => {
    if (node === null || typeof node !== "object" || Array.isArray(node)) {
      problems.push(`${path}: must be a schema object`);
      return;
    }
    for (const key of Object.keys(node)) if (!ALLOWED_KEYS.has(key)) problems.push(`${path}: ${key} is not allowed in a CRD schema`);
    const intOrString = node["x-kubernetes-int-or-string"] === true;
    if (inJunctor) {
      for (const key of FORBIDDEN_IN_JUNCTOR) if (key in node) problems.push(`${path}: ${key} is forbidden inside anyOf/allOf/oneOf/not`);
    } else if (!node.type && !intOrString && node["x-kubernetes-preserve-unknown-fields"] !== true) {
      problems.push(`${path}: type is required`);
    }
    const rootMetadata = path === `${rootPath}.properties[metadata]`;
    if (rootMetadata) {
      for (const key of Object.keys(node)) if (key !== "type" && key !== "properties") problems.push(`${path}: must not specify ${key}`);
      for (const key of Object.keys(node.properties ?? {})) {
        if (key !== "name" && key !== "generateName") problems.push(`${path}: must not specify anything other than name and generateName`);
      }
    } else if (!inJunctor && isProperty && requireDescriptions && !node.description) problems.push(`${path}: description is missing`);
    if (node.additionalProperties === false) problems.push(`${path}: additionalProperties: false is forbidden`);
    if (node.properties && node.additionalProperties !== undefined) problems.push(`${path}: properties and additionalProperties are mutually exclusive`);
    if (typeof node.pattern === "string") {
      if (RE2_UNSUPPORTED.test(node.pattern)) problems.push(`${path}: pattern uses lookarounds or backreferences (not RE2)`);
      try {
        new RegExp(node.pattern, "u");
      } catch (e) {
        problems.push(`${path}: pattern does not compile: ${(e as Error).message}`);
      }
    }
    if (intOrString) {
      const anyOf = node.anyOf as Json[] | undefined;
      const ok =
        node.type === undefined &&
        (anyOf === undefined ||
          (anyOf.length === 2 && anyOf[0]?.type === "integer" && anyOf[1]?.type === "string" && Object.keys(anyOf[0]).length === 1 && Object.keys(anyOf[1]).length === 1));
      if (!ok) problems.push(`${path}: x-kubernetes-int-or-string needs no type and anyOf [{type: integer}, {type: string}]`);
    }
    if (node.type === "array" && !node.items) problems.push(`${path}: items is required for arrays`);
    if (Array.isArray(node["x-kubernetes-validations"])) {
      if (options.ruleProblems) problems.push(...options.ruleProblems(node as JSONSchemaProps, path, path === rootPath));
    }
    if (node["x-kubernetes-list-type"] === "map") {
      const keys = node["x-kubernetes-list-map-keys"] as string[] | undefined;
      const items = node.items as Json | undefined;
      if (!keys?.length) problems.push(`${path}: x-kubernetes-list-map-keys is required for list-type map`);
      else if (items?.type !== "object") problems.push(`${path}: list-type map needs object items`);
      else {
        for (const key of keys) {
          const prop = items.properties?.[key];
          if (!prop) problems.push(`${path}.items: map key ${key} is not a property`);
          else if (!(items.required ?? []).includes(key) && prop.default === undefined) {
            problems.push(`${path}.items: map key ${key} must be required or have a default`);
          } else if (!["string", "integer", "number", "boolean"].includes(prop.type)) problems.push(`${path}.items: map key ${key} must be a scalar`);
        }
      }
    }
    if (Array.isArray(node.required)) {
      for (const key of node.required) if (!node.properties?.[key]) problems.push(`${path}: required property ${key} is not defined`);
    }
    for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Json>)) {
      visit(child, `${path}.properties[${key}]`, inJunctor, true);
    }
    if (node.items && typeof node.items === "object") visit(node.items, `${path}.items`, inJunctor, false);
    if (node.additionalProperties && typeof node.additionalProperties === "object") {
      visit(node.additionalProperties, `${path}.additionalProperties`, inJunctor, false);
    }
    for (const junctor of ["anyOf", "allOf", "oneOf"] as const) {
      const list = node[junctor];
      if (list === undefined) continue;
      if (!Array.isArray(list)) problems.push(`${path}: ${junctor} must be a list`);
      else if (!intOrString) list.forEach((item: Json, i: number) => visit(item, `${path}.${junctor}[${i}]`, true, false));
    }
    if (node.not) visit(node.not, `${path}.not`, true, false);
  };
  visit(root as Json, rootPath, false, false);
  return problems;
}
