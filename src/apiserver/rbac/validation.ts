// What kube-apiserver's RBAC validation rejects with 422: rules without verbs or without what they apply
// to, rules mixing resources and non-resource URLs, bindings without a valid roleRef or subjects, and a
// roleRef changed on update.
import { cause } from "../errors.ts";
import type { FieldCause, KObject } from "../types.ts";

const GROUP = "rbac.authorization.k8s.io";
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string => (typeof v === "string" ? v : "");
const required = (field: string, detail = "") => cause("FieldValueRequired", field, detail ? `Required value: ${detail}` : "Required value");
const notSupported = (field: string, value: string, supported: string[]) =>
  cause("FieldValueNotSupported", field, `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(", ")}`);
const goStrings = (values: unknown[]) => `[]string{${values.map((v) => JSON.stringify(String(v))).join(", ")}}`;

function validateRules(role: KObject, namespaced: boolean): FieldCause[] {
  const out: FieldCause[] = [];
  list(role.rules).forEach((raw, i) => {
    const rule = (raw ?? {}) as Record<string, unknown>;
    const at = `rules[${i}]`;
    if (!list(rule.verbs).length) out.push(required(`${at}.verbs`, "verbs must contain at least one value"));
    const urls = list(rule.nonResourceURLs);
    if (urls.length) {
      if (namespaced) out.push(cause("FieldValueInvalid", `${at}.nonResourceURLs`, `Invalid value: ${goStrings(urls)}: namespaced rules cannot apply to non-resource URLs`));
      if (list(rule.apiGroups).length || list(rule.resources).length || list(rule.resourceNames).length)
        out.push(cause("FieldValueInvalid", `${at}.nonResourceURLs`, `Invalid value: ${goStrings(urls)}: rules cannot apply to both regular resources and non-resource URLs`));
      return;
    }
    if (!list(rule.apiGroups).length) out.push(required(`${at}.apiGroups`, "resource rules must supply at least one api group"));
    if (!list(rule.resources).length) out.push(required(`${at}.resources`, "resource rules must supply at least one resource"));
  });
  return out;
}

function roleRefText(ref: Record<string, unknown>): string {
  return `rbac.RoleRef{APIGroup:${JSON.stringify(text(ref.apiGroup))}, Kind:${JSON.stringify(text(ref.kind))}, Name:${JSON.stringify(text(ref.name))}}`;
}

function validateBinding(binding: KObject, old: KObject | undefined, cluster: boolean): FieldCause[] {
  const out: FieldCause[] = [];
  const ref = (binding.roleRef ?? {}) as Record<string, unknown>;
  if (text(ref.apiGroup) !== GROUP) out.push(notSupported("roleRef.apiGroup", text(ref.apiGroup), [GROUP]));
  const kinds = cluster ? ["ClusterRole"] : ["Role", "ClusterRole"];
  if (!kinds.includes(text(ref.kind))) out.push(notSupported("roleRef.kind", text(ref.kind), kinds));
  if (!text(ref.name)) out.push(required("roleRef.name"));
  list(binding.subjects).forEach((raw, i) => {
    const s = (raw ?? {}) as Record<string, unknown>;
    const at = `subjects[${i}]`;
    if (!text(s.name)) out.push(required(`${at}.name`));
    switch (text(s.kind)) {
      case "ServiceAccount":
        if (text(s.apiGroup)) out.push(notSupported(`${at}.apiGroup`, text(s.apiGroup), [""]));
        if (cluster && !text(s.namespace)) out.push(required(`${at}.namespace`));
        break;
      case "User":
      case "Group":
        if (text(s.apiGroup) !== GROUP) out.push(notSupported(`${at}.apiGroup`, text(s.apiGroup), [GROUP]));
        break;
      default:
        out.push(notSupported(`${at}.kind`, text(s.kind), ["ServiceAccount", "User", "Group"]));
    }
  });
  if (old) {
    const was = (old.roleRef ?? {}) as Record<string, unknown>;
    if (text(was.apiGroup) !== text(ref.apiGroup) || text(was.kind) !== text(ref.kind) || text(was.name) !== text(ref.name))
      out.push(cause("FieldValueInvalid", "roleRef", `Invalid value: ${roleRefText(ref)}: cannot change roleRef`));
  }
  return out;
}

export const rbacValidation: Record<string, (obj: KObject, old: KObject | undefined) => FieldCause[]> = {
  [`${GROUP}/Role`]: (o) => validateRules(o, true),
  [`${GROUP}/ClusterRole`]: (o) => validateRules(o, false),
  [`${GROUP}/RoleBinding`]: (o, old) => validateBinding(o, old, false),
  [`${GROUP}/ClusterRoleBinding`]: (o, old) => validateBinding(o, old, true),
};

/** The v1 defaults: roleRef.apiGroup, and the apiGroup of User and Group subjects, are the RBAC group. */
function defaultBinding(binding: KObject) {
  const ref = binding.roleRef as Record<string, unknown> | undefined;
  if (ref && typeof ref === "object" && !ref.apiGroup) ref.apiGroup = GROUP;
  for (const s of list(binding.subjects) as Record<string, unknown>[])
    if (s && typeof s === "object" && !s.apiGroup && (s.kind === "User" || s.kind === "Group")) s.apiGroup = GROUP;
}

export const rbacDefaults: Record<string, (obj: KObject, old: KObject | undefined) => void> = {
  [`${GROUP}/RoleBinding`]: defaultBinding,
  [`${GROUP}/ClusterRoleBinding`]: defaultBinding,
};
