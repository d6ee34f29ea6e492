// x-kubernetes-list-type set/map uniqueness (apiextensions listtype.ValidateListSetsAndMaps).
import type { FieldCause, JSONSchemaProps } from "../types";
import { goBadValue, goJSON, isPlainObject } from "./go-format";

/** `skip`: top-level properties not walked (unchanged values that passed before under the same schema). */
export function validateListTypes(obj: Record<string, unknown>, schema: JSONSchemaProps, skip?: (property: string) => boolean): FieldCause[] {
  return validateObject(obj, schema, "", skip);
}

function validateObject(obj: Record<string, unknown>, schema: JSONSchemaProps, path: string, skip?: (property: string) => boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  const additional = typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
  const keys = Object.keys(obj)
    .filter((k) => !skip?.(k))
    .sort();
  if (additional) {
    for (const key of keys) causes.push(...validateValue(obj[key], additional, `${path}[${key}]`));
  }
  for (const key of keys) {
    const property = schema.properties?.[key];
    if (property) causes.push(...validateValue(obj[key], property, path ? `${path}.${key}` : key));
  }
  return causes;
}

function validateValue(value: unknown, schema: JSONSchemaProps, path: string): FieldCause[] {
  if (Array.isArray(value)) return validateArray(value, schema, path);
  if (isPlainObject(value)) return validateObject(value, schema, path);
  return [];
}

function validateArray(items: unknown[], schema: JSONSchemaProps, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const listType = schema["x-kubernetes-list-type"];
  if (listType === "set") {
    for (const i of duplicateIndices(items)) causes.push(duplicate(`${path}[${i}]`, items[i]));
  } else if (listType === "map") {
    causes.push(...validateListMap(items, schema["x-kubernetes-list-map-keys"] ?? [], path));
  }
  if (schema.items) {
    const itemSchema = schema.items;
    items.forEach((item, i) => causes.push(...validateValue(item, itemSchema, `${path}[${i}]`)));
  }
  return causes;
}

function duplicate(field: string, value: unknown): FieldCause {
  return { reason: "FieldValueDuplicate", field, message: `Duplicate value: ${goBadValue(value)}` };
}

/** Indices of the second occurrence of each repeated value (later repeats are not reported again). */
function duplicateIndices(items: unknown[]): number[] {
  const seen = new Map<string, number>();
  const indices: number[] = [];
  items.forEach((item, i) => {
    const key = typeof item === "string" ? `s:${item}` : `j:${goJSON(item)}`;
    const times = seen.get(key) ?? 0;
    if (times === 1) indices.push(i);
    seen.set(key, times + 1);
  });
  return indices;
}

function validateListMap(items: unknown[], keyFields: string[], path: string): FieldCause[] {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item !== null && !isPlainObject(item)) {
      return [{
        reason: "FieldValueInvalid", field: `${path}[${i}]`,
        message: `Invalid value: ${goBadValue(item)}: must be an object for an array of list-type map`,
      }];
    }
  }
  if (items.length <= 1) return [];
  // The key of each entry: only the key fields it sets (a missing key is "unspecified", and two
  // entries that both leave it unspecified collide).
  const keys = items.map((item) => {
    const key: Record<string, unknown> = {};
    if (isPlainObject(item)) for (const field of keyFields) if (field in item) key[field] = item[field];
    return key;
  });
  return duplicateIndices(keys).map((i) => duplicate(`${path}[${i}]`, keys[i]));
}
