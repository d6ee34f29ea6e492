import { describe, expect, test } from "bun:test";
import { isValidQuantity, parseQuantity, storageQuantityProblem } from "./quantity.ts";

describe("parseQuantity: valid per Kubernetes", () => {
  const cases: [string, number, string][] = [
    ["1Gi", 2 ** 30, "BinarySI"],
    ["1.5Gi", 1.5 * 2 ** 30, "BinarySI"],
    ["500Mi", 500 * 2 ** 20, "BinarySI"],
    ["1Ki", 1024, "BinarySI"],
    ["2Ti", 2 * 2 ** 40, "BinarySI"],
    ["1Pi", 2 ** 50, "BinarySI"],
    ["1Ei", 2 ** 60, "BinarySI"],
    ["500M", 500e6, "DecimalSI"],
    ["1k", 1000, "DecimalSI"],
    ["1G", 1e9, "DecimalSI"],
    ["1T", 1e12, "DecimalSI"],
    ["1P", 1e15, "DecimalSI"],
    ["1E", 1e18, "DecimalSI"],
    ["500m", 0.5, "DecimalSI"],
    ["10u", 10e-6, "DecimalSI"],
    ["5n", 5e-9, "DecimalSI"],
    ["0.5", 0.5, "DecimalSI"],
    ["1", 1, "DecimalSI"],
    ["0", 0, "DecimalSI"],
    [".5", 0.5, "DecimalSI"],
    ["5.", 5, "DecimalSI"],
    ["+1Gi", 2 ** 30, "BinarySI"],
    ["-1", -1, "DecimalSI"],
    ["1e3", 1000, "DecimalExponent"],
    ["1E3", 1000, "DecimalExponent"],
    ["1e-3", 0.001, "DecimalExponent"],
    ["1.5e+2", 150, "DecimalExponent"],
  ];
  for (const [text, value, format] of cases)
    test(text, () => {
      const q = parseQuantity(text);
      expect(q).toBeDefined();
      expect(q!.value).toBeCloseTo(value, 12);
      expect(q!.format).toBe(format as never);
      expect(isValidQuantity(text)).toBe(true);
    });
});

describe("parseQuantity: invalid per Kubernetes", () => {
  for (const text of ["", "1GB", "1gi", "1K", "1KB", "Gi", "1 Gi", " 1", "1Gi ", ".", "-", "+", "1e", "1e1.5", "1.1.1", "1Mi1", "0x10", "1,5Gi", "∞", "1ii", "1mi", "e3", "1e3Gi", "1--1", "NaN", "Infinity"])
    test(JSON.stringify(text), () => {
      expect(parseQuantity(text)).toBeUndefined();
      expect(isValidQuantity(text)).toBe(false);
    });
  test("absurd exponents that overflow are rejected", () => expect(parseQuantity("1e999")).toBeUndefined());
});

describe("storageQuantityProblem", () => {
  test("valid sizes", () => {
    for (const s of ["1Gi", "500M", "1.5Gi", "1e3", "0.5"]) expect(storageQuantityProblem(s)).toBeUndefined();
  });
  test("-1 and 0 are valid quantities but not storage sizes", () => {
    expect(storageQuantityProblem("-1")).toContain("greater than zero");
    expect(storageQuantityProblem("0")).toContain("greater than zero");
    expect(storageQuantityProblem("-1Gi")).toContain("greater than zero");
  });
  test("1GB explains what to use", () => {
    expect(storageQuantityProblem("1GB")).toContain("not a Kubernetes quantity");
    expect(storageQuantityProblem("1GB")).toContain("Gi");
  });
});
