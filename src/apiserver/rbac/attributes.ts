// The authorizer's view of an HTTP request: verb, API group, resource, subresource, name and namespace.
import { parseResourcePath } from "../request-path.ts";
import type { Attributes } from "./rules.ts";

/** Booleans as Go's strconv.ParseBool reads them. */
const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);

export function requestAttributes(method: string, url: URL): Attributes {
  const path = url.pathname;
  const p = parseResourcePath(path);
  if (!p) return nonResource(method, path);
  const q = url.searchParams;
  let verb: string;
  let name = p.name ?? "";
  switch (method) {
    case "GET":
    case "HEAD":
      verb = name ? "get" : TRUE.has(q.get("watch") ?? "") ? "watch" : "list";
      break;
    case "POST":
      verb = "create";
      break;
    case "PUT":
      verb = "update";
      break;
    case "PATCH":
      verb = "patch";
      break;
    case "DELETE":
      verb = name ? "delete" : "deletecollection";
      break;
    default:
      verb = method.toLowerCase();
  }
  // list/watch of one object by field selector is authorized as that name, so resourceNames rules can allow it.
  if ((verb === "list" || verb === "watch") && !name) {
    const m = /^metadata\.name==?([^,]+)$/.exec(q.get("fieldSelector") ?? "");
    if (m) name = m[1];
  }
  let namespace = p.namespace ?? "";
  // A Namespace (and its status/finalize) is authorized within itself.
  if (p.group === "" && p.plural === "namespaces" && p.name) namespace = p.name;
  return {
    verb,
    resourceRequest: true,
    apiGroup: p.group,
    apiVersion: p.version,
    resource: p.plural,
    subresource: p.subresource ?? "",
    name,
    namespace,
    path,
  };
}

function nonResource(method: string, path: string): Attributes {
  const verbs: Record<string, string> = { GET: "get", HEAD: "get", POST: "post", PUT: "put", PATCH: "patch", DELETE: "delete" };
  return { verb: verbs[method] ?? method.toLowerCase(), resourceRequest: false, apiGroup: "", apiVersion: "", resource: "", subresource: "", name: "", namespace: "", path };
}
