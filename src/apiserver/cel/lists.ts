// Kubernetes' CEL lists library (isSorted, sum, min, max, indexOf, lastIndexOf, includes) and regex library
// (find, findAll, with Go's FindString / FindAllString rules for empty matches).
import { celFunc, celList, celMethod, CelScalar, listType, type CelList, type CelValue } from "@bufbuild/cel";
import { RE2JS } from "@bufbuild/re2";
import { isReflectMessage, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { equals } from "./equals.ts";

const { DYN, BOOL, INT, STRING } = CelScalar;
const LIST = listType(DYN);

function seconds(m: ReflectMessage): number {
  const msg = m.message as unknown as { seconds: bigint; nanos: number };
  return Number(msg.seconds) + msg.nanos / 1e9;
}

function numeric(v: unknown): bigint | number | undefined {
  if (typeof v === "bigint" || typeof v === "number") return v;
  if (v && typeof v === "object" && "value" in v && typeof (v as { value: unknown }).value === "bigint") return (v as { value: bigint }).value;
  return undefined;
}

/** -1, 0 or 1 for two comparable CEL values of the same kind. */
export function compareValues(a: CelValue, b: CelValue): number {
  const x = numeric(a);
  const y = numeric(b);
  if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    return Math.sign(a.length - b.length);
  }
  if (isReflectMessage(a) && isReflectMessage(b) && a.desc.typeName === b.desc.typeName) return Math.sign(seconds(a) - seconds(b));
  throw new Error("no such overload");
}

function items(list: CelList): CelValue[] {
  const out: CelValue[] = [];
  for (let i = 0; i < list.size; i++) out.push(list.get(i) as CelValue);
  return out;
}

function extreme(name: string, list: CelList, sign: number): CelValue {
  const values = items(list);
  if (values.length === 0) throw new Error(`${name} called on empty list`);
  return values.reduce((best, v) => (compareValues(v, best) === sign ? v : best));
}

function sum(list: CelList): CelValue {
  const values = items(list);
  if (values.length === 0) return 0n;
  if (values.every((v) => typeof v === "bigint")) return (values as bigint[]).reduce((a, b) => a + b, 0n);
  if (values.every((v) => typeof v === "number")) return (values as number[]).reduce((a, b) => a + b, 0);
  throw new Error("no such overload");
}

export const listFunctions = [
  celMethod("isSorted", LIST, [], BOOL, function () {
    const values = items(this);
    return values.every((v, i) => i === 0 || compareValues(values[i - 1]!, v) <= 0);
  }),
  celMethod("sum", LIST, [], DYN, function () { return sum(this) as never; }),
  celMethod("min", LIST, [], DYN, function () { return extreme("min", this, -1) as never; }),
  celMethod("max", LIST, [], DYN, function () { return extreme("max", this, 1) as never; }),
  celMethod("indexOf", LIST, [DYN], INT, function (x) { return BigInt(items(this).findIndex((v) => equals(v, x))); }),
  celMethod("lastIndexOf", LIST, [DYN], INT, function (x) {
    const values = items(this);
    for (let i = values.length - 1; i >= 0; i--) if (equals(values[i]!, x)) return BigInt(i);
    return -1n;
  }),
  celMethod("includes", LIST, [DYN], BOOL, function (x) { return items(this).some((v) => equals(v, x)); }),
];

const regexCache = new Map<string, RegExp>();

/** RE2 syntax is checked by RE2JS; matching uses the equivalent JavaScript expression. */
function compileRegex(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    try {
      RE2JS.compile(pattern);
      re = new RegExp(pattern, "gu");
    } catch (e) {
      throw new Error(`Illegal regex: ${(e as Error).message}`);
    }
    regexCache.set(pattern, re);
  }
  re.lastIndex = 0;
  return re;
}

/** Go's Regexp.FindAllString: an empty match right after the previous match is skipped. */
export function findAll(text: string, pattern: string, limit: number): string[] {
  const re = compileRegex(pattern);
  const out: string[] = [];
  let prevEnd = -1;
  let pos = 0;
  while (pos <= text.length && (limit < 0 || out.length < limit)) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    if (end === start) {
      if (start !== prevEnd) out.push("");
      pos = start + (text.codePointAt(start)! > 0xffff ? 2 : 1);
    } else {
      out.push(m[0]);
      pos = end;
    }
    prevEnd = end;
  }
  return out;
}

const re2Cache = new Map<string, RE2JS>();

/** matches() with compiled patterns kept (the standard library compiles the pattern on every call). */
function matches(text: string, pattern: string): boolean {
  let re = re2Cache.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern);
    if (re2Cache.size >= 512) re2Cache.clear();
    re2Cache.set(pattern, re);
  }
  return re.test(text);
}

export const regexFunctions = [
  celMethod("matches", STRING, [STRING], BOOL, function (pattern) { return matches(this, pattern); }),
  celFunc("matches", [STRING, STRING], BOOL, (text, pattern) => matches(text, pattern)),
  celMethod("find", STRING, [STRING], STRING, function (pattern) {
    const m = compileRegex(pattern).exec(this);
    return m ? m[0] : "";
  }),
  celMethod("findAll", STRING, [STRING], listType(STRING), function (pattern) { return celList(findAll(this, pattern, -1)); }),
  celMethod("findAll", STRING, [STRING, INT], listType(STRING), function (pattern, n) { return celList(findAll(this, pattern, Number(n))); }),
];
