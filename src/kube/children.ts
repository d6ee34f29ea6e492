// The generic child step of a reconciler: a kind renders the objects it wants as one list; this applies them
// (create, or merge patch when something differs, nothing written otherwise), prunes the children it controls
// that are no longer wanted, and on deletion removes them (or releases those marked to be kept).
//
// Ownership is the rule everything here rests on: an object is touched only when this owner controls it, that
// is, it carries an ownerReference with controller: true and the owner's uid, or (for a child kept beyond the
// owner's life, which carries no ownerReference) the provenance annotation CONTROLLER_UID_ANNOTATION with that
// uid. Anything else with a child's name is left exactly as it is and reported as a conflict. The one deliberate
// exception is an object this operator released when its previous owner was deleted (RETAINED_FROM_ANNOTATION
// = "<namespace>/<name>" of that owner): an owner of the same namespace, kind and name takes it back.
import { applyObject, computePatch, type ApplyAction } from "./apply.ts";
import type { ChildCache } from "./cache.ts";
import type { KubeClient, KubeObject, ResourceRef } from "./types.ts";

/** Marks a kept child (no ownerReference) as controlled by the owner with this uid. */
export const CONTROLLER_UID_ANNOTATION = "kode.jacero.io/controller-uid";
/** Set when a kept child is released on its owner's deletion: "<namespace>/<name>" of that owner. */
export const RETAINED_FROM_ANNOTATION = "kode.jacero.io/retained-from";

export interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid: string;
}

export interface DesiredChild<T extends KubeObject = KubeObject> {
  resource: ResourceRef;
  /** The object as it should be; ownership (ownerReference or provenance mark) is added by the apply step. */
  object: T;
  /**
   * Only ever created, never patched: it holds a value generated because the cache showed no such object (a
   * password, a key). When it exists after all, the cache is behind: the step waits instead of overwriting it.
   */
  createOnly?: boolean;
  /** Patched only at the resourceVersion the cache shows (a precondition); a newer object means wait. */
  ifUnchanged?: boolean;
  /** Created when missing, never patched once it exists (a Job: its pod template cannot change). */
  immutable?: boolean;
  /** Outlives the owner: no ownerReference (so garbage collection never deletes it), never pruned, released on delete. */
  keep?: boolean;
  /**
   * A kept child made by an earlier version of the operator, which marked it only with labels and annotations:
   * taken over (and given the provenance mark) when it has no other mark, carries all of these and was created
   * no earlier than the owner. Anything older or differently marked stays somebody else's.
   */
  adoptLegacy?: { labels: Record<string, string>; annotations: Record<string, string>; createdNotBefore?: string };
}

/**
 * The caches of the kinds an owner has children of, in apply order (deletion goes the other way). Children of
 * consecutive kinds marked `concurrent` (next to each other in the desired list) are applied at the same time:
 * nothing among them depends on another, so a new owner waits one round trip for them instead of one each. A
 * kind without the mark is applied alone, after everything before it.
 */
export type ChildKinds = { resource: ResourceRef; cache: ChildCache; concurrent?: boolean }[];

export interface ChildConflict {
  resource: ResourceRef;
  namespace?: string;
  name: string;
  /** What the object is and what to do about it, for a condition message and an Event. */
  message: string;
}

export type ApplyChildrenResult =
  | { outcome: "applied"; wrote: boolean; results: { action: ApplyAction; object: KubeObject }[]; pruned: number }
  | { outcome: "conflict"; wrote: boolean; conflict: ChildConflict }
  /** The cache has not caught up with an object that exists (our own recent write): try again shortly. */
  | { outcome: "waiting"; wrote: boolean; reason: string };

export const controllerRef = (owner: Owner) => ({
  apiVersion: owner.apiVersion,
  kind: owner.kind,
  name: owner.name,
  uid: owner.uid,
  controller: true,
  blockOwnerDeletion: true,
});

/** A controller ownerReference (to `uid` when given): control proven by Kubernetes itself, not by our annotation. */
export const hasControllerRef = (obj: KubeObject, uid?: string) =>
  !!obj.metadata.ownerReferences?.some((r) => r.controller === true && (uid === undefined || r.uid === uid));

/** Whether `owner` controls `obj`: its controller ownerReference, or (kept children) the provenance mark. */
export function isControlledBy(obj: KubeObject, owner: Pick<Owner, "uid">): boolean {
  if (hasControllerRef(obj, owner.uid)) return true;
  return !hasControllerRef(obj) && obj.metadata.annotations?.[CONTROLLER_UID_ANNOTATION] === owner.uid;
}

/** Whether `obj` was released by a deleted owner of this namespace and name (and nobody controls it since). */
export function isRetainedFor(obj: KubeObject, owner: Owner): boolean {
  return (
    !hasControllerRef(obj) &&
    obj.metadata.annotations?.[CONTROLLER_UID_ANNOTATION] === undefined &&
    obj.metadata.annotations?.[RETAINED_FROM_ANNOTATION] === `${owner.namespace ?? ""}/${owner.name}`
  );
}

/** Whether `obj` is a kept child an earlier operator version made for this owner (see DesiredChild.adoptLegacy). */
export function isLegacyChild(obj: KubeObject, child: Pick<DesiredChild, "adoptLegacy">): boolean {
  const legacy = child.adoptLegacy;
  if (!legacy || hasControllerRef(obj) || obj.metadata.annotations?.[CONTROLLER_UID_ANNOTATION] !== undefined) return false;
  const has = (have: Record<string, string> | undefined, want: Record<string, string>) => Object.entries(want).every(([k, v]) => have?.[k] === v);
  if (!has(obj.metadata.labels, legacy.labels) || !has(obj.metadata.annotations, legacy.annotations)) return false;
  const created = obj.metadata.creationTimestamp;
  return legacy.createdNotBefore === undefined || (created !== undefined && Date.parse(created) >= Date.parse(legacy.createdNotBefore));
}

/** The controller uids an object names (ownerReference or provenance mark), for the informers' controller index. */
export function controllerUids(obj: KubeObject): string[] {
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.controller === true).map((r) => r.uid);
  if (refs.length) return refs;
  const mark = obj.metadata.annotations?.[CONTROLLER_UID_ANNOTATION];
  return mark ? [mark] : [];
}

/** The desired object carrying its owner's mark: a controller ownerReference, or for a kept child the annotation. */
export function withOwnership<T extends KubeObject>(child: DesiredChild<T>, owner: Owner): T {
  const { ownerReferences: _drop, ...meta } = child.object.metadata;
  const metadata = child.keep
    ? { ...meta, annotations: { ...meta.annotations, [CONTROLLER_UID_ANNOTATION]: owner.uid } }
    : { ...meta, ownerReferences: [controllerRef(owner)] };
  return { ...child.object, metadata } as T;
}

const sameSlot = (a: ResourceRef, b: ResourceRef) => a.group === b.group && a.plural === b.plural;
const describe = (ref: ResourceRef, ns: string | undefined, name: string) => `${ref.kind} ${ns ? `${ns}/` : ""}${name}`;

function conflictOf(ref: ResourceRef, live: KubeObject, owner: Owner): ChildConflict {
  const other = live.metadata.ownerReferences?.find((r) => r.controller === true);
  const held = other ? `is controlled by ${other.kind} ${other.name}` : "is not controlled by it";
  const what =
    ref.plural === "persistentvolumeclaims"
      ? `give the ${owner.kind} another name, or move that claim's data and remove the claim (deleting a claim deletes its data)`
      : `rename or delete that ${ref.kind}, or give the ${owner.kind} another name`;
  return {
    resource: ref,
    namespace: live.metadata.namespace,
    name: live.metadata.name,
    message:
      `${describe(ref, live.metadata.namespace, live.metadata.name)} already exists and ${held}, so ${owner.kind} ${owner.name} ` +
      `leaves it untouched and cannot start; ${what}`,
  };
}

function kindFor(kinds: ChildKinds, ref: ResourceRef): ChildKinds[number] {
  const kind = kinds.find((k) => sameSlot(k.resource, ref));
  if (!kind) throw new Error(`no cache for child kind ${ref.kind}: add it to the owner's child kinds`);
  return kind;
}
const cacheFor = (kinds: ChildKinds, ref: ResourceRef): ChildCache => kindFor(kinds, ref).cache;

/** The desired children's indexes in apply waves: consecutive children of concurrent kinds share one. */
function waves(desired: DesiredChild[], kinds: ChildKinds): number[][] {
  const out: number[][] = [];
  let joinable = false;
  desired.forEach((child, i) => {
    const concurrent = !!kindFor(kinds, child.resource).concurrent;
    if (concurrent && joinable) out[out.length - 1].push(i);
    else out.push([i]);
    joinable = concurrent;
  });
  return out;
}

/**
 * Apply the owner's desired children in order, then prune the controlled children no longer desired. Stops at
 * the first object it may not touch, before writing anything when the caches already show it.
 */
export async function applyChildren(
  client: KubeClient,
  owner: Owner,
  desired: DesiredChild[],
  kinds: ChildKinds,
  opts: { fieldManager: string },
): Promise<ApplyChildrenResult> {
  for (const child of desired) {
    const live = cacheFor(kinds, child.resource).get(child.object.metadata.namespace, child.object.metadata.name);
    if (live && !isControlledBy(live, owner) && !isRetainedFor(live, owner) && !isLegacyChild(live, child))
      return { outcome: "conflict", wrote: false, conflict: conflictOf(child.resource, live, owner) };
  }
  let wrote = false;
  const results: { action: ApplyAction; object: KubeObject }[] = [];
  for (const wave of waves(desired, kinds)) {
    const outcomes = await Promise.all(wave.map((i) => applyChild(client, owner, desired[i], cacheFor(kinds, desired[i].resource), opts.fieldManager)));
    for (const r of outcomes) if (r.outcome === "applied" && r.action !== "unchanged") wrote = true;
    // The first child (in apply order) that could not be applied answers for the wave.
    const stopped = outcomes.find((r) => r.outcome !== "applied");
    if (stopped) return { ...stopped, wrote } as ApplyChildrenResult;
    wave.forEach((i, j) => {
      const r = outcomes[j] as Extract<ChildResult, { outcome: "applied" }>;
      results[i] = { action: r.action, object: r.object };
    });
  }
  const pruned = await pruneChildren(client, owner, desired, kinds);
  return { outcome: "applied", wrote: wrote || pruned > 0, results, pruned };
}

type ChildResult =
  | { outcome: "applied"; action: ApplyAction; object: KubeObject }
  | { outcome: "conflict"; wrote: false; conflict: ChildConflict }
  | { outcome: "waiting"; wrote: false; reason: string };

const code = (e: unknown) => (e as { code?: number }).code;

async function applyChild(client: KubeClient, owner: Owner, child: DesiredChild, cache: ChildCache, fieldManager: string): Promise<ChildResult> {
  const ref = child.resource;
  const { name, namespace } = child.object.metadata;
  const desired = withOwnership(child, owner);
  let live = cache.get(namespace, name);
  if (!live) {
    try {
      return { outcome: "applied", ...(await applyObject(client, ref, desired, { fieldManager, live: undefined, createOnly: true })) };
    } catch (e) {
      if (code(e) !== 409) throw e;
    }
    // It exists but the cache does not show it: somebody else's object, or our own one the cache is behind on.
    live = await client.get<KubeObject>(ref, name, namespace);
    if (!live) return { outcome: "waiting", wrote: false, reason: `${describe(ref, namespace, name)} was deleted while being created` };
  }
  const adopting = !isControlledBy(live, owner);
  if (adopting && !isRetainedFor(live, owner) && !isLegacyChild(live, child)) return { outcome: "conflict", wrote: false, conflict: conflictOf(ref, live, owner) };
  if (child.immutable && !adopting) return { outcome: "applied", action: "unchanged", object: live };
  if (child.createOnly && !adopting) return { outcome: "waiting", wrote: false, reason: `${describe(ref, namespace, name)} exists but is not in the cache yet` };
  const patch = computePatch(live, desired) ?? {};
  if (adopting) {
    const meta = (patch.metadata ?? {}) as Record<string, unknown>;
    patch.metadata = { ...meta, annotations: { ...(meta.annotations as object), [RETAINED_FROM_ANNOTATION]: null } };
  }
  if (!Object.keys(patch).length) return { outcome: "applied", action: "unchanged", object: live };
  // Adoption and ifUnchanged write only the version seen: a change meanwhile (409) means look again.
  if ((adopting || child.ifUnchanged) && live.metadata.resourceVersion)
    patch.metadata = { ...(patch.metadata as object), resourceVersion: live.metadata.resourceVersion };
  try {
    const object = await client.mergePatch<KubeObject>(ref, name, patch, { namespace, fieldManager });
    return { outcome: "applied", action: "patched", object };
  } catch (e) {
    if (code(e) === 409) return { outcome: "waiting", wrote: false, reason: `${describe(ref, namespace, name)} changed since the cache saw it` };
    throw e;
  }
}

/** Delete the children controlled by ownerReference that are not desired (kept children are never pruned). */
export async function pruneChildren(client: KubeClient, owner: Owner, desired: DesiredChild[], kinds: ChildKinds): Promise<number> {
  let deleted = 0;
  for (const { resource, cache } of kinds)
    for (const obj of cache.controlledBy(owner.uid)) {
      if (!hasControllerRef(obj, owner.uid)) continue;
      if (desired.some((d) => sameSlot(d.resource, resource) && d.object.metadata.name === obj.metadata.name && d.object.metadata.namespace === obj.metadata.namespace)) continue;
      // Background: a Job's pods go with it (batch/v1 would orphan them by default).
      if (await client.delete(resource, obj.metadata.name, { namespace: obj.metadata.namespace, propagationPolicy: "Background", preconditions: { uid: obj.metadata.uid } })) deleted++;
    }
  return deleted;
}

/**
 * The owner is going: delete its children in reverse kind order (the workload before what it mounts), and release
 * the kept ones (provenance mark removed, RETAINED_FROM_ANNOTATION set) so that they survive and can be re-attached.
 * Returns the released objects.
 */
export async function removeChildren(client: KubeClient, owner: Owner, kinds: ChildKinds, opts: { fieldManager: string }): Promise<{ resource: ResourceRef; object: KubeObject }[]> {
  const released: { resource: ResourceRef; object: KubeObject }[] = [];
  for (const { resource, cache } of [...kinds].reverse())
    for (const obj of cache.controlledBy(owner.uid)) {
      if (!isControlledBy(obj, owner)) continue;
      const { name, namespace } = obj.metadata;
      if (hasControllerRef(obj, owner.uid)) {
        await client.delete(resource, name, { namespace, propagationPolicy: "Background", preconditions: { uid: obj.metadata.uid } });
        continue;
      }
      const patch = { metadata: { annotations: { [CONTROLLER_UID_ANNOTATION]: null, [RETAINED_FROM_ANNOTATION]: `${owner.namespace ?? ""}/${owner.name}` } } };
      released.push({ resource, object: await client.mergePatch<KubeObject>(resource, name, patch, { namespace, fieldManager: opts.fieldManager }) });
    }
  return released;
}
