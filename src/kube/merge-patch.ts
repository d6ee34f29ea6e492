// JSON merge patch (RFC 7386) on the client side: the patch that turns one document into another, and the
// semantic equality it rests on (key order never matters).
import { cloneJson } from "./json-clone.ts";

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep equality of JSON values; object key order does not matter, array order does. */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    // Runs on every child and status of every reconcile: counts instead of building key lists.
    let defined = 0;
    for (const k in a) {
      if (a[k] === undefined) continue;
      if (b[k] === undefined || !jsonEqual(a[k], b[k])) return false;
      defined++;
    }
    for (const k in b) if (b[k] !== undefined) defined--;
    return defined === 0;
  }
  return false;
}

/** The merge patch that turns `from` into `to`: removed keys become null, arrays are replaced whole. */
export function mergePatchBetween(from: Record<string, Json>, to: Record<string, Json>): Record<string, Json> {
  const patch: Record<string, Json> = {};
  for (const k of Object.keys(from)) if (from[k] !== undefined && to[k] === undefined) patch[k] = null;
  for (const [k, value] of Object.entries(to)) {
    if (value === undefined) continue;
    const old = from[k];
    if (old !== undefined && jsonEqual(old, value)) continue;
    patch[k] = isObject(old) && isObject(value) ? mergePatchBetween(old, value) : cloneJson(value);
  }
  return patch;
}
