// Objects leave the server with their keys sorted at every level, as Go's encoder writes maps (custom
// resources are maps throughout; labels, annotations, data and other map fields of built-ins too).
// The store sorts once per write, so responses and watch events reuse the stored order at no cost.
// One difference stays: JavaScript orders integer-like keys ("10", "9") numerically before the others.

/** The value with sorted keys; subtrees already in order are returned as they are (stored objects are never mutated). */
function sortValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item === null || typeof item !== "object") continue;
      const sorted = sortValue(item);
      if (sorted === item) continue;
      out ??= value.slice();
      out[i] = sorted;
    }
    return out ?? value;
  }
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let inOrder = true;
  for (let i = 1; i < keys.length; i++)
    if (keys[i - 1] > keys[i]) {
      inOrder = false;
      break;
    }
  if (!inOrder) return copySorted(obj, keys.sort(), 0, undefined);
  // In order: the object is kept unless a member changes; then it is copied from that member on.
  for (let i = 0; i < keys.length; i++) {
    const v = obj[keys[i]];
    if (v === null || typeof v !== "object") continue;
    const sorted = sortValue(v);
    if (sorted !== v) return copySorted(obj, keys, i, sorted);
  }
  return value;
}

/** A copy of `obj` with members in the order of `keys`, sorted from index `from` on (`first` is that member, sorted). */
function copySorted(obj: Record<string, unknown>, keys: string[], from: number, first: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    let v = obj[k];
    if (i === from && first !== undefined) v = first;
    else if (i >= from && v !== null && typeof v === "object") v = sortValue(v);
    // "__proto__" is a valid data or label key; plain assignment would set the prototype instead.
    if (k === "__proto__") Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}

/** The object with every object's keys in sorted order (arrays keep their order). */
export function withSortedKeys<T>(obj: T): T {
  return sortValue(obj) as T;
}

/** JSON text that ignores key order, for "did anything change" checks between stored and incoming objects. */
export function sortedJson(value: unknown): string {
  return JSON.stringify(sortValue(value)) ?? "undefined";
}

export const sameJson = (a: unknown, b: unknown): boolean => sortedJson(a) === sortedJson(b);
