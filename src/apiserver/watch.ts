// Watch streams: headers at once, one JSON event per line, history replay from a resourceVersion,
// 410 for history that is gone, bookmarks, WatchList (sendInitialEvents), timeouts, selector
// transitions (an object leaving a selector is DELETED for that watcher), and Table events.
import { badRequest, expired } from "./errors.ts";
import type { WatchControl } from "./hooks.ts";
import { storageKey } from "./registry.ts";
import { eventJson } from "./object-json.ts";
import { present } from "./state.ts";
import type { IndexedLabel, Store, StoreEvent } from "./store.ts";
import { toTable } from "./table.ts";
import type { KObject, ResourceType } from "./types.ts";
import { groupVersion } from "./types.ts";

export interface WatchParams {
  type: ResourceType;
  namespace: string | undefined;
  filter: ((obj: KObject) => boolean) & { indexed?: IndexedLabel[] };
  resourceVersion: string | null;
  sendInitialEvents: boolean;
  allowBookmarks: boolean;
  timeoutSeconds: number | undefined;
  table: { includeObject: "None" | "Metadata" | "Object" } | undefined;
  now: () => number;
}

const encoder = new TextEncoder();
const LEADING_NEWLINE = encoder.encode("\n");

function concat(chunks: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * The last event line encoded. A store event goes to every watcher of its resource one after another,
 * and the line depends only on (event type, stored object, served type) as stored objects are never
 * mutated, so the watchers after the first reuse the bytes instead of presenting and encoding again.
 */
let lastLine: { type: string; obj: KObject; served: ResourceType; bytes: Uint8Array } | undefined;

class Watcher {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private closed = false;
  private timers: Timer[] = [];
  private unsubscribe: (() => void) | undefined;
  private tableHeadersSent = false;
  private pending: Uint8Array[] = [];
  readonly resource: string;
  readonly stream: ReadableStream<Uint8Array>;

  constructor(
    private hub: WatchHub,
    private p: WatchParams,
  ) {
    this.resource = storageKey(p.type);
    this.stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.controller = c;
        // Bun (1.4.5) sends a streaming response's headers only with its first non-empty chunk, and a quiet
        // watch needs them at once; JSON allows leading whitespace (see withHeadersSentAtOnce in listener.ts,
        // done here directly to spare every event a second stream hop).
        c.enqueue(LEADING_NEWLINE);
      },
      cancel: () => this.close(),
    });
  }

  matches(obj: KObject | undefined): boolean {
    if (!obj) return false;
    if (this.p.namespace !== undefined && this.p.type.namespaced && obj.metadata.namespace !== this.p.namespace) return false;
    return this.p.filter(obj);
  }

  send(type: string, obj: KObject) {
    if (this.closed) return;
    if (!this.p.table && (type === "ADDED" || type === "MODIFIED" || type === "DELETED")) {
      const served = this.p.type;
      if (lastLine?.obj !== obj || lastLine.type !== type || lastLine.served !== served)
        lastLine = { type, obj, served, bytes: encoder.encode(`{"type":"${type}","object":${eventJson(served, obj)}}\n`) };
      this.enqueue(lastLine.bytes);
      return;
    }
    let object: unknown = type === "BOOKMARK" || type === "ERROR" ? obj : present(this.p.type, obj);
    if (this.p.table && type !== "BOOKMARK" && type !== "ERROR") {
      object = toTable([object as KObject], this.p.type, {
        headers: !this.tableHeadersSent,
        includeObject: this.p.table.includeObject,
        now: this.p.now(),
        resourceVersion: obj.metadata.resourceVersion ?? "",
      });
      this.tableHeadersSent = true;
    }
    this.enqueue(encoder.encode(`${JSON.stringify({ type, object })}\n`));
  }

  /**
   * Events are queued and handed to the stream once per event-loop turn: with many writes in flight a
   * watcher gets one chunk per turn instead of one per event (each chunk costs a trip through the
   * response sink, which was most of a busy watch's CPU).
   */
  private enqueue(bytes: Uint8Array) {
    this.pending.push(bytes);
    if (this.pending.length === 1) setImmediate(() => this.flush());
  }

  private flush() {
    const chunks = this.pending;
    if (chunks.length === 0) return;
    this.pending = [];
    try {
      this.controller.enqueue(chunks.length === 1 ? chunks[0] : concat(chunks));
    } catch {
      this.close();
    }
  }

  /** Deliver a store event, translating selector transitions. */
  deliver(e: StoreEvent) {
    if (e.resource !== this.resource) return;
    const now = e.type !== "DELETED" && this.matches(e.object);
    const before = e.type !== "ADDED" && this.matches(e.previous);
    if (e.type === "DELETED") {
      if (before) this.send("DELETED", e.object);
    } else if (now && before) this.send("MODIFIED", e.object);
    else if (now) this.send("ADDED", e.object);
    else if (before) this.send("DELETED", e.object);
  }

  bookmark(rv: number, initialEventsEnd = false) {
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (initialEventsEnd) metadata.annotations = { "k8s.io/initial-events-end": "true" };
    this.send("BOOKMARK", { kind: this.p.type.kind, apiVersion: groupVersion(this.p.type), metadata } as KObject);
  }

  start(store: Store, bookmarkIntervalMs: number) {
    const p = this.p;
    const rv = p.resourceVersion;
    if (p.sendInitialEvents || !rv || rv === "0") {
      const ns = p.type.namespaced ? p.namespace : undefined;
      const initial = p.filter.indexed?.length ? store.listLabelled(this.resource, ns, p.filter.indexed) : store.list(this.resource, ns);
      for (const obj of initial) if (this.matches(obj)) this.send("ADDED", obj);
      if (p.sendInitialEvents) this.bookmark(store.resourceVersion, true);
    } else {
      const since = Number(rv);
      const events = this.hub.consumeForcedExpiry(this.resource) ? undefined : store.eventsSince(since);
      if (!events) {
        const status = expired(`too old resource version: ${rv} (${store.oldestResumable + 1})`).status();
        this.send("ERROR", status as unknown as KObject);
        this.close();
        return;
      }
      for (const e of events) this.deliver(e);
    }
    this.unsubscribe = store.subscribe((e) => this.deliver(e));
    if (p.timeoutSeconds) this.timers.push(setTimeout(() => this.close(), p.timeoutSeconds * 1000));
    if (p.allowBookmarks) this.timers.push(setInterval(() => this.bookmark(store.resourceVersion), bookmarkIntervalMs));
  }

  close() {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.hub.forget(this);
    try {
      this.controller.close();
    } catch {}
  }
}

export class WatchHub implements WatchControl {
  private watchers = new Set<Watcher>();
  private forcedExpiry = new Set<string | undefined>();

  constructor(
    private store: Store,
    private bookmarkIntervalMs = 60_000,
  ) {}

  open(p: WatchParams): Response {
    if (p.resourceVersion && p.resourceVersion !== "0" && !/^\d+$/.test(p.resourceVersion))
      throw badRequest(`invalid resource version "${p.resourceVersion}"`);
    const w = new Watcher(this, p);
    this.watchers.add(w);
    w.start(this.store, this.bookmarkIntervalMs);
    const contentType = p.table ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "application/json";
    // The stream starts with "\n" so that the headers go out at once (see the constructor).
    return new Response(w.stream, { status: 200, headers: { "content-type": contentType, "cache-control": "no-cache, private" } });
  }

  forget(w: Watcher) {
    this.watchers.delete(w);
  }

  get size(): number {
    return this.watchers.size;
  }

  closeWatches(resource?: string): number {
    let n = 0;
    for (const w of [...this.watchers])
      if (!resource || w.resource.endsWith(`/${resource}`) || w.resource === resource) {
        w.close();
        n++;
      }
    return n;
  }

  /** The next watch (of `resource`, or any) resuming from a resourceVersion gets 410 Expired. */
  expireNextWatch(resource?: string) {
    this.forcedExpiry.add(resource);
  }

  consumeForcedExpiry(resource: string): boolean {
    for (const r of this.forcedExpiry)
      if (r === undefined || resource === r || resource.endsWith(`/${r}`)) {
        this.forcedExpiry.delete(r);
        return true;
      }
    return false;
  }

  compact() {
    this.store.compact(0);
  }

  closeAll() {
    this.closeWatches();
  }
}
