// Request routing: non-resource endpoints, discovery, OpenAPI, test hooks, and resource verbs.
import { clone, commitWrite } from "./admission.ts";
import { readObjectBody } from "./body.ts";
import { aggregatedDiscovery, aggregatedType, apiGroupList, apiResourceList, apiVersions, createOnlyResourceOf, wantsAggregated } from "./discovery.ts";
import { ApiError, badRequest, internalError, methodNotAllowed, notFound } from "./errors.ts";
import { deleteCollection, deleteObject } from "./handlers/delete.ts";
import { getObject, listObjects, selectorFilter, tableOptions, validateWatchOptions } from "./handlers/read.ts";
import { createObject, patchObject, replaceObject, scaleRequest, writeContext } from "./handlers/write.ts";
import { hooksEndpoint } from "./hooks-http.ts";
import type { OpenApiDocs } from "./openapi.ts";
import { storageKey } from "./registry.ts";
import { POD_STREAM_SUBRESOURCES, podStream } from "./pod-subresources.ts";
import { queryFlag, queryInt } from "./query.ts";
import { parseResourcePath, type ResourcePath } from "./request-path.ts";
import { errorResponse, jsonResponse, wantsTable } from "./respond.ts";
import { present, type ApiState } from "./state.ts";
import type { ResourceType } from "./types.ts";

export const SERVER_VERSION = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.0-kode",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2026-01-01T00:00:00Z",
  goVersion: "go1.23.0",
  compiler: "gc",
  platform: "linux/amd64",
};

const HEALTH = new Set(["/healthz", "/readyz", "/livez", "/healthz/ping", "/readyz/ping", "/livez/ping"]);

export interface RequestInfo {
  verb: string;
  resource: string;
}

/** Kubernetes verb and "<plural>[.<group>][/<subresource>]" of a request, for counters and faults. */
export function requestInfo(method: string, url: URL): RequestInfo {
  const path = parseResourcePath(url.pathname);
  if (!path) return { verb: method.toLowerCase(), resource: url.pathname };
  const resource = `${path.plural}${path.group ? "." + path.group : ""}${path.subresource ? "/" + path.subresource : ""}`;
  return { verb: verbOf(method, path, url), resource };
}

function verbOf(method: string, path: ResourcePath, url: URL): string {
  switch (method) {
    case "GET":
      return path.name ? "get" : queryFlag(url.searchParams, "watch") ? "watch" : "list";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return path.name ? "delete" : "deletecollection";
    default:
      return method.toLowerCase();
  }

}

export class Router {
  constructor(
    private state: ApiState,
    private openapi: OpenApiDocs,
    private hostPort: () => string,
  ) {}

  /** `url` is the request's, when the caller parsed it already. */
  async handle(req: Request, url = new URL(req.url)): Promise<Response> {
    try {
      return await this.route(req, url);
    } catch (e) {
      if (e instanceof ApiError) return errorResponse(e);
      console.error("apiserver: internal error", e);
      return errorResponse(internalError((e as Error)?.message ?? String(e)));
    }
  }

  private async route(req: Request, url: URL): Promise<Response> {
    const p = url.pathname.length > 1 ? url.pathname.replace(/\/$/, "") : url.pathname;
    const accept = req.headers.get("accept");
    if (p === "/version") return jsonResponse(SERVER_VERSION, 200, { "cache-control": "max-age=7200" });
    if (HEALTH.has(p)) return new Response("ok", { headers: { "content-type": "text/plain; charset=utf-8" } });
    if (p.startsWith("/__kode/hooks/")) return hooksEndpoint(this.state, req, url);
    if (p === "/api") {
      const aggregated = wantsAggregated(accept);
      if (aggregated) return jsonResponse(aggregatedDiscovery(this.state.registry, true, aggregated), 200, { "content-type": aggregatedType(aggregated) });
      return jsonResponse(apiVersions(this.hostPort()));
    }
    if (p === "/apis") {
      const aggregated = wantsAggregated(accept);
      if (aggregated) return jsonResponse(aggregatedDiscovery(this.state.registry, false, aggregated), 200, { "content-type": aggregatedType(aggregated) });
      return jsonResponse(apiGroupList(this.state.registry));
    }
    if (p === "/openapi/v2") return this.openapi.v2Response(accept);
    if (p === "/openapi/v3") return jsonResponse(this.openapi.root());
    if (p.startsWith("/openapi/v3/")) {
      const doc = this.openapi.groupVersion(p.slice("/openapi/v3/".length));
      if (doc) return new Response(doc, { headers: { "content-type": "application/json", "cache-control": "public, immutable" } });
      throw notFoundPath();
    }
    const segs = p.split("/").filter(Boolean);
    if ((segs[0] === "api" && segs.length === 2) || (segs[0] === "apis" && segs.length === 3)) {
      const [group, version] = segs[0] === "api" ? ["", segs[1]] : [segs[1], segs[2]];
      const list = apiResourceList(this.state.registry, group, version);
      if (list) return jsonResponse(list);
      throw notFoundPath();
    }
    if (segs[0] === "apis" && segs.length === 2) {
      const group = apiGroupList(this.state.registry).groups.find((g) => g.name === segs[1]);
      if (group) return jsonResponse({ kind: "APIGroup", apiVersion: "v1", ...group });
      throw notFoundPath();
    }
    // A review API reached the router: its POST was answered before, so this is another verb.
    const review = createOnlyResourceOf(p);
    if (review) throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {});
    const path = parseResourcePath(p);
    if (!path) throw notFoundPath();
    const type = this.state.registry.lookup(path.group, path.version, path.plural);
    if (!type) throw notFoundPath();
    if (path.namespace !== undefined && !type.namespaced) throw notFoundPath();
    return this.resource(type, path, req, url);
  }

  private async resource(type: ResourceType, path: ResourcePath, req: Request, url: URL): Promise<Response> {
    const { state } = this;
    const m = req.method;
    const sub = path.subresource;
    if (sub) {
      if (!path.name) throw notFoundPath();
      if (sub === "proxy" && type.subresources.proxy) return this.proxy(path, req, url);
      if (type.group === "" && type.kind === "Pod" && POD_STREAM_SUBRESOURCES.has(sub))
        return podStream(state.hooks, state.store.get("/pods", path.namespace, path.name), path.name, sub, m, url);
      if (sub === "scale" && type.subresources.scale && (m === "GET" || m === "PUT" || m === "PATCH"))
        return scaleRequest(writeContext(state, type, { ...path, subresource: undefined }, req, url), req, path.name);
      if (sub === "finalize" && type.kind === "Namespace" && m === "PUT") return this.finalizeNamespace(type, path, req, url);
      if (sub !== "status" || !type.subresources.status) throw notFoundPath();
      if (m === "GET") return getObject(state, type, path, req, url);
      if (m === "PUT") return replaceObject(writeContext(state, type, path, req, url), req, path.name);
      if (m === "PATCH") return patchObject(writeContext(state, type, path, req, url), req, url, path.name);
      throw methodNotAllowed(m, type.group, type.plural);
    }
    if (m === "GET") {
      if (path.name) return getObject(state, type, path, req, url);
      if (queryFlag(url.searchParams, "watch")) return this.watch(type, path, req, url);
      return listObjects(state, type, path, req, url);
    }
    if (m === "POST" && !path.name) return createObject(writeContext(state, type, path, req, url), req);
    if (m === "PUT" && path.name) return replaceObject(writeContext(state, type, path, req, url), req, path.name);
    if (m === "PATCH" && path.name) return patchObject(writeContext(state, type, path, req, url), req, url, path.name);
    if (m === "DELETE" && !path.name && !type.verbs.includes("deletecollection")) throw methodNotAllowed(m, type.group, type.plural);
    if (m === "DELETE") return path.name ? deleteObject(state, type, path, req, url) : deleteCollection(state, type, path, req, url);
    throw methodNotAllowed(m, type.group, type.plural);
  }

  private watch(type: ResourceType, path: ResourcePath, req: Request, url: URL): Response {
    const q = url.searchParams;
    validateWatchOptions(q);
    const sendInitialEvents = queryFlag(q, "sendInitialEvents");
    const timeout = queryInt(q, "timeoutSeconds");
    return this.state.watches.open({
      type,
      namespace: path.namespace,
      filter: selectorFilter(type, q),
      resourceVersion: q.get("resourceVersion"),
      sendInitialEvents,
      allowBookmarks: queryFlag(q, "allowWatchBookmarks"),
      timeoutSeconds: timeout && timeout > 0 ? timeout : undefined,
      table: wantsTable(req.headers.get("accept")) ? { includeObject: tableOptions(q) } : undefined,
      now: () => this.state.now(),
    });
  }

  /** PUT namespaces/<name>/finalize: replaces spec.finalizers; an emptied terminating namespace goes away. */
  private async finalizeNamespace(type: ResourceType, path: ResourcePath, req: Request, url: URL): Promise<Response> {
    const body = (await readObjectBody(req)) as any;
    const old = this.state.store.get(storageKey(type), undefined, path.name!);
    if (!old) throw notFound("", "namespaces", path.name!);
    const updated = clone(old);
    (updated.spec as any) = { ...(updated.spec as object), finalizers: body?.spec?.finalizers ?? [] };
    const ctx = writeContext(this.state, type, path, req, url);
    return jsonResponse(present(type, commitWrite(ctx, updated, old)));
  }

  /** pods/<name>/proxy/<path>: forwarded to the loopback target a test registered for that pod. */
  private async proxy(path: ResourcePath, req: Request, url: URL): Promise<Response> {
    // "<name>", "<name>:<port>" or "<scheme>:<name>:<port>", as the apiserver splits a proxy name.
    const parts = path.name!.split(":");
    const [podName, port] = parts.length === 3 ? [parts[1], parts[2]] : [parts[0], parts[1]];
    const pod = this.state.store.get("/pods", path.namespace, podName);
    if (!pod) throw notFound("", "pods", podName);
    const target = this.state.hooks.podProxyTarget(path.namespace!, podName, port);
    if (!target) throw new ApiError(503, "ServiceUnavailable", `no endpoints available for pod "${podName}"`);
    const marker = `/pods/${path.name}/proxy`;
    const rest = url.pathname.slice(url.pathname.indexOf(marker) + marker.length) || "/";
    // As kube-apiserver: the caller's credentials (and impersonation) end at the API server, never reach the pod.
    const headers = new Headers(req.headers);
    for (const name of [...headers.keys()]) if (name === "authorization" || name.startsWith("impersonate-")) headers.delete(name);
    const init: RequestInit = { method: req.method, headers };
    if (req.method !== "GET" && req.method !== "HEAD") init.body = await req.arrayBuffer();
    try {
      const res = await fetch(`${target}${rest}${url.search}`, init);
      return new Response(res.body, { status: res.status, headers: res.headers });
    } catch (e) {
      throw new ApiError(503, "ServiceUnavailable", `error trying to reach service: ${(e as Error).message}`);
    }
  }
}

function notFoundPath(): ApiError {
  return new ApiError(404, "NotFound", "the server could not find the requested resource", {});
}
