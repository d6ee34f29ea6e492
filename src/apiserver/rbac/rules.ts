// RBAC policy rules and the attributes of a request they are matched against (the RBAC authorizer's semantics).

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** What a request asks to do, as the authorizer sees it. */
export interface Attributes {
  verb: string;
  /** false for non-resource paths (/healthz, /api, /version, ...). */
  resourceRequest: boolean;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  name: string;
  /** "" for cluster-scoped resources and requests across all namespaces. */
  namespace: string;
  path: string;
}

export function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  if (!verbMatches(rule, a.verb)) return false;
  if (!a.resourceRequest) return nonResourceMatches(rule, a.path);
  return (
    has(rule.apiGroups, a.apiGroup) &&
    resourceMatches(rule, a.resource, a.subresource) &&
    (!rule.resourceNames?.length || (a.name !== "" && rule.resourceNames.includes(a.name)))
  );
}

function has(list: string[] | undefined, value: string): boolean {
  return !!list && (list.includes("*") || list.includes(value));
}

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return has(rule.verbs, verb);
}

/** "*" matches everything, "pods/log" the subresource, "*\/scale" that subresource of any resource. */
function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === "*" || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

/** An exact path, "*", or a prefix ending in "*" ("/apis/*"). */
function nonResourceMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === "*" || u === path) return true;
    if (u.endsWith("*") && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}
