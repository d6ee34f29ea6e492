import { describe, expect, test } from "bun:test";
import { DURATION_PATTERN, formatDuration, parseDuration } from "./duration.ts";

const ok = (text: string) => {
  const r = parseDuration(text);
  if (!r.ok) throw new Error(r.message);
  return r.ms;
};

describe("parseDuration reads Go durations", () => {
  test.each([
    ["0", 0],
    ["30m", 1_800_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["90s", 90_000],
    ["1m30s", 90_000],
    ["300ms", 300],
    [".5s", 500],
    ["1.s", 1000],
    ["2h45m30s", 9_930_000],
    ["+5m", 300_000],
    ["1500us", 1.5],
    ["1000000ns", 1],
    ["2µs", 0.002],
  ] as const)("%s = %d ms", (text, ms) => {
    expect(ok(text)).toBe(ms);
  });

  test.each([
    ["", "empty"],
    ["-5m", "negative"],
    ["5", "missing unit"],
    ["m", "needs a number"],
    ["5d", 'unknown unit "d"'],
    ["1h30", "missing unit"],
    ["abc", "needs a number"],
    [".m", "needs a number"],
    ["5 m", 'unknown unit " m"'],
  ] as const)("%j is refused: %s", (text, why) => {
    const r = parseDuration(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain(why);
      expect(r.message).toContain("e.g. 30m, 1h30m, 90s");
    }
  });

  test("the schema pattern accepts and refuses the same strings", () => {
    const re = new RegExp(DURATION_PATTERN);
    for (const s of ["0", "30m", "1h30m", "1.5h", ".5s", "1.s", "2µs"]) expect(re.test(s)).toBe(true);
    for (const s of ["", "-5m", "5", "m", "5d", "1h30", ".m", "5 m", "00"]) expect(re.test(s)).toBe(false);
  });
});

describe("formatDuration", () => {
  test.each([
    [0, "0ms"],
    [999, "999ms"],
    [45_000, "45s"],
    [2_460_000, "41m"],
    [5_400_000, "1h30m"],
    [5_430_000, "1h30m"],
    [183_600_000, "2d3h"],
    [60_000, "1m"],
  ] as const)("%d ms reads %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
