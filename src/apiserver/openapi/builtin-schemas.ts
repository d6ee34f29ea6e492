// OpenAPI schemas of the built-in kinds, built from the same message table the protobuf decoder reads
// (../protobuf/messages.json) and the doc comments of generated.proto (descriptions.json): one definition per
// message, named as kube-apiserver names them (io.k8s.api.apps.v1.Deployment), with the special JSON forms of
// Time, Quantity, IntOrString and friends. Built on demand for the messages a document needs.
import { readFileSync } from "node:fs";
// As files (paths), not modules: read on the first OpenAPI request, and embedded in the compiled executable.
import descriptionsPath from "./descriptions.json" with { type: "file" };
import extensionsPath from "./extensions.json" with { type: "file" };
import { isWrapper, META, messageTable, SPECIAL, type FieldRow } from "../protobuf/table.ts";

export type Flavor = "v2" | "v3";
type Schema = Record<string, unknown>;

let descriptions: Record<string, [string, Record<string, string>]> | undefined;
let fieldExtensions: Record<string, Record<string, Schema>> | undefined;
/** x-kubernetes-patch-merge-key, -patch-strategy, -list-type, -list-map-keys, -map-type of a field. */
function extensionsOf(message: string, field: string): Schema | undefined {
  fieldExtensions ??= JSON.parse(readFileSync(extensionsPath as unknown as string, "utf8"));
  return fieldExtensions![message]?.[field];
}
function describe(message: string): [string, Record<string, string>] {
  descriptions ??= JSON.parse(readFileSync(descriptionsPath as unknown as string, "utf8"));
  return descriptions![message] ?? ["", {}];
}

let kindMessages: Set<string> | undefined;
function isKindMessage(message: string): boolean {
  kindMessages ??= new Set(Object.values(messageTable().kinds).flatMap((kinds) => Object.values(kinds)));
  return kindMessages.has(message);
}

/** "k8s.io.api.apps.v1.Deployment" → "io.k8s.api.apps.v1.Deployment". */
export function definitionName(message: string): string {
  return message.replace(/^k8s\.io\./, "io.k8s.");
}

const ref = (flavor: Flavor, message: string) =>
  flavor === "v2" ? `#/definitions/${definitionName(message)}` : `#/components/schemas/${definitionName(message)}`;

/** Messages whose JSON is not an object of their fields. */
function specialSchema(message: string, flavor: Flavor): Schema | undefined {
  switch (message) {
    case SPECIAL.time:
    case SPECIAL.microTime:
      return { type: "string", format: "date-time" };
    case SPECIAL.duration:
      return { type: "string" };
    case SPECIAL.quantity:
      return flavor === "v2" ? { type: "string" } : { oneOf: [{ type: "string" }, { type: "number" }] };
    case SPECIAL.intOrString:
      return { type: "string", format: "int-or-string" };
    case SPECIAL.rawExtension:
    case SPECIAL.fieldsV1:
      return { type: "object" };
  }
  if (isWrapper(message)) return { type: "array", items: { type: "string" } };
  return undefined;
}

const SCALAR_SCHEMAS: Record<string, Schema> = {
  string: { type: "string" },
  bytes: { type: "string", format: "byte" },
  bool: { type: "boolean" },
  int32: { type: "integer", format: "int32" },
  int64: { type: "integer", format: "int64" },
  uint32: { type: "integer", format: "int32" },
  uint64: { type: "integer", format: "int64" },
  double: { type: "number", format: "double" },
  float: { type: "number", format: "float" },
};

function valueSchema(type: string, flavor: Flavor, refs: Set<string>): Schema {
  const scalar = SCALAR_SCHEMAS[type];
  if (scalar) return { ...scalar };
  refs.add(type);
  return { $ref: ref(flavor, type) };
}

function fieldSchema(row: FieldRow, description: string | undefined, flavor: Flavor, refs: Set<string>): Schema {
  const [, , type, flags] = row;
  let schema: Schema;
  if (type.startsWith("map:")) schema = { type: "object", additionalProperties: valueSchema(type.slice(4), flavor, refs) };
  else if (flags.includes("r")) schema = { type: "array", items: valueSchema(type, flavor, refs) };
  else schema = valueSchema(type, flavor, refs);
  // v3 (as kube-apiserver writes it) wraps a reference in allOf so that the description can sit beside it.
  if (flavor === "v3" && typeof schema.$ref === "string") schema = { allOf: [{ $ref: schema.$ref }] };
  return description ? { description, ...schema } : schema;
}

/** The object schema of one message; inlined fields (JSON name "") contribute their message's properties. */
function messageSchema(message: string, flavor: Flavor, refs: Set<string>): Schema {
  const special = specialSchema(message, flavor);
  const [description] = describe(message);
  if (special) return description ? { description, ...special } : special;
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  if (isKindMessage(message)) {
    // TypeMeta is inlined in Go without a protobuf field; JSON (and so OpenAPI) has its two strings.
    const typeMetaDocs = describe(`${META}.TypeMeta`)[1];
    for (const name of ["apiVersion", "kind"]) properties[name] = { description: typeMetaDocs[name], type: "string" };
  }
  const collect = (name: string) => {
    for (const row of messageTable().messages[name] ?? []) {
      const [, json, type, flags] = row;
      if (json === "") {
        collect(type);
        continue;
      }
      properties[json] = { ...fieldSchema(row, describe(name)[1][json], flavor, refs), ...extensionsOf(name, json) };
      if (flags.includes("q")) required.push(json);
    }
  };
  collect(message);
  const schema: Schema = { type: "object", properties };
  if (description) schema.description = description;
  if (required.length > 0) schema.required = required;
  return schema;
}

/**
 * Definitions for `roots` and every message they reach, keyed by definition name. `extensions` adds vendor
 * extensions (x-kubernetes-group-version-kind) to the definitions of the given messages.
 */
export function builtinDefinitions(
  roots: string[],
  flavor: Flavor,
  extensions: Map<string, Schema> = new Map(),
): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const pending = [...roots];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const message = pending.pop()!;
    if (seen.has(message)) continue;
    seen.add(message);
    const refs = new Set<string>();
    out[definitionName(message)] = { ...messageSchema(message, flavor, refs), ...extensions.get(message) };
    for (const next of refs) if (!seen.has(next)) pending.push(next);
  }
  return out;
}
