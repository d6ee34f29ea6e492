// The object store: one global resourceVersion (etcd revision semantics), a bounded event history
// for watches, and synchronous subscribers. Stored objects are never mutated: writers store new ones.
import { withSortedKeys } from "./sorted-keys.ts";
import type { KObject } from "./types.ts";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  type: EventType;
  /** "<group>/<plural>" of the storage the object lives in. */
  resource: string;
  object: KObject;
  /** The object before this write (MODIFIED/DELETED), for selector transitions. */
  previous?: KObject;
  rv: number;
}

export interface StoreLog {
  /** Called synchronously before a write is acknowledged. */
  append(event: StoreEvent): void;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

class Table {
  readonly objects = new Map<string, KObject>();
  private sorted: string[] | undefined;

  keys(): string[] {
    // Lists come back in etcd key order: namespace, then name.
    this.sorted ??= [...this.objects.keys()].sort();
    return this.sorted;
  }

  set(key: string, obj: KObject) {
    if (!this.objects.has(key)) this.sorted = undefined;
    this.objects.set(key, obj);
  }

  delete(key: string) {
    if (this.objects.delete(key)) this.sorted = undefined;
  }
}

export class Store {
  private rv = 0;
  private tables = new Map<string, Table>();
  private history: StoreEvent[] = [];
  private historyStart = 0;
  private subscribers = new Set<(e: StoreEvent) => void>();
  log: StoreLog | undefined;

  /** At most this many events are kept for watches that resume from a resourceVersion. */
  constructor(private historyLimit = 10_000) {}

  get resourceVersion(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch can resume from without a 410. */
  get oldestResumable(): number {
    return this.history.length > this.historyStart ? this.history[this.historyStart].rv - 1 : this.rv;
  }

  private table(resource: string): Table {
    let t = this.tables.get(resource);
    if (!t) this.tables.set(resource, (t = new Table()));
    return t;
  }

  get(resource: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.tables.get(resource)?.objects.get(objectKey(namespace, name));
  }

  /** Objects of one resource in key order; namespace undefined means all namespaces. */
  list(resource: string, namespace?: string): KObject[] {
    const t = this.tables.get(resource);
    if (!t) return [];
    const out: KObject[] = [];
    const prefix = namespace === undefined ? undefined : `${namespace}/`;
    for (const key of t.keys()) {
      if (prefix === undefined || key.startsWith(prefix)) out.push(t.objects.get(key)!);
    }
    return out;
  }

  count(resource: string): number {
    return this.tables.get(resource)?.objects.size ?? 0;
  }

  resources(): string[] {
    return [...this.tables.keys()];
  }

  /** Store an object under a new resourceVersion and notify. Returns the stored object. */
  put(resource: string, obj: KObject, previous: KObject | undefined): KObject {
    const rv = ++this.rv;
    const stored = withSortedKeys<KObject>({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } });
    this.commit({ type: previous ? "MODIFIED" : "ADDED", resource, object: stored, previous, rv });
    return stored;
  }

  /** Remove an object; the DELETED event carries its last state with the deletion's resourceVersion. */
  remove(resource: string, obj: KObject): KObject {
    const rv = ++this.rv;
    const last = withSortedKeys<KObject>({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } });
    this.commit({ type: "DELETED", resource, object: last, previous: obj, rv });
    return last;
  }

  private commit(event: StoreEvent) {
    this.log?.append(event);
    this.apply(event);
    this.history.push(event);
    if (this.history.length - this.historyStart > this.historyLimit) this.compact(this.historyLimit);
    for (const s of this.subscribers) s(event);
  }

  private apply(event: StoreEvent) {
    const key = objectKey(event.object.metadata.namespace, event.object.metadata.name!);
    if (event.type === "DELETED") this.table(event.resource).delete(key);
    else this.table(event.resource).set(key, event.object);
  }

  /** Load a recovered event without logging or notifying (used when replaying the write-ahead log). */
  restore(event: StoreEvent) {
    this.apply({ ...event, object: withSortedKeys(event.object) });
    this.rv = Math.max(this.rv, event.rv);
  }

  /** Resume the global counter after a restart, even when every object was deleted. */
  restoreRevision(rv: number) {
    this.rv = Math.max(this.rv, rv);
  }

  /** Drop history so that at most `keep` events remain; older resume points then get 410. */
  compact(keep = 0) {
    this.historyStart = Math.max(this.historyStart, this.history.length - keep);
    if (this.historyStart > 4096 && this.historyStart > this.history.length / 2) {
      this.history = this.history.slice(this.historyStart);
      this.historyStart = 0;
    }
  }

  /** Events with rv > since, or undefined when history no longer reaches back that far. */
  eventsSince(since: number): StoreEvent[] | undefined {
    if (since < this.oldestResumable) return undefined;
    const out: StoreEvent[] = [];
    for (let i = this.history.length - 1; i >= this.historyStart && this.history[i].rv > since; i--) out.push(this.history[i]);
    return out.reverse();
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** Every stored object, for snapshots. */
  *entries(): Generator<[string, KObject]> {
    for (const [resource, t] of this.tables) for (const o of t.objects.values()) yield [resource, o];
  }
}
