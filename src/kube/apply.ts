// The apply layer: create an object, or JSON-merge-patch it toward what we want. The patch is computed
// against the live object seen through the fields we manage (what we want now plus what we applied last
// time, recorded in an annotation), so fields we stopped wanting are removed, drift in our fields is
// repaired, fields set by others (and server defaults) are left alone, and nothing is written when the
// object already matches.
import { mergePatchBetween } from "./merge-patch.ts";
import type { KubeClient, KubeObject, ResourceRef } from "./types.ts";

export const LAST_APPLIED_ANNOTATION = "kode.jacero.io/last-applied";

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The live value restricted to the keys `a` or `b` mention; arrays of equal length element by element. */
export function project(live: Json, a: Json, b: Json): Json {
  if (isObject(live) && (isObject(a) || isObject(b))) {
    const out: Record<string, Json> = {};
    const keys = new Set([...Object.keys(isObject(a) ? a : {}), ...Object.keys(isObject(b) ? b : {})]);
    for (const k of keys) if (k in live) out[k] = project(live[k], isObject(a) ? a[k] : undefined, isObject(b) ? b[k] : undefined);
    return out;
  }
  if (Array.isArray(live) && Array.isArray(a) && a.length === live.length)
    return live.map((item, i) => project(item, a[i], Array.isArray(b) && b.length === live.length ? b[i] : undefined));
  return live;
}

function withoutAnnotation(obj: KubeObject): KubeObject {
  const annotations = { ...obj.metadata.annotations };
  delete annotations[LAST_APPLIED_ANNOTATION];
  const metadata = { ...obj.metadata, annotations };
  if (!Object.keys(annotations).length) delete (metadata as { annotations?: unknown }).annotations;
  return { ...obj, metadata };
}

/**
 * What the annotation records of an object: all of it, except a Secret's values. The record only needs the keys
 * (to remove those we stopped wanting), and an annotation is metadata, shown where data is not (metadata-only
 * lists and watches, `kubectl describe`, tools that redact data): a password must never land there.
 */
function recordOf(obj: KubeObject): KubeObject {
  if (obj.kind !== "Secret") return obj;
  const out: Record<string, Json> = { ...obj };
  for (const field of ["data", "stringData"]) {
    const values = out[field];
    if (isObject(values)) out[field] = Object.fromEntries(Object.keys(values).map((k) => [k, ""]));
  }
  return out as KubeObject;
}

/** The desired object carrying the record of itself. */
export function withLastApplied(desired: KubeObject): KubeObject {
  const clean = withoutAnnotation(desired);
  return {
    ...clean,
    metadata: { ...clean.metadata, annotations: { ...clean.metadata.annotations, [LAST_APPLIED_ANNOTATION]: JSON.stringify(recordOf(clean)) } },
  };
}

// Parsed on each use, not memoized per cached object: a settled owner skips its children altogether (its
// reads are unchanged), and a memo would keep a second, parsed copy of every child's record in memory.
function lastApplied(live: KubeObject): Json {
  const text = live.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  if (text)
    try {
      return JSON.parse(text);
    } catch {}
  return {};
}

/** The merge patch that brings `live` to `desired`, or undefined when nothing needs to change. Pure. */
export function computePatch(live: KubeObject, desired: KubeObject): Record<string, Json> | undefined {
  const target = withLastApplied(desired);
  // Identity and server-owned metadata are never patched.
  const { name: _n, namespace: _ns, ...targetMeta } = target.metadata;
  const wanted = { ...target, metadata: targetMeta };
  const view = project(live, wanted, lastApplied(live)) as Record<string, Json>;
  if (isObject(view.metadata)) {
    delete view.metadata.name;
    delete view.metadata.namespace;
  }
  const patch = mergePatchBetween(view, wanted);
  return Object.keys(patch).length ? patch : undefined;
}

export type ApplyAction = "created" | "patched" | "unchanged";

export interface ApplyOptions {
  fieldManager: string;
  /**
   * The object as last observed (from an informer cache). Given but undefined (a cache miss): create at once,
   * and only on 409 AlreadyExists fetch and patch what exists, which saves a GET per new object. Not given at
   * all: fetched first.
   */
  live?: KubeObject;
  /** Only create: when the object exists already (409), throw instead of patching it. */
  createOnly?: boolean;
  /** Patch only the version of `live` given (its resourceVersion as a precondition): a stale cache gets 409. */
  ifUnchanged?: boolean;
}

export async function applyObject<T extends KubeObject>(
  client: KubeClient,
  ref: ResourceRef,
  desired: T,
  opts: ApplyOptions,
): Promise<{ action: ApplyAction; object: T }> {
  const ns = desired.metadata.namespace;
  let live: T | undefined = "live" in opts ? (opts.live as T | undefined) : await client.get<T>(ref, desired.metadata.name, ns);
  if (!live) {
    try {
      return { action: "created", object: await client.create(ref, withLastApplied(desired) as T, { fieldManager: opts.fieldManager }) };
    } catch (e) {
      if ((e as { code?: number }).code !== 409 || opts.createOnly) throw e;
      // Created meanwhile (a stale cache): patch the object that exists.
      live = await client.get<T>(ref, desired.metadata.name, ns);
      if (!live) throw e;
    }
  }
  const patch = computePatch(live, desired);
  if (!patch) return { action: "unchanged", object: live };
  if (opts.ifUnchanged && live.metadata.resourceVersion)
    patch.metadata = { ...(isObject(patch.metadata) ? patch.metadata : {}), resourceVersion: live.metadata.resourceVersion };
  const object = await client.mergePatch<T>(ref, desired.metadata.name, patch, { namespace: ns, fieldManager: opts.fieldManager });
  return { action: "patched", object };
}
