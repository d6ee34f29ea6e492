// Privilege escalation prevention, as the RBAC REST storage does it: creating or updating a Role or
// ClusterRole needs every permission it grants (or `escalate` on it); a RoleBinding or ClusterRoleBinding
// needs every permission of the role it refers to (or `bind` on that role).
import type { UserInfo } from "../auth.ts";
import { MASTERS_GROUP } from "../auth.ts";
import { readObjectBody } from "../body.ts";
import { ApiError, qualifiedResource } from "../errors.ts";
import type { Store } from "../store.ts";
import type { KObject } from "../types.ts";
import { RBAC_RESOURCES, type Authorizer } from "./authorizer.ts";
import type { Attributes, PolicyRule } from "./rules.ts";

const GROUP = "rbac.authorization.k8s.io";

const POLICY_RESOURCES = new Set(["roles", "clusterroles", "rolebindings", "clusterrolebindings"]);

/** A create, update or patch of a role or binding (what escalation prevention looks at). */
export function isPolicyWrite(method: string, a: Attributes): boolean {
  return (method === "POST" || method === "PUT" || method === "PATCH") && a.resourceRequest && a.apiGroup === GROUP && !a.subresource && POLICY_RESOURCES.has(a.resource);
}

/**
 * Throws 403 when `user` may not write the role or binding the request would store: the body of a create or
 * update, or for a patch the object a dry run of it produces (`dryRun` runs the request with dryRun=All). A
 * request that fails on its own is left to the write handler to refuse.
 */
export async function checkEscalation(authz: Authorizer, store: Store, user: UserInfo, a: Attributes, req: Request, dryRun: (req: Request) => Promise<Response>) {
  if (user.groups.includes(MASTERS_GROUP)) return;
  let obj: KObject;
  try {
    if (req.method === "PATCH") {
      const url = new URL(req.url);
      url.searchParams.set("dryRun", "All");
      const res = await dryRun(new Request(url.href, { method: "PATCH", headers: req.headers, body: await req.arrayBuffer() }));
      if (!res.ok) return;
      obj = (await res.json()) as KObject;
    } else obj = (await readObjectBody(req)) as KObject;
  } catch {
    return;
  }
  const { resource, namespace } = a;
  const name = obj.metadata?.name ?? a.name;
  if (resource === "roles" || resource === "clusterroles") {
    if (allowed(authz, user, "escalate", resource, name, namespace)) return;
    const missing = notHeld(authz, user, (obj.rules as PolicyRule[] | undefined) ?? [], namespace);
    if (missing.length) throw escalationError(resource, name, user, missing);
    return;
  }
  if (resource === "rolebindings" || resource === "clusterrolebindings") {
    const ref = (obj.roleRef ?? {}) as { kind?: string; name?: string };
    const refResource = ref.kind === "Role" ? "roles" : "clusterroles";
    if (allowed(authz, user, "bind", refResource, ref.name ?? "", namespace)) return;
    const role =
      ref.kind === "Role"
        ? store.get(RBAC_RESOURCES.roles, namespace, ref.name ?? "")
        : store.get(RBAC_RESOURCES.clusterRoles, undefined, ref.name ?? "");
    if (!role) return; // a binding to a missing role grants nothing (yet); the real server allows it too when bind is held
    const missing = notHeld(authz, user, (role.rules as PolicyRule[] | undefined) ?? [], namespace);
    if (missing.length) throw escalationError(resource, name, user, missing);
  }
}

function allowed(authz: Authorizer, user: UserInfo, verb: string, resource: string, name: string, namespace: string): boolean {
  const a: Attributes = { verb, resourceRequest: true, apiGroup: GROUP, apiVersion: "v1", resource, subresource: "", name, namespace, path: "" };
  return authz.authorize(user, a).allowed;
}

/** The rules (split to single verbs, groups, resources and names) that the user does not hold. */
function notHeld(authz: Authorizer, user: UserInfo, rules: PolicyRule[], namespace: string): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of rules) {
    for (const verb of rule.verbs ?? []) {
      for (const url of rule.nonResourceURLs ?? []) {
        const a: Attributes = { verb, resourceRequest: false, apiGroup: "", apiVersion: "", resource: "", subresource: "", name: "", namespace: "", path: url };
        if (!authz.authorize(user, a).allowed) missing.push({ nonResourceURLs: [url], verbs: [verb] });
      }
      for (const apiGroup of rule.apiGroups ?? [])
        for (const res of rule.resources ?? [])
          for (const name of rule.resourceNames?.length ? rule.resourceNames : [""]) {
            const [resource, subresource = ""] = res.split("/", 2);
            const a: Attributes = { verb, resourceRequest: true, apiGroup, apiVersion: "", resource, subresource, name, namespace, path: "" };
            if (!authz.authorize(user, a).allowed)
              missing.push({ apiGroups: [apiGroup], resources: [res], ...(name ? { resourceNames: [name] } : {}), verbs: [verb] });
          }
    }
  }
  return missing;
}

/** `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}` as the apiserver prints a missing rule. */
function describeRule(r: PolicyRule): string {
  const q = (l: string[]) => `[${l.map((v) => JSON.stringify(v)).join(" ")}]`;
  if (r.nonResourceURLs) return `{NonResourceURLs:${q(r.nonResourceURLs)}, Verbs:${q(r.verbs ?? [])}}`;
  const names = r.resourceNames ? `, ResourceNames:${q(r.resourceNames)}` : "";
  return `{APIGroups:${q(r.apiGroups ?? [])}, Resources:${q(r.resources ?? [])}${names}, Verbs:${q(r.verbs ?? [])}}`;
}

function escalationError(resource: string, name: string, user: UserInfo, missing: PolicyRule[]): ApiError {
  const groups = `[${user.groups.map((g) => JSON.stringify(g)).join(" ")}]`;
  const why = `user "${user.user}" (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n${missing.map(describeRule).join("\n")}`;
  return new ApiError(403, "Forbidden", `${qualifiedResource(GROUP, resource)} "${name}" is forbidden: ${why}`, { name, group: GROUP, kind: resource });
}
