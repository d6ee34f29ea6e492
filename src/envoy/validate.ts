// Checks an EnvoyProxyConfig(Cluster)Config spec before anything is rendered. Each Problem has a stable CamelCase
// reason (used for the Ready condition and Warning Events on the config and on each affected Kode) and a message
// saying what to do. A Kode whose config has problems gets NO sidecar change at all (never a fallback to "no auth").
import { AUTH_TYPES } from "../api/envoy-proxy-config.ts";
import type { EnvoyProxyConfigSpec } from "../api/types.ts";
import { HTPASSWD_USER } from "./htpasswd.ts";

export interface Problem {
  /** CamelCase, stable: used as the condition reason and event reason. */
  reason: string;
  /** What is wrong and what to do. */
  message: string;
}

/** What the caller looked up (all optional: a check runs only when its input is given). */
export interface EnvoyResolved {
  /** oauth2: whether clientSecretRef's Secret exists in the Kode's namespace and has the key. */
  clientSecretFound?: boolean;
  /** The IDE's listen port: must not collide with Envoy's own ports (they share the pod's network namespace). */
  idePort?: number;
  /** The IDE's tool ports that get an Envoy listener each (alnoda). */
  toolPorts?: number[];
  /** The Kode's spec.user (oauth2 binds the session to it). Pass the key with undefined when the Kode has none. */
  kodeUser?: string;
  /** basic: the user name going into htpasswd (from the Kode or its existingSecret). */
  basicUsername?: string;
  /** oauth2 at render time: the endpoints must be there (discovery, if any, has filled them in). */
  endpointsRequired?: boolean;
  /** oauth2: whether caSecretRef's Secret exists and has the key. */
  caFound?: boolean;
}

/** Names of the filters and clusters the operator generates; raw ones must not reuse them. */
export const RESERVED_FILTER_NAMES = [
  "kode.health_check",
  "kode.strip_identity_headers",
  "kode.basic_auth",
  "kode.oauth2",
  "envoy.filters.http.jwt_authn",
  "kode.rbac",
  "kode.ext_authz",
  "envoy.filters.http.router",
] as const;
export const RESERVED_CLUSTER_NAMES = ["ide", "kode_ide_probe", "kode_admin", "kode_oidc", "kode_oidc_jwks", "kode_ext_authz"] as const;

/** Envoy's own ports in the pod (public, health, admin on loopback). Kept here so validation and render agree. */
export const ENVOY_PUBLIC_PORT = 10080;
export const ENVOY_HEALTH_PORT = 19003;
export const ENVOY_ADMIN_PORT = 19000;
/** A tool port of the IDE (alnoda's 8021-8039) is proxied by an Envoy listener on this offset plus the port (18021-18039). */
export const ENVOY_TOOL_PORT_OFFSET = 10000;
export const envoyToolPort = (toolPort: number) => ENVOY_TOOL_PORT_OFFSET + toolPort;
/** Listener and cluster names of a tool port; raw clusters may not use the prefix. */
export const TOOL_NAME_PREFIX = "kode_tool_";

export const ROUTER_TYPE_URL = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";
export const EXT_AUTHZ_TYPE_URL = "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz";

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** True for a raw filter that is Envoy's router (render drops it: the router is always added last). */
export const isRawRouter = (f: { name?: unknown; typed_config?: unknown }): boolean =>
  (isObject(f.typed_config) && f.typed_config["@type"] === ROUTER_TYPE_URL) ||
  (f.name === "envoy.filters.http.router" && !isObject(f.typed_config));

export function validateEnvoyConfig(spec: EnvoyProxyConfigSpec, resolved: EnvoyResolved = {}): Problem[] {
  const problems: Problem[] = [];
  const add = (reason: string, message: string) => problems.push({ reason, message });
  const authType = spec.authType ?? "none";

  if (!(AUTH_TYPES as readonly string[]).includes(authType))
    add("UnknownAuthType", `authType "${String(authType)}" is not one of ${AUTH_TYPES.join(", ")}; set it to none, basic or oauth2 (or ext_authz with an external authorizer).`);

  // OAuth2.
  if (authType === "oauth2") {
    const o = spec.oauth2;
    if (!o) add("MissingOAuth2Config", "authType is oauth2 but spec.oauth2 is missing; set issuer, authorizationEndpoint, tokenEndpoint, clientId and clientSecretRef.");
    else {
      // Endpoints left unset are read from the issuer's discovery document (src/envoy/oidc.ts) before rendering.
      const required = resolved.endpointsRequired ? (["issuer", "authorizationEndpoint", "tokenEndpoint", "clientId", "clientSecretRef"] as const) : (["issuer", "clientId", "clientSecretRef"] as const);
      const missing = required.filter((k) => !o[k]);
      if (missing.length)
        add(
          "MissingOAuth2Field",
          resolved.endpointsRequired
            ? `spec.oauth2 lacks ${missing.join(", ")}; all of issuer, authorizationEndpoint, tokenEndpoint, clientId and clientSecretRef are required.`
            : `spec.oauth2 lacks ${missing.join(", ")}; issuer, clientId and clientSecretRef are required (the endpoints are read from the issuer's discovery document when unset).`,
        );
      if (o.caSecretRef && resolved.caFound === false)
        add("SecretNotFound", `the CA Secret "${o.caSecretRef.name}" (key "${o.caSecretRef.key ?? "ca.crt"}", spec.oauth2.caSecretRef) does not exist or lacks the key; create it.`);
      for (const k of ["issuer", "authorizationEndpoint", "tokenEndpoint", "jwksUri"] as const) {
        const u = o[k];
        if (u !== undefined && !httpUrl(u)) add("InvalidOAuth2URL", `spec.oauth2.${k} "${u}" is not an http(s) URL.`);
      }
      if (o.clientSecretRef && resolved.clientSecretFound === false)
        add(
          "SecretNotFound",
          `the client secret Secret "${o.clientSecretRef.name}" (key "${o.clientSecretRef.key ?? "client-secret"}") does not exist in the Kode's namespace; create it there.`,
        );
      for (const k of ["redirectPath", "signoutPath"] as const) {
        const p = o[k];
        if (p !== undefined && !/^\/[^\s?#]*$/.test(p)) add("InvalidOAuth2Path", `spec.oauth2.${k} "${p}" must be a path starting with "/" without query.`);
      }
      if (o.redirectPath && o.redirectPath === o.signoutPath) add("InvalidOAuth2Path", "spec.oauth2.redirectPath and signoutPath must differ.");
      if ("kodeUser" in resolved && !resolved.kodeUser && !o.allowedGroups?.length)
        add("MissingUser", "oauth2 binds a Kode to its owner, but the Kode has no spec.user and the config no allowedGroups; set spec.user to the owner's user name as in the token claim.");
    }
  }

  // Basic.
  if (authType === "basic" && resolved.basicUsername !== undefined && !HTPASSWD_USER.test(resolved.basicUsername))
    add("InvalidUserName", `user name "${resolved.basicUsername}" cannot be used for HTTP Basic auth (no ':' or whitespace allowed); change spec.user or the existingSecret's username.`);

  // extAuthz block.
  const ea = spec.extAuthz;
  if (ea) {
    if (ea.grpc && ea.http) add("InvalidExtAuthz", "spec.extAuthz sets both grpc and http; keep one.");
    else if (!ea.grpc && !ea.http) add("InvalidExtAuthz", "spec.extAuthz sets neither grpc nor http; add grpc.address (e.g. opa:9191) or http.uri.");
    if (ea.grpc && !hostPort(ea.grpc.address)) add("InvalidExtAuthz", `spec.extAuthz.grpc.address "${ea.grpc.address}" is not host:port.`);
    if (ea.http && !httpUrl(ea.http.uri)) add("InvalidExtAuthz", `spec.extAuthz.http.uri "${ea.http.uri}" is not an http(s) URL.`);
    if (ea.timeout !== undefined && !/^[0-9]+(\.[0-9]{1,9})?s$/.test(ea.timeout)) add("InvalidExtAuthz", `spec.extAuthz.timeout "${ea.timeout}" is not a duration such as 0.25s.`);
    if (ea.withRequestBody && !(Number.isInteger(ea.withRequestBody.maxRequestBytes) && ea.withRequestBody.maxRequestBytes > 0))
      add("InvalidExtAuthz", "spec.extAuthz.withRequestBody.maxRequestBytes must be a positive integer.");
  }

  // Raw filters.
  const filterNames = new Map<string, number>();
  (spec.httpFilters ?? []).forEach((f, i) => {
    const where = `spec.httpFilters[${i}]`;
    if (!isObject(f)) return add("InvalidFilter", `${where} is not an object.`);
    if (typeof f.name !== "string" || !f.name.trim()) add("FilterWithoutName", `${where} has no name; give it one, e.g. envoy.filters.http.ext_authz.`);
    if (isRawRouter(f)) return; // dropped by render; the router is always last
    if (!isObject(f.typed_config))
      add("FilterWithoutConfig", `${where} (${String(f.name)}) has no typed_config; Envoy needs one with "@type", as in the Envoy documentation.`);
    else if (typeof f.typed_config["@type"] !== "string" || !String(f.typed_config["@type"]).includes("/"))
      add("FilterWithoutType", `${where}.typed_config (${String(f.name)}) has no "@type"; add e.g. "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz.`);
    if (typeof f.name === "string" && f.name) {
      if ((RESERVED_FILTER_NAMES as readonly string[]).includes(f.name))
        add("ReservedName", `${where} is named "${f.name}", which the operator uses for its own filters; rename it.`);
      if (filterNames.has(f.name)) add("DuplicateName", `${where} has the same name "${f.name}" as spec.httpFilters[${filterNames.get(f.name)}]; names must be unique.`);
      filterNames.set(f.name, i);
    }
  });

  // Raw clusters.
  const clusterNames = new Map<string, number>();
  (spec.clusters ?? []).forEach((c, i) => {
    const where = `spec.clusters[${i}]`;
    const name = isObject(c) ? c.name : undefined;
    if (typeof name !== "string" || !name.trim()) return add("ClusterWithoutName", `${where} has no name; filters refer to clusters by name.`);
    if ((RESERVED_CLUSTER_NAMES as readonly string[]).includes(name) || name.startsWith(TOOL_NAME_PREFIX))
      add("ReservedName", `${where} is named "${name}", which the operator uses for its own clusters; rename it.`);
    if (clusterNames.has(name)) add("DuplicateName", `${where} has the same name "${name}" as spec.clusters[${clusterNames.get(name)}]; names must be unique.`);
    clusterNames.set(name, i);
  });

  // ext_authz as authType: must really have an external authorizer, or it would silently be "no auth".
  if (authType === "ext_authz" && !ea && !(spec.httpFilters ?? []).some((f) => isObject(f?.typed_config) && f.typed_config["@type"] === EXT_AUTHZ_TYPE_URL))
    add(
      "MissingExtAuthz",
      "authType ext_authz needs an external authorizer: set spec.extAuthz (grpc or http) or add an envoy.filters.http.ext_authz entry to spec.httpFilters.",
    );

  if (resolved.idePort !== undefined && [ENVOY_PUBLIC_PORT, ENVOY_HEALTH_PORT, ENVOY_ADMIN_PORT].includes(resolved.idePort))
    add(
      "PortConflict",
      `the IDE listens on port ${resolved.idePort}, which the Envoy sidecar uses (${ENVOY_PUBLIC_PORT} public, ${ENVOY_HEALTH_PORT} health, ${ENVOY_ADMIN_PORT} admin); set another port in the template.`,
    );
  const toolListeners = (resolved.toolPorts ?? []).map(envoyToolPort);
  if (resolved.idePort !== undefined && toolListeners.includes(resolved.idePort))
    add(
      "PortConflict",
      `the IDE listens on port ${resolved.idePort}, which the Envoy sidecar uses to proxy the tool on port ${resolved.idePort - ENVOY_TOOL_PORT_OFFSET}; set another port in the template.`,
    );
  return problems;
}

function httpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === "http:" || u.protocol === "https:") && !!u.hostname;
  } catch {
    return false;
  }
}

/** host:port → {host, port} or undefined. Brackets around IPv6 are removed. */
export function hostPort(s: string): { host: string; port: number } | undefined {
  const m = /^([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5})$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}
