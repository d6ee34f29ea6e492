// The RBAC authorizer: which subjects the bindings name, indexed by subject, so that a request is checked
// against the rules of its own user and groups only (never a scan of every binding).
import type { UserInfo } from "../auth.ts";
import { MASTERS_GROUP } from "../auth.ts";
import type { Store, StoreEvent } from "../store.ts";
import type { KObject } from "../types.ts";
import { ruleAllows, type Attributes, type PolicyRule } from "./rules.ts";

const G = "rbac.authorization.k8s.io";
export const RBAC_RESOURCES = {
  roles: `${G}/roles`,
  clusterRoles: `${G}/clusterroles`,
  roleBindings: `${G}/rolebindings`,
  clusterRoleBindings: `${G}/clusterrolebindings`,
};

interface RoleRef {
  kind: string;
  name: string;
}

/** A binding's roleRef as indexed for one subject, with the reason an allow by it gives. */
interface BoundRole extends RoleRef {
  reason: string;
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

/** The rules that apply to a user in a namespace, with where each came from (for SelfSubjectRulesReview). */
export interface RuleSource {
  rules: PolicyRule[];
  binding: string;
}

/** Subject keys per identity: authentication hands out one object per token, so most requests hit this. */
const keysOfUser = new WeakMap<UserInfo, string[]>();

export function subjectKeys(user: UserInfo): string[] {
  let keys = keysOfUser.get(user);
  if (!keys) keysOfUser.set(user, (keys = [`User:${user.user}`, ...user.groups.map((g) => `Group:${g}`)]));
  return keys;
}

function subjectKey(s: Subject, bindingNamespace: string | undefined): string | undefined {
  if (s.kind === "User") return `User:${s.name}`;
  if (s.kind === "Group") return `Group:${s.name}`;
  if (s.kind === "ServiceAccount") return `User:system:serviceaccount:${s.namespace || bindingNamespace || ""}:${s.name}`;
  return undefined;
}

export class RbacAuthorizer implements Authorizer {
  private roles = new Map<string, PolicyRule[]>();
  private clusterRoles = new Map<string, PolicyRule[]>();
  /** subject key -> ClusterRoleBinding name -> roleRef */
  private clusterBindings = new Map<string, Map<string, BoundRole>>();
  /** "<namespace> <subject key>" -> "<namespace>/<RoleBinding name>" -> roleRef */
  private namespaceBindings = new Map<string, Map<string, BoundRole>>();
  private unsubscribe: () => void;

  constructor(private store: Store) {
    for (const [resource, key] of Object.values(RBAC_RESOURCES).map((r) => [r, r] as const))
      for (const obj of store.list(key)) this.apply(resource, obj, undefined);
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  stop() {
    this.unsubscribe();
  }

  private onEvent(e: StoreEvent) {
    if (!e.resource.startsWith(`${G}/`)) return;
    this.apply(e.resource, e.type === "DELETED" ? undefined : e.object, e.previous);
  }

  private apply(resource: string, obj: KObject | undefined, previous: KObject | undefined) {
    const o = (obj ?? previous)!;
    const ns = o.metadata.namespace;
    const name = o.metadata.name!;
    switch (resource) {
      case RBAC_RESOURCES.roles:
        if (obj) this.roles.set(`${ns}/${name}`, rulesOf(obj));
        else this.roles.delete(`${ns}/${name}`);
        return;
      case RBAC_RESOURCES.clusterRoles:
        if (obj) this.clusterRoles.set(name, rulesOf(obj));
        else this.clusterRoles.delete(name);
        return;
      case RBAC_RESOURCES.clusterRoleBindings:
        if (previous) this.unindex(this.clusterBindings, previous, "", name);
        if (obj) this.index(this.clusterBindings, obj, "", name);
        return;
      case RBAC_RESOURCES.roleBindings:
        if (previous) this.unindex(this.namespaceBindings, previous, `${ns} `, `${ns}/${name}`);
        if (obj) this.index(this.namespaceBindings, obj, `${ns} `, `${ns}/${name}`);
        return;
    }
  }

  private index(map: Map<string, Map<string, BoundRole>>, binding: KObject, prefix: string, id: string) {
    const ref = binding.roleRef as RoleRef | undefined;
    if (!ref?.name) return;
    const ns = binding.metadata.namespace;
    const by = ns === undefined ? `ClusterRoleBinding "${binding.metadata.name}" of ClusterRole` : `RoleBinding "${binding.metadata.name}/${ns}" of ${ref.kind}`;
    for (const s of (binding.subjects as Subject[] | undefined) ?? []) {
      const key = subjectKey(s, ns);
      if (!key) continue;
      let byBinding = map.get(prefix + key);
      if (!byBinding) map.set(prefix + key, (byBinding = new Map()));
      const reason = `RBAC: allowed by ${by} "${ref.name}" to ${describeSubject(key)}`;
      byBinding.set(id, { kind: ref.kind, name: ref.name, reason });
    }
  }

  private unindex(map: Map<string, Map<string, BoundRole>>, binding: KObject, prefix: string, id: string) {
    for (const s of (binding.subjects as Subject[] | undefined) ?? []) {
      const key = subjectKey(s, binding.metadata.namespace);
      const byBinding = key && map.get(prefix + key);
      if (!byBinding) continue;
      byBinding.delete(id);
      if (byBinding.size === 0) map.delete(prefix + key);
    }
  }

  authorize(user: UserInfo, a: Attributes): Decision {
    if (user.groups.includes(MASTERS_GROUP)) return { allowed: true, reason: "" };
    const keys = subjectKeys(user);
    for (const key of keys) {
      const bound = this.clusterBindings.get(key);
      if (bound)
        for (const ref of bound.values())
          if (allows(this.clusterRoles.get(ref.name), a)) return { allowed: true, reason: ref.reason };
    }
    if (a.namespace && a.resourceRequest)
      for (const key of keys) {
        const bound = this.namespaceBindings.get(`${a.namespace} ${key}`);
        if (bound) for (const ref of bound.values()) if (allows(this.refRules(ref, a.namespace), a)) return { allowed: true, reason: ref.reason };
      }
    return { allowed: false, reason: "" };
  }

  /** Every rule the user has in `namespace` (cluster-wide ones included), as SelfSubjectRulesReview lists them. */
  rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    if (user.groups.includes(MASTERS_GROUP)) return [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }, { verbs: ["*"], nonResourceURLs: ["*"] }];
    const out: PolicyRule[] = [];
    const keys = subjectKeys(user);
    for (const key of keys) for (const ref of this.clusterBindings.get(key)?.values() ?? []) out.push(...(this.clusterRoles.get(ref.name) ?? []));
    if (namespace)
      for (const key of keys)
        for (const ref of this.namespaceBindings.get(`${namespace} ${key}`)?.values() ?? []) out.push(...(this.refRules(ref, namespace) ?? []));
    return out;
  }

  private refRules(ref: RoleRef, namespace: string): PolicyRule[] | undefined {
    return ref.kind === "ClusterRole" ? this.clusterRoles.get(ref.name) : this.roles.get(`${namespace}/${ref.name}`);
  }
}

function allows(rules: PolicyRule[] | undefined, a: Attributes): boolean {
  if (rules) for (const r of rules) if (ruleAllows(r, a)) return true;
  return false;
}

/** `User "alice"`, `Group "dev"`, `ServiceAccount "robot/team"`, as the RBAC authorizer names a subject. */
function describeSubject(key: string): string {
  const [kind, ...rest] = key.split(":");
  const name = rest.join(":");
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
  if (sa) return `ServiceAccount "${sa[2]}/${sa[1]}"`;
  return `${kind} "${name}"`;
}

function rulesOf(role: KObject): PolicyRule[] {
  return ((role.rules as PolicyRule[] | undefined) ?? []).map((r) => ({ ...r }));
}

export interface Authorizer {
  authorize(user: UserInfo, a: Attributes): Decision;
  rulesFor(user: UserInfo, namespace: string): PolicyRule[];
}

/** envtest's default: every authenticated request is allowed. */
export const ALWAYS_ALLOW: Authorizer = {
  authorize: () => ({ allowed: true, reason: "" }),
  rulesFor: () => [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }, { verbs: ["*"], nonResourceURLs: ["*"] }],
};
