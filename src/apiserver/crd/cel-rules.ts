// x-kubernetes-validations: CEL rules compiled once per schema (cached on the schema object, which a CRD
// version keeps until the CRD changes) and evaluated on every write after pruning, defaulting and schema
// validation, with kube-apiserver's error shapes.
import { certainlyNotBool, check, CompileError, isCelError, program, runtimeErrorText, type Program, type Shape } from "../cel/env.ts";
import { optionalNone, optionalOf } from "../cel/optional.ts";
import { shapeOf, toCel } from "../cel/values.ts";
import type { FieldCause, JSONSchemaProps } from "../types.ts";
import { forbidden, invalid, notSupported, required } from "./field-errors.ts";
import { GoSyntax, goQuote, isPlainObject } from "./go-format.ts";

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

const REASONS = ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"];
const CAUSE_OF_REASON: Record<string, FieldCause["reason"]> = {
  FieldValueDuplicate: "FieldValueDuplicate",
  FieldValueForbidden: "FieldValueForbidden",
  FieldValueInvalid: "FieldValueInvalid",
  FieldValueRequired: "FieldValueRequired",
};

interface CompiledRule {
  rule: ValidationRule;
  program: Program;
  messageProgram?: Program;
  /** Reads oldSelf: evaluated on updates only, when the old value exists (always with optionalOldSelf). */
  transition: boolean;
  optionalOldSelf: boolean;
  /** fieldPath resolved to field-path segments. */
  fieldPath: string[];
}

interface RuleNode {
  schema: JSONSchemaProps;
  rules: CompiledRule[];
  properties: [string, RuleNode][];
  additional?: RuleNode;
  items?: RuleNode;
}

export function rulesOf(schema: JSONSchemaProps): ValidationRule[] {
  return (schema["x-kubernetes-validations"] as ValidationRule[] | undefined) ?? [];
}

/** self and oldSelf; with optionalOldSelf, oldSelf is an optional (optional.none() on create). */
function ruleVariables(schema: JSONSchemaProps, isRoot: boolean, optionalOldSelf = false): Map<string, Shape | undefined> {
  const shape = shapeOf(schema, isRoot);
  return new Map([["self", shape], ["oldSelf", optionalOldSelf ? undefined : shape]]);
}

/** `.a.b`, `['a.b']`, `.a['b']` into property names; undefined when it does not parse. */
function parseFieldPath(text: string): string[] | undefined {
  const out: string[] = [];
  let s = text;
  while (s) {
    const dot = /^\.([a-zA-Z_][a-zA-Z0-9_-]*)/.exec(s);
    const bracket = /^\[\s*'((?:[^'\\]|\\.)*)'\s*\]/.exec(s);
    if (dot) {
      out.push(dot[1]!);
      s = s.slice(dot[0].length);
    } else if (bracket) {
      out.push(bracket[1]!.replace(/\\(.)/g, "$1"));
      s = s.slice(bracket[0].length);
    } else return undefined;
  }
  return out.length ? out : undefined;
}

/** Whether fieldPath names fields the schema declares (map keys are free). */
function fieldPathResolves(schema: JSONSchemaProps, segments: string[]): boolean {
  let node: JSONSchemaProps | undefined = schema;
  for (const segment of segments) {
    if (!node) return false;
    if (node.properties?.[segment]) node = node.properties[segment];
    else if (typeof node.additionalProperties === "object") node = node.additionalProperties;
    else if (node["x-kubernetes-preserve-unknown-fields"]) node = undefined;
    else return false;
  }
  return true;
}

function goRule(rule: ValidationRule): GoSyntax {
  const pointer = (set: boolean, type: string) => (set ? `(*${type})(0xc000a1c2d0)` : `(*${type})(nil)`);
  return new GoSyntax(
    `apiextensions.ValidationRule{Rule:${goQuote(rule.rule ?? "")}, Message:${goQuote(rule.message ?? "")}, ` +
      `MessageExpression:${goQuote(rule.messageExpression ?? "")}, Reason:${pointer(rule.reason !== undefined, "apiextensions.FieldValueErrorReason")}, ` +
      `FieldPath:${goQuote(rule.fieldPath ?? "")}, OptionalOldSelf:${pointer(rule.optionalOldSelf !== undefined, "bool")}}`,
  );
}

/** CRD-write checks of one schema node's rules (the rule itself is required and non-empty elsewhere). */
export function celRuleCauses(schema: JSONSchemaProps, path: string, isRoot: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  rulesOf(schema).forEach((rule, i) => {
    const variables = ruleVariables(schema, isRoot, rule.optionalOldSelf === true);
    const at = `${path}.x-kubernetes-validations[${i}]`;
    if (typeof rule.rule === "string" && rule.rule.trim()) {
      try {
        const { references, parsed } = check(rule.rule, variables);
        if (certainlyNotBool(parsed)) causes.push(invalid(`${at}.rule`, goRule(rule), "cel expression must evaluate to a bool"));
        if (rule.optionalOldSelf !== undefined && !references.has("oldSelf")) {
          causes.push(forbidden(`${at}.optionalOldSelf`, "may not be set if oldSelf is not used in rule"));
        }
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
        causes.push(invalid(`${at}.rule`, goRule(rule), `compilation failed: ${e.message}`));
      }
    }
    if (typeof rule.message === "string" && /[\r\n]/.test(rule.message)) {
      causes.push(invalid(`${at}.message`, rule.message, "message must not contain line breaks"));
    }
    if (typeof rule.messageExpression === "string") {
      if (!rule.messageExpression.trim()) causes.push(required(`${at}.messageExpression`, "messageExpression must be non-empty if specified"));
      else {
        try {
          check(rule.messageExpression, variables);
        } catch (e) {
          if (!(e instanceof CompileError)) throw e;
          causes.push(invalid(`${at}.messageExpression`, rule.messageExpression, `messageExpression compilation failed: ${e.message}`));
        }
      }
    }
    if (rule.reason !== undefined && !REASONS.includes(rule.reason)) causes.push(notSupported(`${at}.reason`, rule.reason, REASONS));
    if (rule.fieldPath !== undefined) {
      const segments = parseFieldPath(rule.fieldPath);
      if (!segments || !fieldPathResolves(schema, segments)) {
        causes.push(invalid(`${at}.fieldPath`, rule.fieldPath, "fieldPath must be a valid path"));
      }
    }
  });
  return causes;
}

// ---------------------------------------------------------------------------------------------
// Compilation, cached per schema object

const compiled = new WeakMap<JSONSchemaProps, RuleNode | null>();

function compileNode(schema: JSONSchemaProps, isRoot: boolean): RuleNode | undefined {
  const rules: CompiledRule[] = [];
  for (const rule of rulesOf(schema)) {
    if (typeof rule.rule !== "string" || !rule.rule.trim()) continue;
    const variables = ruleVariables(schema, isRoot, rule.optionalOldSelf === true);
    let checked;
    try {
      checked = check(rule.rule, variables);
    } catch {
      continue; // a CRD with a rule that does not compile is refused when it is written
    }
    let messageProgram: Program | undefined;
    if (rule.messageExpression) {
      try {
        messageProgram = program(rule.messageExpression, check(rule.messageExpression, variables).parsed);
      } catch {
        messageProgram = undefined;
      }
    }
    rules.push({
      rule,
      program: program(rule.rule, checked.parsed),
      messageProgram,
      transition: checked.references.has("oldSelf"),
      optionalOldSelf: rule.optionalOldSelf === true && checked.references.has("oldSelf"),
      fieldPath: rule.fieldPath ? (parseFieldPath(rule.fieldPath) ?? []) : [],
    });
  }
  const properties: [string, RuleNode][] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const node = compileNode(property, false);
    if (node) properties.push([name, node]);
  }
  const additional = typeof schema.additionalProperties === "object" ? compileNode(schema.additionalProperties, false) : undefined;
  const items = schema.items ? compileNode(schema.items, false) : undefined;
  if (!rules.length && !properties.length && !additional && !items) return undefined;
  return { schema, rules, properties, additional, items };
}

function rootNode(schema: JSONSchemaProps): RuleNode | undefined {
  let node = compiled.get(schema);
  if (node === undefined) {
    node = compileNode(schema, true) ?? null;
    compiled.set(schema, node);
  }
  return node ?? undefined;
}

/** Whether a schema has any rule (so writes without rules skip the walk entirely). */
export function hasRules(schema: JSONSchemaProps): boolean {
  return rootNode(schema) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

const NO_OLD = Symbol("no old value");
type Old = unknown | typeof NO_OLD;

const child = (path: string, name: string) => (path ? `${path}.${name}` : name);
const shownPath = (path: string) => path || "<nil>";

function ruleText(rule: ValidationRule): string {
  return (rule.message ?? "").trim() || rule.rule.trim();
}

function defaultMessage(rule: ValidationRule): string {
  return rule.message?.trim() ? rule.message : `failed rule: ${rule.rule.trim()}`;
}

function failure(rule: CompiledRule, path: string, schema: JSONSchemaProps, schemaType: string, message: string): FieldCause {
  let field = path;
  let node: JSONSchemaProps | undefined = schema;
  for (const segment of rule.fieldPath) {
    field = node && !node.properties?.[segment] && typeof node.additionalProperties === "object" ? `${field}[${segment}]` : child(field, segment);
    node = node?.properties?.[segment] ?? (typeof node?.additionalProperties === "object" ? node.additionalProperties : undefined);
  }
  field = shownPath(field);
  switch (rule.rule.reason) {
    case "FieldValueForbidden":
      return forbidden(field, message);
    case "FieldValueRequired":
      return required(field, message);
    case "FieldValueDuplicate":
      return { reason: CAUSE_OF_REASON.FieldValueDuplicate!, field, message: `Duplicate value: ${goQuote(schemaType)}` };
    default:
      return invalid(field, schemaType, message);
  }
}

function messageFor(rule: CompiledRule, bindings: Record<string, unknown>): string {
  if (rule.messageProgram) {
    const result = rule.messageProgram(bindings);
    if (typeof result === "string" && result.trim() && !/[\r\n]/.test(result)) return result;
  }
  return defaultMessage(rule.rule);
}

function evaluateRules(node: RuleNode, value: unknown, old: Old, path: string, causes: FieldCause[]) {
  if (!node.rules.length) return;
  const schemaType = node.schema.type ?? (node.schema["x-kubernetes-int-or-string"] ? "integer-or-string" : "object");
  let self: unknown;
  let oldSelf: unknown;
  for (const rule of node.rules) {
    const hasOld = old !== NO_OLD && old !== null && old !== undefined;
    if (rule.transition && !hasOld && !rule.optionalOldSelf) continue;
    self ??= toCel(value, node.schema);
    if (hasOld) oldSelf ??= toCel(old, node.schema);
    let bindings: Record<string, unknown> = hasOld ? { self, oldSelf } : { self };
    if (rule.optionalOldSelf) bindings = { self, oldSelf: hasOld ? optionalOf(oldSelf) : optionalNone() };
    const result = rule.program(bindings);
    if (result === true) continue;
    if (isCelError(result)) {
      const error = runtimeErrorText(result.message);
      const text = error.startsWith("no such overload")
        ? `'${error}': call arguments did not match a supported operator, function or macro signature for rule: ${ruleText(rule.rule)}`
        : `${error} evaluating rule: ${ruleText(rule.rule)}`;
      causes.push(invalid(shownPath(path), schemaType, text));
    } else if (result === false) causes.push(failure(rule, path, node.schema, schemaType, messageFor(rule, bindings)));
    else causes.push(invalid(shownPath(path), schemaType, `cel expression must evaluate to a bool evaluating rule: ${ruleText(rule.rule)}`));
  }
}

function mapKeyOf(item: unknown, keys: string[]): string | undefined {
  if (!isPlainObject(item)) return undefined;
  return JSON.stringify(keys.map((k) => item[k] ?? null));
}

function walk(node: RuleNode, value: unknown, old: Old, path: string, causes: FieldCause[]) {
  if (value === null || value === undefined) return;
  evaluateRules(node, value, old, path, causes);
  if (Array.isArray(value)) {
    if (!node.items) return;
    const listType = node.schema["x-kubernetes-list-type"];
    const keys = node.schema["x-kubernetes-list-map-keys"] ?? [];
    const oldItems = Array.isArray(old) ? old : undefined;
    const oldByKey = listType === "map" && oldItems ? new Map(oldItems.map((item) => [mapKeyOf(item, keys), item])) : undefined;
    value.forEach((item, i) => {
      let oldItem: Old = NO_OLD;
      if (oldByKey) oldItem = oldByKey.get(mapKeyOf(item, keys)) ?? NO_OLD;
      else if (listType === "set" && oldItems) oldItem = oldItems.find((o) => JSON.stringify(o) === JSON.stringify(item)) ?? NO_OLD;
      walk(node.items!, item, oldItem, `${path}[${i}]`, causes);
    });
    return;
  }
  if (!isPlainObject(value)) return;
  const oldObject = isPlainObject(old) ? old : undefined;
  for (const [name, property] of node.properties) {
    if (name in value) walk(property, value[name], oldObject && name in oldObject ? oldObject[name] : NO_OLD, child(path, name), causes);
  }
  if (node.additional) {
    const declared = node.schema.properties ?? {};
    for (const [k, v] of Object.entries(value)) {
      if (k in declared) continue;
      walk(node.additional, v, oldObject && k in oldObject ? oldObject[k] : NO_OLD, `${path}[${k}]`, causes);
    }
  }
}

/** The rule failures of a custom resource (old is the stored object on updates). */
export function validateCelRules(obj: unknown, old: unknown, schema: JSONSchemaProps): FieldCause[] {
  const root = rootNode(schema);
  if (!root) return [];
  const causes: FieldCause[] = [];
  walk(root, obj, old === undefined ? NO_OLD : old, "", causes);
  return causes;
}
