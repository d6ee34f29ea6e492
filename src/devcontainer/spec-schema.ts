// Checks top-level devcontainer.json properties against the official schema's description of each
// (spec-schema.json, generated from devcontainers/spec by scripts/devcontainer-schema.ts). A small evaluator of
// the JSON Schema keywords that schema uses; the generator refuses a schema with any other keyword.
import generated from "./spec-schema.json" with { type: "json" };

type Schema = { [k: string]: unknown };

export const EVALUATED_KEYWORDS = new Set([
  "$ref",
  "type",
  "enum",
  "minimum",
  "maximum",
  "pattern",
  "items",
  "properties",
  "patternProperties",
  "additionalProperties",
  "unevaluatedProperties",
  "required",
  "allOf",
  "anyOf",
  "oneOf",
  "$comment",
]);

export interface SchemaProblem {
  /** e.g. `forwardPorts[1]`, `hostRequirements.cpus` */
  path: string;
  message: string;
  /** The value's JSON type is not one the schema allows (internal: picks the branch that fits in oneOf/anyOf). */
  wrongType?: boolean;
}

const SPEC = generated as unknown as { source: { commit: string }; properties: Record<string, Schema>; definitions: Record<string, Schema> };

/** The spec commit the schema was generated from. */
export const SPEC_COMMIT: string = SPEC.source.commit;

/** The top-level property names the official schema describes. */
export const SPEC_PROPERTIES: readonly string[] = Object.keys(SPEC.properties);

/** Problems of one top-level property's value; [] when it is valid or the schema does not describe it. */
export function specProblems(property: string, value: unknown): SchemaProblem[] {
  const schema = SPEC.properties[property];
  return schema ? evaluate(schema, value, property).problems.map(({ path, message }) => ({ path, message })) : [];
}

interface Outcome {
  problems: SchemaProblem[];
  /** Object members some properties/patternProperties/additionalProperties keyword evaluated (for unevaluatedProperties). */
  evaluated: Set<string>;
}

function evaluate(schema: Schema | boolean, value: unknown, path: string): Outcome {
  if (typeof schema === "boolean") return { problems: schema ? [] : [{ path, message: "is not allowed here" }], evaluated: new Set() };
  const problems: SchemaProblem[] = [];
  const evaluated = new Set<string>();
  const fail = (message: string, at = path, wrongType = false) => problems.push(wrongType ? { path: at, message, wrongType } : { path: at, message });
  const merge = (o: Outcome) => {
    problems.push(...o.problems);
    for (const k of o.evaluated) evaluated.add(k);
  };

  if (typeof schema.$ref === "string") merge(evaluate(SPEC.definitions[schema.$ref.replace("#/definitions/", "")], value, path));
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => hasType(value, t))) {
      fail(`must be ${types.map(article).join(" or ")}`, path, true);
      return { problems, evaluated };
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) fail(`must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) fail(`must be at least ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum) fail(`must be at most ${schema.maximum}`);
  }
  if (typeof value === "string" && typeof schema.pattern === "string" && !regex(schema.pattern).test(value)) fail(`must match ${schema.pattern}`);
  if (Array.isArray(value) && schema.items && typeof schema.items === "object") value.forEach((v, i) => merge(evaluate(schema.items as Schema, v, `${path}[${i}]`)));

  if (isObject(value)) {
    for (const name of (schema.required as string[]) ?? []) if (!(name in value)) fail(`${name} is required`);
    const props = (schema.properties as Record<string, Schema>) ?? {};
    const patterns = Object.entries((schema.patternProperties as Record<string, Schema>) ?? {}).map(([p, s]) => [regex(p), s] as const);
    for (const [k, v] of Object.entries(value)) {
      const at = `${path}.${k}`;
      let matched = false;
      if (Object.hasOwn(props, k)) {
        matched = true;
        merge(evaluate(props[k], v, at));
      }
      for (const [re, s] of patterns)
        if (re.test(k)) {
          matched = true;
          merge(evaluate(s, v, at));
        }
      if (matched) evaluated.add(k);
      else if (schema.additionalProperties === false) fail("is not allowed here", at);
      else if (isObject(schema.additionalProperties)) {
        evaluated.add(k);
        merge(evaluate(schema.additionalProperties, v, at));
      } else if (schema.additionalProperties === true) evaluated.add(k);
    }
  }

  for (const s of (schema.allOf as Schema[]) ?? []) merge(evaluate(s, value, path));
  for (const keyword of ["anyOf", "oneOf"] as const) {
    const branches = schema[keyword] as Schema[] | undefined;
    if (!branches) continue;
    const outcomes = branches.map((b) => evaluate(b, value, path));
    const passing = outcomes.filter((o) => o.problems.length === 0);
    for (const o of passing) for (const k of o.evaluated) evaluated.add(k);
    if (keyword === "oneOf" && passing.length > 1) fail("matches more than one of the allowed forms");
    if (passing.length) continue;
    // The branch that fits the value's type best says what is wrong; if no branch fits, the allowed types do.
    const fitting = outcomes.filter((o) => !o.problems.some((p) => p.path === path && p.wrongType));
    if (fitting.length) problems.push(...fitting.reduce((best, o) => (o.problems.length < best.problems.length ? o : best)).problems);
    else fail(`must be ${unique(outcomes.flatMap((o) => o.problems.filter((p) => p.path === path && p.wrongType).map((p) => p.message.replace(/^must be /, "")))).join(" or ")}`, path, true);
  }

  if (schema.unevaluatedProperties === false && isObject(value)) for (const k of Object.keys(value)) if (!evaluated.has(k)) fail("is not allowed here", `${path}.${k}`);
  return { problems, evaluated };
}

/** The schema's patterns, compiled once (a devcontainer Kode is checked on every reconcile). */
const compiled = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) compiled.set(pattern, (re = new RegExp(pattern, "u")));
  return re;
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case "string":
      return typeof v === "string";
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "number":
      return typeof v === "number";
    case "boolean":
      return typeof v === "boolean";
    case "null":
      return v === null;
    case "array":
      return Array.isArray(v);
    case "object":
      return isObject(v);
    default:
      return false;
  }
}

const article = (t: string) => (t === "integer" || t === "array" || t === "object" ? `an ${t}` : t === "null" ? "null" : `a ${t}`);
const unique = (xs: string[]) => [...new Set(xs)];
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
