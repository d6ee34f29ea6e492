import { describe, expect, test } from "bun:test";
import { applyMergePatch, createMergePatch, deepEqualJson } from "./merge-patch.ts";

describe("applyMergePatch: RFC 7386 appendix A", () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [["a", "b"], ["c", "d"], ["c", "d"]],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, expected] of cases) {
    test(`${JSON.stringify(target)} + ${JSON.stringify(patch)}`, () => {
      expect(applyMergePatch(target, patch)).toEqual(expected);
    });
  }
});

describe("applyMergePatch", () => {
  test("never mutates its inputs", () => {
    const target = { spec: { size: 1, tags: ["a"], nested: { keep: true } }, drop: 1 };
    const patch = { spec: { size: 2, tags: ["b"], nested: { added: { x: null, y: 1 } } }, drop: null };
    const targetCopy = structuredClone(target);
    const patchCopy = structuredClone(patch);
    const result = applyMergePatch(target, patch);
    expect(result).toEqual({ spec: { size: 2, tags: ["b"], nested: { keep: true, added: { y: 1 } } } });
    expect(target).toEqual(targetCopy);
    expect(patch).toEqual(patchCopy);
  });

  test("the result shares no structure with the target or the patch", () => {
    const target = { metadata: { labels: { a: "1" } }, untouched: { deep: [1] } };
    const patch = { spec: { list: [{ x: 1 }] } };
    const result = applyMergePatch(target, patch) as any;
    result.untouched.deep.push(2);
    result.spec.list[0].x = 99;
    expect(target.untouched.deep).toEqual([1]);
    expect(patch.spec.list[0].x).toBe(1);
  });

  test("a kubectl label patch adds a label and keeps the others", () => {
    const cm = { metadata: { name: "c", labels: { app: "web" } }, data: { k: "v" } };
    expect(applyMergePatch(cm, { metadata: { labels: { tier: "gold" } } })).toEqual({
      metadata: { name: "c", labels: { app: "web", tier: "gold" } },
      data: { k: "v" },
    });
  });

  test("null removes a label; null for an absent key changes nothing", () => {
    const cm = { metadata: { labels: { app: "web", tier: "gold" } } };
    expect(applyMergePatch(cm, { metadata: { labels: { tier: null, missing: null } } })).toEqual({
      metadata: { labels: { app: "web" } },
    });
  });

  test("arrays are replaced wholesale, never merged", () => {
    const obj = { spec: { containers: [{ name: "a", image: "x" }, { name: "b", image: "y" }] } };
    expect(applyMergePatch(obj, { spec: { containers: [{ name: "a", image: "z" }] } })).toEqual({
      spec: { containers: [{ name: "a", image: "z" }] },
    });
  });

  test("null members of objects inside a new array are dropped, null items are kept", () => {
    expect(applyMergePatch({}, { a: [{ b: null, c: 1 }, null] })).toEqual({ a: [{ c: 1 }, null] });
  });

  test("a member named __proto__ is an ordinary member", () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const result = applyMergePatch({}, patch) as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(["__proto__", "a"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
  });
});

describe("createMergePatch", () => {
  test("removed members become null, changed ones are carried, unchanged ones are left out", () => {
    const from = { a: 1, b: { c: 2, d: 3 }, e: [1, 2], f: "same" };
    const to = { a: 2, b: { c: 2 }, e: [1, 2, 3], f: "same", g: { h: true } };
    expect(createMergePatch(from, to)).toEqual({ a: 2, b: { d: null }, e: [1, 2, 3], g: { h: true } });
  });

  test("identical documents give an empty patch", () => {
    const doc = { metadata: { labels: { a: "b" } }, spec: { list: [{ x: 1 }] } };
    expect(createMergePatch(doc, structuredClone(doc))).toEqual({});
  });

  test("an object replacing a scalar is carried whole; a scalar replacing an object too", () => {
    expect(createMergePatch({ a: "x", b: { c: 1 } }, { a: { y: 1 }, b: 2 })).toEqual({ a: { y: 1 }, b: 2 });
  });

  test("an emptied object becomes a patch of nulls, not a replacement", () => {
    expect(createMergePatch({ labels: { a: "1", b: "2" } }, { labels: {} })).toEqual({ labels: { a: null, b: null } });
  });

  test("the patch does not alias `to`", () => {
    const to = { list: [{ a: 1 }] };
    const patch = createMergePatch({}, to) as { list: { a: number }[] };
    patch.list[0].a = 2;
    expect(to.list[0].a).toBe(1);
  });

  test("rejects non-object documents", () => {
    expect(() => createMergePatch([], {})).toThrow(TypeError);
    expect(() => createMergePatch({}, "x")).toThrow(TypeError);
    expect(() => createMergePatch(null, {})).toThrow(TypeError);
  });

  describe("round trip on generated documents", () => {
    // Deterministic PRNG so a failure is reproducible.
    function prng(seed: number) {
      let state = seed >>> 0;
      return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }
    const keys = ["a", "b", "c", "d", "spec", "metadata", "__proto__"];

    function randomValue(rand: () => number, depth: number): unknown {
      const choice = Math.floor(rand() * (depth > 2 ? 4 : 6));
      switch (choice) {
        case 0:
          return Math.floor(rand() * 5);
        case 1:
          return ["x", "y", ""][Math.floor(rand() * 3)];
        case 2:
          return rand() < 0.5;
        case 3:
          // Arrays may hold null items: only object members cannot be null in a mergeable document.
          return Array.from({ length: Math.floor(rand() * 3) }, () => (rand() < 0.2 ? null : randomValue(rand, depth + 1)));
        default:
          return randomObject(rand, depth + 1);
      }
    }

    function randomObject(rand: () => number, depth: number): Record<string, unknown> {
      const obj: Record<string, unknown> = {};
      for (const key of keys) {
        if (rand() < 0.4) Object.defineProperty(obj, key, { value: randomValue(rand, depth), enumerable: true, writable: true, configurable: true });
      }
      return obj;
    }

    /** A copy of `value` with some members changed, added or removed, so pairs share structure. */
    function mutate(rand: () => number, value: unknown, depth: number): unknown {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return rand() < 0.3 ? randomValue(rand, depth) : structuredClone(value);
      }
      const result: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(value)) {
        const roll = rand();
        if (roll < 0.15) continue;
        Object.defineProperty(result, key, { value: roll < 0.3 ? randomValue(rand, depth + 1) : mutate(rand, member, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      if (rand() < 0.3) result[`new${Math.floor(rand() * 3)}`] = randomValue(rand, depth + 1);
      return result;
    }

    test("applyMergePatch(from, createMergePatch(from, to)) equals to, for 500 generated pairs", () => {
      const rand = prng(7386);
      for (let i = 0; i < 500; i++) {
        const from = randomObject(rand, 0);
        const to = (i % 4 === 0 ? randomObject(rand, 0) : mutate(rand, from, 0)) as Record<string, unknown>;
        const patch = createMergePatch(from, to);
        const result = applyMergePatch(from, patch);
        if (!deepEqualJson(result, to)) {
          throw new Error(`round trip failed:\nfrom ${JSON.stringify(from)}\nto ${JSON.stringify(to)}\npatch ${JSON.stringify(patch)}\ngot ${JSON.stringify(result)}`);
        }
        expect(createMergePatch(to, to)).toEqual({});
        // Minimal: every top-level member of the patch names something that changed.
        for (const key of Object.keys(patch)) {
          expect(deepEqualJson(Object.hasOwn(from, key) ? from[key] : undefined, Object.hasOwn(to, key) ? to[key] : undefined)).toBe(false);
        }
      }
    });
  });
});

describe("deepEqualJson", () => {
  test("compares structure, not identity or member order", () => {
    expect(deepEqualJson({ a: [1, { b: 2 }], c: null }, { c: null, a: [1, { b: 2 }] })).toBe(true);
    expect(deepEqualJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(deepEqualJson([1, 2], [2, 1])).toBe(false);
    expect(deepEqualJson({}, [])).toBe(false);
    expect(deepEqualJson("10", 10)).toBe(false);
  });
});
