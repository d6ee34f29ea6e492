// Renders values the way the Go apiserver prints them in error messages, so our messages match
// kube-apiserver's byte for byte (fmt's %v for floats, strconv.Quote, encoding/json for the rest).

/** Go's `%v` for a float64 (strconv 'g' with the shortest precision): e-notation when the decimal
 * exponent is < -4 or >= 6, so 1000000 prints as `1e+06`. */
export function goFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const [mantissa, expText] = n.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? "-" : "+";
    const digits = String(Math.abs(exp)).padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  return String(n);
}

/** How a JSON number prints with %v after the apiserver decoded it: integers as int64, others as float64. */
export function goNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63 ? BigInt(n).toString() : goFloat(n);
}

/** strconv.Quote / `%q`. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\x07") out += "\\a";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (ch === "\v") out += "\\v";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + '"';
}

/** encoding/json.Marshal of a decoded JSON value: map keys sorted, `<`, `>` and `&` escaped. */
export function goJSON(value: unknown): string {
  return JSON.stringify(sortKeys(value))
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026");
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isPlainObject(value)) {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
    return sorted;
  }
  return value;
}

/**
 * The `<value>` part of field.Error.ErrorBody() (`Invalid value: <value>: detail`) in Kubernetes 1.32/1.33:
 * nil prints as "null" (quoted), scalars with %v / %q, anything else with Go's %#v.
 */
export function goBadValue(value: unknown): string {
  if (value === undefined || value === null) return '"null"';
  if (value instanceof GoSyntax) return value.text;
  return goSyntax(value);
}

/** A value already rendered in Go syntax (for Go structs such as []apiextensions.CustomResourceDefinitionVersion). */
export class GoSyntax {
  constructor(readonly text: string) {}
}

/** fmt's %#v of a decoded JSON value (map[string]interface{}, []interface{}, int64, float64, string, bool). */
export function goSyntax(value: unknown): string {
  if (value === undefined || value === null) return "interface {}(nil)";
  if (typeof value === "string") return goQuote(value);
  if (typeof value === "number") return goNumber(value);
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[]interface {}{${value.map(goSyntax).join(", ")}}`;
  if (isPlainObject(value)) {
    const entries = Object.keys(value).sort().map((k) => `${goQuote(k)}:${goSyntax(value[k])}`);
    return `map[string]interface {}{${entries.join(", ")}}`;
  }
  return String(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
