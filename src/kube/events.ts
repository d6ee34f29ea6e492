// Records core/v1 Events about objects, as `kubectl describe` shows them. Like client-go's recorder,
// repeats of the same event within a window update one Event (count, lastTimestamp) instead of creating
// new ones, and recording never fails the caller: an Event is a hint, not state.
import { hostname } from "node:os";
import { silentLogger, type Logger } from "./logger.ts";
import { EVENTS } from "./resources.ts";
import type { KubeClient, KubeObject } from "./types.ts";

export type EventType = "Normal" | "Warning";

export interface EventRecorderOptions {
  client: KubeClient;
  /** The reporting component, e.g. "kode-operator" (source.component and reportingComponent). */
  component: string;
  /** This replica, e.g. the pod name (reportingInstance and source.host); default: the host name. */
  instance?: string;
  logger?: Logger;
  /** Wall clock in milliseconds (fractions give the microseconds of eventTime). */
  now?: () => number;
  /** How many distinct (object, type, reason, message) keys to remember (default 4096). */
  cacheSize?: number;
  /** Repeats within this window update the existing Event (default 10 minutes). */
  aggregationWindowMs?: number;
}

export interface EventRecorderStats {
  created: number;
  updated: number;
  failed: number;
}

/** The Event fields this recorder writes (core/v1). */
export interface CoreEvent extends KubeObject {
  involvedObject: { apiVersion?: string; kind?: string; name: string; namespace?: string; uid?: string; resourceVersion?: string };
  reason: string;
  message: string;
  type: EventType;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  eventTime: string;
  action: string;
  source: { component: string; host?: string };
  reportingComponent: string;
  reportingInstance: string;
}

export const MAX_MESSAGE_BYTES = 1024;
const MAX_SHORT_FIELD = 128; // reason, action, reportingInstance
const MAX_NAME = 253;

interface Entry {
  /** Name of the Event on the server, once created. */
  name?: string;
  namespace: string;
  firstTimestamp: string;
  lastSeenMs: number;
  /** Occurrences seen, and how many of them the server knows about. */
  count: number;
  written: number;
  /** Writes of one key run one after another, so repeats never race to create two Events. */
  chain: Promise<void>;
}

export class EventRecorder {
  readonly stats: EventRecorderStats = { created: 0, updated: 0, failed: 0 };
  private readonly client: KubeClient;
  private readonly component: string;
  private readonly instance: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly cacheSize: number;
  private readonly windowMs: number;
  private readonly cache = new Map<string, Entry>();
  private readonly pending = new Set<Promise<void>>();

  constructor(opts: EventRecorderOptions) {
    this.client = opts.client;
    this.component = opts.component;
    this.instance = truncateBytes(opts.instance || hostname() || opts.component, MAX_SHORT_FIELD);
    this.log = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.cacheSize = Math.max(1, opts.cacheSize ?? 4096);
    this.windowMs = opts.aggregationWindowMs ?? 10 * 60_000;
  }

  /**
   * Records an event about `obj`. Returns at once; the promise (which never rejects) settles when
   * the Event is written, for callers that want to wait. `action` defaults to the reason.
   */
  event(obj: KubeObject, type: EventType, reason: string, message: string, opts: { action?: string } = {}): Promise<void> {
    let p: Promise<void>;
    try {
      p = this.record(obj, type, reason, message, opts.action);
    } catch (e) {
      this.fail("recording event failed", e, obj, reason);
      return Promise.resolve();
    }
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  normal(obj: KubeObject, reason: string, message: string): Promise<void> {
    return this.event(obj, "Normal", reason, message);
  }

  warning(obj: KubeObject, reason: string, message: string): Promise<void> {
    return this.event(obj, "Warning", reason, message);
  }

  /** Waits for every write started so far (for shutdown and tests). */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private record(obj: KubeObject, type: EventType, reasonIn: string, messageIn: string, actionIn: string | undefined): Promise<void> {
    const reason = truncateBytes(reasonIn || "Unknown", MAX_SHORT_FIELD);
    const action = truncateBytes(actionIn || reason, MAX_SHORT_FIELD);
    const message = truncateBytes(messageIn, MAX_MESSAGE_BYTES);
    const meta = obj.metadata;
    const involvedObject = compact({
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
    }) as CoreEvent["involvedObject"];
    const namespace = meta.namespace || "default"; // events about cluster-scoped objects live in "default"
    const key = [obj.apiVersion, obj.kind, meta.namespace, meta.name, meta.uid, type, reason, message].join("\u0000");

    const nowMs = this.now();
    let entry = this.cache.get(key);
    if (entry) this.cache.delete(key); // re-inserted below: Map order is the LRU order
    if (!entry || nowMs - entry.lastSeenMs > this.windowMs) {
      entry = { namespace, firstTimestamp: formatTime(nowMs), lastSeenMs: nowMs, count: 0, written: 0, chain: Promise.resolve() };
    }
    entry.count++;
    entry.lastSeenMs = nowMs;
    this.cache.set(key, entry);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);

    const e = entry;
    const build = (): CoreEvent => ({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: eventName(meta.name, nowMs), namespace: e.namespace },
      involvedObject,
      reason,
      message,
      type,
      count: e.count,
      firstTimestamp: e.firstTimestamp,
      lastTimestamp: formatTime(e.lastSeenMs),
      eventTime: formatMicroTime(nowMs),
      action,
      source: { component: this.component, host: this.instance },
      reportingComponent: this.component,
      reportingInstance: this.instance,
    });
    const write = async () => {
      if (e.written >= e.count) return; // an earlier write in the chain already covered this one
      try {
        await this.write(e, build);
      } catch (err) {
        this.fail(e.name ? "updating event failed" : "creating event failed", err, obj, reason);
      }
    };
    e.chain = e.chain.then(write);
    return e.chain;
  }

  private async write(e: Entry, build: () => CoreEvent) {
    const count = e.count;
    if (e.name) {
      try {
        await this.client.mergePatch(EVENTS, e.name, { count, lastTimestamp: formatTime(e.lastSeenMs) }, { namespace: e.namespace });
        e.written = count;
        this.stats.updated++;
        return;
      } catch (err) {
        // The Event expired (the API server deletes them after an hour): record it anew.
        if (codeOf(err) !== 404) throw err;
        e.name = undefined;
      }
    }
    let event = build();
    try {
      await this.client.create(EVENTS, event);
    } catch (err) {
      if (codeOf(err) !== 409) throw err;
      event = { ...event, metadata: { ...event.metadata, name: eventName(event.involvedObject.name, this.now(), true) } };
      await this.client.create(EVENTS, event);
    }
    e.name = event.metadata.name;
    e.written = count;
    this.stats.created++;
  }

  private fail(msg: string, err: unknown, obj: KubeObject, reason: string) {
    this.stats.failed++;
    this.log.debug(msg, {
      err,
      object: `${obj.kind ?? "?"} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ""}${obj.metadata.name}`,
      reason,
    });
  }
}

// ---- formatting ----

/** RFC 3339 with seconds, as Time fields (firstTimestamp) are written. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** MicroTime: RFC 3339 with exactly 6 fractional digits, e.g. 2026-11-25T10:00:00.123456Z. */
export function formatMicroTime(ms: number): string {
  const wholeSeconds = Math.floor(ms / 1000);
  const micros = Math.min(999_999, Math.floor((ms - wholeSeconds * 1000) * 1000));
  return `${new Date(wholeSeconds * 1000).toISOString().slice(0, 19)}.${String(micros).padStart(6, "0")}Z`;
}

/** `<object name>.<hex>` as client-go names Events (the hex is the time in nanoseconds, made unique). */
function eventName(objectName: string, ms: number, random = false): string {
  const nanos = BigInt(Math.floor(ms)) * 1_000_000n + BigInt(random ? Math.floor(Math.random() * 1_000_000) : nextSeq());
  const suffix = nanos.toString(16);
  const base =
    objectName
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, "-")
      .slice(0, MAX_NAME - suffix.length - 1)
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "") || "object";
  return `${base}.${suffix}`;
}

let seq = 0;
function nextSeq(): number {
  seq = (seq + 1) % 1_000_000;
  return seq;
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
function truncateBytes(s: string, max: number): string {
  if (s.length * 3 <= max || Buffer.byteLength(s) <= max) return s;
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "")) as Partial<T>;
}

function codeOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "number" ? code : undefined;
}
