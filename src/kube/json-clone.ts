// Deep copies of plain JSON data (API objects, what the store holds and what renders copy from a spec).
// structuredClone costs ~25 µs for a small ConfigMap under Bun; this walk ~1 µs.

/** A deep copy of plain JSON data; a "__proto__" member stays a data member. */
export function cloneJson<T>(v: T): T {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneJson(v[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const k in v) {
    const value = cloneJson((v as Record<string, unknown>)[k]);
    if (k === "__proto__") Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    else out[k] = value;
  }
  return out as T;
}
