// 403 Forbidden as the apiserver words it for a denied request.
import { ApiError, qualifiedResource } from "../errors.ts";
import type { Attributes } from "./rules.ts";

/** `User "alice" cannot get resource "pods/log" in API group "" in the namespace "default"` (or `... path "/x"`). */
export function forbiddenMessage(user: string, a: Attributes): string {
  if (!a.resourceRequest) return `User "${user}" cannot ${a.verb} path "${a.path}"`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : "at the cluster scope";
  return `User "${user}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`;
}

/** `<resource>.<group> "<name>" is forbidden: <why>`, `<resource> is forbidden: ...` without a name, `forbidden: ...` off resources. */
export function forbidden(user: string, a: Attributes, reason = ""): ApiError {
  const why = forbiddenMessage(user, a) + (reason ? `: ${reason}` : "");
  if (!a.resourceRequest) return new ApiError(403, "Forbidden", `forbidden: ${why}`, {});
  const qualified = qualifiedResource(a.apiGroup, a.resource);
  const message = a.name ? `${qualified} "${a.name}" is forbidden: ${why}` : `${qualified} is forbidden: ${why}`;
  const details = a.name ? { name: a.name, group: a.apiGroup, kind: a.resource } : { group: a.apiGroup, kind: a.resource };
  return new ApiError(403, "Forbidden", message, details);
}
