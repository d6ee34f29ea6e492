// Parses resource URLs: /api/v1/..., /apis/{group}/{version}/...

export interface ResourcePath {
  group: string;
  version: string;
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
  /** Path after `/proxy` for the pod proxy subresource. */
  rest?: string;
}

/**
 * Parsed paths by pathname: a request's path is read by the counters, the authorizer and the router, and
 * clients repeat paths (every create of a kind posts to one). Results are frozen as callers share them.
 */
const parsed = new Map<string, ResourcePath | undefined>();
const PARSED_LIMIT = 4096;

export function parseResourcePath(pathname: string): ResourcePath | undefined {
  if (parsed.has(pathname)) return parsed.get(pathname);
  const path = parse(pathname);
  if (parsed.size >= PARSED_LIMIT) parsed.clear();
  parsed.set(pathname, path && Object.freeze(path));
  return path;
}

function parse(pathname: string): ResourcePath | undefined {
  const segs = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === "api" && segs.length >= 3) {
    group = "";
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === "apis" && segs.length >= 4) {
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else return undefined;

  // /namespaces/{ns}/{plural}/... is a namespaced resource; /namespaces/{name}[/status|/finalize] is a Namespace.
  if (rest[0] === "namespaces" && rest.length >= 3 && !(rest.length === 3 && (rest[2] === "status" || rest[2] === "finalize"))) {
    const [, namespace, plural, name, subresource, ...tail] = rest;
    return { group, version, namespace, plural, name, subresource, rest: tail.length ? `/${tail.join("/")}` : undefined };
  }
  const [plural, name, subresource, ...tail] = rest;
  return { group, version, plural, name, subresource, rest: tail.length ? `/${tail.join("/")}` : undefined };
}
