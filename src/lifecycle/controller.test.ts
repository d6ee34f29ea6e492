import { describe, expect, test } from "bun:test";
import { activeWindowMs } from "./controller.ts";

describe("activeWindowMs", () => {
  test("twice the interval, at least 2 minutes, at most half the idle timeout", () => {
    expect(activeWindowMs(60_000, {})).toBe(120_000);
    expect(activeWindowMs(300_000, {})).toBe(600_000);
    expect(activeWindowMs(60_000, { idleTimeoutMs: 30 * 60_000 })).toBe(120_000);
    // A 1m idle timeout turns Idle after 30 s, so the warning comes before the pause.
    expect(activeWindowMs(2_000, { idleTimeoutMs: 60_000 })).toBe(30_000);
  });
});
