// Routes from a browser to a Kode: host and path patterns expanded per Kode, checked, and rendered as one
// networking.k8s.io/v1 Ingress or one gateway.networking.k8s.io/v1 HTTPRoute pointing at the Kode's Service.

import type { AccessSpec } from "../api/types.ts";
import type { ResourceRef } from "../kube/types.ts";

export type { AccessSpec };

export const INGRESSES: ResourceRef = { group: "networking.k8s.io", version: "v1", plural: "ingresses", kind: "Ingress", namespaced: true };
export const HTTPROUTES: ResourceRef = { group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute", namespaced: true };

export interface RouteTarget {
  kode: string;
  namespace: string;
  user: string;
  serviceName: string;
  servicePort: number;
}

export interface Route {
  host: string;
  /** Always starts and ends with "/". */
  path: string;
  url: string;
  tls: boolean;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PATH_SEGMENT = /^[A-Za-z0-9._~-]+$/;

/** A user name as a DNS label: lowercase, anything else than [a-z0-9-] becomes "-", trimmed to 63. */
export const userLabel = (user: string) =>
  user.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");

function expand(pattern: string, t: RouteTarget, user: string): { value: string; unknown: string[] } {
  const unknown: string[] = [];
  const value = pattern.replace(/\{([^}]*)\}/g, (_, name: string) => {
    if (name === "kode") return t.kode;
    if (name === "namespace") return t.namespace;
    if (name === "user") return user;
    unknown.push(`{${name}}`);
    return "";
  });
  return { value, unknown };
}

export type RouteResult = { ok: true; route: Route } | { ok: false; message: string };

export function resolveRoute(access: AccessSpec, t: RouteTarget): RouteResult {
  const user = userLabel(t.user);
  const host = expand(access.host, t, user);
  const path = expand(access.path ?? "/", t, encodeURIComponent(t.user));
  const unknown = [...host.unknown, ...path.unknown];
  if (unknown.length) return { ok: false, message: `access patterns use unknown placeholders ${unknown.join(", ")}; use {kode}, {namespace} or {user}` };
  const h = host.value.toLowerCase();
  const labels = h.split(".");
  const badLabel = labels.find((l) => l.length > 63 || !DNS_LABEL.test(l));
  if (h.length > 253 || badLabel !== undefined)
    return {
      ok: false,
      message: `host "${host.value}" (from "${access.host}") is not a valid DNS name${badLabel !== undefined ? `: label "${badLabel}" must be 1-63 lowercase letters, digits or '-'` : ": longer than 253 characters"}`,
    };
  if (labels.length < 2) return { ok: false, message: `host "${h}" (from "${access.host}") needs a domain, e.g. {kode}.dev.example.com` };
  let p = path.value;
  if (!p.startsWith("/")) return { ok: false, message: `path "${p}" (from "${access.path}") must start with "/"` };
  if (!p.endsWith("/")) p += "/";
  const segments = p.split("/").filter(Boolean);
  const badSegment = segments.find((s) => !PATH_SEGMENT.test(decodeURIComponent(s).replace(/[@+]/g, "-")) || s === "." || s === "..");
  if (badSegment !== undefined || p.includes("//"))
    return { ok: false, message: `path "${p}" (from "${access.path}") may only hold letters, digits and . _ ~ - between slashes` };
  const tls = Boolean(access.tlsSecretName);
  return { ok: true, route: { host: h, path: p, tls, url: `${tls ? "https" : "http"}://${h}${p}` } };
}

/** One key per (host, path): two Kodes with the same key would share a route. */
export const routeKey = (r: Pick<Route, "host" | "path">) => `${r.host}${r.path}`;

/** Who keeps a contested route: the oldest claim (creation time, then namespace/name). */
export function routeOwner<T extends { namespace: string; name: string; created: string }>(claims: T[]): T | undefined {
  return [...claims].sort((a, b) => a.created.localeCompare(b.created) || `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))[0];
}

/** Long-lived websockets: ingress-nginx closes idle proxied connections after 60 s unless told otherwise. */
const NGINX_STREAMING: Record<string, string> = {
  "nginx.ingress.kubernetes.io/proxy-read-timeout": "86400",
  "nginx.ingress.kubernetes.io/proxy-send-timeout": "86400",
  "nginx.ingress.kubernetes.io/proxy-body-size": "0",
};

export function renderIngress(access: AccessSpec, route: Route, t: RouteTarget, meta: { labels: Record<string, string> }) {
  const className = access.ingress?.className;
  const annotations: Record<string, string> = { ...(className?.includes("nginx") ? NGINX_STREAMING : {}), ...(access.ingress?.annotations ?? {}) };
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: t.kode, namespace: t.namespace, labels: meta.labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      ...(className ? { ingressClassName: className } : {}),
      ...(access.tlsSecretName ? { tls: [{ hosts: [route.host], secretName: access.tlsSecretName }] } : {}),
      rules: [
        {
          host: route.host,
          http: { paths: [{ path: route.path, pathType: "Prefix", backend: { service: { name: t.serviceName, port: { number: t.servicePort } } } }] },
        },
      ],
    },
  };
}

/**
 * The one route child of a Kode: an HTTPRoute when the access names a gateway, else an Ingress. `stripPrefix`: the
 * IDE serves at "/" and nothing else in front removes the prefix, so the HTTPRoute rewrites it (an Ingress has no
 * portable rewrite; the caller refuses that combination).
 */
export function renderRoute(access: AccessSpec, route: Route, t: RouteTarget, meta: { labels: Record<string, string> }, opts: { stripPrefix?: boolean } = {}) {
  if (access.gateway) return { resource: HTTPROUTES, object: renderHTTPRoute(access, route, t, meta, opts) };
  return { resource: INGRESSES, object: renderIngress(access, route, t, meta) };
}

export function renderHTTPRoute(access: AccessSpec, route: Route, t: RouteTarget, meta: { labels: Record<string, string> }, opts: { stripPrefix?: boolean } = {}) {
  const rewrite = opts.stripPrefix && route.path !== "/";
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: t.kode, namespace: t.namespace, labels: meta.labels },
    spec: {
      parentRefs: access.gateway!.parentRefs.map((p) => ({ group: "gateway.networking.k8s.io", kind: "Gateway", ...p })),
      hostnames: [route.host],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: route.path } }],
          ...(rewrite && { filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }] }),
          backendRefs: [{ name: t.serviceName, port: t.servicePort }],
          // "0s" disables the timeouts: IDE websockets stay open for hours.
          timeouts: { request: "0s", backendRequest: "0s" },
        },
      ],
    },
  };
}
