// Pruning of unknown fields (apiextensions structural pruning + ObjectMeta coercion).
import type { JSONSchemaProps } from "../types";
import { isPlainObject } from "./go-format";

const META_FIELDS = new Set(["apiVersion", "kind", "metadata"]);

/** The JSON field names of metav1.ObjectMeta. */
const OBJECT_META_FIELDS = new Set([
  "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
  "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
  "ownerReferences", "finalizers", "managedFields",
]);
const OWNER_REFERENCE_FIELDS = new Set(["apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion"]);
const MANAGED_FIELDS_ENTRY_FIELDS = new Set([
  "manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource",
]);

/**
 * Drops, in place, every field the structural schema does not allow and returns their paths
 * (`metadata.foo`, then `spec.colour`, `spec.rules[6].x` sorted, then embedded metadata paths),
 * the order kube-apiserver reports them in.
 */
export function pruneUnknownFields(obj: Record<string, unknown>, schema: JSONSchemaProps): string[] {
  const metadataPaths = pruneObjectMeta(obj, "");
  const schemaPaths: string[] = [];
  // The resource root always behaves as an embedded resource: apiVersion, kind, metadata stay.
  prune(obj, { ...schema, "x-kubernetes-embedded-resource": true }, "", schemaPaths);
  const embeddedPaths: string[] = [];
  pruneEmbeddedMetadata(obj, schema, "", embeddedPaths);
  return [...metadataPaths.sort(), ...schemaPaths.sort(), ...embeddedPaths.sort()];
}

function childPath(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

function prune(value: unknown, schema: JSONSchemaProps | undefined, path: string, unknown: string[]): void {
  if (schema?.["x-kubernetes-preserve-unknown-fields"]) {
    pruneKnownOnly(value, schema, path, unknown);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => prune(item, schema?.items, `${path}[${i}]`, unknown));
    return;
  }
  if (!isPlainObject(value)) return;
  if (!schema) {
    for (const key of Object.keys(value)) {
      unknown.push(childPath(path, key));
      delete value[key];
    }
    return;
  }
  const embedded = schema["x-kubernetes-embedded-resource"] === true;
  for (const key of Object.keys(value)) {
    if (embedded && META_FIELDS.has(key)) continue;
    const property = schema.properties?.[key];
    if (property) prune(value[key], property, childPath(path, key), unknown);
    else if (schema.additionalProperties !== undefined) {
      prune(value[key], additionalSchema(schema), childPath(path, key), unknown);
    } else {
      unknown.push(childPath(path, key));
      delete value[key];
    }
  }
}

/** Under x-kubernetes-preserve-unknown-fields: keep unknown keys, but still prune inside known ones. */
function pruneKnownOnly(value: unknown, schema: JSONSchemaProps | undefined, path: string, unknown: string[]): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => pruneKnownOnly(item, schema.items, `${path}[${i}]`, unknown));
    return;
  }
  if (!isPlainObject(value)) return;
  const embedded = schema["x-kubernetes-embedded-resource"] === true;
  for (const key of Object.keys(value)) {
    if (embedded && META_FIELDS.has(key)) continue;
    const property = schema.properties?.[key];
    if (property) prune(value[key], property, childPath(path, key), unknown);
    else if (schema.additionalProperties !== undefined) {
      prune(value[key], additionalSchema(schema), childPath(path, key), unknown);
    }
  }
}

/** A boolean additionalProperties keeps the key but carries no schema for what is inside it. */
function additionalSchema(schema: JSONSchemaProps): JSONSchemaProps | undefined {
  return typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
}

/** Walks the schema like objectmeta.Coerce and prunes the metadata of every embedded resource. */
function pruneEmbeddedMetadata(value: unknown, schema: JSONSchemaProps | undefined, path: string, unknown: string[]): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => pruneEmbeddedMetadata(item, schema.items, `${path}[${i}]`, unknown));
    return;
  }
  if (!isPlainObject(value)) return;
  if (path && schema["x-kubernetes-embedded-resource"]) unknown.push(...pruneObjectMeta(value, path));
  for (const key of Object.keys(value)) {
    const property = schema.properties?.[key];
    if (property) pruneEmbeddedMetadata(value[key], property, childPath(path, key), unknown);
    else if (typeof schema.additionalProperties === "object") {
      // field.Path.Key(): map entries print as `spec.templates[name]` in these paths.
      pruneEmbeddedMetadata(value[key], schema.additionalProperties, `${path}[${key}]`, unknown);
    }
  }
}

/** Prunes `<parent>.metadata` to the fields metav1.ObjectMeta knows, as a strict JSON decode would. */
function pruneObjectMeta(resource: Record<string, unknown>, parent: string): string[] {
  const metadata = resource.metadata;
  if (!isPlainObject(metadata)) return [];
  const base = childPath(parent, "metadata");
  const unknown = keepOnly(metadata, OBJECT_META_FIELDS, base);
  for (const [list, fields] of [
    ["ownerReferences", OWNER_REFERENCE_FIELDS],
    ["managedFields", MANAGED_FIELDS_ENTRY_FIELDS],
  ] as const) {
    const items = metadata[list];
    if (!Array.isArray(items)) continue;
    items.forEach((item, i) => {
      if (isPlainObject(item)) unknown.push(...keepOnly(item, fields, `${base}.${list}[${i}]`));
    });
  }
  return unknown;
}

function keepOnly(obj: Record<string, unknown>, allowed: Set<string>, path: string): string[] {
  const dropped: string[] = [];
  for (const key of Object.keys(obj)) {
    if (allowed.has(key)) continue;
    dropped.push(`${path}.${key}`);
    delete obj[key];
  }
  return dropped;
}

/** Structural pruning of any value (no ObjectMeta handling), as used to check that schema defaults are pruned. */
export function pruneValue(value: unknown, schema: JSONSchemaProps, isResourceRoot: boolean): string[] {
  const unknown: string[] = [];
  prune(value, isResourceRoot ? { ...schema, "x-kubernetes-embedded-resource": true } : schema, "", unknown);
  return unknown.sort();
}
