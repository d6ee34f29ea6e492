// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), parsed by the same grammar:
//   quantity        ::= signedNumber suffix
//   signedNumber    ::= number | sign number          sign ::= "+" | "-"
//   number          ::= digits | digits "." digits | digits "." | "." digits
//   suffix          ::= binarySI | decimalExponent | decimalSI
//   binarySI        ::= Ki | Mi | Gi | Ti | Pi | Ei
//   decimalSI       ::= n | u | m | "" | k | M | G | T | P | E
//   decimalExponent ::= ("e" | "E") signedInteger
// No whitespace, no other units ("1GB", "1gi", "1K" are invalid).

export interface Quantity {
  /** The input string. */
  text: string;
  /** The value as a JavaScript number (exact enough for comparisons; huge values may round). */
  value: number;
  format: "BinarySI" | "DecimalSI" | "DecimalExponent";
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const GRAMMAR = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(.*)$/;
const EXPONENT = /^[eE]([+-]?\d+)$/;

/** Parses a quantity; undefined when the string is not a valid Kubernetes quantity. */
export function parseQuantity(text: string): Quantity | undefined {
  if (typeof text !== "string") return undefined;
  const m = GRAMMAR.exec(text);
  if (!m) return undefined;
  const [, sign, digits, suffix] = m;
  const mantissa = Number(digits) * (sign === "-" ? -1 : 1);
  let value: number;
  let format: Quantity["format"];
  if (Object.hasOwn(BINARY, suffix)) {
    value = mantissa * BINARY[suffix];
    format = "BinarySI";
  } else if (Object.hasOwn(DECIMAL, suffix)) {
    value = mantissa * 10 ** DECIMAL[suffix];
    format = "DecimalSI";
  } else {
    const e = EXPONENT.exec(suffix);
    if (!e) return undefined;
    value = mantissa * 10 ** Number(e[1]);
    format = "DecimalExponent";
  }
  if (!Number.isFinite(value)) return undefined;
  // -0 is just 0.
  return { text, value: value === 0 ? 0 : value, format };
}

export const isValidQuantity = (text: string): boolean => parseQuantity(text) !== undefined;

/** Why a storage size is unacceptable, or undefined when it is fine (a valid quantity greater than zero). */
export function storageQuantityProblem(text: string): string | undefined {
  const q = parseQuantity(text);
  if (!q) return `"${text}" is not a Kubernetes quantity (use forms such as 10Gi, 500Mi or 1e9; units are case-sensitive and "GB" is not one)`;
  if (q.value <= 0) return `"${text}" must be greater than zero`;
  return undefined;
}
