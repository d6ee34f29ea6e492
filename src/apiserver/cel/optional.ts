// CEL optional values, as far as functions go (optional.of/none/ofNonZeroValue, hasValue, value, orValue, or):
// the parser of @bufbuild/cel has no `?.` / `[?…]` syntax. Used for oldSelf of rules with optionalOldSelf.
import { celFunc, celMethod, CelScalar, isCelList, isCelMap, type CelValue } from "@bufbuild/cel";
import type { ReflectMessage } from "@bufbuild/protobuf/reflect";
import { OPTIONAL } from "./opaque.ts";

const values = new WeakMap<object, unknown>();

export function optionalOf(value: unknown): ReflectMessage {
  const message = OPTIONAL.wrap("some");
  values.set(message.message, value);
  return message;
}

export function optionalNone(): ReflectMessage {
  return OPTIONAL.wrap("");
}

const hasValue = (o: unknown) => OPTIONAL.unwrap(o) === "some";
const valueOf = (o: unknown) => values.get((o as ReflectMessage).message) as CelValue;

function isZero(v: CelValue): boolean {
  if (v === null || v === false || v === "" || v === 0 || v === 0n) return true;
  if (v instanceof Uint8Array) return v.length === 0;
  if (isCelList(v) || isCelMap(v)) return v.size === 0;
  return false;
}

const O = OPTIONAL.type;
const { DYN, BOOL } = CelScalar;

export const optionalFunctions = [
  celFunc("optional.of", [DYN], O, (v) => optionalOf(v) as never),
  celFunc("optional.ofNonZeroValue", [DYN], O, (v) => (isZero(v) ? optionalNone() : optionalOf(v)) as never),
  celFunc("optional.none", [], O, () => optionalNone() as never),
  celMethod("hasValue", O, [], BOOL, function () { return hasValue(this); }),
  celMethod("value", O, [], DYN, function () {
    if (!hasValue(this)) throw new Error("optional.none() dereference");
    return valueOf(this) as never;
  }),
  celMethod("orValue", O, [DYN], DYN, function (other) { return (hasValue(this) ? valueOf(this) : other) as never; }),
  celMethod("or", O, [O], O, function (other) { return (hasValue(this) ? this : other) as never; }),
];
