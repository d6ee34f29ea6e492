// Unknown fields of a built-in object, found from the message table as kube-apiserver's strict JSON decoder
// finds them against the Go structs: each is dropped (the Go decoder drops it too) and its path reported
// ("spec.template.spec.containers[0].bogus") for fieldValidation Strict (400) or Warn (a warning).
import { isWrapper, messageOfKind, messageTable, SPECIAL, type FieldRow } from "./table.ts";

const OPAQUE = new Set<string>(Object.values(SPECIAL));

/** What the walk needs of a field: whether to descend, into which message, as a map or list of it. */
interface FieldWalk {
  /** The message of the value (or of each map value / list item); undefined when it is not walked. */
  message: string | undefined;
  map: boolean;
  repeated: boolean;
}

/** JSON name → how to walk it, inlined structs flattened, per message (made once per message). */
const fieldsByMessage = new Map<string, Map<string, FieldWalk>>();

function fieldsOf(message: string): Map<string, FieldWalk> {
  let fields = fieldsByMessage.get(message);
  if (!fields) {
    fields = new Map();
    const collect = (name: string) => {
      for (const row of messageTable().messages[name] ?? []) {
        if (row[1] === "") collect(row[2]);
        else fields!.set(row[1], walkOf(row));
      }
    };
    collect(message);
    fieldsByMessage.set(message, fields);
  }
  return fields;
}

function walkOf([, , type, flags]: FieldRow): FieldWalk {
  const map = type.startsWith("map:");
  const valueType = map ? type.slice(4) : type;
  return { message: isPlainMessage(valueType) ? valueType : undefined, map, repeated: flags.includes("r") };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Whether values of this type are objects of a message's fields (not a scalar or a special JSON form). */
const isPlainMessage = (type: string) => type.includes(".") && !OPAQUE.has(type) && !isWrapper(type);

function walkMessage(object: Record<string, unknown>, message: string, path: string, unknown: string[], root = false): void {
  const fields = fieldsOf(message);
  for (const key in object) {
    if (root && (key === "apiVersion" || key === "kind")) continue; // TypeMeta: inlined in Go without a proto field
    const field = fields.get(key);
    if (!field) {
      unknown.push(path ? `${path}.${key}` : key);
      delete object[key];
      continue;
    }
    const valueType = field.message;
    if (valueType === undefined) continue;
    const value = object[key];
    const childPath = path ? `${path}.${key}` : key;
    if (field.map) {
      if (isObject(value)) for (const k in value) if (isObject(value[k])) walkMessage(value[k], valueType, `${childPath}[${k}]`, unknown);
    } else if (field.repeated) {
      if (Array.isArray(value)) value.forEach((item, i) => isObject(item) && walkMessage(item, valueType, `${childPath}[${i}]`, unknown));
    } else if (isObject(value)) {
      walkMessage(value, valueType, childPath, unknown);
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
  walkMessage(object, message, "", unknown, true);
  return unknown.length > 1 ? unknown.sort() : unknown;
}
