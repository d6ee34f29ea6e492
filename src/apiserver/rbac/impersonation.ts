// Impersonation headers (kubectl --as, --as-group, --as-uid): the requester must be allowed to `impersonate`
// each user, group, uid and extra it names; the request then runs as the impersonated identity.
import { ANONYMOUS_USER, AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP, type UserInfo } from "../auth.ts";
import { parseServiceAccountUser } from "../auth-serviceaccounts.ts";
import { ApiError } from "../errors.ts";
import type { Authorizer } from "./authorizer.ts";
import { forbidden } from "./forbidden.ts";
import type { Attributes } from "./rules.ts";

const EXTRA_PREFIX = "impersonate-extra-";

/** Several headers of one name arrive joined by ", ". */
const values = (h: string | null) => (h === null ? [] : h.split(/,\s*/).map((v) => v.trim()).filter(Boolean));

function check(authz: Authorizer, requester: UserInfo, a: Omit<Attributes, "resourceRequest" | "apiVersion" | "subresource" | "path"> & { subresource?: string }) {
  const attrs: Attributes = { subresource: "", ...a, resourceRequest: true, apiVersion: "", path: "" };
  if (!authz.authorize(requester, attrs).allowed) throw forbidden(requester.user, attrs);
}

/** The identity a request runs as: the requester, or whom it impersonates (403 when not allowed). */
export function impersonate(headers: Headers, requester: UserInfo, authz: Authorizer): UserInfo {
  const user = headers.get("impersonate-user");
  const groups = values(headers.get("impersonate-group"));
  const uid = headers.get("impersonate-uid");
  const extra: Record<string, string[]> = {};
  for (const name of headers.keys()) if (name.startsWith(EXTRA_PREFIX)) extra[decodeURIComponent(name.slice(EXTRA_PREFIX.length))] = values(headers.get(name));
  if (user === null) {
    if (groups.length || uid !== null || Object.keys(extra).length)
      throw new ApiError(500, "InternalError", "Internal error occurred: requested impersonation of groups, uid or extra without impersonating a user");
    return requester;
  }
  const sa = parseServiceAccountUser(user);
  if (sa) check(authz, requester, { verb: "impersonate", apiGroup: "", resource: "serviceaccounts", name: sa.name, namespace: sa.namespace });
  else check(authz, requester, { verb: "impersonate", apiGroup: "", resource: "users", name: user, namespace: "" });
  for (const g of groups) check(authz, requester, { verb: "impersonate", apiGroup: "", resource: "groups", name: g, namespace: "" });
  if (uid !== null) check(authz, requester, { verb: "impersonate", apiGroup: "authentication.k8s.io", resource: "uids", name: uid, namespace: "" });
  for (const [key, vals] of Object.entries(extra))
    for (const v of vals) check(authz, requester, { verb: "impersonate", apiGroup: "authentication.k8s.io", resource: "userextras", subresource: key, name: v, namespace: "" });

  const out: UserInfo = { user, groups: [...groups] };
  if (sa && groups.length === 0) out.groups.push("system:serviceaccounts", `system:serviceaccounts:${sa.namespace}`);
  const implied = user === ANONYMOUS_USER ? UNAUTHENTICATED_GROUP : AUTHENTICATED_GROUP;
  if (!out.groups.includes(implied)) out.groups.push(implied);
  if (uid !== null) out.uid = uid;
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}
