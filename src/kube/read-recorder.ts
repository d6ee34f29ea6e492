// A reconcile-scoped reader: every cache read a reconcile makes is recorded with what it saw (the object's
// resourceVersion, or its absence), so "nothing I read has changed since a pass that wrote nothing" can be
// checked without anyone listing the inputs by hand. A new read in the reconciler is recorded by itself.
import type { Cache, ChildCache } from "./cache.ts";

type Versioned = { metadata: { name: string; resourceVersion?: string; uid?: string; generation?: number } };
type AnyCache = Cache<Versioned> & Partial<Pick<ChildCache, "controlledBy">>;

/** One recorded read: which cache, what was asked, what it answered ("-" for absent). */
export interface Read {
  cache: string;
  query: ["get", string | undefined, string] | ["controlledBy", string];
  seen: string;
}

const rvOf = (o: Versioned | undefined) => (o ? (o.metadata.resourceVersion ?? "?") : "-");
const seenOne = (o: Versioned) => `${o.metadata.name}@${rvOf(o)}`;
// Most lists a reconcile reads hold no object or one (a Kode's children of one kind).
const listSeen = (items: Versioned[]) => (items.length === 0 ? "" : items.length === 1 ? seenOne(items[0]) : items.map(seenOne).sort().join(","));

/** What a get saw: the cache's own notion of version when it has one, else the resourceVersion. */
const versionSeen = (cache: AnyCache, o: Versioned | undefined) => (o && cache.versionOf ? cache.versionOf(o) : rvOf(o));

function answer(cache: AnyCache, query: Read["query"]): string {
  if (query[0] === "get") return versionSeen(cache, cache.get(query[1], query[2]));
  return listSeen(cache.controlledBy?.(query[1]) ?? []);
}

export class ReadRecorder<C extends Record<string, AnyCache>> {
  private readonly reads = new Map<string, Read>();
  /** The same caches, recording every read. */
  readonly caches: C;

  constructor(caches: C) {
    const wrapped: Record<string, AnyCache> = {};
    for (const [name, cache] of Object.entries(caches)) wrapped[name] = this.wrap(name, cache);
    this.caches = wrapped as C;
  }

  private wrap(name: string, cache: AnyCache): AnyCache {
    const record = (query: Read["query"], seen: string) => this.reads.set(`${name}\u0000${query.join("\u0000")}`, { cache: name, query, seen });
    const view: AnyCache = {
      get: (ns, n) => {
        const obj = cache.get(ns, n);
        record(["get", ns, n], versionSeen(cache, obj));
        return obj;
      },
    };
    if (cache.controlledBy)
      view.controlledBy = (uid: string) => {
        const items = cache.controlledBy!(uid);
        record(["controlledBy", uid], listSeen(items));
        return items;
      };
    return view;
  }

  /** Everything read so far. */
  recorded(): Read[] {
    return [...this.reads.values()];
  }
}

/** Whether asking the caches the same questions gives the same answers as when `reads` were recorded. */
export function readsUnchanged(reads: readonly Read[], caches: Record<string, AnyCache>): boolean {
  return reads.every((r) => caches[r.cache] !== undefined && answer(caches[r.cache], r.query) === r.seen);
}

