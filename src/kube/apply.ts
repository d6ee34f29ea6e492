// The apply layer: create an object, or JSON-merge-patch it toward what we want. The patch is computed
// against the live object seen through the fields we manage (what we want now plus what we applied last
// time, recorded in an annotation), so fields we stopped wanting are removed, drift in our fields is
// repaired, fields set by others (and server defaults) are left alone, and nothing is written when the
// object already matches.
import { jsonEqual } from "./merge-patch.ts";
import type { KubeClient, KubeObject, ResourceRef } from "./types.ts";
import { cloneJson } from "./json-clone.ts";

export const LAST_APPLIED_ANNOTATION = "kode.jacero.io/last-applied";

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

function withoutAnnotation(obj: KubeObject): KubeObject {
  const annotations = { ...obj.metadata.annotations };
  delete annotations[LAST_APPLIED_ANNOTATION];
  const metadata = { ...obj.metadata, annotations };
  if (!Object.keys(annotations).length) delete (metadata as { annotations?: unknown }).annotations;
  return { ...obj, metadata };
}

/**
 * What the annotation records of an object: its shape (every key, and the length of every list) with each value
 * replaced by 0. Removing what we stopped wanting needs only the keys, and the values would make every child
 * carry a second copy of itself (and an annotation is metadata, shown where data is not: metadata-only lists
 * and watches, `kubectl describe`, tools that redact data, so a Secret's values must never land there). Shapes
 * repeat from Kode to Kode, so the same text is shared (shareLastApplied) and parsed once.
 */
function recordOf(value: Json): string {
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i ? "," : "") + recordOf(value[i] ?? null);
    return out + "]";
  }
  if (isObject(value)) {
    let out = "{";
    for (const k in value) {
      if (value[k] === undefined) continue;
      out += (out.length > 1 ? "," : "") + JSON.stringify(k) + ":" + recordOf(value[k]);
    }
    return out + "}";
  }
  return "0";
}

/** The desired object carrying the record of itself. */
export function withLastApplied(desired: KubeObject): KubeObject {
  const clean = withoutAnnotation(desired);
  return {
    ...clean,
    metadata: { ...clean.metadata, annotations: { ...clean.metadata.annotations, [LAST_APPLIED_ANNOTATION]: recordOf(clean) } },
  };
}

/** Parsed records by their text, read-only and shared: a few shapes serve every Kode. */
const parsedRecords = new Map<string, Json>();
const MAX_SHARED_RECORDS = 512;

function remember<V>(map: Map<string, V>, key: string, value: V): V {
  if (map.size >= MAX_SHARED_RECORDS) map.clear();
  map.set(key, value);
  return value;
}

function lastApplied(live: KubeObject): Json {
  const text = live.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!text) return {};
  const parsed = parsedRecords.get(text);
  if (parsed !== undefined) return parsed;
  try {
    return remember(parsedRecords, text, JSON.parse(text) as Json);
  } catch {
    return {};
  }
}

const sharedTexts = new Map<string, string>();

/**
 * An informer transform: the record annotation of a cached object is replaced by the one equal text already
 * held, so a cache of many children of the same shape keeps one copy of it.
 */
export function shareLastApplied(obj: KubeObject): void {
  const annotations = obj?.metadata?.annotations;
  const text = annotations?.[LAST_APPLIED_ANNOTATION];
  if (typeof text !== "string") return;
  annotations![LAST_APPLIED_ANNOTATION] = sharedTexts.get(text) ?? remember(sharedTexts, text, text);
}

/**
 * Whether `live`, seen only through the keys `want` and `rec` mention (lists of `want`'s length item by item),
 * equals `want`. apply.test.ts checks this walk against building that view and comparing.
 */
function viewEquals(live: Json, want: Json, rec: Json): boolean {
  if (isObject(live) && (isObject(want) || isObject(rec))) {
    if (!isObject(want)) return false;
    for (const k in want) {
      if (want[k] === undefined) continue;
      if (!(k in live) || !viewEquals(live[k], want[k], isObject(rec) ? rec[k] : undefined)) return false;
    }
    if (isObject(rec)) for (const k in rec) if (want[k] === undefined && k in live) return false;
    return true;
  }
  if (Array.isArray(live) && Array.isArray(want) && want.length === live.length) {
    const recItems = Array.isArray(rec) && rec.length === live.length ? rec : undefined;
    for (let i = 0; i < live.length; i++) if (!viewEquals(live[i], want[i], recItems?.[i])) return false;
    return true;
  }
  return jsonEqual(live, want);
}

/**
 * The merge patch from `live`, seen the same way, to `want`, without building that view first (it runs for
 * every child of every reconcile that does not skip).
 */
function patchFrom(live: Record<string, Json>, want: Record<string, Json>, rec: Json): Record<string, Json> {
  const patch: Record<string, Json> = {};
  const recObj = isObject(rec) ? rec : undefined;
  if (recObj) for (const k in recObj) if (want[k] === undefined && k in live && live[k] !== undefined) patch[k] = null;
  for (const k in want) {
    const value = want[k];
    if (value === undefined) continue;
    const old = k in live ? live[k] : undefined;
    if (old !== undefined && viewEquals(old, value, recObj?.[k])) continue;
    patch[k] = isObject(old) && isObject(value) ? patchFrom(old, value, recObj?.[k]) : cloneJson(value);
  }
  return patch;
}

/** The merge patch that brings `live` to `desired`, or undefined when nothing needs to change. Pure. */
export function computePatch(live: KubeObject, desired: KubeObject): Record<string, Json> | undefined {
  const target = withLastApplied(desired);
  // Identity and server-owned metadata are never patched.
  const { name: _n, namespace: _ns, ...targetMeta } = target.metadata;
  const wanted = { ...target, metadata: targetMeta };
  let record = lastApplied(live);
  if (isObject(record) && isObject(record.metadata) && ("name" in record.metadata || "namespace" in record.metadata)) {
    const { name: _rn, namespace: _rns, ...recordMeta } = record.metadata;
    record = { ...record, metadata: recordMeta };
  }
  const patch = patchFrom(live as unknown as Record<string, Json>, wanted, record);
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
