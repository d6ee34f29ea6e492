// Optional (--gc): the parts of kube-controller-manager that clean up after deletes. The garbage
// collector follows ownerReferences (background, foreground, orphan) and the namespace controller
// empties and removes terminating namespaces. envtest has neither, so both are off by default.
import { timestamp } from "../state.ts";
import type { Store, StoreEvent } from "../store.ts";
import type { KObject } from "../types.ts";

const NAMESPACES = "/namespaces";

export class GarbageCollector {
  private scheduled = false;
  private unsubscribe: () => void;
  /**
   * Every object by uid: its namespace and whether it is being deleted. A write of a dependent whose owners
   * all exist (same namespace, not being deleted) gives a sweep nothing to do, and a sweep reads the whole
   * store: without this check each write of any owned object cost a pass over every object.
   */
  private objects = new Map<string, { namespace?: string; deleting: boolean }>();

  constructor(
    private store: Store,
    private now: () => number,
    private isNamespaced: (resource: string) => boolean,
  ) {
    for (const [, obj] of store.entries()) this.track("ADDED", obj);
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  private track(type: StoreEvent["type"], obj: KObject) {
    const uid = obj.metadata.uid;
    if (!uid) return;
    if (type === "DELETED") this.objects.delete(uid);
    else this.objects.set(uid, { namespace: obj.metadata.namespace, deleting: !!obj.metadata.deletionTimestamp });
  }

  /** Whether every owner of `obj` exists in its namespace and none is being deleted (no sweep needed). */
  private ownersSettled(obj: KObject): boolean {
    return (obj.metadata.ownerReferences ?? []).every((ref) => {
      const owner = this.objects.get(ref.uid);
      return owner !== undefined && !owner.deleting && (owner.namespace === undefined || owner.namespace === obj.metadata.namespace);
    });
  }

  stop() {
    this.unsubscribe();
  }

  private onEvent(e: StoreEvent) {
    this.track(e.type, e.object);
    if (e.type !== "DELETED" && !e.object.metadata.deletionTimestamp && (!e.object.metadata.ownerReferences || this.ownersSettled(e.object))) return;
    if (this.scheduled) return;
    this.scheduled = true;
    // Run after the triggering write has reached every watcher, as a separate controller would.
    setTimeout(() => {
      this.scheduled = false;
      this.sweep();
    }, 0);
  }

  /** Start deleting an object the way the API does: finalizers first, then removal. */
  private delete(resource: string, obj: KObject) {
    if (obj.metadata.deletionTimestamp) return;
    if (obj.metadata.finalizers?.length)
      this.store.put(resource, { ...obj, metadata: { ...obj.metadata, deletionTimestamp: timestamp(this.now()), deletionGracePeriodSeconds: 0 } }, obj);
    else this.store.remove(resource, obj);
  }

  private dropFinalizer(resource: string, obj: KObject, finalizer: string) {
    const finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (finalizers.length || this.hasNamespaceFinalizers(obj)) this.store.put(resource, { ...obj, metadata: { ...obj.metadata, finalizers } }, obj);
    else this.store.remove(resource, obj);
  }

  private hasNamespaceFinalizers(obj: KObject): boolean {
    return obj.kind === "Namespace" && ((obj.spec as any)?.finalizers ?? []).length > 0;
  }

  sweep() {
    const byUid = new Map<string, { resource: string; obj: KObject }>();
    const all: { resource: string; obj: KObject }[] = [];
    for (const [resource, obj] of this.store.entries()) {
      byUid.set(obj.metadata.uid!, { resource, obj });
      all.push({ resource, obj });
    }
    const blockingDependents = new Map<string, number>();
    for (const { resource, obj } of all) {
      const refs = obj.metadata.ownerReferences;
      if (!refs?.length) continue;
      const live = refs.filter((ref) => {
        const owner = byUid.get(ref.uid)?.obj;
        // An owner in another namespace does not count: owner references never cross namespaces.
        return owner && (owner.metadata.namespace === undefined || owner.metadata.namespace === obj.metadata.namespace);
      });
      const orphaning = live.filter((ref) => byUid.get(ref.uid)!.obj.metadata.finalizers?.includes("orphan") && byUid.get(ref.uid)!.obj.metadata.deletionTimestamp);
      if (orphaning.length) {
        const kept = refs.filter((r) => !orphaning.includes(r));
        this.store.put(resource, { ...obj, metadata: { ...obj.metadata, ownerReferences: kept.length ? kept : undefined } }, obj);
        continue;
      }
      const foreground = live.filter((ref) => {
        const owner = byUid.get(ref.uid)!.obj;
        return owner.metadata.deletionTimestamp && owner.metadata.finalizers?.includes("foregroundDeletion");
      });
      // With a solid owner left, the real collector keeps the dependent and only drops its dangling and
      // waiting-for-foreground references, so those owners are neither kept nor blocked by it.
      const solid = live.filter((ref) => !foreground.includes(ref));
      if (solid.length) {
        if (solid.length !== refs.length) this.store.put(resource, { ...obj, metadata: { ...obj.metadata, ownerReferences: solid } }, obj);
        continue;
      }
      for (const ref of foreground) if (ref.blockOwnerDeletion) blockingDependents.set(ref.uid, (blockingDependents.get(ref.uid) ?? 0) + 1);
      if (live.length === 0 || (foreground.length > 0 && foreground.length === live.length)) this.delete(resource, obj);
    }
    for (const { resource, obj } of all) {
      const m = obj.metadata;
      if (!m.deletionTimestamp) continue;
      if (m.finalizers?.includes("orphan")) this.dropFinalizer(resource, this.current(resource, obj) ?? obj, "orphan");
      else if (m.finalizers?.includes("foregroundDeletion") && !blockingDependents.get(m.uid!)) {
        const cur = this.current(resource, obj);
        if (cur) this.dropFinalizer(resource, cur, "foregroundDeletion");
      }
      if (resource === NAMESPACES) this.finalizeNamespace(obj);
    }
  }

  private current(resource: string, obj: KObject): KObject | undefined {
    return this.store.get(resource, obj.metadata.namespace, obj.metadata.name!);
  }

  /** Delete a terminating namespace's contents; once empty, release the `kubernetes` finalizer. */
  private finalizeNamespace(ns: KObject) {
    const name = ns.metadata.name!;
    let remaining = 0;
    for (const resource of this.store.resources()) {
      if (!this.isNamespaced(resource)) continue;
      for (const obj of this.store.list(resource, name)) {
        remaining++;
        this.delete(resource, obj);
      }
    }
    if (remaining > 0) return; // the deletes above trigger another sweep
    const cur = this.store.get(NAMESPACES, undefined, name);
    if (!cur || !this.hasNamespaceFinalizers(cur)) return;
    const updated = { ...cur, spec: { ...(cur.spec as object), finalizers: [] } } as KObject;
    if (updated.metadata.finalizers?.length) this.store.put(NAMESPACES, updated, cur);
    else this.store.remove(NAMESPACES, updated);
  }
}
