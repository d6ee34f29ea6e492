import { describe, expect, test } from "bun:test";
import { resolvePolicy } from "./policy.ts";

const NOW = Date.parse("2026-12-01T10:00:00Z");

describe("resolvePolicy", () => {
  test("template values, default warnBefore 5m", () => {
    expect(resolvePolicy({ idleTimeout: "30m", maxRunTime: "8h" }, undefined, undefined, NOW)).toEqual({
      policy: { warnBeforeMs: 300_000, idleTimeoutMs: 1_800_000, maxRunTimeMs: 28_800_000, templateMaxRunTimeMs: 28_800_000 },
      problems: [],
    });
  });

  test("nothing set: never paused", () => {
    expect(resolvePolicy(undefined, undefined, undefined, NOW)).toEqual({ policy: { warnBeforeMs: 300_000 }, problems: [] });
  });

  test("a Kode may shorten", () => {
    expect(resolvePolicy({ idleTimeout: "1h", maxRunTime: "8h" }, { idleTimeout: "15m", maxRunTime: "2h", warnBefore: "1m" }, undefined, NOW)).toEqual({
      policy: { warnBeforeMs: 60_000, idleTimeoutMs: 900_000, maxRunTimeMs: 7_200_000, templateMaxRunTimeMs: 28_800_000 },
      problems: [],
    });
  });

  test("a Kode may set an idle timeout the template does not have", () => {
    expect(resolvePolicy({}, { idleTimeout: "20m" }, undefined, NOW).policy.idleTimeoutMs).toBe(1_200_000);
  });

  test("a Kode lengthening the template is refused and the template's value applies", () => {
    expect(resolvePolicy({ idleTimeout: "30m" }, { idleTimeout: "2h" }, undefined, NOW)).toEqual({
      policy: { warnBeforeMs: 300_000, idleTimeoutMs: 1_800_000 },
      problems: [
        {
          reason: "LifecycleLongerThanTemplate",
          field: "spec.lifecycle.idleTimeout",
          message: "spec.lifecycle.idleTimeout 2h is longer than the template's 30m; a Kode may only shorten it",
        },
      ],
    });
  });

  test("durations that do not parse or are too short", () => {
    const r = resolvePolicy({ idleTimeout: "30s", maxRunTime: "8 hours" }, undefined, undefined, NOW);
    expect(r.policy).toEqual({ warnBeforeMs: 300_000 });
    expect(r.problems).toEqual([
      { reason: "InvalidLifecycle", field: "template lifecycle.idleTimeout", message: "template lifecycle.idleTimeout: 30s is shorter than the minimum 1m" },
      {
        reason: "InvalidLifecycle",
        field: "template lifecycle.maxRunTime",
        message: 'template lifecycle.maxRunTime: "8 hours" is not a duration (unknown unit " hours"); use a number and a unit, e.g. 30m, 1h30m, 90s',
      },
    ]);
  });

  test("keep-alive-until: a future time postpones; not a time or in the past is reported", () => {
    const ann = (v: string) => ({ "kode.jacero.io/keep-alive-until": v });
    expect(resolvePolicy({ idleTimeout: "30m" }, undefined, ann("2026-12-01T18:00:00Z"), NOW).policy.keepAliveUntil).toBe(Date.parse("2026-12-01T18:00:00Z"));
    expect(resolvePolicy({ idleTimeout: "30m" }, undefined, ann("2026-12-01T19:00:00+01:00"), NOW).policy.keepAliveUntil).toBe(Date.parse("2026-12-01T18:00:00Z"));
    expect(resolvePolicy({}, undefined, ann("tomorrow"), NOW).problems).toEqual([
      {
        reason: "InvalidKeepAlive",
        field: "metadata.annotations[kode.jacero.io/keep-alive-until]",
        message: 'kode.jacero.io/keep-alive-until="tomorrow" is not an RFC 3339 time such as 2026-12-01T18:00:00Z',
      },
    ]);
    expect(resolvePolicy({}, undefined, ann("2026-12-01T09:00:00Z"), NOW).problems[0]!.message).toBe(
      "kode.jacero.io/keep-alive-until=2026-12-01T09:00:00Z is in the past and postpones nothing",
    );
  });
});
