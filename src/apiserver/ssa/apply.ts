// Server-side apply (PATCH with application/apply-patch+yaml).

import type { KObject } from "../types.ts";
import { compareObjects } from "./compare.ts";
import type { ApplyConflict } from "./conflicts.ts";
import {
  difference,
  fieldSetOf,
  formatPath,
  intersection,
  isEmpty,
  memberPaths,
  union,
  type FieldSet,
  type ListTypeOf,
} from "./fieldset.ts";
import {
  decodeManagedFields,
  encodeManagedFields,
  managerIdentifier,
  withoutServerFields,
  type ManagerState,
  type Managers,
} from "./managed-fields.ts";
import { mergeApplied, pruneUnowned } from "./merge.ts";
import { cloneJson, compareStrings, deepEqual, goJson, isPlainObject } from "./values.ts";

export type ApplyResult = { ok: true; object: KObject } | { ok: false; conflicts: ApplyConflict[] };

export interface ApplyArgs {
  live: KObject | undefined;
  applied: KObject;
  manager: string;
  force: boolean;
  apiVersion: string;
  subresource?: "status";
  now: string;
  listTypeOf: ListTypeOf;
  /** Top-level fields this apply must neither change nor own (e.g. status on the main resource). */
  ignoredTopLevel?: string[];
}

export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";
/** kubectl's server-side apply manager, which the real server lets take over from client-side apply. */
const KUBECTL_MANAGER = "kubectl";
const BEFORE_FIRST_APPLY = "before-first-apply";

const SERVER_METADATA = [
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
];

/** The applied configuration without ignored top-level fields and server-owned metadata (shallow copies). */
function configurationOf(applied: KObject, ignored: ReadonlySet<string>): KObject {
  const out: Record<string, unknown> = {};
  for (const key in applied) {
    if (ignored.has(key) || applied[key] === undefined) continue;
    out[key] = applied[key];
  }
  if (isPlainObject(out.metadata)) {
    const metadata = { ...out.metadata };
    for (const f of SERVER_METADATA) delete metadata[f];
    out.metadata = metadata;
  }
  return out as KObject;
}

export function serverSideApply(args: ApplyArgs): ApplyResult {
  const ignored = new Set(args.ignoredTopLevel ?? []);
  const config = configurationOf(args.applied, ignored);
  const identity = {
    manager: args.manager || "unknown",
    operation: "Apply" as const,
    apiVersion: args.apiVersion,
    subresource: args.subresource,
  };
  const id = managerIdentifier(identity);
  const appliedSet = withoutServerFields(fieldSetOf(config, args.listTypeOf));

  if (!args.live) {
    const managers: Managers = new Map([[id, { ...identity, time: args.now, set: appliedSet }]]);
    return { ok: true, object: withManagedFields(config, managers) };
  }

  const live = args.live;
  const managers = decodeManagedFields(live.metadata?.managedFields) ?? new Map();
  if (managers.size === 0) adoptExistingFields(live, managers, args);

  const previous = managers.get(id);
  const self: ManagerState = { ...identity, time: previous?.time, set: appliedSet };
  managers.set(id, self);

  let merged = mergeApplied(live, config, args.listTypeOf) as KObject;
  if (previous && !isEmpty(previous.set)) {
    let owned: FieldSet = appliedSet;
    for (const state of managers.values()) owned = union(owned, state.set);
    merged = pruneUnowned(merged, previous.set, owned, args.listTypeOf, ignored) as KObject;
  }

  const changes = compareObjects(live, merged, args.listTypeOf);
  const changed = union(changes.modified, changes.added);
  const taken = conflictsWith(managers, id, changed);
  if (taken.length > 0 && !args.force) {
    const allowed = identity.manager === KUBECTL_MANAGER ? takeoverFromClientSideApply(live, args) : undefined;
    const blocking = taken.flatMap((t) => conflictsOf(t.state, allowed ? difference(t.fields, allowed) : t.fields));
    if (blocking.length > 0) return { ok: false, conflicts: blocking };
  }

  for (const t of taken) t.state.set = difference(t.state.set, t.fields);
  for (const [otherId, state] of managers) {
    if (otherId === id) continue;
    state.set = difference(state.set, changes.removed);
    if (isEmpty(state.set)) managers.delete(otherId);
  }

  const objectChanged = !deepEqual(live, merged);
  // A no-op apply keeps the manager's time so that the stored object stays byte-identical.
  if (objectChanged || self.time === undefined) self.time = args.now;
  let object = objectChanged ? merged : live;
  if (identity.manager === KUBECTL_MANAGER) object = syncLastApplied(object, args.applied);
  // The merge shares subtrees with the stored object; the caller may edit the result in place.
  return { ok: true, object: cloneJson(withManagedFields(object, managers)) };
}

function withManagedFields(obj: KObject, managers: Managers): KObject {
  const metadata = { ...obj.metadata };
  const entries = encodeManagedFields(managers);
  if (entries.length > 0) metadata.managedFields = entries;
  else delete metadata.managedFields;
  return { ...obj, metadata };
}

/** An object without managedFields: everything already in it is owned by "before-first-apply". */
function adoptExistingFields(live: KObject, managers: Managers, args: ApplyArgs): void {
  const set = withoutServerFields(compareObjects(undefined, live, args.listTypeOf).added);
  if (isEmpty(set)) return;
  const state: ManagerState = {
    manager: BEFORE_FIRST_APPLY,
    operation: "Update",
    apiVersion: args.apiVersion,
    time: args.now,
    set,
  };
  managers.set(managerIdentifier(state), state);
}

interface Taken {
  id: string;
  state: ManagerState;
  fields: FieldSet;
}

function conflictsWith(managers: Managers, self: string, changed: FieldSet): Taken[] {
  const out: Taken[] = [];
  for (const [id, state] of managers) {
    if (id === self) continue;
    const fields = intersection(state.set, changed);
    if (!isEmpty(fields)) out.push({ id, state, fields });
  }
  return out.sort((a, b) => compareStrings(a.id, b.id));
}

function conflictsOf(state: ManagerState, fields: FieldSet): ApplyConflict[] {
  return memberPaths(fields).map((p) => {
    const c: ApplyConflict = {
      manager: state.manager,
      field: formatPath(p),
      operation: state.operation,
      apiVersion: state.apiVersion,
    };
    if (state.subresource) c.subresource = state.subresource;
    return c;
  });
}

function lastAppliedOf(obj: KObject): string | undefined {
  const value = obj.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * Fields kubectl may take from client-side apply without force: those the last-applied annotation
 * sets to the value they still have.
 */
function takeoverFromClientSideApply(live: KObject, args: ApplyArgs): FieldSet | undefined {
  const text = lastAppliedOf(live);
  if (!text) return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(lastApplied) || lastApplied.apiVersion !== args.apiVersion) return undefined;
  const set = fieldSetOf(lastApplied, args.listTypeOf);
  const drift = compareObjects(lastApplied, live, args.listTypeOf);
  return difference(difference(difference(set, drift.modified), drift.added), drift.removed);
}

/** kubectl server-side apply keeps an existing last-applied annotation in step with what it applies. */
function syncLastApplied(obj: KObject, applied: KObject): KObject {
  if (!lastAppliedOf(obj)) return obj;
  const appliedCopy: Record<string, unknown> = { ...applied };
  if (isPlainObject(applied.metadata) && isPlainObject(applied.metadata.annotations)) {
    const annotations = { ...applied.metadata.annotations };
    delete annotations[LAST_APPLIED_ANNOTATION];
    appliedCopy.metadata = { ...applied.metadata, annotations };
  }
  // Encoded like the real server's unstructured JSON encoder, trailing newline included.
  const value = `${goJson(appliedCopy)}\n`;
  const annotations = { ...obj.metadata.annotations, [LAST_APPLIED_ANNOTATION]: value };
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}
