import { describe, expect, test } from "bun:test";
import { jsonEqual, mergePatchBetween } from "./merge-patch.ts";

describe("jsonEqual", () => {
  test("key order does not matter, array order does, undefined members are absent", () => {
    expect(jsonEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: null }, { a: 1 })).toBe(false);
  });
});

describe("mergePatchBetween", () => {
  test("removed keys become null, changed ones are set, equal ones are left out, arrays are replaced", () => {
    expect(mergePatchBetween({ url: "x", phase: "Running", t: { kind: "K", ns: "a" }, c: [1] }, { phase: "Failed", t: { kind: "K" }, c: [1, 2] })).toEqual({
      url: null,
      phase: "Failed",
      t: { ns: null },
      c: [1, 2],
    });
    expect(mergePatchBetween({ a: { b: 1 } }, { a: { b: 1 } })).toEqual({});
  });
});
