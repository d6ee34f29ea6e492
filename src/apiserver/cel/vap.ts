// ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding (admissionregistration.k8s.io/v1), evaluated
// after an object passed validation: match constraints, params, match conditions, variables, validations,
// failurePolicy and the binding's validationActions (Deny, Warn; Audit is accepted and has no effect here).
import type { UserInfo } from "../auth.ts";
import { ApiError, qualifiedResource } from "../errors.ts";
import { storageKey } from "../types.ts";
import { matchesLabels, selectorFromLabelSelectorObject } from "../selectors.ts";
import type { ApiState } from "../state.ts";
import type { FieldCause, KObject, ResourceType } from "../types.ts";
import { check, CompileError, isCelError, program, runtimeErrorText, type Program, type Shape } from "./env.ts";
import { untyped } from "./values.ts";

const POLICIES = "admissionregistration.k8s.io/validatingadmissionpolicies";
const BINDINGS = "admissionregistration.k8s.io/validatingadmissionpolicybindings";

interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

export interface AdmissionRequest {
  operation: Operation;
  type: ResourceType;
  subresource?: string;
  namespace?: string;
  name: string;
  object?: KObject;
  oldObject?: KObject;
  user?: UserInfo;
  dryRun: boolean;
}

interface RuleWithOperations {
  apiGroups?: string[];
  apiVersions?: string[];
  operations?: string[];
  resources?: string[];
  resourceNames?: string[];
  scope?: string;
}

interface MatchResources {
  namespaceSelector?: LabelSelectorObject;
  objectSelector?: LabelSelectorObject;
  resourceRules?: RuleWithOperations[];
  excludeResourceRules?: RuleWithOperations[];
}

interface Validation {
  expression: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
}

interface PolicySpec {
  failurePolicy?: "Fail" | "Ignore";
  paramKind?: { apiVersion?: string; kind?: string };
  matchConstraints?: MatchResources;
  matchConditions?: { name: string; expression: string }[];
  validations?: Validation[];
  variables?: { name: string; expression: string }[];
}

interface BindingSpec {
  policyName?: string;
  paramRef?: { name?: string; namespace?: string; selector?: LabelSelectorObject; parameterNotFoundAction?: "Allow" | "Deny" };
  matchResources?: MatchResources;
  validationActions?: string[];
}

const REASON_CODES: Record<string, number> = { Unauthorized: 401, Forbidden: 403, RequestEntityTooLarge: 413, Invalid: 422 };

// ---------------------------------------------------------------------------------------------
// Compilation (once per expression text)

const VARIABLES = ["object", "oldObject", "request", "params", "namespaceObject", "variables", "authorizer"];

function policyVariables(): Map<string, Shape | undefined> {
  return new Map(VARIABLES.map((name) => [name, undefined]));
}

const compiled = new Map<string, Program | CompileError>();

function compile(expression: string): Program | CompileError {
  let p = compiled.get(expression);
  if (!p) {
    try {
      p = program(expression, check(expression, policyVariables()).parsed);
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      p = e;
    }
    compiled.set(expression, p);
  }
  return p;
}

type Json = Record<string, unknown>;

function defaultMatch(m: Json | undefined, isPolicy: boolean) {
  if (!m) return;
  m.namespaceSelector ??= {};
  m.objectSelector ??= {};
  if (isPolicy) m.matchPolicy ??= "Equivalent";
  for (const list of [m.resourceRules, m.excludeResourceRules]) {
    if (Array.isArray(list)) for (const rule of list) if (rule && typeof rule === "object") (rule as Json).scope ??= "*";
  }
}

/** The defaults kube-apiserver writes into a ValidatingAdmissionPolicy. */
export function policyDefaults(policy: KObject) {
  const spec = (policy.spec ??= {}) as Json;
  spec.failurePolicy ??= "Fail";
  defaultMatch(spec.matchConstraints as Json | undefined, true);
}

/** The defaults kube-apiserver writes into a ValidatingAdmissionPolicyBinding. */
export function bindingDefaults(binding: KObject) {
  const spec = (binding.spec ??= {}) as Json;
  defaultMatch(spec.matchResources as Json | undefined, false);
  const ref = spec.paramRef as Json | undefined;
  if (ref && typeof ref === "object") ref.parameterNotFoundAction ??= "Deny";
}

const VALIDATION_ACTIONS = ["Audit", "Deny", "Warn"];

/** Required fields of a binding (admissionregistration validation). */
export function validateBinding(binding: KObject): FieldCause[] {
  const spec = (binding.spec ?? {}) as BindingSpec;
  const causes: FieldCause[] = [];
  if (!spec.policyName) causes.push({ reason: "FieldValueRequired", field: "spec.policyName", message: "Required value" });
  const actions = spec.validationActions ?? [];
  if (actions.length === 0) {
    causes.push({ reason: "FieldValueRequired", field: "spec.validationActions", message: "Required value: at least one validation action is required" });
  }
  actions.forEach((a, i) => {
    if (!VALIDATION_ACTIONS.includes(a)) {
      causes.push({ reason: "FieldValueNotSupported", field: `spec.validationActions[${i}]`, message: `Unsupported value: ${JSON.stringify(a)}: supported values: "Audit", "Deny", "Warn"` });
    }
  });
  if (actions.includes("Deny") && actions.includes("Warn")) {
    causes.push({ reason: "FieldValueInvalid", field: "spec.validationActions", message: `Invalid value: ${JSON.stringify(actions)}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)` });
  }
  return causes;
}

/** Checks of a policy when it is written: required fields and its expressions (syntax, undeclared names). */
export function validatePolicy(policy: KObject): FieldCause[] {
  const spec = (policy.spec ?? {}) as PolicySpec & { auditAnnotations?: unknown[] };
  const causes: FieldCause[] = [];
  if (!spec.matchConstraints) causes.push({ reason: "FieldValueRequired", field: "spec.matchConstraints", message: "Required value" });
  else if (!spec.matchConstraints.resourceRules?.length) {
    causes.push({ reason: "FieldValueRequired", field: "spec.matchConstraints.resourceRules", message: "Required value" });
  }
  if (!spec.validations?.length && !spec.auditAnnotations?.length) {
    causes.push({ reason: "FieldValueRequired", field: "spec.validations", message: "Required value: validations or auditAnnotations must contain at least one item" });
  }
  const checkAt = (field: string, expression: unknown) => {
    if (typeof expression !== "string" || !expression) {
      causes.push({ reason: "FieldValueRequired", field, message: "Required value" });
      return;
    }
    const p = compile(expression);
    if (p instanceof CompileError) {
      causes.push({ reason: "FieldValueInvalid", field, message: `Invalid value: ${JSON.stringify(expression)}: compilation failed: ${p.message}` });
    }
  };
  spec.validations?.forEach((v, i) => {
    checkAt(`spec.validations[${i}].expression`, v.expression);
    if (v.messageExpression !== undefined) checkAt(`spec.validations[${i}].messageExpression`, v.messageExpression);
  });
  spec.matchConditions?.forEach((c, i) => checkAt(`spec.matchConditions[${i}].expression`, c.expression));
  spec.variables?.forEach((v, i) => checkAt(`spec.variables[${i}].expression`, v.expression));
  if (spec.failurePolicy !== undefined && !["Fail", "Ignore"].includes(spec.failurePolicy)) {
    causes.push({ reason: "FieldValueNotSupported", field: "spec.failurePolicy", message: `Unsupported value: ${JSON.stringify(spec.failurePolicy)}: supported values: "Fail", "Ignore"` });
  }
  return causes;
}

// ---------------------------------------------------------------------------------------------
// Matching

function matchesRule(rule: RuleWithOperations, req: AdmissionRequest): boolean {
  const { type } = req;
  const any = (list: string[] | undefined, value: string) => !!list?.some((v) => v === "*" || v === value);
  if (!any(rule.apiGroups, type.group) || !any(rule.apiVersions, type.version)) return false;
  if (!any(rule.operations, req.operation)) return false;
  const resource = req.subresource ? `${type.plural}/${req.subresource}` : type.plural;
  const resourceOk = (rule.resources ?? []).some((r) => {
    if (r === "*" ) return !req.subresource;
    if (r === "*/*" || r === resource) return true;
    const [main, sub] = r.split("/");
    if (main === "*" && sub === req.subresource) return true;
    return main === type.plural && sub === "*" && !!req.subresource;
  });
  if (!resourceOk) return false;
  if (rule.resourceNames?.length && !rule.resourceNames.includes(req.name)) return false;
  const scope = rule.scope ?? "*";
  if (scope === "Namespaced" && !type.namespaced) return false;
  if (scope === "Cluster" && type.namespaced) return false;
  return true;
}

function selectorMatches(selector: LabelSelectorObject | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  return matchesLabels(selectorFromLabelSelectorObject(selector), labels ?? {});
}

function namespaceOf(state: ApiState, req: AdmissionRequest): KObject | undefined {
  if (req.type.group === "" && req.type.plural === "namespaces") return req.object ?? req.oldObject;
  if (!req.type.namespaced || !req.namespace) return undefined;
  return state.store.get("/namespaces", undefined, req.namespace);
}

function matchesResources(state: ApiState, m: MatchResources | undefined, req: AdmissionRequest, rulesRequired: boolean): boolean {
  if (!m) return !rulesRequired;
  if (m.resourceRules !== undefined || rulesRequired) {
    if (!(m.resourceRules ?? []).some((r) => matchesRule(r, req))) return false;
  }
  if ((m.excludeResourceRules ?? []).some((r) => matchesRule(r, req))) return false;
  const ns = namespaceOf(state, req);
  if (m.namespaceSelector && (req.type.namespaced || req.type.plural === "namespaces") && !selectorMatches(m.namespaceSelector, ns?.metadata.labels)) return false;
  if (m.objectSelector) {
    const labelsOf = (o: KObject | undefined) => o?.metadata.labels;
    if (!selectorMatches(m.objectSelector, labelsOf(req.object)) && !selectorMatches(m.objectSelector, labelsOf(req.oldObject))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

interface Decision {
  action: "deny" | "warn";
  message: string;
  reason: string;
}

function requestVariable(req: AdmissionRequest): Record<string, unknown> {
  const { type } = req;
  const kind = { group: type.group, version: type.version, kind: type.kind };
  const resource = { group: type.group, version: type.version, resource: type.plural };
  const user = req.user ?? { user: "", groups: [] };
  return untyped({
    kind, resource, requestKind: kind, requestResource: resource,
    subResource: req.subresource ?? "",
    name: req.name, namespace: req.namespace ?? "",
    operation: req.operation,
    userInfo: { username: user.user, groups: user.groups, uid: "", extra: {} },
    dryRun: req.dryRun,
  }) as Record<string, unknown>;
}

class EvaluationError extends Error {}

function run(expression: string, bindings: Record<string, unknown>): unknown {
  const p = compile(expression);
  if (p instanceof CompileError) throw new EvaluationError(`compilation failed: ${p.message}`);
  const result = p(bindings);
  if (isCelError(result)) throw new EvaluationError(`expression '${expression}' resulted in error: ${runtimeErrorText(result.message)}`);
  return result;
}

function paramsFor(state: ApiState, spec: PolicySpec, binding: BindingSpec, req: AdmissionRequest): unknown[] | string {
  if (!spec.paramKind) return [null];
  const { apiVersion = "", kind = "" } = spec.paramKind;
  const paramType = state.registry.byKind(apiVersion, kind);
  if (!paramType) return `failed to configure policy: failed to find resource referenced by paramKind: '${apiVersion}, Kind=${kind}'`;
  const ref = binding.paramRef;
  if (!ref) return "failed to configure binding: paramRef is required when paramKind is set";
  const namespace = paramType.namespaced ? (ref.namespace ?? req.namespace) : undefined;
  let params: KObject[];
  if (ref.name) {
    const one = state.store.get(storageKey(paramType), namespace, ref.name);
    params = one ? [one] : [];
  } else {
    params = state.store.list(storageKey(paramType), namespace).filter((p) => selectorMatches(ref.selector ?? {}, p.metadata.labels));
  }
  if (params.length === 0) {
    if (ref.parameterNotFoundAction === "Allow") return [];
    return "failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction";
  }
  return params;
}

type BaseBindings = Record<"object" | "oldObject" | "request" | "namespaceObject" | "authorizer", unknown>;

/** The request's variables, converted for CEL once per request. */
function baseBindings(state: ApiState, req: AdmissionRequest): BaseBindings {
  const ns = req.type.namespaced ? namespaceOf(state, req) : undefined;
  return {
    object: req.object ? untyped(req.object) : null,
    oldObject: req.oldObject ? untyped(req.oldObject) : null,
    request: requestVariable(req),
    namespaceObject: ns ? untyped(ns) : null,
    authorizer: null,
  };
}

function evaluate(state: ApiState, spec: PolicySpec, binding: BindingSpec, req: AdmissionRequest, base: BaseBindings): Decision[] {
  const failurePolicy = spec.failurePolicy ?? "Fail";
  const failure = (message: string): Decision[] => (failurePolicy === "Ignore" ? [] : [{ action: "deny", message, reason: "Invalid" }]);
  const params = paramsFor(state, spec, binding, req);
  if (typeof params === "string") return failure(params);
  const decisions: Decision[] = [];
  for (const param of params) {
    const bindings: Record<string, unknown> = { ...base, params: param ? untyped(param) : null, variables: {} };
    try {
      let matched = true;
      for (const condition of spec.matchConditions ?? []) {
        const result = run(condition.expression, bindings);
        if (result === false) {
          matched = false;
          break;
        }
      }
      if (!matched) continue;
      const variables: Record<string, unknown> = {};
      for (const v of spec.variables ?? []) {
        variables[v.name] = run(v.expression, { ...bindings, variables: { ...variables } });
      }
      bindings.variables = variables;
      for (const validation of spec.validations ?? []) {
        const result = run(validation.expression, bindings);
        if (result === true) continue;
        if (result !== false) throw new EvaluationError(`expression '${validation.expression}' resulted in error: expected bool`);
        decisions.push({ action: "deny", message: messageOf(validation, bindings), reason: validation.reason ?? "Invalid" });
      }
    } catch (e) {
      if (!(e instanceof EvaluationError)) throw e;
      decisions.push(...failure(e.message));
    }
  }
  return decisions;
}

function messageOf(validation: Validation, bindings: Record<string, unknown>): string {
  if (validation.messageExpression) {
    try {
      const text = run(validation.messageExpression, bindings);
      if (typeof text === "string" && text.trim() && !/[\r\n]/.test(text)) return text;
    } catch {
      // falls back to message
    }
  }
  return validation.message ?? `failed expression: ${validation.expression}`;
}

/**
 * Runs every policy bound to this request. Throws the first denial (as kube-apiserver does) or returns the
 * warnings of bindings whose validationActions say Warn.
 */
export function admitByPolicies(state: ApiState, req: AdmissionRequest): string[] {
  const bindings = state.store.list(BINDINGS);
  if (bindings.length === 0) return [];
  const warnings: string[] = [];
  let denied: ApiError | undefined;
  let base: BaseBindings | undefined;
  for (const binding of bindings) {
    const spec = (binding.spec ?? {}) as BindingSpec;
    if (!spec.policyName) continue;
    const policy = state.store.get(POLICIES, undefined, spec.policyName);
    if (!policy) continue;
    const policySpec = (policy.spec ?? {}) as PolicySpec;
    if (!matchesResources(state, policySpec.matchConstraints, req, true)) continue;
    if (!matchesResources(state, spec.matchResources, req, false)) continue;
    const actions = spec.validationActions ?? [];
    base ??= baseBindings(state, req);
    for (const decision of evaluate(state, policySpec, spec, req, base)) {
      const denial = `ValidatingAdmissionPolicy '${policy.metadata.name}' with binding '${binding.metadata.name}' denied request: ${decision.message}`;
      if (actions.includes("Warn")) {
        warnings.push(`Validation failed for ValidatingAdmissionPolicy '${policy.metadata.name}' with binding '${binding.metadata.name}': ${decision.message}`);
      }
      if (actions.includes("Deny") && !denied) {
        const { type } = req;
        denied = new ApiError(REASON_CODES[decision.reason] ?? 422, decision.reason, `${qualifiedResource(type.group, type.plural)} "${req.name}" is forbidden: ${denial}`, {
          name: req.name,
          group: type.group,
          kind: type.plural,
          causes: [{ message: denial }],
        });
      }
    }
  }
  if (denied) throw denied;
  return warnings;
}
