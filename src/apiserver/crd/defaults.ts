// Structural defaulting (apiextensions defaulting.Default and PruneNonNullableNullsWithoutDefaults).
import type { JSONSchemaProps } from "../types";
import { isPlainObject } from "./go-format";

/**
 * Removes non-nullable nulls that have no default, then applies defaults top-down, in place.
 * A default set on a parent is walked in the same pass, so `default: {}` enables its children's defaults.
 */
export function applyDefaults(obj: Record<string, unknown>, schema: JSONSchemaProps): void {
  pruneNonNullableNulls(obj, schema);
  defaultValue(obj, schema);
}

export function pruneNonNullableNulls(value: unknown, schema: JSONSchemaProps | undefined): void {
  if (Array.isArray(value)) {
    for (const item of value) pruneNonNullableNulls(item, schema?.items);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    const fieldSchema = schemaForField(key, schema);
    if (value[key] === null && fieldSchema && !fieldSchema.nullable && fieldSchema.default === undefined) {
      delete value[key];
    } else {
      pruneNonNullableNulls(value[key], fieldSchema);
    }
  }
}

function schemaForField(key: string, schema: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  if (!schema) return undefined;
  const property = schema.properties?.[key];
  if (property) return property;
  return typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
}

function isNonNullableNull(value: unknown, schema: JSONSchemaProps | undefined): boolean {
  return value === null && schema !== undefined && !schema.nullable;
}

function defaultValue(value: unknown, schema: JSONSchemaProps | undefined): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (isNonNullableNull(value[i], schema.items)) value[i] = deepCopy(schema.items?.default ?? null);
      defaultValue(value[i], schema.items);
    }
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (property.default === undefined) continue;
    if (!(key in value) || isNonNullableNull(value[key], property)) value[key] = deepCopy(property.default);
  }
  const additional = typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
  for (const key of Object.keys(value)) {
    const property = schema.properties?.[key];
    if (property) {
      defaultValue(value[key], property);
    } else if (additional) {
      if (isNonNullableNull(value[key], additional)) value[key] = deepCopy(additional.default ?? null);
      defaultValue(value[key], additional);
    }
  }
}

export function deepCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
