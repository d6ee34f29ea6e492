// Query parameters decoded the way kube-apiserver's parameter codec does: a boolean is false only
// when absent, "0" or "false" in any case (so `watch=True`, `watch=1` and even `watch=` are true);
// integers are strconv.ParseInt in base 10, and a malformed one is a 400. Unknown parameters are ignored.
import { badRequest } from "./errors.ts";

/** The parameter as a boolean, or undefined when it is absent (a *bool left nil). */
export function queryBool(params: URLSearchParams, name: string): boolean | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  return !(value === "0" || value.toLowerCase() === "false");
}

export function queryFlag(params: URLSearchParams, name: string): boolean {
  return queryBool(params, name) ?? false;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** The parameter as an integer, or undefined when absent; 400 with Go's error text when malformed. */
export function queryInt(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  if (!/^[+-]?\d+$/.test(value)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  const big = BigInt(value);
  if (big > INT64_MAX || big < INT64_MIN) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(value)}: value out of range`);
  return Number(big);
}
