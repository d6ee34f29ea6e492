// metadata.managedFields: decoding, encoding, and the ownership bookkeeping of non-apply writes.

import type { KObject, ManagedFieldsEntry } from "../types.ts";
import { compareObjects, isSame } from "./compare.ts";
import {
  difference,
  fromFieldsV1,
  isEmpty,
  itemElement,
  setOfPaths,
  sortElements,
  toFieldsV1,
  union,
  withMetadataLists,
  type FieldSet,
  type ListTypeOf,
} from "./fieldset.ts";
import { compareStrings, goJson, isEmptyObject, isPlainObject } from "./values.ts";

export type Operation = "Apply" | "Update";

export interface ManagerState {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
  /** The FieldsV1 this state was decoded from; reused on output while `set` is that same object. */
  decoded?: { set: FieldSet; fieldsV1: Record<string, unknown> };
}

/** Managers keyed by their identifier (see managerIdentifier). */
export type Managers = Map<string, ManagerState>;

export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = "ancient-changes";
const FIELD_MANAGER_MAX_BYTES = 128;

/**
 * The identity of a manager, as the real server builds it: the JSON of its entry without fields and
 * time, and without apiVersion for appliers (an applier stays the same manager across versions).
 */
export function managerIdentifier(m: Pick<ManagerState, "manager" | "operation" | "apiVersion" | "subresource">): string {
  let id = `{"manager":${goJson(m.manager)},"operation":${goJson(m.operation)}`;
  if (m.operation === "Update" && m.apiVersion) id += `,"apiVersion":${goJson(m.apiVersion)}`;
  if (m.subresource) id += `,"subresource":${goJson(m.subresource)}`;
  return `${id}}`;
}

/** undefined when any entry is malformed; the real server then ignores the whole list. */
export function decodeManagedFields(entries: unknown): Managers | undefined {
  const out: Managers = new Map();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) return undefined;
  for (const e of entries) {
    if (!isPlainObject(e)) return undefined;
    const { manager, operation, apiVersion, fieldsType, fieldsV1, subresource, time } = e;
    if (operation !== "Apply" && operation !== "Update") return undefined;
    if (typeof apiVersion !== "string" || apiVersion === "") return undefined;
    if (fieldsType !== "FieldsV1") return undefined;
    const set = fromFieldsV1(fieldsV1);
    const state: ManagerState = {
      manager: typeof manager === "string" ? manager : "",
      operation,
      apiVersion,
      set,
      decoded: isPlainObject(fieldsV1) ? { set, fieldsV1 } : undefined,
    };
    if (typeof subresource === "string" && subresource) state.subresource = subresource;
    if (typeof time === "string" && time) state.time = time;
    out.set(managerIdentifier(state), state);
  }
  return out;
}

function unixSeconds(time: string | undefined): number {
  if (!time) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** Entries in the real server's order: operation, time, manager, apiVersion, subresource. Empty sets are dropped. */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  const states = [...managers.values()].filter((s) => !isEmpty(s.set));
  if (states.length > 1) {
    states.sort(
      (p, q) =>
        compareStrings(p.operation, q.operation) ||
        unixSeconds(p.time) - unixSeconds(q.time) ||
        compareStrings(p.manager, q.manager) ||
        compareStrings(p.apiVersion, q.apiVersion) ||
        compareStrings(p.subresource ?? "", q.subresource ?? ""),
    );
  }
  return states.map((s) => {
    const fieldsV1 = s.decoded && s.decoded.set === s.set ? s.decoded.fieldsV1 : toFieldsV1(s.set);
    // Key order follows the real JSON: manager, operation, apiVersion, time, fieldsType, fieldsV1, subresource.
    const entry: Record<string, unknown> = { manager: s.manager, operation: s.operation, apiVersion: s.apiVersion };
    if (s.time !== undefined) entry.time = s.time;
    entry.fieldsType = "FieldsV1";
    entry.fieldsV1 = fieldsV1;
    if (s.subresource) entry.subresource = s.subresource;
    return entry as unknown as ManagedFieldsEntry;
  });
}

// Never owned by anyone: identity and server-maintained metadata.
const SERVER_METADATA = new Set([
  "name",
  "namespace",
  "creationTimestamp",
  "selfLink",
  "uid",
  "clusterName",
  "generation",
  "managedFields",
  "resourceVersion",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
]);
const SERVER_FIELDS = setOfPaths([
  ["f:apiVersion"],
  ["f:kind"],
  ["f:metadata"],
  ...[...SERVER_METADATA].map((f) => ["f:metadata", `f:${f}`]),
]);

export function withoutServerFields(set: FieldSet): FieldSet {
  return difference(set, SERVER_FIELDS);
}

/** Keeps at most `max` Update managers by folding the oldest into per-version "ancient-changes" entries. */
export function capUpdateManagers(managers: Managers, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...managers].filter(([, s]) => s.operation === "Update");
  if (updaters.length <= max) return;
  updaters.sort(([ia, a], [ib, b]) => unixSeconds(a.time) - unixSeconds(b.time) || compareStrings(ia, ib));
  const firstOfVersion = new Map<string, string>();
  let count = updaters.length;
  for (let i = 0; i < updaters.length && count > max; i++) {
    const [id, state] = updaters[i]!;
    const version = state.apiVersion;
    const first = firstOfVersion.get(version);
    if (first === undefined) {
      firstOfVersion.set(version, id);
      continue;
    }
    const bucketId = managerIdentifier({ manager: ANCIENT_CHANGES, operation: "Update", apiVersion: version });
    let bucket = managers.get(bucketId);
    if (!bucket) {
      const firstState = managers.get(first)!;
      managers.delete(first);
      bucket = { ...firstState, manager: ANCIENT_CHANGES, subresource: undefined };
      managers.set(bucketId, bucket);
    }
    bucket.set = union(state.set, bucket.set);
    bucket.time = state.time;
    managers.delete(id);
    count--;
  }
}

/** `[]` or `[{}]` sent by a client wipes managedFields (the documented way to reset them). */
function isReset(sent: unknown): boolean {
  if (!Array.isArray(sent)) return false;
  if (sent.length === 0) return true;
  return sent.length === 1 && isPlainObject(sent[0]) && Object.values(sent[0]).every((v) => v === undefined);
}

function baseManagers(old: KObject | undefined, updated: KObject, subresource: string | undefined): Managers {
  const live = () => decodeManagedFields(old?.metadata?.managedFields) ?? new Map();
  // A subresource write can never edit managedFields directly.
  if (subresource) return live();
  const sent = updated.metadata?.managedFields;
  if (isReset(sent)) return new Map();
  const decoded = decodeManagedFields(sent);
  return decoded && decoded.size > 0 ? decoded : live();
}

/**
 * managedFields after a create, update or non-apply patch by `manager`. The fields the write changed
 * (all of them on create) move to `manager` under operation Update.
 */
export function updateManagedFields(args: {
  old: KObject | undefined;
  updated: KObject;
  manager: string;
  apiVersion: string;
  subresource?: "status";
  now: string;
  listTypeOf: ListTypeOf;
}): ManagedFieldsEntry[] {
  const managers = baseManagers(args.old, args.updated, args.subresource);
  // An existing object whose managedFields were wiped stays untracked, as on a real server.
  if (args.old && managers.size === 0) return [];
  if (!args.old && managers.size === 0) return createdEntry(args);
  const changes = compareObjects(args.old, args.updated, args.listTypeOf);
  if (isSame(changes)) return encodeManagedFields(managers);

  const changed = union(changes.modified, changes.added);
  for (const [id, state] of managers) {
    const remaining = difference(difference(state.set, changed), changes.removed);
    if (isEmpty(remaining)) managers.delete(id);
    else state.set = remaining;
  }

  const owned = withoutServerFields(changed);
  if (!isEmpty(owned)) {
    const identity = {
      manager: args.manager || "unknown",
      operation: "Update" as const,
      apiVersion: args.apiVersion,
      subresource: args.subresource,
    };
    const id = managerIdentifier(identity);
    const previous = managers.get(id);
    managers.set(id, {
      ...identity,
      time: args.now,
      set: previous ? union(owned, previous.set) : owned,
    });
    capUpdateManagers(managers);
  }
  return encodeManagedFields(managers);
}

/**
 * The common create: every field is new and nobody else owns anything. Writes FieldsV1 straight from
 * the object; equivalent to encoding withoutServerFields(compareObjects(undefined, obj).added).
 */
function createdEntry(args: { updated: KObject; manager: string; apiVersion: string; subresource?: string; now: string; listTypeOf: ListTypeOf }): ManagedFieldsEntry[] {
  const fieldsV1 = newObjectFieldsV1(args.updated, args.listTypeOf);
  if (isEmptyObject(fieldsV1)) return [];
  const entry: Record<string, unknown> = {
    manager: args.manager || "unknown",
    operation: "Update",
    apiVersion: args.apiVersion,
    time: args.now,
    fieldsType: "FieldsV1",
    fieldsV1,
  };
  if (args.subresource) entry.subresource = args.subresource;
  return [entry as unknown as ManagedFieldsEntry];
}

export function newObjectFieldsV1(obj: KObject, listTypeOf: ListTypeOf): Record<string, unknown> {
  const lists = withMetadataLists(listTypeOf);
  const path: string[] = [];
  // FieldsV1 of a value that did not exist before: the value itself and everything inside it.
  const added = (v: unknown): Record<string, unknown> => {
    if (isPlainObject(v)) return isEmptyObject(v) ? {} : { ".": {}, ...fieldsOf(v, undefined) };
    if (!Array.isArray(v) || v.length === 0) return {};
    const listType = lists(path.slice());
    if (listType.type === "atomic") return {};
    const items = new Map<string, unknown>();
    v.forEach((item, i) => {
      const el = itemElement(item, listType, i)!;
      items.set(el, items.has(el) ? {} : added(item));
    });
    const out: Record<string, unknown> = { ".": {} };
    for (const el of sortElements([...items.keys()])) out[el] = items.get(el);
    return out;
  };
  const fieldsOf = (o: Record<string, unknown>, skip: ReadonlySet<string> | undefined) => {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(o).sort(compareStrings)) {
      if (o[key] === undefined || skip?.has(key)) continue;
      path.push(key);
      out[`f:${key}`] = added(o[key]);
      path.pop();
    }
    return out;
  };
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj).sort(compareStrings)) {
    const v = obj[key];
    if (v === undefined || key === "apiVersion" || key === "kind") continue;
    path.push(key);
    if (key === "metadata" && isPlainObject(v)) {
      const metadata = fieldsOf(v, SERVER_METADATA);
      if (!isEmptyObject(metadata)) out["f:metadata"] = metadata;
    } else if (key !== "metadata") {
      out[`f:${key}`] = added(v);
    }
    path.pop();
  }
  return out;
}

/** The default field manager of a request without `fieldManager`: the User-Agent up to its first "/". */
export function managerFromUserAgent(ua: string): string {
  let manager = managerOfAgent.get(ua);
  if (manager === undefined) {
    if (managerOfAgent.size >= 1024) managerOfAgent.clear();
    managerOfAgent.set(ua, (manager = managerFromAgentText(ua)));
  }
  return manager;
}

/** Clients send the same few User-Agents over and over. */
const managerOfAgent = new Map<string, string>();

function managerFromAgentText(ua: string): string {
  const prefix = ua.split("/")[0] ?? "";
  let out = "";
  let bytes = 0;
  for (const ch of prefix) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) continue;
    const size = Buffer.byteLength(ch, "utf8");
    if (bytes + size > FIELD_MANAGER_MAX_BYTES) break;
    out += ch;
    bytes += size;
  }
  return out;
}
