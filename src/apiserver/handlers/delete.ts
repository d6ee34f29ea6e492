// DELETE of one object and of a collection: DeleteOptions from the query or the body, preconditions,
// finalizers and propagation policies. Without --gc nothing removes foregroundDeletion/orphan
// finalizers, exactly as in envtest.
import { clone } from "../admission.ts";
import { readDeleteOptionsBody } from "../body.ts";
import { badRequest, conflict, notFound, successStatus } from "../errors.ts";
import { storageKey } from "../registry.ts";
import { queryBool } from "../query.ts";
import type { ResourcePath } from "../request-path.ts";
import { jsonResponse, warningHeaders } from "../respond.ts";
import { admitByPolicies } from "../cel/vap.ts";
import { userOf } from "../request-user.ts";
import { present, timestamp, type ApiState } from "../state.ts";
import type { KObject, ResourceType } from "../types.ts";
import { selectorFilter } from "./read.ts";

export interface DeleteOptions {
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

export async function readDeleteOptions(req: Request, url: URL): Promise<DeleteOptions> {
  const q = url.searchParams;
  const body = (await readDeleteOptionsBody(req)) as Record<string, any>;
  const policy = body.propagationPolicy ?? q.get("propagationPolicy") ?? undefined;
  if (policy !== undefined && !["Orphan", "Background", "Foreground"].includes(policy))
    throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  const orphan = body.orphanDependents ?? queryBool(q, "orphanDependents");
  const dryRun = [...(body.dryRun ?? []), ...q.getAll("dryRun")];
  return {
    propagationPolicy: policy ?? (orphan === true ? "Orphan" : undefined),
    preconditions: body.preconditions ?? {
      uid: q.get("preconditions.uid") ?? undefined,
      resourceVersion: q.get("preconditions.resourceVersion") ?? undefined,
    },
    dryRun: dryRun.includes("All"),
  };
}

const POLICY_FINALIZER = { Foreground: "foregroundDeletion", Orphan: "orphan" } as const;

/** Delete one stored object; returns what the client gets back. */
export function deleteStored(state: ApiState, type: ResourceType, stored: KObject, opts: DeleteOptions): { body: unknown; removed: boolean } {
  const { group, plural } = type;
  const name = stored.metadata.name!;
  const pre = opts.preconditions ?? {};
  if (pre.uid && pre.uid !== stored.metadata.uid)
    throw conflict(group, plural, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${stored.metadata.uid}`);
  if (pre.resourceVersion && pre.resourceVersion !== stored.metadata.resourceVersion)
    throw conflict(group, plural, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${stored.metadata.resourceVersion}`);

  const key = storageKey(type);
  const policyFinalizer = opts.propagationPolicy && opts.propagationPolicy !== "Background" ? POLICY_FINALIZER[opts.propagationPolicy] : undefined;
  const finalizers = [...(stored.metadata.finalizers ?? [])];
  if (policyFinalizer && !finalizers.includes(policyFinalizer)) finalizers.push(policyFinalizer);
  const isNamespace = type.group === "" && type.kind === "Namespace";
  const specFinalizers = isNamespace ? ((stored.spec as any)?.finalizers ?? []) : [];
  const graceful = finalizers.length > 0 || specFinalizers.length > 0;

  if (!graceful) {
    const last = opts.dryRun ? stored : state.store.remove(key, stored);
    const body = type.deleteReturnsObject
      ? present(type, last)
      : successStatus({ name, group, kind: plural, uid: stored.metadata.uid });
    return { body, removed: true };
  }
  if (stored.metadata.deletionTimestamp && finalizers.length === (stored.metadata.finalizers ?? []).length)
    return { body: present(type, stored), removed: false };
  const marked = clone(stored);
  marked.metadata.deletionTimestamp ??= timestamp(state.now());
  marked.metadata.deletionGracePeriodSeconds ??= 0;
  if (finalizers.length) marked.metadata.finalizers = finalizers;
  if (isNamespace) (marked.status as any) = { ...(marked.status as object), phase: "Terminating" };
  const result = opts.dryRun ? marked : state.store.put(key, marked, stored);
  return { body: present(type, result), removed: false };
}

/** ValidatingAdmissionPolicies see a DELETE with the stored object as oldObject. */
function admitDelete(state: ApiState, type: ResourceType, stored: KObject, req: Request, opts: DeleteOptions): string[] {
  return admitByPolicies(state, {
    operation: "DELETE",
    type,
    namespace: type.namespaced ? stored.metadata.namespace : undefined,
    name: stored.metadata.name!,
    oldObject: stored,
    user: userOf(req),
    dryRun: opts.dryRun,
  });
}

export async function deleteObject(state: ApiState, type: ResourceType, path: ResourcePath, req: Request, url: URL): Promise<Response> {
  const opts = await readDeleteOptions(req, url);
  const stored = state.store.get(storageKey(type), type.namespaced ? path.namespace : undefined, path.name!);
  if (!stored) throw notFound(type.group, type.plural, path.name!);
  const warnings = admitDelete(state, type, stored, req, opts);
  const { body } = deleteStored(state, type, stored, opts);
  return new Response(JSON.stringify(body), { status: 200, headers: warningHeaders(warnings) });
}

export async function deleteCollection(state: ApiState, type: ResourceType, path: ResourcePath, req: Request, url: URL): Promise<Response> {
  const opts = await readDeleteOptions(req, url);
  const filter = selectorFilter(type, url.searchParams);
  const items = state.store.list(storageKey(type), type.namespaced ? path.namespace : undefined).filter(filter);
  const out: unknown[] = [];
  for (const item of items) {
    admitDelete(state, type, item, req, opts);
    const { body } = deleteStored(state, type, item, opts);
    out.push(type.deleteReturnsObject ? body : present(type, item));
  }
  return jsonResponse({ kind: type.listKind, apiVersion: type.group ? `${type.group}/${type.version}` : type.version, metadata: { resourceVersion: String(state.store.resourceVersion) }, items: out });
}
