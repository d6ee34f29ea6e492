// JSON values as CEL sees them under a structural schema: integers are int, numbers double, date-time strings
// timestamps, duration strings durations, byte strings bytes; object property names are escaped the way
// Kubernetes escapes them (foo-bar → foo__dash__bar), null fields are absent.
import { celList } from "@bufbuild/cel";
import { create } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import type { JSONSchemaProps } from "../types.ts";
import type { Shape } from "./env.ts";

const RESERVED = new Set([
  "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import",
  "let", "loop", "package", "namespace", "return", "var", "void", "while",
]);
const PLAIN_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The CEL name of an object property; undefined when CEL cannot reach it. */
export function escapeProperty(name: string): string | undefined {
  if (RESERVED.has(name)) return `__${name}__`;
  if (PLAIN_NAME.test(name) && !name.includes("__")) return name;
  if (!/^[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*$/.test(name)) return undefined;
  return name.replace(/__/g, "__underscores__").replace(/\./g, "__dot__").replace(/-/g, "__dash__").replace(/\//g, "__slash__");
}

const UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, "µs": 1e-6, "μs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** time.ParseDuration, as seconds; undefined when it would fail. */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (!s) return undefined;
  let total = 0;
  const part = /^(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/;
  while (s) {
    const m = part.exec(s);
    if (!m || m[1] === "" || m[1] === ".") return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

function timestampOf(text: string) {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return text;
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? "";
  const seconds = Math.floor(ms / 1000);
  const nanos = fraction ? Number(fraction.padEnd(9, "0").slice(0, 9)) : (ms % 1000) * 1e6;
  return create(TimestampSchema, { seconds: BigInt(seconds), nanos });
}

function durationOf(text: string) {
  const total = parseGoDuration(text);
  if (total === undefined) return text;
  const seconds = Math.trunc(total);
  return create(DurationSchema, { seconds: BigInt(seconds), nanos: Math.round((total - seconds) * 1e9) });
}

// Objects become Maps and arrays CelLists: @bufbuild/cel evaluates those several times faster than plain
// objects and arrays, which it converts again on every access.

/** Decoded JSON without a schema: Go's unstructured decoding gives int64 for integral numbers. */
export function untyped(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return celList(value.map(untyped) as never[]);
  if (typeof value === "object") {
    const out = new Map<string, unknown>();
    for (const k in value) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== null && v !== undefined) out.set(k, untyped(v));
    }
    return out;
  }
  return value;
}

function base64Bytes(text: string): Uint8Array | string {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return text;
  }
}

/** A value at a schema node, converted for CEL. */
export function toCel(value: unknown, schema: JSONSchemaProps | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (!schema) return untyped(value);
  if (schema["x-kubernetes-int-or-string"]) return typeof value === "number" ? untyped(value) : value;
  switch (typeof value) {
    case "number":
      if (schema.type === "number") return value;
      return untyped(value);
    case "string":
      if (schema.type !== "string") return value;
      if (schema.format === "date-time" || schema.format === "datetime" || schema.format === "date") return timestampOf(value);
      if (schema.format === "duration") return durationOf(value);
      if (schema.format === "byte") return base64Bytes(value);
      return value;
    case "object": {
      if (Array.isArray(value)) return celList(value.map((item) => toCel(item, schema.items)) as never[]);
      const props = schema.properties;
      const additional = typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
      const out = new Map<string, unknown>();
      for (const k in value) {
        const v = (value as Record<string, unknown>)[k];
        if (v === null || v === undefined) continue;
        const property = props?.[k];
        if (property) {
          const name = escapeProperty(k);
          if (name !== undefined) out.set(name, toCel(v, property));
        } else if (additional) out.set(k, toCel(v, additional));
        else out.set(k, untyped(v));
      }
      return out;
    }
    default:
      return value;
  }
}

const ROOT_FIELDS: [string, Shape | undefined][] = [
  ["apiVersion", undefined],
  ["kind", undefined],
  ["metadata", { fields: new Map([["name", undefined], ["generateName", undefined]]) }],
];

const SCALARS: Record<string, string> = { integer: "int", number: "double", boolean: "bool" };

/** What a rule may select from a schema node (the root also has apiVersion, kind, metadata.name/generateName). */
export function shapeOf(schema: JSONSchemaProps | undefined, root = false): Shape | undefined {
  if (!schema) return undefined;
  if (schema.type === "array") return { element: shapeOf(schema.items) };
  if (schema["x-kubernetes-int-or-string"]) return undefined;
  if (schema.type === "string" && !schema.format) return { scalar: "string" };
  if (schema.type && schema.type in SCALARS) return { scalar: SCALARS[schema.type]! };
  if (schema.type !== "object") return undefined;
  if (typeof schema.additionalProperties === "object") return { value: shapeOf(schema.additionalProperties) };
  if (schema["x-kubernetes-preserve-unknown-fields"] && !root) return undefined;
  const fields = new Map<string, Shape | undefined>();
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const escaped = escapeProperty(name);
    if (escaped !== undefined) fields.set(escaped, shapeOf(property));
  }
  if (root || schema["x-kubernetes-embedded-resource"]) for (const [name, shape] of ROOT_FIELDS) if (!fields.has(name) || name === "metadata") fields.set(name, shape);
  if (schema["x-kubernetes-preserve-unknown-fields"]) return undefined;
  return { fields };
}
