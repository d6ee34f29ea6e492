// limit/continue: the first page snapshots the matching objects, so later pages are consistent with
// it (same resourceVersion), as etcd-backed lists are. Snapshots expire; an expired token gets 410.
import { badRequest, expired } from "../errors.ts";
import { storageKey } from "../registry.ts";
import { queryInt } from "../query.ts";
import type { ApiState } from "../state.ts";
import type { KObject, ResourceType } from "../types.ts";
import type { ObjectFilter } from "./read.ts";

/** The candidates a list or watch must filter: the label index's match when the selector has one. */
export function candidates(state: ApiState, type: ResourceType, namespace: string | undefined, filter: ObjectFilter): KObject[] {
  const ns = type.namespaced ? namespace : undefined;
  return filter.indexed?.length ? state.store.listLabelled(storageKey(type), ns, filter.indexed) : state.store.list(storageKey(type), ns);
}

interface Snapshot {
  items: KObject[];
  resourceVersion: string;
  createdAt: number;
  /** Counting towards remainingItemCount is only reported without selectors, as the apiserver does. */
  selectors: boolean;
}

const SNAPSHOT_TTL_MS = 5 * 60_000;
const MAX_SNAPSHOTS = 256;
const snapshots = new Map<string, Snapshot>();

const EXPIRED_MESSAGE =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

function encodeToken(id: string, offset: number, rv: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", id, offset, rv })).toString("base64url");
}

function decodeToken(token: string): { id: string; offset: number } {
  try {
    const t = JSON.parse(Buffer.from(token, "base64url").toString());
    if (typeof t.id === "string" && Number.isInteger(t.offset)) return t;
  } catch {}
  throw badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
}

function sweep(now: number) {
  for (const [id, s] of snapshots) if (now - s.createdAt > SNAPSHOT_TTL_MS) snapshots.delete(id);
  while (snapshots.size > MAX_SNAPSHOTS) snapshots.delete(snapshots.keys().next().value!);
}

export interface Page {
  items: KObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export function pagination(
  state: ApiState,
  type: ResourceType,
  namespace: string | undefined,
  filter: ObjectFilter,
  params: URLSearchParams,
): Page {
  // A zero or negative limit means no limit, as the storage layer reads it.
  const limit = Math.max(0, queryInt(params, "limit") ?? 0);
  const token = params.get("continue");
  const now = state.now();
  let snapshot: Snapshot;
  let id: string;
  let offset = 0;
  if (token) {
    const t = decodeToken(token);
    const found = snapshots.get(t.id);
    if (!found || now - found.createdAt > SNAPSHOT_TTL_MS) throw expired(EXPIRED_MESSAGE);
    snapshot = found;
    id = t.id;
    offset = t.offset;
  } else {
    const selectors = !!(params.get("labelSelector") || params.get("fieldSelector"));
    const all = candidates(state, type, namespace, filter);
    const items = selectors ? all.filter(filter) : all;
    snapshot = { items, resourceVersion: String(state.store.resourceVersion), createdAt: now, selectors };
    if (!limit || items.length <= limit) return { items, resourceVersion: snapshot.resourceVersion };
    id = crypto.randomUUID();
    sweep(now);
    snapshots.set(id, snapshot);
  }
  const end = limit ? offset + limit : snapshot.items.length;
  const items = snapshot.items.slice(offset, end);
  if (end >= snapshot.items.length) {
    snapshots.delete(id);
    return { items, resourceVersion: snapshot.resourceVersion };
  }
  return {
    items,
    resourceVersion: snapshot.resourceVersion,
    continue: encodeToken(id, end, snapshot.resourceVersion),
    remainingItemCount: snapshot.selectors ? undefined : snapshot.items.length - end,
  };
}

/** Test hook: forget every snapshot so outstanding continue tokens expire. */
export function expireContinueTokens() {
  snapshots.clear();
}
