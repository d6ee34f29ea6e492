// The flags `kode operator` and `kode sandbox` share: --activity-interval (and the others) are read once, bad values
// are refused with the flag's name.
import { describe, expect, test } from "bun:test";
import { SANDBOX_USAGE } from "./sandbox.ts";
import { OPERATOR_USAGE, sharedOperatorOptions } from "./cli.ts";

describe("shared operator flags", () => {
  test("--activity-interval: default 60s, a Go duration, 0 turns polling off", () => {
    expect(sharedOperatorOptions({}).activity).toEqual({ intervalMs: 60_000 });
    expect(sharedOperatorOptions({ "activity-interval": "5s" }).activity).toEqual({ intervalMs: 5_000 });
    expect(sharedOperatorOptions({ "activity-interval": "1m30s" }).activity).toEqual({ intervalMs: 90_000 });
    expect(sharedOperatorOptions({ "activity-interval": "0" }).activity).toEqual({ intervalMs: 0 });
  });

  test("bad values name the flag", () => {
    expect(() => sharedOperatorOptions({ "activity-interval": "soon" })).toThrow('--activity-interval: "soon" is not a duration');
    expect(() => sharedOperatorOptions({ "activity-interval": "500ms" })).toThrow("--activity-interval: 500ms is shorter than the minimum 1s");
    expect(() => sharedOperatorOptions({ concurrency: "0" })).toThrow("--concurrency must be a positive integer, got 0");
    expect(() => sharedOperatorOptions({ "log-level": "loud" })).toThrow("--log-level: unknown level loud");
  });

  test("the others: namespaces, resync, routes, leader election", () => {
    const o = sharedOperatorOptions({ namespace: ["a", "b"], resync: "2m", "no-ingress": true, "gateway-api": true, "leader-elect": true, "leader-election-namespace": "ops" });
    expect(o).toMatchObject({ namespaces: ["a", "b"], resyncMs: 120_000, routes: { ingress: false, gateway: true }, leaderElection: { namespace: "ops" } });
  });

  test("both commands document --activity-interval", () => {
    expect(OPERATOR_USAGE).toContain("--activity-interval DURATION");
    expect(SANDBOX_USAGE).toContain("--activity-interval");
  });
});
