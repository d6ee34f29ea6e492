// The Kubernetes CEL libraries, each function checked against the examples in the Kubernetes library docs
// (k8s.io/apiserver/pkg/cel/library: lists, regex, quantity, url) and cel-go's strings extension.
import { describe, expect, test } from "bun:test";
import { isCelError, isCelList, isCelMap } from "@bufbuild/cel";
import { evaluate } from "../cel/env.ts";

function plain(v: unknown): unknown {
  if (isCelList(v)) return [...v].map(plain);
  if (isCelMap(v)) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), plain(x)]));
  return v;
}

function value(expr: string): unknown {
  const r = evaluate(expr);
  if (isCelError(r)) throw new Error(`${expr}: ${r.message}`);
  return plain(r);
}

function fails(expr: string): string {
  const r = evaluate(expr);
  if (!isCelError(r)) throw new Error(`${expr} did not fail: ${String(r)}`);
  return r.message;
}

describe("lists library", () => {
  test.each([
    ["[1, 2, 3].isSorted()", true],
    ["['a', 'b', 'b', 'c'].isSorted()", true],
    ["[2.0, 1.0].isSorted()", false],
    ["[1].isSorted()", true],
    ["[].isSorted()", true],
    ["[1, 3].sum()", 4n],
    ["[1.0, 3.0].sum()", 4],
    ["[].sum()", 0n],
    ["[1, 3].min()", 1n],
    ["[1, 3].max()", 3n],
    ["[1].min()", 1n],
    ["[1, 2, 2, 3].indexOf(2)", 1n],
    ["['a', 'b', 'b', 'c'].lastIndexOf('b')", 2n],
    ["[1.0].indexOf(1.1)", -1n],
    ["[].indexOf('string')", -1n],
    ["[1, 2, 3].includes(2)", true],
    ["[1, 2, 3].includes(4)", false],
  ])("%s", (expr, expected) => expect(value(expr)).toEqual(expected));

  test("[].min() is an error", () => expect(fails("[].min()")).toContain("min called on empty list"));
});

describe("regex library", () => {
  test.each([
    ["'abc 123'.find('[0-9]+')", "123"],
    ["'abc 123'.find('xyz')", ""],
    ["'123 abc 456'.findAll('[0-9]+')", ["123", "456"]],
    ["'123 abc 456'.findAll('[0-9]+', 1)", ["123"]],
    ["'123 abc 456'.findAll('xyz')", []],
    ["'1, 2, 3, 4'.findAll('[0-9]+').map(x, int(x)).sum() < 100", true],
  ])("%s", (expr, expected) => expect(value(expr)).toEqual(expected));
});

describe("quantity library", () => {
  test.each([
    ["isQuantity('1.3G')", true],
    ["isQuantity('1.3Gi')", true],
    ["isQuantity('1,3G')", false],
    ["isQuantity('10000k')", true],
    ["isQuantity('200K')", false],
    ["isQuantity('Three')", false],
    ["isQuantity('Mi')", false],
    ["quantity('50000000G').isInteger()", true],
    ["quantity('50k').isInteger()", true],
    ["quantity('9999999999999999999999999999999999999G').isInteger()", false],
    ["quantity('50k').asInteger() == 50000", true],
    ["quantity('50k').sub(20000).asApproximateFloat() == 30000", true],
    ["quantity('50k').add(20) == quantity('50020')", true],
    ["quantity('50k').sub(20000) == quantity('30k')", true],
    ["quantity('50k').add(20).sub(quantity('100k')).sub(-50000) == quantity('20')", true],
    ["quantity('200M').compareTo(quantity('0.2G'))", 0n],
    ["quantity('50M').compareTo(quantity('50Mi'))", -1n],
    ["quantity('50Mi').compareTo(quantity('50M'))", 1n],
    ["quantity('150Mi').isGreaterThan(quantity('100Mi'))", true],
    ["quantity('50Mi').isGreaterThan(quantity('100Mi'))", false],
    ["quantity('50M').isLessThan(quantity('100M'))", true],
    ["quantity('100M').isLessThan(quantity('50M'))", false],
  ])("%s", (expr, expected) => expect(value(expr)).toEqual(expected));

  test.each(["quantity('200K')", "quantity('Three')", "quantity('Mi')"])("%s is an error", (expr) => {
    expect(fails(expr)).toContain("quantities must match the regular expression");
  });
  test("asInteger of a quantity out of int64 range is an error", () => {
    expect(fails("quantity('9999999999999999999999999999999999999G').asInteger()")).toContain("cannot convert value to integer");
  });
});

describe("url library", () => {
  test.each([
    ["isURL('https://user:pass@example.com:80/path?query=val#fragment')", true],
    ["isURL('/absolute-path')", true],
    ["isURL('https://a:b:c/')", false],
    ["isURL('../relative-path')", false],
    ["url('/path').getScheme()", ""],
    ["url('https://example.com/').getScheme()", "https"],
    ["url('https://example.com:80/').getHost()", "example.com:80"],
    ["url('https://example.com/').getHost()", "example.com"],
    ["url('https://[::1]:80/').getHost()", "[::1]:80"],
    ["url('https://[::1]/').getHost()", "[::1]"],
    ["url('/path').getHost()", ""],
    ["url('https://example.com:80/').getHostname()", "example.com"],
    ["url('https://127.0.0.1:80/').getHostname()", "127.0.0.1"],
    ["url('https://[::1]:80/').getHostname()", "::1"],
    ["url('/path').getHostname()", ""],
    ["url('https://example.com:80/').getPort()", "80"],
    ["url('https://example.com/').getPort()", ""],
    ["url('/path').getPort()", ""],
    ["url('https://example.com/path').getEscapedPath()", "/path"],
    ["url('https://example.com/path with spaces/').getEscapedPath()", "/path%20with%20spaces/"],
    ["url('https://example.com').getEscapedPath()", ""],
    ["url('https://example.com/path?k1=a&k2=b&k2=c').getQuery()", { k1: ["a"], k2: ["b", "c"] }],
    ["url('https://example.com/path?key with spaces=value with spaces').getQuery()", { "key with spaces": ["value with spaces"] }],
    ["url('https://example.com/path?').getQuery()", {}],
    ["url('https://example.com/path').getQuery()", {}],
  ])("%s", (expr, expected) => expect(value(expr)).toEqual(expected));

  test.each(["url('https://a:b:c/')", "url('../relative-path')"])("%s is an error", (expr) => {
    expect(fails(expr)).toContain("URL parse error during conversion from string");
  });
});

describe("optional values (functions only: the parser has no ?. syntax)", () => {
  test.each([
    ["optional.of(1).hasValue()", true],
    ["optional.none().hasValue()", false],
    ["optional.none().orValue(5)", 5n],
    ["optional.of(2).value() + 1", 3n],
    ["optional.ofNonZeroValue('').hasValue()", false],
    ["optional.none().or(optional.of('x')).value()", "x"],
  ])("%s", (expr, expected) => expect(value(expr)).toEqual(expected));
  test("value() of none is an error", () => expect(fails("optional.none().value()")).toContain("optional.none() dereference"));
});

describe("strings extension and standard library", () => {
  test.each([
    ["'hello'.charAt(4)", "o"],
    ["'hello mellow'.indexOf('ello')", 1n],
    ["'hello mellow'.lastIndexOf('ello')", 7n],
    ["'TacoCat'.lowerAscii()", "tacocat"],
    ["'TacoCat'.upperAscii()", "TACOCAT"],
    ["'hello hello'.replace('he', 'we')", "wello wello"],
    ["'hello hello hello'.split(' ')", ["hello", "hello", "hello"]],
    ["'tacocat'.substring(4)", "cat"],
    ["'tacocat'.substring(0, 4)", "taco"],
    ["'  \\ttrim\\n    '.trim()", "trim"],
    ["['hello', 'mellow'].join(' ')", "hello mellow"],
    ["'abc'.matches('^a.c$')", true],
    ["'kode-x'.startsWith('kode-') && 'kode-x'.endsWith('-x') && 'kode-x'.contains('e-')", true],
    ["[1, 2, 3].exists_one(x, x > 2)", true],
    ["[1, 2, 3].all(x, x > 0) && [1, 2, 3].exists(x, x == 2) && !{'a': 1}.exists(k, k == 'b')", true],
    ["[1, 2, 3].filter(x, x > 1).map(x, x * 10)", [20n, 30n]],
    ["timestamp('2023-08-01T00:00:00Z') + duration('24h') == timestamp('2023-08-02T00:00:00Z')", true],
  ])("%s", (expr, expected) => expect(value(expr)).toEqual(expected));
});
