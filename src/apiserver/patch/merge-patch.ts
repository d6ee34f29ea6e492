// JSON merge patch (RFC 7386), plus the JSON helpers and error type shared by the patch formats.

export type JsonObject = Record<string, unknown>;

/**
 * Why a patch could not be applied; the PATCH handler maps it to a status code:
 * malformed → 400 BadRequest, failed → 422 Invalid, tooLarge → 413.
 */
export class PatchError extends Error {
  constructor(
    public kind: "malformed" | "failed" | "tooLarge",
    message: string,
  ) {
    super(message);
    this.name = "PatchError";
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function deepEqualJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqualJson(item, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && deepEqualJson(a[key], b[key]));
  }
  return false;
}

/** Sets an own member even when the key is "__proto__" (legal in JSON, special in JavaScript). */
export function setMember(object: JsonObject, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

import { cloneJson } from "../../kube/json-clone.ts";

export { cloneJson };

/** A copy of a value taken from a patch, with `null` object members dropped at every depth (arrays keep null items). */
function withoutNullMembers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNullMembers);
  if (!isJsonObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, member] of Object.entries(value)) {
    if (member !== null) setMember(result, key, withoutNullMembers(member));
  }
  return result;
}

/**
 * Applies an RFC 7386 merge patch without touching either input.
 * Like the apiserver's json-patch library, null members inside objects nested in arrays of the
 * patch are dropped too (RFC 7386 would keep them; an API object can never hold them anyway).
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return withoutNullMembers(patch);
  // One deep copy of the target; the merge then edits that copy in place.
  return mergeInto(isJsonObject(target) ? cloneJson(target) : {}, patch);
}

/** Merges `patch` into `result`, which is the caller's own copy (never shared with an input). */
function mergeInto(result: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, patchValue] of Object.entries(patch)) {
    if (patchValue === null) {
      delete result[key];
    } else if (isJsonObject(patchValue)) {
      const current = Object.hasOwn(result, key) ? result[key] : undefined;
      setMember(result, key, mergeInto(isJsonObject(current) ? current : {}, patchValue));
    } else {
      setMember(result, key, withoutNullMembers(patchValue));
    }
  }
  return result;
}

/**
 * The smallest merge patch turning object `from` into object `to`: removed members become null,
 * objects recurse, anything else that differs is carried whole.
 * Only null-free documents round-trip: a merge patch cannot express "set this member to null".
 */
export function createMergePatch(from: unknown, to: unknown): JsonObject {
  if (!isJsonObject(from) || !isJsonObject(to)) {
    throw new TypeError("createMergePatch needs two JSON objects");
  }
  const patch: JsonObject = {};
  for (const key of Object.keys(from)) {
    if (!Object.hasOwn(to, key)) setMember(patch, key, null);
  }
  for (const [key, toValue] of Object.entries(to)) {
    const fromValue = Object.hasOwn(from, key) ? from[key] : undefined;
    if (fromValue !== undefined && deepEqualJson(fromValue, toValue)) continue;
    const member = isJsonObject(fromValue) && isJsonObject(toValue) ? createMergePatch(fromValue, toValue) : cloneJson(toValue);
    setMember(patch, key, member);
  }
  return patch;
}
