// An informer: list + watch one resource into an in-memory cache and tell handlers what changed.
//
// - Lists page by page (limit/continue), then watches from the list's resourceVersion with bookmarks.
// - A clean end of the watch stream re-watches from the last resourceVersion seen (objects or bookmarks).
// - 410 Gone/Expired (HTTP, or an ERROR event) relists; objects missing from the new list get a delete.
// - 429, 5xx and network errors back off exponentially with jitter (Retry-After honoured) and never give
//   up; a successful list or a watch that delivers events resets the backoff.
// - A watch that delivers no bytes for `inactivityTimeoutMs` (default 70 s) is dropped and re-opened.
// - stop() aborts the request in flight; it is idempotent and logs nothing.
import { KubeError, WatchInactivityError, isAbortError } from "./errors.ts";
import type { KubeClient, KubeObject, ResourceRef, WatchEvent } from "./types.ts";

export type AddHandler<T> = (obj: T) => void;
export type UpdateHandler<T> = (obj: T, old: T) => void;
export type DeleteHandler<T> = (obj: T) => void;

export interface InformerLogger {
  debug?(msg: string, fields?: Record<string, unknown>): void;
  info?(msg: string, fields?: Record<string, unknown>): void;
  warn?(msg: string, fields?: Record<string, unknown>): void;
}

export interface InformerOptions {
  /** Only this namespace (default: all). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size of the list (default 500). */
  pageSize?: number;
  /** Reconnect when the watch is silent this long (default 70 000 ms). */
  inactivityTimeoutMs?: number;
  /** Ask the server to end each watch after this many seconds; default a random 300–600, as client-go. 0: never. */
  watchTimeoutSeconds?: number;
  /**
   * Emit `update(obj, obj)` for every cached object once in each period of this length (default 0: off). The
   * objects are spread over the period in RESYNC_SLICES even steps: a resync of many objects never lands as
   * one burst ahead of the changes that come in meanwhile.
   */
  resyncPeriodMs?: number;
  /** Backoff for transient errors: base (default 200 ms), cap (default 30 000 ms). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  logger?: InformerLogger;
  /** Randomness for jitter (tests). */
  random?: () => number;
  /**
   * Called on every object as it enters the cache (list items and watch events), before handlers see it;
   * it modifies the freshly decoded object in place. E.g. stripManagedFields, which keeps a cache of many
   * objects much smaller.
   */
  transform?: (obj: KubeObject) => void;
  /**
   * Which objects the cache keeps (default all). Others are dropped as they arrive: a watch over a large
   * collection (every Secret) then costs memory only for the objects someone refers to. Their deletion is
   * still reported when `keep` says yes to the deleted object. When what `keep` decides changes for an
   * object (a reference appears or goes), call recheck() for it.
   */
  keep?: (obj: KubeObject) => boolean;
}

/** A `transform` dropping metadata.managedFields (server-side apply bookkeeping) from cached objects. */
export function stripManagedFields(obj: KubeObject): void {
  if (obj?.metadata && "managedFields" in obj.metadata) delete obj.metadata.managedFields;
}

const KUBECTL_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * stripManagedFields, and kubectl's last-applied-configuration annotation: a second copy of the whole object
 * as the user last applied it (of a Secret, its values in clear) that nothing reading the cache needs.
 */
export function stripUnread(obj: KubeObject): void {
  stripManagedFields(obj);
  const annotations = obj?.metadata?.annotations;
  if (annotations && KUBECTL_LAST_APPLIED in annotations) {
    delete annotations[KUBECTL_LAST_APPLIED];
    if (!Object.keys(annotations).length) delete obj.metadata.annotations;
  }
}

/** stripUnread, and the spec: for a cache whose readers look only at metadata and status (e.g. pods). */
export function stripUnreadAndSpec(obj: KubeObject): void {
  stripUnread(obj);
  if (obj && "spec" in obj) delete (obj as { spec?: unknown }).spec;
}

export interface InformerStats {
  lists: number;
  watches: number;
  relists: number;
  /** Transient failures that led to a backoff. */
  errors: number;
  /** Watches dropped for inactivity. */
  inactivityTimeouts: number;
}

/** How many steps a resync period is cut into (at most one step per RESYNC_MIN_STEP_MS). */
export const RESYNC_SLICES = 50;
const RESYNC_MIN_STEP_MS = 20;

const keyOf = (obj: KubeObject) => (obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name);

/** Exponential backoff with "equal jitter": a delay in [d/2, d], d = min(cap, base * 2^n). */
export class Backoff {
  private attempt = 0;
  constructor(
    readonly baseMs = 200,
    readonly capMs = 30_000,
    private random: () => number = Math.random,
  ) {}
  next(): number {
    const d = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return d / 2 + (d / 2) * this.random();
  }
  reset() {
    this.attempt = 0;
  }
  get attempts(): number {
    return this.attempt;
  }
}

/**
 * Most index values name one object (a Kode's own Secret, a child's controller), and most objects are filed
 * under one value: a single entry is kept as the string itself, a Set or a list only when there are more
 * (with 1,000 Kodes that saves some 8,000 Sets).
 */
type Keys = string | Set<string>;
type Values = string | string[];

interface Index<T> {
  fn: (obj: T) => string[];
  values: Map<string, Keys>;
  /** key → the values it is filed under */
  byKey: Map<string, Values>;
}

const each = (v: Keys | Values | undefined): Iterable<string> => (v === undefined ? [] : typeof v === "string" ? [v] : v);
const sameValues = (before: Values | undefined, after: string[]) =>
  before !== undefined && (typeof before === "string" ? after.length === 1 && after[0] === before : before.length === after.length && before.every((v, i) => v === after[i]));

export class Informer<T extends KubeObject = KubeObject> {
  private cache = new Map<string, T>();
  private indexes = new Map<string, Index<T>>();
  private addHandlers: AddHandler<T>[] = [];
  private updateHandlers: UpdateHandler<T>[] = [];
  private deleteHandlers: DeleteHandler<T>[] = [];
  private synced = false;
  private syncWaiters: ((ok: boolean) => void)[] = [];
  private started = false;
  private stopped = false;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private resyncTimer: Timer | undefined;
  /** The keys of the resync round in progress (a snapshot), and how far it got. */
  private resyncRound: { keys: string[]; next: number; step: number } | undefined;
  private rv = "";
  /** recheck() GETs in flight, and whether a watch event for the key arrived meanwhile (the event wins). */
  private fetching = new Map<string, { superseded: boolean; done: Promise<void> }>();
  private readonly backoff: Backoff;
  private readonly log: InformerLogger;
  readonly stats: InformerStats = { lists: 0, watches: 0, relists: 0, errors: 0, inactivityTimeouts: 0 };

  constructor(
    private client: KubeClient,
    readonly ref: ResourceRef,
    private opts: InformerOptions = {},
  ) {
    this.backoff = new Backoff(opts.backoffBaseMs ?? 200, opts.backoffCapMs ?? 30_000, opts.random);
    this.log = opts.logger ?? {};
  }

  // ---- handlers ----

  on(event: "add", fn: AddHandler<T>): this;
  on(event: "update", fn: UpdateHandler<T>): this;
  on(event: "delete", fn: DeleteHandler<T>): this;
  on(event: "add" | "update" | "delete", fn: AddHandler<T> | UpdateHandler<T> | DeleteHandler<T>): this {
    if (event === "add") this.addHandlers.push(fn as AddHandler<T>);
    else if (event === "update") this.updateHandlers.push(fn as UpdateHandler<T>);
    else this.deleteHandlers.push(fn as DeleteHandler<T>);
    return this;
  }

  // ---- cache ----

  get hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion the cache is at. */
  get resourceVersion(): string {
    return this.rv;
  }

  get size(): number {
    return this.cache.size;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  /**
   * Bring one object in line with `keep` after what it decides changed: a cached object it no longer wants
   * is dropped (silently: it still exists), a wanted one that is not cached is fetched with a GET and
   * reported as added. Resolves when the cache is up to date for that key (a no-op before the first sync:
   * the list will see it).
   */
  recheck(namespace: string | undefined, name: string): Promise<void> {
    const key = namespace ? `${namespace}/${name}` : name;
    const cached = this.cache.get(key);
    if (cached) {
      if (this.opts.keep && !this.opts.keep(cached)) this.remove(key);
      return Promise.resolve();
    }
    if (!this.synced || this.stopped) return Promise.resolve();
    const inflight = this.fetching.get(key);
    if (inflight) return inflight.done;
    const entry = { superseded: false, done: Promise.resolve() };
    entry.done = this.client
      .get<T>(this.ref, name, this.ref.namespaced ? namespace : undefined)
      .then(
        (obj) => {
          if (!obj || entry.superseded || this.stopped || this.cache.has(key)) return;
          this.ingest(obj);
          if (this.opts.keep && !this.opts.keep(obj)) return;
          this.put(key, obj);
          this.emitAdd(obj);
        },
        (e) => this.log.warn?.("fetching a referenced object failed", { resource: this.ref.plural, key, error: (e as Error).message }),
      )
      .finally(() => this.fetching.delete(key));
    this.fetching.set(key, entry);
    return entry.done;
  }

  /** Index objects by the values `fn` returns (e.g. the template a Kode refers to). */
  addIndex(name: string, fn: (obj: T) => string[]) {
    if (this.indexes.has(name)) throw new Error(`index "${name}" already exists`);
    const index: Index<T> = { fn, values: new Map(), byKey: new Map() };
    this.indexes.set(name, index);
    for (const [key, obj] of this.cache) this.indexPut(index, key, obj);
  }

  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no index "${name}"`);
    const out: T[] = [];
    for (const k of each(index.values.get(value))) {
      const obj = this.cache.get(k);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** How many objects byIndex(name, value) would return, without building the list. */
  countByIndex(name: string, value: string): number {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no index "${name}"`);
    const keys = index.values.get(value);
    return keys === undefined ? 0 : typeof keys === "string" ? 1 : keys.size;
  }

  // ---- lifecycle ----

  /** Start listing and watching (idempotent). */
  start(): this {
    if (this.started || this.stopped) return this;
    this.started = true;
    this.loop = this.run();
    const period = this.opts.resyncPeriodMs ?? 0;
    if (period > 0) {
      const steps = Math.max(1, Math.min(RESYNC_SLICES, Math.floor(period / RESYNC_MIN_STEP_MS)));
      this.resyncTimer = setInterval(() => this.resyncStep(steps), period / steps);
    }
    return this;
  }

  /** Resolves true once the first list is in the cache, false if the informer stops first. */
  waitForSync(): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Stop for good: abort the request in flight; resolves when the loop has exited. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.abort.abort();
      if (this.resyncTimer) clearInterval(this.resyncTimer);
      for (const w of this.syncWaiters.splice(0)) w(false);
    }
    await this.loop;
  }

  // ---- the loop ----

  private async run(): Promise<void> {
    let needList = true;
    let gone = 0;
    while (!this.stopped) {
      let delay = 0;
      try {
        if (needList) {
          await this.relist();
          needList = false;
          gone = 0;
          this.backoff.reset();
        }
        const events = await this.watchOnce();
        // Clean end (server timeout, closed connection): re-watch from the last resourceVersion. A stream
        // that ends without a single event may be a server in trouble, so that one backs off.
        if (events > 0) this.backoff.reset();
        else delay = this.backoff.next();
      } catch (e) {
        if (this.stopped || isAbortError(e)) break;
        if (e instanceof KubeError && e.code === 410) {
          // Our resourceVersion (or a continue token) is too old: list again. Repeated 410s back off.
          this.log.debug?.("resource version expired; relisting", { resource: this.ref.plural, rv: this.rv });
          needList = true;
          this.rv = "";
          if (gone++ > 0) delay = this.backoff.next();
        } else if (e instanceof WatchInactivityError) {
          this.stats.inactivityTimeouts++;
          this.log.debug?.("watch inactive; reconnecting", { resource: this.ref.plural, timeoutMs: e.timeoutMs });
        } else {
          this.stats.errors++;
          delay = this.backoff.next();
          if (e instanceof KubeError && e.retryAfterSeconds !== undefined) delay = Math.max(delay, e.retryAfterSeconds * 1000);
          this.log.warn?.(needList ? "list failed; retrying" : "watch failed; retrying", {
            resource: this.ref.plural,
            error: (e as Error).message,
            code: (e as KubeError).code,
            retryInMs: Math.round(delay),
          });
        }
      }
      if (delay > 0 && !this.stopped) await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.abort.signal;
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  private async relist() {
    const items: T[] = [];
    let cont: string | undefined;
    let rv = "";
    do {
      this.stats.lists++;
      const page = await this.client.list<T>(this.ref, {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: this.opts.pageSize ?? 500,
        continue: cont,
      });
      if (this.stopped) return;
      // Filtered page by page: a list of every Secret never sits in memory as a whole.
      for (const item of page.items) {
        this.ingest(item);
        if (!this.opts.keep || this.opts.keep(item)) items.push(item);
      }
      rv = page.metadata.resourceVersion;
      cont = page.metadata.continue || undefined;
    } while (cont);
    if (this.synced) this.stats.relists++;
    this.replace(items, rv);
  }

  /** Put a complete list into the cache, emitting add/update/delete for the differences. */
  private replace(items: T[], rv: string) {
    const seen = new Set<string>();
    for (const obj of items) {
      const key = keyOf(obj);
      seen.add(key);
      const old = this.cache.get(key);
      this.put(key, obj);
      if (!old) this.emitAdd(obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emitUpdate(obj, old);
    }
    for (const [key, old] of [...this.cache]) {
      if (seen.has(key)) continue;
      this.remove(key);
      this.emitDelete(old);
    }
    this.rv = rv;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w(true);
    }
  }

  /** One watch request; returns how many events it delivered. Throws on failure. */
  private async watchOnce(): Promise<number> {
    this.stats.watches++;
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? Math.floor(300 + 300 * Math.random());
    const stream = this.client.watch<T>(this.ref, {
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      resourceVersion: this.rv,
      allowWatchBookmarks: true,
      timeoutSeconds: timeoutSeconds > 0 ? timeoutSeconds : undefined,
      signal: this.abort.signal,
      inactivityTimeoutMs: this.opts.inactivityTimeoutMs ?? 70_000,
    });
    let n = 0;
    for await (const event of stream) {
      if (this.stopped) break;
      n++;
      this.apply(event);
    }
    return n;
  }

  private apply(event: WatchEvent<T>) {
    const obj = event.object;
    if (event.type === "ERROR") throw KubeError.fromStatus((obj ?? {}) as object);
    const rv = obj?.metadata?.resourceVersion;
    if (event.type === "BOOKMARK") {
      if (rv) this.rv = rv;
      return;
    }
    if (!obj?.metadata?.name) return;
    this.ingest(obj);
    const key = keyOf(obj);
    const old = this.cache.get(key);
    const fetching = this.fetching.get(key);
    if (fetching) fetching.superseded = true;
    const keep = !this.opts.keep || this.opts.keep(obj);
    if (event.type === "DELETED") {
      if (old) this.remove(key);
      if (old || keep) this.emitDelete(obj);
    } else if (!keep) {
      // Not (or no longer) wanted: dropped without an event, it still exists.
      if (old) this.remove(key);
    } else {
      this.put(key, obj);
      if (old) this.emitUpdate(obj, old);
      else this.emitAdd(obj);
    }
    if (rv) this.rv = rv;
  }

  /** Apply the transform (in place: each object is decoded for this informer alone). */
  private ingest(obj: T): T {
    this.opts.transform?.(obj);
    return obj;
  }

  /**
   * One of the `steps` steps of a resync period: the next 1/steps of the keys cached when the round began. A key
   * gone since is skipped; one added since waits for the next round (it was just reported as added).
   */
  private resyncStep(steps: number) {
    if (!this.synced || this.stopped) return;
    const round = (this.resyncRound ??= { keys: [...this.cache.keys()], next: 0, step: 0 });
    round.step++;
    const end = Math.ceil((round.keys.length * round.step) / steps);
    for (; round.next < end; round.next++) {
      const obj = this.cache.get(round.keys[round.next]);
      if (obj) this.emitUpdate(obj, obj);
    }
    if (round.step >= steps) this.resyncRound = undefined;
  }

  private put(key: string, obj: T) {
    this.cache.set(key, obj);
    for (const index of this.indexes.values()) this.indexPut(index, key, obj);
  }

  private remove(key: string) {
    this.cache.delete(key);
    for (const index of this.indexes.values()) this.indexRemove(index, key);
  }

  private indexPut(index: Index<T>, key: string, obj: T) {
    let values: string[];
    try {
      values = index.fn(obj);
      if (values.length > 1) values = [...new Set(values)];
    } catch (e) {
      this.log.warn?.("index function failed", { resource: this.ref.plural, key, error: (e as Error).message });
      values = [];
    }
    if (sameValues(index.byKey.get(key), values)) return;
    this.indexRemove(index, key);
    if (!values.length) return;
    index.byKey.set(key, values.length === 1 ? values[0] : values);
    for (const v of values) {
      const keys = index.values.get(v);
      if (keys === undefined) index.values.set(v, key);
      else if (typeof keys === "string") index.values.set(v, new Set([keys, key]));
      else keys.add(key);
    }
  }

  private indexRemove(index: Index<T>, key: string) {
    for (const v of each(index.byKey.get(key))) {
      const keys = index.values.get(v);
      if (keys === key) index.values.delete(v);
      else if (keys instanceof Set) {
        keys.delete(key);
        if (keys.size === 1) index.values.set(v, keys.values().next().value!);
      }
    }
    index.byKey.delete(key);
  }

  private emitAdd(obj: T) {
    for (const h of this.addHandlers) this.call(() => h(obj), "add");
  }
  private emitUpdate(obj: T, old: T) {
    for (const h of this.updateHandlers) this.call(() => h(obj, old), "update");
  }
  private emitDelete(obj: T) {
    for (const h of this.deleteHandlers) this.call(() => h(obj), "delete");
  }

  private call(fn: () => void, what: string) {
    try {
      fn();
    } catch (e) {
      this.log.warn?.(`${what} handler threw`, { resource: this.ref.plural, error: (e as Error).message });
    }
  }
}
