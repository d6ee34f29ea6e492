import { expect, test } from "bun:test";
import { sameJson } from "./same-json.ts";

test("sameJson ignores key order and undefined fields, not values or array order", () => {
  expect(sameJson({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }, { b: { c: [1, { e: 3, d: 2 }] }, a: 1 })).toBe(true);
  expect(sameJson({ a: 1, x: undefined }, { a: 1 })).toBe(true);
  expect(sameJson({ a: 1 }, { a: 2 })).toBe(false);
  expect(sameJson([1, 2], [2, 1])).toBe(false);
  expect(sameJson({ a: null }, {})).toBe(false);
  expect(sameJson(undefined, {})).toBe(false);
});
