// Checks on a CRD's openAPIV3Schema: structural invariants, defaults, and the OpenAPI subset CRDs allow
// (apiextensions schema.ValidateStructural, defaulting.ValidateDefaults and
// ValidateCustomResourceDefinitionOpenAPISchema).
import { celRuleCauses } from "./cel-rules";
import type { FieldCause, JSONSchemaProps } from "../types";
import { deepCopy } from "./defaults";
import { causeText, forbidden, invalid, notSupported, required } from "./field-errors";
import { goJSON, isPlainObject } from "./go-format";
import { pruneValue } from "./prune";
import { validateValueAt } from "./validate";

type Level = "root" | "item" | "field";

const META_FIELDS = new Set(["metadata", "kind", "apiVersion"]);
const OPENAPI_V3_TYPES = ["array", "boolean", "integer", "number", "object", "string"];
const INT_OR_STRING_ANY_OF = goJSON([{ type: "integer" }, { type: "string" }]);

/** All checks the apiserver runs on `<path>` = `…openAPIV3Schema`'s parent (`spec.validation`, `spec.versions[i].schema`). */
export function validateSchemaDefinition(schema: JSONSchemaProps, path: string): FieldCause[] {
  const schemaPath = `${path}.openAPIV3Schema`;
  const causes: FieldCause[] = [];
  if (schema.nullable) causes.push(forbidden(`${schemaPath}.nullable`, "nullable cannot be true at the root"));
  const structural = validateStructural(schema, schemaPath);
  causes.push(...(structural.length > 0 ? structural : validateDefaults(schema, schemaPath)));
  causes.push(...validateOpenAPISchema(schema, schemaPath, { isRoot: true, insideMeta: false }));
  return causes;
}

function child(path: string, name: string): string {
  return `${path}.${name}`;
}

function key(path: string, name: string | number): string {
  return `${path}[${name}]`;
}

// ---------------------------------------------------------------------------------------------
// Structural invariants

function validateStructural(schema: JSONSchemaProps, path: string): FieldCause[] {
  const causes = [...structuralInvariants(schema, "root", path), ...completeness(schema, path, path)];
  return causes.sort((a, b) => (causeText(a) < causeText(b) ? -1 : causeText(a) > causeText(b) ? 1 : 0));
}

function isIntOrStringAnyOf(anyOf: JSONSchemaProps[] | undefined): boolean {
  return anyOf !== undefined && anyOf.length === 2 && goJSON(anyOf) === INT_OR_STRING_ANY_OF;
}

function structuralInvariants(s: JSONSchemaProps, level: Level, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (s.type === "array" && !s.items) causes.push(required(child(path, "items"), "must be specified"));
  if (s.items) causes.push(...structuralInvariants(s.items, "item", child(path, "items")));
  for (const [name, property] of sortedEntries(s.properties)) {
    causes.push(...structuralInvariants(property, "field", key(child(path, "properties"), name)));
  }
  if (s.additionalProperties !== undefined) {
    if (level === "root") causes.push(forbidden(child(path, "additionalProperties"), "must not be used at the root"));
    if (typeof s.additionalProperties === "object") {
      causes.push(...structuralInvariants(s.additionalProperties, "field", child(path, "additionalProperties")));
    }
  }
  const intOrString = s["x-kubernetes-int-or-string"] === true;
  const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
  const embedded = s["x-kubernetes-embedded-resource"] === true;
  if (intOrString && preserve) {
    causes.push(invalid(child(path, "x-kubernetes-preserve-unknown-fields"), true, "must be false if x-kubernetes-int-or-string is true"));
  }
  if (intOrString && embedded) {
    causes.push(invalid(child(path, "x-kubernetes-embedded-resource"), true, "must be false if x-kubernetes-int-or-string is true"));
  }
  const skipFirstAllOfAnyOf = isIntOrStringAnyOf(s.allOf?.[0]?.anyOf);
  causes.push(...valueValidation(s, isIntOrStringAnyOf(s.anyOf), skipFirstAllOfAnyOf, path));

  const checkMetadata = level === "root" || embedded;
  if (embedded && s.type !== "object") {
    const detail = "must be object if x-kubernetes-embedded-resource is true";
    causes.push(s.type ? invalid(child(path, "type"), s.type, detail) : required(child(path, "type"), detail));
  } else if (!s.type && !intOrString && !preserve) {
    const where = { root: "at the root", item: "for specified array items", field: "for specified object fields" }[level];
    causes.push(required(child(path, "type"), `must not be empty ${where}`));
  }
  if (embedded && s.additionalProperties !== undefined) {
    causes.push(forbidden(child(path, "additionalProperties"), "must not be used if x-kubernetes-embedded-resource is set"));
  }
  if (level === "root" && s.type && s.type !== "object") {
    causes.push(invalid(child(path, "type"), s.type, "must be object at the root"));
  }
  for (const name of ["kind", "apiVersion"]) {
    const property = s.properties?.[name];
    if (property && checkMetadata && property.type !== "string") {
      causes.push(invalid(child(key(child(path, "properties"), name), "type"), property.type ?? "", "must be string"));
    }
  }
  const metadata = s.properties?.metadata;
  if (metadata) causes.push(...metadataInvariants(metadata, checkMetadata, level, key(child(path, "properties"), "metadata")));
  if (embedded && !preserve && Object.keys(s.properties ?? {}).length === 0) {
    causes.push(required(child(path, "properties"), "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"));
  }
  return causes;
}

function metadataInvariants(s: JSONSchemaProps, checkMetadata: boolean, level: Level, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (checkMetadata && s.type !== "object") causes.push(invalid(child(path, "type"), s.type ?? "", "must be object"));
  if (level === "root") {
    // The root metadata schema may only restrict name and generateName.
    const rest = Object.keys(s).filter((k) => !["type", "default", "properties"].includes(k));
    const extraProperties = Object.keys(s.properties ?? {}).filter((k) => k !== "name" && k !== "generateName");
    if (rest.length > 0 || extraProperties.length > 0) {
      causes.push(forbidden(path, "must not specify anything other than name and generateName, but metadata is implicitly specified"));
    }
  }
  return causes;
}

/** Value validations (allOf/anyOf/oneOf/not) may not carry anything structural. */
function valueValidation(s: JSONSchemaProps, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!skipAnyOf) s.anyOf?.forEach((v, i) => causes.push(...nestedValueValidation(v, false, key(child(path, "anyOf"), i))));
  s.allOf?.forEach((v, i) => causes.push(...nestedValueValidation(v, skipFirstAllOfAnyOf && i === 0, key(child(path, "allOf"), i))));
  s.oneOf?.forEach((v, i) => causes.push(...nestedValueValidation(v, false, key(child(path, "oneOf"), i))));
  if (s.not) causes.push(...nestedValueValidation(s.not, false, child(path, "not")));
  if (s.pattern) {
    try {
      new RegExp(s.pattern);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      causes.push(invalid(child(path, "pattern"), s.pattern, `must be a valid regular expression, but isn't: ${reason}`));
    }
  }
  return causes;
}

function nestedValueValidation(v: JSONSchemaProps, skipAnyOf: boolean, path: string): FieldCause[] {
  const causes = valueValidation(v, skipAnyOf, false, path);
  if (v.items) causes.push(...nestedValueValidation(v.items, false, child(path, "items")));
  for (const [name, property] of sortedEntries(v.properties)) {
    causes.push(...nestedValueValidation(property, false, key(child(path, "properties"), name)));
  }
  const mustBe = (field: string, detail: string) => causes.push(forbidden(child(path, field), detail));
  if (v.type) mustBe("type", "must be empty to be structural");
  if (v.additionalProperties !== undefined) mustBe("additionalProperties", "must be undefined to be structural");
  if (v.default !== undefined) mustBe("default", "must be undefined to be structural");
  if (v.title) mustBe("title", "must be empty to be structural");
  if (v.description) mustBe("description", "must be empty to be structural");
  if (v.nullable) mustBe("nullable", "must be false to be structural");
  if (v["x-kubernetes-preserve-unknown-fields"]) mustBe("x-kubernetes-preserve-unknown-fields", "must be false to be structural");
  if (v["x-kubernetes-embedded-resource"]) mustBe("x-kubernetes-embedded-resource", "must be false to be structural");
  if (v["x-kubernetes-int-or-string"]) mustBe("x-kubernetes-int-or-string", "must be false to be structural");
  if (v["x-kubernetes-list-map-keys"]?.length) mustBe("x-kubernetes-list-map-keys", "must be empty to be structural");
  if (v["x-kubernetes-list-type"] !== undefined) mustBe("x-kubernetes-list-type", "must be undefined to be structural");
  if (v["x-kubernetes-map-type"] !== undefined) mustBe("x-kubernetes-map-type", "must be undefined to be structural");
  if (v["x-kubernetes-validations"]?.length) mustBe("x-kubernetes-validations", "must be empty to be structural");
  if (v.properties?.metadata) {
    causes.push(forbidden(key(child(path, "properties"), "metadata"), "must not be specified in a nested context"));
  }
  return causes;
}

/** Every field a value validation mentions must also be specified structurally. */
function completeness(s: JSONSchemaProps, sPath: string, vPath: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const nested = (v: JSONSchemaProps | undefined, p: string) => {
    if (v) causes.push(...nestedCompleteness(v, s, sPath, p));
  };
  nested(s.not, child(vPath, "not"));
  s.allOf?.forEach((v, i) => nested(v, key(child(vPath, "allOf"), i)));
  s.anyOf?.forEach((v, i) => nested(v, key(child(vPath, "anyOf"), i)));
  s.oneOf?.forEach((v, i) => nested(v, key(child(vPath, "oneOf"), i)));
  return causes;
}

function nestedCompleteness(v: JSONSchemaProps, s: JSONSchemaProps | undefined, sPath: string, vPath: string): FieldCause[] {
  if (!s) return [required(sPath, `because it is defined in ${vPath}`)];
  const causes = completenessOfValue(v, s, sPath, vPath);
  if (v.items) causes.push(...nestedCompleteness(v.items, s.items, child(sPath, "items"), child(vPath, "items")));
  for (const [name, vField] of sortedEntries(v.properties)) {
    const sField = s.properties?.[name];
    const vFieldPath = key(child(vPath, "properties"), name);
    if (!sField) causes.push(required(key(child(sPath, "properties"), name), `because it is defined in ${vFieldPath}`));
    else causes.push(...nestedCompleteness(vField, sField, key(child(sPath, "properties"), name), vFieldPath));
  }
  return causes;
}

function completenessOfValue(v: JSONSchemaProps, s: JSONSchemaProps, sPath: string, vPath: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const nested = (n: JSONSchemaProps | undefined, p: string) => {
    if (n) causes.push(...nestedCompleteness(n, s, sPath, p));
  };
  nested(v.not, child(vPath, "not"));
  v.allOf?.forEach((n, i) => nested(n, key(child(vPath, "allOf"), i)));
  v.anyOf?.forEach((n, i) => nested(n, key(child(vPath, "anyOf"), i)));
  v.oneOf?.forEach((n, i) => nested(n, key(child(vPath, "oneOf"), i)));
  return causes;
}

// ---------------------------------------------------------------------------------------------
// Defaults: pruned, and valid against their own schema

function validateDefaults(schema: JSONSchemaProps, path: string): FieldCause[] {
  return defaultsOf({ ...schema, "x-kubernetes-embedded-resource": true }, path, false);
}

function defaultsOf(s: JSONSchemaProps, path: string, insideMeta: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  const embedded = s["x-kubernetes-embedded-resource"] === true;
  if (embedded) insideMeta = false;
  if (s.default !== undefined && !insideMeta) {
    const pruned = deepCopy(s.default);
    pruneValue(pruned, s, embedded);
    if (goJSON(pruned) !== goJSON(s.default)) causes.push(invalid(child(path, "default"), s.default, "must not have unknown fields"));
    causes.push(...validateValueAt(s.default, s, child(path, "default")));
  }
  if (s.items) causes.push(...defaultsOf(s.items, child(path, "items"), insideMeta));
  for (const [name, property] of sortedEntries(s.properties)) {
    const subInsideMeta = insideMeta || (embedded && META_FIELDS.has(name));
    causes.push(...defaultsOf(property, key(child(path, "properties"), name), subInsideMeta));
  }
  return causes;
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI subset CRDs accept

interface SchemaContext {
  isRoot: boolean;
  insideMeta: boolean;
  forbiddenDefaultsReason?: string;
}

function validateOpenAPISchema(s: JSONSchemaProps, path: string, ctx: SchemaContext): FieldCause[] {
  const causes = standardChecks(s, path, ctx);
  if (s.uniqueItems) {
    causes.push(forbidden(child(path, "uniqueItems"), "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
  }
  const nested = { isRoot: false, insideMeta: ctx.insideMeta, forbiddenDefaultsReason: ctx.forbiddenDefaultsReason };
  if (s.additionalProperties !== undefined) {
    if (Object.keys(s.properties ?? {}).length > 0 && s.additionalProperties !== true) {
      causes.push(forbidden(child(path, "additionalProperties"), "additionalProperties and properties are mutual exclusive"));
    }
    if (typeof s.additionalProperties === "object") {
      const reason = ctx.insideMeta ? "inside additionalProperties applying to object metadata" : ctx.forbiddenDefaultsReason;
      causes.push(...validateOpenAPISchema(s.additionalProperties, child(path, "additionalProperties"), { ...nested, forbiddenDefaultsReason: reason }));
    }
  }
  for (const [name, property] of sortedEntries(s.properties)) {
    let sub = nested;
    if ((ctx.isRoot || s["x-kubernetes-embedded-resource"]) && META_FIELDS.has(name)) {
      sub = { ...sub, insideMeta: true };
      if (ctx.isRoot) sub = { ...sub, forbiddenDefaultsReason: `in top-level ${name}` };
    }
    causes.push(...validateOpenAPISchema(property, key(child(path, "properties"), name), sub));
  }
  if (s.not) causes.push(...validateOpenAPISchema(s.not, child(path, "not"), nested));
  s.allOf?.forEach((v, i) => causes.push(...validateOpenAPISchema(v, key(child(path, "allOf"), i), nested)));
  s.oneOf?.forEach((v, i) => causes.push(...validateOpenAPISchema(v, key(child(path, "oneOf"), i), nested)));
  s.anyOf?.forEach((v, i) => causes.push(...validateOpenAPISchema(v, key(child(path, "anyOf"), i), nested)));
  if (isPlainObject(s.items)) causes.push(...validateOpenAPISchema(s.items, child(path, "items"), nested));
  if (s["x-kubernetes-preserve-unknown-fields"] === false) {
    causes.push(invalid(child(path, "x-kubernetes-preserve-unknown-fields"), false, "must be true or undefined"));
  }
  causes.push(...mapAndListTypeChecks(s, path));
  s["x-kubernetes-validations"]?.forEach((rule, i) => {
    if (!rule.rule?.trim()) causes.push(required(child(key(child(path, "x-kubernetes-validations"), i), "rule"), "rule is not specified"));
  });
  if (s["x-kubernetes-validations"]?.length) causes.push(...celRuleCauses(s, path, ctx.isRoot));
  return causes;
}

function standardChecks(s: JSONSchemaProps, path: string, ctx: SchemaContext): FieldCause[] {
  const causes: FieldCause[] = [];
  const type = s.type as string | undefined;
  if (type && !OPENAPI_V3_TYPES.includes(type)) causes.push(notSupported(child(path, "type"), type, OPENAPI_V3_TYPES));
  if (s.default !== undefined && ctx.forbiddenDefaultsReason) {
    causes.push(forbidden(child(path, "default"), `must not be set ${ctx.forbiddenDefaultsReason}`));
  }
  const unsupported: [string, string][] = [
    ["id", "id is not supported"], ["additionalItems", "additionalItems is not supported"],
    ["patternProperties", "patternProperties is not supported"], ["definitions", "definitions is not supported"],
    ["dependencies", "dependencies is not supported"], ["$ref", "$ref is not supported"],
  ];
  for (const [field, detail] of unsupported) if (s[field] !== undefined) causes.push(forbidden(child(path, field), detail));
  if (type === "null") causes.push(forbidden(child(path, "type"), "type cannot be set to null, use nullable as an alternative"));
  if (Array.isArray(s.items)) causes.push(forbidden(child(path, "items"), "items must be a schema object and not an array"));
  if (ctx.insideMeta && s["x-kubernetes-embedded-resource"]) {
    causes.push(forbidden(child(path, "x-kubernetes-embedded-resource"), "must not be used inside of resource meta"));
  }
  return causes;
}

function mapAndListTypeChecks(s: JSONSchemaProps, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const mapType = s["x-kubernetes-map-type"] as string | undefined;
  const listType = s["x-kubernetes-list-type"] as string | undefined;
  const mapKeys = s["x-kubernetes-list-map-keys"] ?? [];
  if (mapType !== undefined && s.type !== "object") {
    const detail = "must be object if x-kubernetes-map-type is specified";
    causes.push(s.type ? invalid(child(path, "type"), s.type, detail) : required(child(path, "type"), detail));
  }
  if (mapType !== undefined && mapType !== "atomic" && mapType !== "granular") {
    causes.push(notSupported(child(path, "x-kubernetes-map-type"), mapType, ["atomic", "granular"]));
  }
  const items = isPlainObject(s.items) ? s.items : undefined;
  if (listType !== undefined && s.type !== "array") {
    const detail = "must be array if x-kubernetes-list-type is specified";
    causes.push(s.type ? invalid(child(path, "type"), s.type, detail) : required(child(path, "type"), detail));
  } else if (listType === "set" && items) {
    const itemsPath = child(path, "items");
    if (items.type === "array" && items["x-kubernetes-list-type"] !== undefined && items["x-kubernetes-list-type"] !== "atomic") {
      causes.push(invalid(child(itemsPath, "x-kubernetes-list-type"), items["x-kubernetes-list-type"], "must be atomic as item of a list with x-kubernetes-list-type=set"));
    }
    if (items.type === "object" && items["x-kubernetes-map-type"] !== "atomic") {
      causes.push(invalid(child(itemsPath, "x-kubernetes-map-type"), null, "must be atomic as item of a list with x-kubernetes-list-type=set"));
    }
  }
  if (listType !== undefined && !["atomic", "set", "map"].includes(listType)) {
    causes.push(notSupported(child(path, "x-kubernetes-list-type"), listType, ["atomic", "set", "map"]));
  }
  if (mapKeys.length > 0 && listType !== "map") {
    const detail = "must be map if x-kubernetes-list-map-keys is non-empty";
    const field = child(path, "x-kubernetes-list-type");
    causes.push(listType === undefined ? required(field, detail) : invalid(field, listType, detail));
  }
  if (listType === "map") causes.push(...listMapChecks(s, items, mapKeys, path));
  if ((listType === "set" || listType === "map") && items) causes.push(...mapSetItemChecks(items, listType, mapKeys, path));
  return causes;
}

function listMapChecks(s: JSONSchemaProps, items: JSONSchemaProps | undefined, mapKeys: string[], path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (mapKeys.length === 0) causes.push(required(child(path, "x-kubernetes-list-map-keys"), "must not be empty if x-kubernetes-list-type is map"));
  if (s.items === undefined) causes.push(required(child(path, "items"), "must have a schema if x-kubernetes-list-type is map"));
  if (!items) return causes;
  if (items.type !== "object") {
    causes.push(invalid(child(child(path, "items"), "type"), items.type ?? "", "must be object if parent array's x-kubernetes-list-type is map"));
    return causes;
  }
  const seen = new Set<string>();
  for (const name of mapKeys) {
    const property = items.properties?.[name];
    if (!property) {
      causes.push(invalid(child(path, "x-kubernetes-list-map-keys"), mapKeys, "entries must all be names of item properties"));
    } else if (property.type === "array" || property.type === "object") {
      const field = child(key(child(child(path, "items"), "properties"), name), "type");
      causes.push(invalid(field, items.type, "must be a scalar type if parent array's x-kubernetes-list-type is map"));
    }
    if (seen.has(name)) causes.push(invalid(child(path, "x-kubernetes-list-map-keys"), mapKeys, "must not contain duplicate entries"));
    seen.add(name);
  }
  return causes;
}

function mapSetItemChecks(items: JSONSchemaProps, listType: string, mapKeys: string[], path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const itemsPath = child(path, "items");
  if (items.nullable) causes.push(forbidden(child(itemsPath, "nullable"), `cannot be nullable when x-kubernetes-list-type is ${listType}`));
  if (listType !== "map") return causes;
  for (const name of mapKeys) {
    const property = items.properties?.[name];
    if (!property) continue;
    const propertyPath = key(child(itemsPath, "properties"), name);
    if (!(items.required ?? []).includes(name) && property.default === undefined) {
      causes.push(required(child(propertyPath, "default"), "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"));
    }
    if (property.nullable) {
      causes.push(forbidden(child(propertyPath, "nullable"), "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"));
    }
  }
  return causes;
}

function sortedEntries(properties: Record<string, JSONSchemaProps> | undefined): [string, JSONSchemaProps][] {
  return Object.entries(properties ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
