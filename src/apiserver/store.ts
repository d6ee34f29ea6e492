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

/** Label requirements a list can be narrowed by: the object must have `key`, with one of `values` when given. */
export interface IndexedLabel {
  key: string;
  values?: string[];
}

class Table {
  readonly objects = new Map<string, KObject>();
  private sorted: string[] | undefined;
  /** label key -> label value -> object keys, so label-selected lists cost what they match. */
  private byLabel = new Map<string, Map<string, Set<string>>>();

  keys(): string[] {
    // Lists come back in etcd key order: namespace, then name.
    this.sorted ??= [...this.objects.keys()].sort();
    return this.sorted;
  }

  set(key: string, obj: KObject) {
    const old = this.objects.get(key);
    if (!old) this.sorted = undefined;
    if (old?.metadata.labels !== obj.metadata.labels) {
      if (old) this.unindex(key, old);
      if (obj.metadata.labels) this.index(key, obj);
    }
    this.objects.set(key, obj);
  }

  delete(key: string) {
    const old = this.objects.get(key);
    if (!old) return;
    this.unindex(key, old);
    this.objects.delete(key);
    this.sorted = undefined;
  }

  private index(key: string, obj: KObject) {
    for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) {
      let values = this.byLabel.get(k);
      if (!values) this.byLabel.set(k, (values = new Map()));
      let keys = values.get(v);
      if (!keys) values.set(v, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindex(key: string, obj: KObject | undefined) {
    for (const [k, v] of Object.entries(obj?.metadata.labels ?? {})) {
      const values = this.byLabel.get(k);
      const keys = values?.get(v);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) values!.delete(v);
      if (values!.size === 0) this.byLabel.delete(k);
    }
  }

  /** Keys of the objects that can satisfy every requirement: those of the most selective one. */
  labelled(reqs: IndexedLabel[]): Iterable<string> {
    let best: string[] | Set<string> | undefined;
    let bestSize = Infinity;
    for (const r of reqs) {
      const values = this.byLabel.get(r.key);
      if (!values) return [];
      let size = 0;
      const sets: Set<string>[] = [];
      for (const v of r.values ?? values.keys()) {
        const keys = values.get(v);
        if (keys) {
          sets.push(keys);
          size += keys.size;
        }
      }
      if (size >= bestSize) continue;
      bestSize = size;
      best = sets.length === 1 ? sets[0] : sets.flatMap((s) => [...s]);
    }
    return best ?? this.objects.keys();
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

  /**
   * Objects of one resource that carry the given labels, in key order (a superset of what the full
   * selector matches: the caller still filters). Costs the size of the smallest label's match, not the
   * size of the resource.
   */
  listLabelled(resource: string, namespace: string | undefined, reqs: IndexedLabel[]): KObject[] {
    const t = this.tables.get(resource);
    if (!t) return [];
    const prefix = namespace === undefined ? undefined : `${namespace}/`;
    const keys: string[] = [];
    for (const key of t.labelled(reqs)) if (prefix === undefined || key.startsWith(prefix)) keys.push(key);
    return keys.sort().map((k) => t.objects.get(k)!);
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
