// Kubernetes' CEL quantity library over resource.Quantity's syntax: <sign><number><suffix>, exact arithmetic.
import { celFunc, celMethod, CelScalar } from "@bufbuild/cel";
import { QUANTITY } from "./opaque.ts";

/** An exact decimal: mantissa × 10^exponent, trailing zeros moved into the exponent. */
export interface Decimal {
  mantissa: bigint;
  exponent: number;
}

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;
const EXPONENT = /^[eE]([+-]?\d+)$/;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

function normalise(mantissa: bigint, exponent: number): Decimal {
  if (mantissa === 0n) return { mantissa: 0n, exponent: 0 };
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  return { mantissa, exponent };
}

/** resource.ParseQuantity's accepted syntax; undefined when it would fail. */
export function parseQuantity(text: string): Decimal | undefined {
  const m = NUMBER.exec(text);
  if (!m) return undefined;
  const [, sign, whole = "", fraction = "", suffix = ""] = m;
  if (!whole && !fraction) return undefined;
  let mantissa = BigInt((whole || "0") + fraction);
  let exponent = -fraction.length;
  if (suffix in DECIMAL_SUFFIXES) exponent += DECIMAL_SUFFIXES[suffix]!;
  else if (suffix in BINARY_SUFFIXES) mantissa *= 1n << BigInt(BINARY_SUFFIXES[suffix]!);
  else {
    const e = EXPONENT.exec(suffix);
    if (!e) return undefined;
    exponent += Number(e[1]);
  }
  if (sign === "-") mantissa = -mantissa;
  return normalise(mantissa, exponent);
}

const encode = (d: Decimal) => `${d.mantissa}e${d.exponent}`;

const decoded = new WeakMap<object, Decimal>();

function decode(message: unknown): Decimal {
  const key = (message as { message: object }).message;
  let d = decoded.get(key);
  if (!d) {
    const [mantissa, exponent] = QUANTITY.unwrap(message).split("e");
    d = { mantissa: BigInt(mantissa!), exponent: Number(exponent) };
    decoded.set(key, d);
  }
  return d;
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const e = Math.min(a.exponent, b.exponent);
  return [a.mantissa * 10n ** BigInt(a.exponent - e), b.mantissa * 10n ** BigInt(b.exponent - e), e];
}

export function compareDecimals(a: Decimal, b: Decimal): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function add(a: Decimal, b: Decimal): Decimal {
  const [x, y, e] = align(a, b);
  return normalise(x + y, e);
}

function asInt64(d: Decimal): bigint | undefined {
  if (d.exponent < 0) return undefined;
  const v = d.mantissa * 10n ** BigInt(d.exponent);
  return v > INT64_MAX || v < INT64_MIN ? undefined : v;
}

const recent = new Map<string, ReturnType<typeof QUANTITY.wrap>>();

/** quantity(text); values are immutable, so the last few hundred parsed ones are reused. */
function quantity(text: string) {
  let q = recent.get(text);
  if (!q) {
    const parsed = parseQuantity(text);
    if (!parsed) throw new Error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    q = QUANTITY.wrap(encode(parsed));
    if (recent.size >= 512) recent.clear();
    recent.set(text, q);
  }
  return q;
}

const wrap = (d: Decimal) => QUANTITY.wrap(encode(d));
const integer = (n: bigint): Decimal => normalise(n, 0);
const Q = QUANTITY.type;
const { STRING, BOOL, INT, DOUBLE } = CelScalar;

export const quantityFunctions = [
  celFunc("quantity", [STRING], Q, (s) => quantity(s) as never),
  celFunc("isQuantity", [STRING], BOOL, (s) => parseQuantity(s) !== undefined),
  celFunc("sign", [Q], INT, (q) => BigInt(Math.sign(Number(decode(q).mantissa)))),
  celMethod("sign", Q, [], INT, function () { return BigInt(Math.sign(Number(decode(this).mantissa))); }),
  celMethod("isGreaterThan", Q, [Q], BOOL, function (o) { return compareDecimals(decode(this), decode(o)) === 1; }),
  celMethod("isLessThan", Q, [Q], BOOL, function (o) { return compareDecimals(decode(this), decode(o)) === -1; }),
  celMethod("compareTo", Q, [Q], INT, function (o) { return BigInt(compareDecimals(decode(this), decode(o))); }),
  celMethod("asApproximateFloat", Q, [], DOUBLE, function () {
    const d = decode(this);
    return Number(d.mantissa) * 10 ** d.exponent;
  }),
  celMethod("isInteger", Q, [], BOOL, function () { return asInt64(decode(this)) !== undefined; }),
  celMethod("asInteger", Q, [], INT, function () {
    const v = asInt64(decode(this));
    if (v === undefined) throw new Error("cannot convert value to integer");
    return v;
  }),
  celMethod("add", Q, [Q], Q, function (o) { return wrap(add(decode(this), decode(o))) as never; }),
  celMethod("add", Q, [INT], Q, function (n) { return wrap(add(decode(this), integer(n))) as never; }),
  celMethod("sub", Q, [Q], Q, function (o) { const d = decode(o); return wrap(add(decode(this), { ...d, mantissa: -d.mantissa })) as never; }),
  celMethod("sub", Q, [INT], Q, function (n) { return wrap(add(decode(this), integer(-n))) as never; }),
  celMethod("mul", Q, [INT], Q, function (n) { const d = decode(this); return wrap(normalise(d.mantissa * n, d.exponent)) as never; }),
];
