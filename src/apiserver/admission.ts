// The write pipeline shared by create, update, patch and apply: metadata rules, per-kind defaulting,
// CRD pruning/defaulting/validation, status-subresource rules, generation, finalizer rules and
// managedFields. Objects here are in storage shape.
import { applyDefaults, pruneUnknownFields, validateAgainstSchema, validateCelRules } from "./crd/schema.ts";
import { ApiError, badRequest, cause, conflict, invalid, invalidValue, notFound } from "./errors.ts";
import { cloneJson } from "../kube/json-clone.ts";
import { listTypeOf } from "./list-types.ts";
import { dropUnknownBuiltinFields } from "./protobuf/unknown-fields.ts";
import { storageKey } from "./registry.ts";
import { withSortedKeys } from "./sorted-keys.ts";
import { updateManagedFields } from "./ssa/index.ts";
import { timestamp, type ApiState } from "./state.ts";
import type { UserInfo } from "./auth.ts";
import { admitByPolicies, type Operation } from "./cel/vap.ts";
import type { FieldCause, KObject, ResourceType } from "./types.ts";
import { groupVersion } from "./types.ts";

export type FieldValidation = "Strict" | "Warn" | "Ignore";

export interface WriteContext {
  state: ApiState;
  type: ResourceType;
  namespace: string | undefined;
  subresource: "status" | undefined;
  dryRun: boolean;
  fieldManager: string;
  fieldValidation: FieldValidation;
  warnings: string[];
  /** Who asked (for admission policies); undefined for in-process writes. */
  user?: UserInfo;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const SERVER_METADATA = ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "resourceVersion", "selfLink"];

export function randomSuffix(n = 5): string {
  let s = "";
  for (let i = 0; i < n; i++) s += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return s;
}

export const clone = <T>(v: T): T => cloneJson(v);

/** Checks apiVersion/kind of an incoming body and converts it to storage shape. */
export function decodeIncoming(ctx: WriteContext, body: Record<string, unknown>): KObject {
  const { type } = ctx;
  const gv = groupVersion(type);
  if (body.apiVersion !== undefined && body.apiVersion !== gv)
    throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${gv})`);
  if (body.kind !== undefined && body.kind !== type.kind)
    throw badRequest(`the kind in the data (${body.kind}) does not match the expected kind (${type.kind})`);
  const meta = body.metadata;
  if (meta !== undefined && (typeof meta !== "object" || meta === null || Array.isArray(meta)))
    throw badRequest(`${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: metadata must be an object`);
  const obj = { ...body, apiVersion: gv, kind: type.kind, metadata: { ...(meta as object) } } as KObject;
  for (const path of type.microTimeFields ?? []) checkMicroTime(type, obj, path);
  if (!type.schema && !type.crd) reportUnknownFields(ctx, dropUnknownBuiltinFields(gv, type.kind, obj) ?? []);
  return type.view ? type.view.toStorage(obj) : obj;
}

const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;

/** metav1.MicroTime decodes only with six fractional digits (a JavaScript toISOString() has three). */
function checkMicroTime(type: ResourceType, obj: KObject, path: string) {
  const value = path.split(".").reduce<any>((o, k) => o?.[k], obj);
  if (value === undefined || value === null || (typeof value === "string" && MICRO_TIME.test(value))) return;
  throw badRequest(
    `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: parsing time ${JSON.stringify(String(value))} as "2006-01-02T15:04:05.000000Z07:00": cannot parse as RFC 3339 with microseconds (${path})`,
  );
}

/** Prune, default and report unknown fields of a custom resource per fieldValidation. */
function pruneAndDefault(ctx: WriteContext, obj: KObject) {
  const schema = ctx.type.schema;
  if (!schema) return;
  reportUnknownFields(ctx, pruneUnknownFields(obj, schema));
  applyDefaults(obj, schema);
}

/** fieldValidation for fields the kind does not have (already dropped): Strict fails, Warn warns. */
function reportUnknownFields(ctx: WriteContext, unknown: string[]) {
  if (unknown.length && ctx.fieldValidation === "Strict")
    throw badRequest(
      `${ctx.type.kind} in version "${ctx.type.version}" cannot be handled as a ${ctx.type.kind}: strict decoding error: ${unknown
        .map((f) => `unknown field "${f}"`)
        .join(", ")}`,
    );
  if (ctx.fieldValidation === "Warn") for (const f of unknown) ctx.warnings.push(`unknown field "${f}"`);
}

function validateMetadata(obj: KObject, type: ResourceType, old?: KObject): FieldCause[] {
  const causes: FieldCause[] = [];
  const name = obj.metadata.name ?? "";
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    causes.push(
      invalidValue(
        "metadata.name",
        name,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    );
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) {
    if (typeof v !== "string" || v.length > 63 || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v))
      causes.push(
        invalidValue(
          "metadata.labels",
          v,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
    const [prefix, local] = k.includes("/") ? k.split("/", 2) : [undefined, k];
    if (!local || local.length > 63 || !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(local) || (prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)))
      causes.push(invalidValue("metadata.labels", k, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
  }
  for (const [k, v] of Object.entries(obj.metadata.annotations ?? {}))
    if (typeof v !== "string") causes.push(invalidValue(`metadata.annotations[${k}]`, v, "must be a string"));
  if (type.schema) causes.push(...validateAgainstSchema(obj, type.schema, old && VALIDATED_UNDER.get(old) === type.schema ? (k) => k !== "metadata" && jsonEqual(obj[k], old[k]) : undefined));
  return causes;
}

/** Stored objects and the CRD schema (object) they passed: an update re-walks only what it changed. */
const VALIDATED_UNDER = new WeakMap<KObject, object>();

function finishValidation(ctx: WriteContext, obj: KObject, old: KObject | undefined) {
  const causes = [...validateMetadata(obj, ctx.type, old), ...(ctx.type.validate?.(obj, old) ?? [])];
  if (ctx.type.schema) causes.push(...validateCelRules(obj, old, ctx.type.schema));
  if (causes.length) throw invalid(ctx.type.kind, ctx.type.group, obj.metadata.name ?? "", causes);
}

/** ValidatingAdmissionPolicies run after the object passed its own validation, as in kube-apiserver. */
function admitPolicies(ctx: WriteContext, operation: Operation, obj: KObject, old: KObject | undefined) {
  const warnings = admitByPolicies(ctx.state, {
    operation,
    type: ctx.type,
    subresource: ctx.subresource,
    namespace: ctx.type.namespaced ? ctx.namespace : undefined,
    name: obj.metadata.name ?? "",
    object: obj,
    oldObject: old,
    user: ctx.user,
    dryRun: ctx.dryRun,
  });
  ctx.warnings.push(...warnings);
}

function namespaceGuard(ctx: WriteContext, name: string) {
  if (!ctx.type.namespaced) return;
  const ns = ctx.state.store.get("/namespaces", undefined, ctx.namespace!);
  if (!ns) throw notFound("", "namespaces", ctx.namespace!);
  if (ns.metadata.deletionTimestamp)
    throw new ApiError(
      403,
      "Forbidden",
      `${ctx.type.plural}${ctx.type.group ? "." + ctx.type.group : ""} "${name}" is forbidden: unable to create new content in namespace ${ctx.namespace} because it is being terminated`,
      { name: ctx.namespace, kind: "namespaces" },
    );
}

/** Build the object a create stores (not yet stored). */
export function admitCreate(ctx: WriteContext, incoming: KObject): KObject {
  const { type, state } = ctx;
  const obj = incoming;
  const meta = obj.metadata;
  if (type.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== "" && meta.namespace !== ctx.namespace)
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    meta.namespace = ctx.namespace;
  } else delete meta.namespace;
  if (!meta.name) {
    if (!meta.generateName)
      throw invalid(type.kind, type.group, "", [cause("FieldValueRequired", "metadata.name", "Required value: name or generateName is required")]);
    meta.name = `${String(meta.generateName).slice(0, 58)}${randomSuffix()}`;
  }
  if (type.namespaced) namespaceGuard(ctx, meta.name);
  for (const f of SERVER_METADATA) delete meta[f];
  meta.uid = crypto.randomUUID();
  meta.creationTimestamp = timestamp(state.now());
  if (type.generation) meta.generation = 1;
  if (type.subresources.status) delete obj.status;
  pruneAndDefault(ctx, obj);
  type.prepare?.(obj, undefined);
  finishValidation(ctx, obj, undefined);
  admitPolicies(ctx, "CREATE", obj, undefined);
  if (meta.finalizers?.length === 0) delete meta.finalizers;
  obj.metadata.managedFields = updateManagedFields({
    old: undefined,
    updated: obj,
    manager: ctx.fieldManager,
    apiVersion: groupVersion(type),
    now: timestamp(state.now()),
    listTypeOf: listTypeOf(type),
  });
  return obj;
}


export interface UpdateOptions {
  /** managedFields were already computed (server-side apply). */
  managedFieldsDone?: boolean;
  /** A PUT: custom resources require metadata.resourceVersion. */
  requireResourceVersion?: boolean;
}

/**
 * Build the object an update stores from the incoming (storage-shape) object and the live one.
 * Returns undefined when the write would change nothing (no new resourceVersion, no event).
 */
export function admitUpdate(ctx: WriteContext, incoming: KObject, old: KObject, opts: UpdateOptions = {}): KObject | undefined {
  const { type, state } = ctx;
  const name = old.metadata.name!;
  const meta = incoming.metadata;
  if (meta.name !== undefined && meta.name !== name)
    throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
  if (type.namespaced && meta.namespace && meta.namespace !== old.metadata.namespace)
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  if (meta.resourceVersion) {
    if (meta.resourceVersion !== old.metadata.resourceVersion) throw conflict(type.group, type.plural, name);
  } else if (opts.requireResourceVersion && !type.allowUnconditionalUpdate)
    throw invalid(type.kind, type.group, name, [cause("FieldValueInvalid", "metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")]);
  if (meta.uid && meta.uid !== old.metadata.uid)
    throw conflict(type.group, type.plural, name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${old.metadata.uid}`);

  let obj: KObject;
  if (ctx.subresource === "status") {
    // Only status comes from the request; everything else stays as stored.
    obj = { ...clone(old), status: clone(incoming.status) };
    if (incoming.status === undefined) delete obj.status;
    if (opts.managedFieldsDone) obj.metadata.managedFields = incoming.metadata.managedFields;
  } else {
    obj = incoming;
    if (type.subresources.status) {
      if (old.status === undefined) delete obj.status;
      else obj.status = clone(old.status);
    }
  }
  const m = obj.metadata;
  m.name = name;
  if (type.namespaced) m.namespace = old.metadata.namespace;
  else delete m.namespace;
  m.uid = old.metadata.uid;
  m.creationTimestamp = old.metadata.creationTimestamp;
  m.resourceVersion = old.metadata.resourceVersion;
  if (old.metadata.deletionTimestamp) {
    m.deletionTimestamp = old.metadata.deletionTimestamp;
    m.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    const added = (m.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
    if (added.length)
      throw invalid(type.kind, type.group, name, [
        cause(
          "FieldValueForbidden",
          "metadata.finalizers",
          `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(", ")}}`,
        ),
      ]);
  } else {
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
  }
  if (m.finalizers?.length === 0) delete m.finalizers;
  if (ctx.subresource !== "status") {
    pruneAndDefault(ctx, obj);
    type.prepare?.(obj, old);
  }
  finishValidation(ctx, obj, old);
  admitPolicies(ctx, "UPDATE", obj, old);

  if (type.generation) {
    const dropStatus = !!type.subresources.status;
    const changed = !jsonEqual(obj, old, "metadata", dropStatus ? "status" : undefined);
    m.generation = (old.metadata.generation ?? 1) + (changed ? 1 : 0);
  } else delete m.generation;

  if (!opts.managedFieldsDone)
    m.managedFields = updateManagedFields({
      old,
      updated: obj,
      manager: ctx.fieldManager,
      apiVersion: groupVersion(type),
      subresource: ctx.subresource,
      now: timestamp(state.now()),
      listTypeOf: listTypeOf(type),
    });
  return sameContent(obj, old) ? undefined : obj;
}

/** Equal apart from managedFields timestamps (as JSON: key order aside, undefined members absent). */
function sameContent(a: KObject, b: KObject): boolean {
  if (!jsonEqual(a, b, "metadata")) return false;
  if (!jsonEqual(a.metadata, b.metadata, "managedFields")) return false;
  const ma = a.metadata.managedFields;
  const mb = b.metadata.managedFields;
  if (ma === undefined || mb === undefined) return ma === mb;
  if (!Array.isArray(ma) || !Array.isArray(mb)) return jsonEqual(ma, mb);
  return ma.length === mb.length && ma.every((entry, i) => jsonEqual(entry, mb[i], "time"));
}

/** Whether two JSON values encode alike, ignoring key order and the members `skip`, `skipToo` at this level. */
function jsonEqual(a: unknown, b: unknown, skip?: string, skipToo?: string): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let count = 0;
  for (const k of Object.keys(x)) {
    if (k === skip || k === skipToo || x[k] === undefined) continue;
    count++;
    if (!Object.hasOwn(y, k) || !jsonEqual(x[k], y[k])) return false;
  }
  for (const k of Object.keys(y)) if (k !== skip && k !== skipToo && y[k] !== undefined) count--;
  return count === 0;
}

/** Persist an admitted object (or its removal when its last finalizer went during deletion). */
export function commitWrite(ctx: WriteContext, obj: KObject, old: KObject | undefined): KObject {
  const { store } = ctx.state;
  const key = storageKey(ctx.type);
  if (ctx.dryRun) return withSortedKeys(obj);
  if (old && obj.metadata.deletionTimestamp && !obj.metadata.finalizers?.length && !hasSpecFinalizers(obj))
    return store.remove(key, obj);
  const stored = store.put(key, obj, old);
  if (ctx.type.schema) VALIDATED_UNDER.set(stored, ctx.type.schema);
  return stored;
}

function hasSpecFinalizers(obj: KObject): boolean {
  return obj.kind === "Namespace" && Array.isArray((obj.spec as any)?.finalizers) && (obj.spec as any).finalizers.length > 0;
}

