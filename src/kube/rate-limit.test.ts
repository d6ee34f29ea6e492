// Token accounting of the client-side rate limiter, with an injected clock: no real waiting.
import { describe, expect, test } from "bun:test";
import { TokenBucket } from "./rate-limit.ts";

function bucket(qps: number, burst: number) {
  const clock = { now: 0 };
  const slept: number[] = [];
  const b = new TokenBucket({ qps, burst, now: () => clock.now, sleep: async (ms) => void slept.push(ms) });
  return { b, clock, slept };
}

describe("TokenBucket", () => {
  test("the burst is free, then each token costs 1/qps", () => {
    const { b } = bucket(10, 3);
    expect([b.reserve(), b.reserve(), b.reserve()]).toEqual([0, 0, 0]);
    expect(b.reserve()).toBeCloseTo(100);
    expect(b.reserve()).toBeCloseTo(200); // queued behind the previous caller
    expect(b.available()).toBeCloseTo(-2);
  });

  test("tokens refill with time, up to the burst", () => {
    const { b, clock } = bucket(10, 3);
    for (let i = 0; i < 3; i++) b.reserve();
    clock.now += 150; // 1.5 tokens
    expect(b.available()).toBeCloseTo(1.5);
    expect(b.reserve()).toBe(0);
    expect(b.reserve()).toBeCloseTo(50);
    clock.now += 10_000;
    expect(b.available()).toBe(3);
  });

  test("take() waits (via the injected sleep) instead of failing, and counts throttling", async () => {
    const { b, slept } = bucket(5, 1);
    await b.take();
    await b.take();
    await b.take();
    expect(slept.map(Math.round)).toEqual([200, 400]);
    expect(b.throttledRequests).toBe(2);
    expect(Math.round(b.throttledMs)).toBe(600);
  });

  test("tryTake never goes into debt", () => {
    const { b, clock } = bucket(2, 2);
    expect(b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(false);
    clock.now += 500;
    expect(b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(false);
  });

  test("qps <= 0 disables limiting", async () => {
    const { b, slept } = bucket(0, 1);
    for (let i = 0; i < 1000; i++) await b.take();
    expect(slept).toEqual([]);
    expect(b.unlimited).toBe(true);
  });

  test("defaults are 50 qps and a burst of 100", () => {
    const b = new TokenBucket();
    expect(b.qps).toBe(50);
    expect(b.burst).toBe(100);
  });
});
