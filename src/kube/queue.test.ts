// WorkQueue semantics with a fake clock: dedupe, one worker per key, bounded concurrency, backoff and
// forget, addAfter keeping the earliest, drain on shutdown, and runWorkers' handling of results.
import { describe, expect, test } from "bun:test";
import { runWorkers, WorkQueue, type QueueTimers } from "./queue.ts";

class FakeTimers implements QueueTimers {
  t = 0;
  private seq = 0;
  private timers = new Map<number, { due: number; fn: () => void }>();
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.set(id, { due: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  get pending(): number {
    return this.timers.size;
  }
  /** Move the clock, firing due timers in order. */
  advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers.entries()].filter(([, x]) => x.due <= end).sort((a, b) => a[1].due - b[1].due)[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].due;
      next[1].fn();
    }
    this.t = end;
  }
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("WorkQueue", () => {
  test("adds of a waiting key are deduplicated", async () => {
    const q = new WorkQueue({ timers: new FakeTimers() });
    q.add("a");
    q.add("a");
    q.add("b");
    q.add("a");
    expect(q.depth).toBe(2);
    expect(q.adds).toBe(2);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
  });

  test("a key added while processing is queued again only after done()", async () => {
    const q = new WorkQueue({ timers: new FakeTimers() });
    q.add("a");
    const key = await q.get();
    expect(key).toBe("a");
    q.add("a");
    q.add("a");
    expect(q.depth).toBe(0); // not handed to a second worker
    expect(q.inFlight).toBe(1);
    q.done("a");
    expect(q.depth).toBe(1);
    expect(await q.get()).toBe("a");
    q.done("a");
    expect(q.depth).toBe(0);
  });

  test("a waiting get() receives the next key", async () => {
    const q = new WorkQueue({ timers: new FakeTimers() });
    const pending = q.get();
    q.add("x");
    expect(await pending).toBe("x");
    expect(q.inFlight).toBe(1);
  });

  test("addRateLimited backs off 5 ms * 2^n up to the cap; forget resets", () => {
    const timers = new FakeTimers();
    const delays: number[] = [];
    const q = new WorkQueue({ timers, maxDelayMs: 100, hooks: { onRetry: (_k, ms) => delays.push(ms) } });
    for (let i = 0; i < 7; i++) q.addRateLimited("k");
    expect(delays).toEqual([5, 10, 20, 40, 80, 100, 100]);
    expect(q.numRequeues("k")).toBe(7);
    expect(q.retries).toBe(7);
    q.forget("k");
    expect(q.numRequeues("k")).toBe(0);
    q.addRateLimited("k");
    expect(delays.at(-1)).toBe(5);
    // Keys back off independently.
    q.addRateLimited("other");
    expect(delays.at(-1)).toBe(5);
  });

  test("a rate-limited key arrives after its delay", () => {
    const timers = new FakeTimers();
    const q = new WorkQueue({ timers });
    q.addRateLimited("k");
    q.addRateLimited("k"); // second failure: 10 ms, but the pending 5 ms is earlier and wins
    expect(q.depth).toBe(0);
    timers.advance(4);
    expect(q.depth).toBe(0);
    timers.advance(1);
    expect(q.depth).toBe(1);
  });

  test("addAfter keeps the earliest due time", () => {
    const timers = new FakeTimers();
    const q = new WorkQueue({ timers });
    q.addAfter("k", 1000);
    q.addAfter("k", 10); // earlier: replaces
    q.addAfter("k", 500); // later: ignored
    expect(q.delayed).toBe(1);
    timers.advance(10);
    expect(q.depth).toBe(1);
    expect(timers.pending).toBe(0); // the 1000 ms timer was cancelled
    timers.advance(2000);
    expect(q.adds).toBe(1);
    q.addAfter("z", 0); // no delay: at once
    expect(q.depth).toBe(2);
  });

  test("shutDown ignores new adds, drops delayed keys and drains the queue", async () => {
    const timers = new FakeTimers();
    const q = new WorkQueue({ timers });
    q.add("a");
    q.add("b");
    q.addAfter("later", 100);
    let drained = false;
    const done = q.shutDown().then(() => (drained = true));
    q.add("c");
    expect(q.depth).toBe(2);
    expect(timers.pending).toBe(0);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
    expect(await q.get()).toBeUndefined();
    await tick();
    expect(drained).toBe(false); // a and b still in process
    q.done("a");
    q.done("b");
    await done;
    expect(drained).toBe(true);
  });

  test("shutDown releases waiting workers; without drain it drops queued keys", async () => {
    const q = new WorkQueue({ timers: new FakeTimers() });
    const waiting = q.get();
    await q.shutDown({ drain: true });
    expect(await waiting).toBeUndefined();
    const q2 = new WorkQueue({ timers: new FakeTimers() });
    q2.add("a");
    await q2.shutDown({ drain: false });
    expect(await q2.get()).toBeUndefined();
  });

  test("metrics hooks see queue latency and processing time", async () => {
    const timers = new FakeTimers();
    const latency: number[] = [];
    const work: [number, boolean][] = [];
    const q = new WorkQueue({ timers, hooks: { onQueueLatency: (_k, ms) => latency.push(ms), onWorkDuration: (_k, ms, ok) => work.push([ms, ok]) } });
    q.add("a");
    timers.advance(7);
    await q.get();
    timers.advance(30);
    expect(q.longestRunningMs()).toBe(30);
    q.done("a", false);
    expect(latency).toEqual([7]);
    expect(work).toEqual([[30, false]]);
    expect(q.processed).toBe(1);
  });
});

describe("runWorkers", () => {
  test("never more than n keys at once, and never one key twice at once", async () => {
    const q = new WorkQueue({ timers: new FakeTimers() });
    let active = 0;
    let maxActive = 0;
    const activeKeys = new Set<string>();
    let overlap = false;
    const gates = new Map<string, ReturnType<typeof deferred>[]>();
    const runs: string[] = [];
    const workers = runWorkers(q, 3, async (key) => {
      if (activeKeys.has(key)) overlap = true;
      activeKeys.add(key);
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push(key);
      const gate = deferred();
      gates.set(key, [...(gates.get(key) ?? []), gate]);
      await gate.promise;
      active--;
      activeKeys.delete(key);
    });
    for (const k of ["a", "b", "c", "d", "e"]) q.add(k);
    await tick();
    expect(active).toBe(3);
    q.add("a"); // while "a" is in process
    await tick();
    expect(runs.filter((k) => k === "a")).toHaveLength(1);
    // Release everything, repeatedly, until the queue is empty.
    for (let i = 0; i < 20 && (q.depth || q.inFlight); i++) {
      for (const list of gates.values()) for (const g of list) g.resolve();
      await tick();
    }
    expect(runs.filter((k) => k === "a")).toHaveLength(2);
    expect(runs.sort()).toEqual(["a", "a", "b", "c", "d", "e"]);
    expect(maxActive).toBe(3);
    expect(overlap).toBe(false);
    await q.shutDown();
    await workers;
  });

  test("a throwing handler is retried with growing backoff; success forgets and can requeue", async () => {
    const timers = new FakeTimers();
    const q = new WorkQueue({ timers });
    let calls = 0;
    const errors: number[] = [];
    const workers = runWorkers(
      q,
      1,
      async () => {
        calls++;
        if (calls <= 2) throw new Error("boom");
        if (calls === 3) return { requeueAfterMs: 1000 };
      },
      { onError: (_k, _e, retries) => errors.push(retries) },
    );
    q.add("k");
    await tick();
    expect(calls).toBe(1);
    expect(q.numRequeues("k")).toBe(1);
    timers.advance(5);
    await tick();
    expect(calls).toBe(2);
    expect(q.numRequeues("k")).toBe(2);
    timers.advance(9);
    await tick();
    expect(calls).toBe(2); // second retry waits 10 ms
    timers.advance(1);
    await tick();
    expect(calls).toBe(3);
    expect(q.numRequeues("k")).toBe(0); // forgotten on success
    expect(errors).toEqual([1, 2]);
    timers.advance(999);
    await tick();
    expect(calls).toBe(3);
    timers.advance(1);
    await tick();
    expect(calls).toBe(4); // requeueAfterMs
    await q.shutDown();
    await workers;
  });
});

describe("two levels: changes ahead of resync work", () => {
  test("a change added after 1,000 resync keys is taken first; resync keys keep their order", async () => {
    const q = new WorkQueue();
    for (let i = 0; i < 1000; i++) q.addLow(`ns/settled-${i}`);
    q.add("ns/new");
    expect(q.depth).toBe(1001);
    expect(q.lowDepth).toBe(1000);
    expect(await q.get()).toBe("ns/new");
    q.done("ns/new");
    expect(await q.get()).toBe("ns/settled-0");
    q.done("ns/settled-0");
    expect(await q.get()).toBe("ns/settled-1");
  });

  test("a waiting resync key added as a change moves up, once; a change added again as resync stays a change", async () => {
    const q = new WorkQueue();
    q.addLow("a");
    q.addLow("b");
    q.addLow("c");
    q.add("c");
    q.addLow("c");
    expect(q.depth).toBe(3);
    expect(q.lowDepth).toBe(2);
    expect(await q.get()).toBe("c");
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
    expect(q.depth).toBe(0);
  });

  test("a key re-added while processing comes back at the highest level it was added with", async () => {
    const q = new WorkQueue();
    q.addLow("k");
    expect(await q.get()).toBe("k");
    q.addLow("x");
    q.addLow("k");
    q.add("k");
    q.done("k");
    expect(await q.get()).toBe("k");
    expect(await q.get()).toBe("x");
  });

  test("shutDown without drain drops both levels", async () => {
    const q = new WorkQueue();
    q.add("a");
    q.addLow("b");
    await q.shutDown({ drain: false });
    expect(q.depth).toBe(0);
    expect(await q.get()).toBeUndefined();
  });
});
