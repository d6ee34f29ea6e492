import { describe, expect, test } from "bun:test";
import { formatChecker } from "./formats";
import { goBadValue, goFloat, goQuote, goSyntax } from "./go-format";

describe("goFloat (fmt %v of a float64)", () => {
  test.each([
    [0.5, "0.5"], [1, "1"], [100000, "100000"], [1000000, "1e+06"], [1234567.5, "1.2345675e+06"],
    [0.0001, "0.0001"], [0.00001, "1e-05"], [-2.5, "-2.5"], [1e21, "1e+21"],
  ])("%p prints as %s", (value, expected) => {
    expect(goFloat(value)).toBe(expected);
  });
});

describe("goQuote (strconv.Quote)", () => {
  test.each([
    ["plain", '"plain"'], ['a"b', '"a\\"b"'], ["back\\slash", '"back\\\\slash"'], ["line\nbreak", '"line\\nbreak"'],
    ["\u0001", '"\\x01"'], ["é", '"é"'],
  ])("%p", (value, expected) => {
    expect(goQuote(value)).toBe(expected);
  });
});

describe("goBadValue (the value in `Invalid value: …`)", () => {
  test.each<[unknown, string]>([
    ["x", '"x"'], [5, "5"], [0.25, "0.25"], [true, "true"], [null, '"null"'],
    [{ b: 1, a: "x" }, 'map[string]interface {}{"a":"x", "b":1}'], [["a", 1], '[]interface {}{"a", 1}'],
  ])("%p", (value, expected) => {
    expect(goBadValue(value)).toBe(expected);
  });

  test("nil inside a composite value", () => {
    expect(goSyntax([null])).toBe("[]interface {}{interface {}(nil)}");
  });
});

describe("formatChecker", () => {
  test("ignores the numeric formats apiextensions strips", () => {
    for (const format of ["int32", "int64", "float", "double", "made-up"]) expect(formatChecker(format)).toBeUndefined();
  });

  test.each<[string, string, boolean]>([
    ["date-time", "2024-01-02T03:04:05Z", true], ["date-time", "2024-01-02T03:04:05.123+02:00", true],
    ["date-time", "2024-01-02T25:04:05Z", false], ["date-time", "2024-01-02", false],
    ["date", "2024-02-29", true], ["date", "2024-13-01", false],
    ["uuid", "0F8FAD5B-D9CB-469F-A165-70867728950E", true], ["uuid", "0f8fad5b", false],
    ["byte", "aGVsbG8=", true], ["byte", "not base64!", false],
    ["ipv4", "10.0.0.1", true], ["ipv4", "10.0.0.256", false],
    ["ipv6", "::1", true], ["ipv6", "10.0.0.1", false],
    ["cidr", "10.0.0.0/8", true], ["cidr", "10.0.0.0/33", false],
    ["hostname", "example.com", true], ["hostname", "-bad-", false],
    ["duration", "1h30m", true], ["duration", "soon", false],
    ["password", "anything", true],
  ])("%s accepts %p: %p", (format, value, valid) => {
    expect(formatChecker(format)?.(value)).toBe(valid);
  });
});
