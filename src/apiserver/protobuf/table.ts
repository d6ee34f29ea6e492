// The field table of the built-in API messages (messages.json, written by generate.ts), loaded on first use so
// that a server which never sees protobuf or OpenAPI requests never parses it.
import { readFileSync } from "node:fs";
// As a file (its path), not a module: read only when needed, and embedded in the compiled executable.
import messagesPath from "./messages.json" with { type: "file" };

/** [field number, JSON name ("" = inlined into the parent), type, flags]. */
export type FieldRow = [number, string, string, string];

/**
 * Types: a proto scalar (string, bytes, bool, int32, int64, uint32, uint64, double, float), a message's full
 * name, or `map:<value type>` (keys are strings). Flags: r repeated, z zero value kept (pointer or no
 * omitempty), i inlined in JSON, q required in OpenAPI.
 */
export interface MessageTable {
  /** "apps/v1" (or "v1" for core, "meta.k8s.io/v1" for options and Status) → kind → message name. */
  kinds: Record<string, Record<string, string>>;
  /** Messages that only wrap a list of strings: JSON shows the list itself. */
  wrappers: string[];
  messages: Record<string, FieldRow[]>;
}

export const META = "k8s.io.apimachinery.pkg.apis.meta.v1";
export const SPECIAL = {
  time: `${META}.Time`,
  microTime: `${META}.MicroTime`,
  duration: `${META}.Duration`,
  fieldsV1: `${META}.FieldsV1`,
  quantity: "k8s.io.apimachinery.pkg.api.resource.Quantity",
  intOrString: "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
  rawExtension: "k8s.io.apimachinery.pkg.runtime.RawExtension",
} as const;

let table: MessageTable | undefined;
let wrapperSet: Set<string> | undefined;

export function messageTable(): MessageTable {
  table ??= JSON.parse(readFileSync(messagesPath as unknown as string, "utf8")) as MessageTable;
  return table;
}

export function isWrapper(message: string): boolean {
  wrapperSet ??= new Set(messageTable().wrappers);
  return wrapperSet.has(message);
}

/** The message of a kind as its envelope names it; meta/v1 kinds (DeleteOptions, …) are served in every version. */
export function messageOfKind(apiVersion: string, kind: string): string | undefined {
  const { kinds } = messageTable();
  return kinds[apiVersion]?.[kind] ?? kinds["meta.k8s.io/v1"][kind];
}
