// Unknown fields of a built-in object, found from the message table as kube-apiserver's strict JSON decoder
// finds them against the Go structs: each is dropped (the Go decoder drops it too) and its path reported
// ("spec.template.spec.containers[0].bogus") for fieldValidation Strict (400) or Warn (a warning).
import { isWrapper, messageOfKind, messageTable, SPECIAL, type FieldRow } from "./table.ts";

const OPAQUE = new Set<string>(Object.values(SPECIAL));

/** JSON name → row, inlined structs flattened, per message. */
const fieldsByMessage = new Map<string, Map<string, FieldRow>>();

function fieldsOf(message: string): Map<string, FieldRow> {
  let fields = fieldsByMessage.get(message);
  if (!fields) {
    fields = new Map();
    const collect = (name: string) => {
      for (const row of messageTable().messages[name] ?? []) {
        if (row[1] === "") collect(row[2]);
        else fields!.set(row[1], row);
      }
    };
    collect(message);
    fieldsByMessage.set(message, fields);
  }
  return fields;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function walkValue(value: unknown, type: string, path: string, unknown: string[]): void {
  if (!type.includes(".") || OPAQUE.has(type) || isWrapper(type)) return; // scalars and special JSON forms
  if (isObject(value)) walkMessage(value, type, path, unknown);
}

function walkMessage(object: Record<string, unknown>, message: string, path: string, unknown: string[]): void {
  const fields = fieldsOf(message);
  for (const key of Object.keys(object)) {
    const childPath = path ? `${path}.${key}` : key;
    const row = fields.get(key);
    if (!row) {
      unknown.push(childPath);
      delete object[key];
      continue;
    }
    const [, , type, flags] = row;
    const value = object[key];
    if (type.startsWith("map:")) {
      if (isObject(value)) for (const [k, v] of Object.entries(value)) walkValue(v, type.slice(4), `${childPath}[${k}]`, unknown);
    } else if (flags.includes("r")) {
      if (Array.isArray(value)) value.forEach((item, i) => walkValue(item, type, `${childPath}[${i}]`, unknown));
    } else {
      walkValue(value, type, childPath, unknown);
    }
  }
}

/**
 * Drops, in place, the fields of `object` that its kind does not have and returns their paths, sorted;
 * undefined when the table has no message for the kind (nothing is checked then).
 */
export function dropUnknownBuiltinFields(apiVersion: string, kind: string, object: Record<string, unknown>): string[] | undefined {
  const message = messageOfKind(apiVersion, kind);
  if (!message) return undefined;
  const unknown: string[] = [];
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  walkMessage(rest, message, "", unknown);
  for (const key of Object.keys(object)) if (key !== "apiVersion" && key !== "kind" && !(key in rest)) delete object[key];
  return unknown.sort();
}
