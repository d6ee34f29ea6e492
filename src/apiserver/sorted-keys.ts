// Objects leave the server with their keys sorted at every level, as Go's encoder writes maps (custom
// resources are maps throughout; labels, annotations, data and other map fields of built-ins too).
// The store sorts once per write, so responses and watch events reuse the stored order at no cost.
// One difference stays: JavaScript orders integer-like keys ("10", "9") numerically before the others.

function sortValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item === null || typeof item !== "object") continue;
      out ??= value.slice();
      out[i] = sortValue(item);
    }
    return out ?? value;
  }
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  keys.sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = sortValue((value as Record<string, unknown>)[k]);
  return out;
}

/** A copy of the object with every object's keys in sorted order (arrays keep their order). */
export function withSortedKeys<T>(obj: T): T {
  return sortValue(obj) as T;
}

/** JSON text that ignores key order, for "did anything change" checks between stored and incoming objects. */
export function sortedJson(value: unknown): string {
  return JSON.stringify(sortValue(value)) ?? "undefined";
}

export const sameJson = (a: unknown, b: unknown): boolean => sortedJson(a) === sortedJson(b);
