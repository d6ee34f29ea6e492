// POST (create), PUT (update) and PATCH (merge, JSON, strategic merge, server-side apply).
import { admitCreate, admitUpdate, clone, commitWrite, decodeIncoming, type FieldValidation, type WriteContext } from "../admission.ts";
import { PATCH_TYPES, mediaType, parseJson, parseYaml, readObjectBody } from "../body.ts";
import { ApiError, alreadyExists, badRequest, cause, conflict, invalid, notFound, unsupportedMediaType } from "../errors.ts";
import { listTypeOf } from "../list-types.ts";
import { formatLabelSelector, selectorFromLabelSelectorObject } from "../selectors.ts";
import { applyJsonPatch, PatchError } from "../patch/json-patch.ts";
import { applyMergePatch } from "../patch/merge-patch.ts";
import { applyStrategicMergePatch } from "../patch/strategic-merge.ts";
import { storageKey } from "../registry.ts";
import { queryFlag } from "../query.ts";
import type { ResourcePath } from "../request-path.ts";
import { jsonResponse, warningHeaders } from "../respond.ts";
import { writeResponseJson } from "../object-json.ts";
import { conflictCauses, conflictMessage, managerFromUserAgent, serverSideApply } from "../ssa/index.ts";
import { present, timestamp, type ApiState } from "../state.ts";
import type { KObject, ResourceType } from "../types.ts";
import { groupVersion } from "../types.ts";
import { userOf } from "../request-user.ts";

export function writeContext(state: ApiState, type: ResourceType, path: ResourcePath, req: Request, url: URL): WriteContext {
  const q = url.searchParams;
  const dryRun = q.getAll("dryRun");
  for (const d of dryRun) if (d !== "All") throw badRequest(`Invalid dryRun value: ${d}: supported values: "All"`);
  const fieldValidation = (q.get("fieldValidation") ?? "Warn") as FieldValidation;
  if (!["Strict", "Warn", "Ignore"].includes(fieldValidation))
    throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict": got ${fieldValidation}`);
  const fieldManager = q.get("fieldManager") ?? managerFromUserAgent(req.headers.get("user-agent") ?? "unknown");
  if (fieldManager.length > 128) throw badRequest("fieldManager: Too long: may not be longer than 128");
  const subresource = path.subresource === "status" ? "status" : undefined;
  return { state, type, namespace: path.namespace, subresource, dryRun: dryRun.length > 0, fieldManager, fieldValidation, warnings: [], user: userOf(req) };
}

function reply(ctx: WriteContext, obj: KObject, status: number): Response {
  return new Response(writeResponseJson(ctx.type, obj), { status, headers: warningHeaders(ctx.warnings) });
}

function liveObject(ctx: WriteContext, name: string): KObject | undefined {
  return ctx.state.store.get(storageKey(ctx.type), ctx.type.namespaced ? ctx.namespace : undefined, name);
}

export async function createObject(ctx: WriteContext, req: Request): Promise<Response> {
  const body = await readObjectBody(req);
  const incoming = decodeIncoming(ctx, body);
  const obj = admitCreate(ctx, incoming);
  if (liveObject(ctx, obj.metadata.name!)) throw alreadyExists(ctx.type.group, ctx.type.plural, obj.metadata.name!);
  return reply(ctx, commitWrite(ctx, obj, undefined), 201);
}

export async function replaceObject(ctx: WriteContext, req: Request, name: string): Promise<Response> {
  const body = await readObjectBody(req);
  const old = liveObject(ctx, name);
  if (!old) throw notFound(ctx.type.group, ctx.type.plural, name);
  const incoming = decodeIncoming(ctx, body);
  if (incoming.metadata.name === undefined) incoming.metadata.name = name;
  const obj = admitUpdate(ctx, incoming, old, { requireResourceVersion: true });
  return reply(ctx, obj ? commitWrite(ctx, obj, old) : old, 200);
}

function patchError(e: unknown): never {
  if (e instanceof PatchError) {
    if (e.kind === "tooLarge") throw new ApiError(413, "RequestEntityTooLarge", `Request entity too large: ${e.message}`); // errors.NewRequestEntityTooLargeError
    if (e.kind === "malformed") throw badRequest(e.message);
    // The apiserver hides the jsonpatch detail behind a generic message (handlers/patch.go).
    throw new ApiError(422, "Invalid", "the server rejected our request due to an error in our request");
  }
  throw e;
}

/** apimachinery ValidatePatchOptions: checked before the object is looked up, answered as 422 on PatchOptions. */
function validatePatchOptions(type: string, url: URL) {
  const q = url.searchParams;
  if (type !== PATCH_TYPES.apply && q.has("force"))
    throw invalid("PatchOptions", "meta.k8s.io", "", [cause("FieldValueForbidden", "force", "Forbidden: may not be specified for non-apply patch")]);
  if (type === PATCH_TYPES.apply && !q.get("fieldManager"))
    throw invalid("PatchOptions", "meta.k8s.io", "", [cause("FieldValueRequired", "fieldManager", "Required value: is required for apply patch")]);
}

export async function patchObject(ctx: WriteContext, req: Request, url: URL, name: string): Promise<Response> {
  const type = mediaType(req);
  validatePatchOptions(type, url);
  if (type === PATCH_TYPES.apply) return applyObject(ctx, req, url, name);
  const kind = ctx.type;
  const accepted: string[] = [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply];
  if (kind.strategicMerge) accepted.push(PATCH_TYPES.strategic);
  if (!accepted.includes(type)) throw unsupportedMediaType(accepted);
  const patch = parseJson(await req.text());
  const old = liveObject(ctx, name);
  if (!old) throw notFound(kind.group, kind.plural, name);
  const current = present(kind, old);
  let patched: unknown;
  try {
    if (type === PATCH_TYPES.json) patched = applyJsonPatch(current, patch);
    else if (type === PATCH_TYPES.merge) {
      if (!patch || typeof patch !== "object" || Array.isArray(patch)) throw new PatchError("malformed", "a merge patch must be a JSON object");
      patched = applyMergePatch(current, patch);
    } else patched = applyStrategicMergePatch(current, patch, `${groupVersion(kind)}/${kind.kind}`);
  } catch (e) {
    patchError(e);
  }
  if (!patched || typeof patched !== "object" || Array.isArray(patched)) throw badRequest("the patch produced something that is not an object");
  // Patch results may share nested values with the stored object, which must never be mutated; a merge
  // patch's result is a fresh copy already.
  const own = type === PATCH_TYPES.merge ? patched : clone(patched);
  const incoming = decodeIncoming(ctx, own as Record<string, unknown>);
  const obj = admitUpdate(ctx, incoming, old);
  return reply(ctx, obj ? commitWrite(ctx, obj, old) : old, 200);
}

async function applyObject(ctx: WriteContext, req: Request, url: URL, name: string): Promise<Response> {
  const kind = ctx.type;
  const force = queryFlag(url.searchParams, "force");
  const body = parseYaml(await req.text());
  if (!body || typeof body !== "object" || Array.isArray(body)) throw badRequest("the apply configuration must be an object");
  const applied = decodeIncoming(ctx, body as Record<string, unknown>);
  if (applied.metadata.name !== undefined && applied.metadata.name !== name)
    throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
  applied.metadata.name = name;
  const old = liveObject(ctx, name);
  if (!old && ctx.subresource === "status") throw notFound(kind.group, kind.plural, name);
  const ignoredTopLevel = ctx.subresource === "status" ? Object.keys(applied).filter((k) => !["apiVersion", "kind", "metadata", "status"].includes(k)) : kind.subresources.status ? ["status"] : [];
  const result = serverSideApply({
    live: old ? clone(old) : undefined,
    applied,
    manager: ctx.fieldManager,
    force,
    apiVersion: groupVersion(kind),
    subresource: ctx.subresource,
    now: timestamp(ctx.state.now()),
    listTypeOf: listTypeOf(kind),
    ignoredTopLevel,
  });
  if (!result.ok)
    throw new ApiError(409, "Conflict", conflictMessage(result.conflicts), { causes: conflictCauses(result.conflicts) });
  if (!old) {
    const managed = result.object.metadata.managedFields;
    const obj = admitCreate(ctx, result.object);
    obj.metadata.managedFields = managed;
    if (liveObject(ctx, name)) throw conflict(kind.group, kind.plural, name);
    return reply(ctx, commitWrite(ctx, obj, undefined), 201);
  }
  const obj = admitUpdate(ctx, result.object, old, { managedFieldsDone: true });
  return reply(ctx, obj ? commitWrite(ctx, obj, old) : old, 200);
}

/** `kubectl scale`: the autoscaling/v1 Scale view of spec.replicas. */
export function scaleOf(type: ResourceType, obj: KObject): Record<string, unknown> {
  const scale = type.subresources.scale!;
  const read = (p: string) => p.split(".").filter(Boolean).reduce<any>((o, k) => o?.[k], obj);
  let selector = scale.labelSelectorPath ? read(scale.labelSelectorPath) : undefined;
  // CRDs point at a selector string; built-ins at a LabelSelector object (metav1.LabelSelectorAsSelector).
  if (selector && typeof selector === "object") {
    // ReplicationControllers select with a plain label map rather than a LabelSelector.
    if (!("matchLabels" in selector) && !("matchExpressions" in selector)) selector = { matchLabels: selector };
    try {
      selector = formatLabelSelector(selectorFromLabelSelectorObject(selector));
    } catch {
      selector = undefined;
    }
  }
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: read(scale.specReplicasPath) ?? 0 },
    status: { replicas: read(scale.statusReplicasPath) ?? 0, ...(typeof selector === "string" ? { selector } : {}) },
  };
}

export async function scaleRequest(ctx: WriteContext, req: Request, name: string): Promise<Response> {
  const type = ctx.type;
  const old = liveObject(ctx, name);
  if (!old) throw notFound(type.group, type.plural, name);
  if (req.method === "GET") return jsonResponse(scaleOf(type, old));
  let scale: any;
  const current = scaleOf(type, old);
  if (req.method === "PUT") scale = await readObjectBody(req);
  else {
    const patch = parseJson(await req.text());
    try {
      scale = mediaType(req) === PATCH_TYPES.json ? applyJsonPatch(current, patch) : applyMergePatch(current, patch);
    } catch (e) {
      patchError(e);
    }
  }
  const replicas = scale?.spec?.replicas;
  if (!Number.isInteger(replicas) || replicas < 0)
    throw invalid("Scale", "autoscaling", name, [{ reason: "FieldValueInvalid", field: "spec.replicas", message: `Invalid value: ${replicas}: must be greater than or equal to 0` }]);
  const rv = scale?.metadata?.resourceVersion;
  if (rv && rv !== old.metadata.resourceVersion) throw conflict(type.group, type.plural, name);
  const updated = clone(old);
  const path = type.subresources.scale!.specReplicasPath.split(".").filter(Boolean);
  let node: any = updated;
  for (const k of path.slice(0, -1)) node = node[k] ??= {};
  node[path[path.length - 1]] = replicas;
  const obj = admitUpdate({ ...ctx, subresource: undefined }, updated, old);
  return jsonResponse(scaleOf(type, obj ? commitWrite(ctx, obj, old) : old));
}
