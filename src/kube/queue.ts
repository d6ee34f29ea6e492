// A work queue of keys with client-go's semantics:
// - a key waiting in the queue is there once (adds are deduplicated);
// - a key is never handed to two workers at once: added while being processed, it is queued again when
//   the worker calls done();
// - per-key exponential backoff for failures (addRateLimited / forget), and delayed adds (addAfter) that
//   keep the earliest due time;
// - two levels: add() is for changes (watch events), addLow() for background work (periodic resync, fan-out);
//   workers always take a change first, so a resync of many settled keys never delays a new one. A key
//   waiting at the low level that is added as a change moves up;
// - shutDown() stops accepting adds and lets the workers drain what is queued (or drops it).

export interface QueueTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WorkQueueHooks {
  /** A key entered the queue (not counted when deduplicated). */
  onAdd?(key: string): void;
  /** A key was scheduled again after a failure. */
  onRetry?(key: string, delayMs: number): void;
  /** How long a key waited in the queue before a worker took it. */
  onQueueLatency?(key: string, ms: number): void;
  /** How long processing took. */
  onWorkDuration?(key: string, ms: number, ok: boolean): void;
}

export interface WorkQueueOptions {
  name?: string;
  /** First retry delay (default 5 ms), doubled per consecutive failure of a key. */
  baseDelayMs?: number;
  /** Longest retry delay (default 5 minutes). */
  maxDelayMs?: number;
  hooks?: WorkQueueHooks;
  /** Clock and timers (tests). */
  timers?: QueueTimers;
}

const realTimers: QueueTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as Timer),
};

type Level = "high" | "low";

export class WorkQueue {
  readonly name: string;
  // Sets keep insertion order and delete in O(1): FIFO queues that can also move a key up.
  private high = new Set<string>();
  private low = new Set<string>();
  /** Keys that need processing (waiting, or re-added while processing), with their level. */
  private dirty = new Map<string, Level>();
  private processing = new Map<string, number>();
  private addedAt = new Map<string, number>();
  private waiting = new Map<string, { due: number; handle: unknown }>();
  private failures = new Map<string, number>();
  private getters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private drained: (() => void)[] = [];
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timers: QueueTimers;
  private readonly hooks: WorkQueueHooks;
  /** Totals, for metrics. */
  adds = 0;
  retries = 0;
  processed = 0;

  constructor(opts: WorkQueueOptions = {}) {
    this.name = opts.name ?? "queue";
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
    this.timers = opts.timers ?? realTimers;
    this.hooks = opts.hooks ?? {};
  }

  /** Keys waiting to be processed. */
  get depth(): number {
    return this.high.size + this.low.size;
  }

  /** Keys waiting at the low level (resync). */
  get lowDepth(): number {
    return this.low.size;
  }

  /** Keys being processed right now. */
  get inFlight(): number {
    return this.processing.size;
  }

  /** Keys scheduled for later (addAfter / addRateLimited). */
  get delayed(): number {
    return this.waiting.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Milliseconds the longest-running key has been in processing (0 when idle): spots stuck workers. */
  longestRunningMs(): number {
    const now = this.timers.now();
    let longest = 0;
    for (const started of this.processing.values()) longest = Math.max(longest, now - started);
    return longest;
  }

  /** Queue a change: ahead of everything added with addLow. */
  add(key: string) {
    this.addAt(key, "high");
  }

  /** Queue background work (a periodic resync): taken only when no change waits. */
  addLow(key: string) {
    this.addAt(key, "low");
  }

  private addAt(key: string, level: Level) {
    if (this.shuttingDown) return;
    const queued = this.dirty.get(key);
    if (queued === "high" || queued === level) return;
    this.dirty.set(key, level);
    if (queued === "low") {
      // Moves up; it keeps its original add time for the latency hook.
      if (this.low.delete(key)) this.push(key, level);
      return;
    }
    this.adds++;
    this.addedAt.set(key, this.timers.now());
    this.hooks.onAdd?.(key);
    if (this.processing.has(key)) return; // queued by done()
    this.push(key, level);
  }

  /** Add after `ms`; of several pending delays for a key, the earliest wins. */
  addAfter(key: string, ms: number) {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const due = this.timers.now() + ms;
    const pending = this.waiting.get(key);
    if (pending) {
      if (pending.due <= due) return;
      this.timers.clearTimeout(pending.handle);
    }
    const handle = this.timers.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { due, handle });
  }

  /** The delay the next failure of `key` gets: base * 2^failures, capped. */
  nextDelay(key: string): number {
    const n = this.failures.get(key) ?? 0;
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(n, 40));
  }

  /** Add after this key's backoff delay, growing the delay for the next failure. */
  addRateLimited(key: string) {
    if (this.shuttingDown) return;
    const delay = this.nextDelay(key);
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    this.retries++;
    this.hooks.onRetry?.(key, delay);
    this.addAfter(key, delay);
  }

  /** Reset the backoff of `key` (call after it was processed successfully). */
  forget(key: string) {
    this.failures.delete(key);
  }

  /** Consecutive failures recorded for `key`. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * The next key to process, waiting for one if needed; undefined once the queue is shut down and empty.
   * The caller must call done(key) when finished.
   */
  get(): Promise<string | undefined> {
    if (this.depth) return Promise.resolve(this.take());
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: string, ok = true) {
    const started = this.processing.get(key);
    if (started === undefined) return;
    this.processing.delete(key);
    this.processed++;
    this.hooks.onWorkDuration?.(key, this.timers.now() - started, ok);
    const level = this.dirty.get(key);
    if (level) this.push(key, level);
    this.checkDrained();
  }

  /**
   * Stop accepting adds and drop delayed keys. With `drain` (default) workers still get every queued key;
   * without it the queue is emptied. Resolves when nothing is queued or in process.
   */
  shutDown(opts: { drain?: boolean } = {}): Promise<void> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      for (const { handle } of this.waiting.values()) this.timers.clearTimeout(handle);
      this.waiting.clear();
      if (opts.drain === false) {
        for (const k of [...this.high, ...this.low]) this.dirty.delete(k);
        this.high.clear();
        this.low.clear();
      }
      if (!this.depth) for (const g of this.getters.splice(0)) g(undefined);
    }
    return new Promise((resolve) => {
      this.drained.push(resolve);
      this.checkDrained();
    });
  }

  private push(key: string, level: Level) {
    (level === "high" ? this.high : this.low).add(key);
    const getter = this.getters.shift();
    if (getter) getter(this.take());
  }

  private take(): string {
    const from = this.high.size ? this.high : this.low;
    const key = from.values().next().value as string;
    from.delete(key);
    this.dirty.delete(key);
    const now = this.timers.now();
    this.processing.set(key, now);
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.hooks.onQueueLatency?.(key, now - added);
    return key;
  }

  private checkDrained() {
    if (!this.shuttingDown) return;
    if (!this.depth) for (const g of this.getters.splice(0)) g(undefined);
    if (this.depth || this.processing.size) return;
    for (const d of this.drained.splice(0)) d();
  }
}

export type ReconcileResult = { requeueAfterMs?: number } | void;

export interface RunWorkersOptions {
  /** Called when the handler throws (the key is then retried with backoff). */
  onError?(key: string, err: unknown, retries: number): void;
}

/**
 * Run `n` workers until the queue is shut down and drained. A handler that throws is retried with the
 * key's backoff; one that succeeds resets the backoff and, with `requeueAfterMs`, runs again later.
 */
export async function runWorkers(
  queue: WorkQueue,
  n: number,
  handler: (key: string) => Promise<ReconcileResult>,
  opts: RunWorkersOptions = {},
): Promise<void> {
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      let ok = true;
      try {
        const result = await handler(key);
        queue.forget(key);
        if (result && result.requeueAfterMs !== undefined && result.requeueAfterMs >= 0) queue.addAfter(key, result.requeueAfterMs);
      } catch (e) {
        ok = false;
        queue.addRateLimited(key);
        try {
          opts.onError?.(key, e, queue.numRequeues(key));
        } catch {}
      } finally {
        queue.done(key, ok);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
}
