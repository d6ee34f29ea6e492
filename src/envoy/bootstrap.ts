// The pure construction of the Envoy bootstrap (listeners, HTTP filter chain, routes, clusters) and of the files
// it reads from the auth Secret. render.ts wraps the result in Kubernetes objects; see README.md for the long form.
//
// Decisions:
// - Filter order on the public listener: health_check (/.kode/healthz, answered locally, bypasses auth) ->
//   Lua stripping identity headers (x-forwarded-user & co., x-auth-*) -> basic_auth | oauth2 + jwt_authn + rbac ->
//   ext_authz (extAuthz block) -> raw httpFilters in order -> router. Raw router entries are dropped.
// - Clusters: ide, kode_ide_probe, kode_admin, then kode_oidc (+ kode_oidc_jwks), kode_ext_authz, raw clusters.
// - Identity: Envoy's verdict reaches the IDE as x-forwarded-user (basic_auth forward_username_header, or jwt_authn
//   claim_to_headers); everything that could carry identity is stripped before authentication.
import type { EnvoyProxyConfigSpec } from "../api/types.ts";
import type { ProbeCheck } from "../kode/ide/index.ts";
import { htpasswdLine } from "./htpasswd.ts";
import {
  ENVOY_ADMIN_PORT,
  ENVOY_HEALTH_PORT,
  ENVOY_PUBLIC_PORT,
  EXT_AUTHZ_TYPE_URL,
  TOOL_NAME_PREFIX,
  envoyToolPort,
  ROUTER_TYPE_URL,
  hostPort,
  isRawRouter,
} from "./validate.ts";
import { cloneJson } from "../kube/json-clone.ts";

export const AUTH_DIR = "/etc/envoy/auth";
export const HTPASSWD_KEY = "htpasswd";
export const TOKEN_SECRET_KEY = "token-secret.json";
export const HMAC_SECRET_KEY = "hmac-secret.json";
/** The private CA of the identity provider (caSecretRef), trusted instead of the image's bundle. */
export const OIDC_CA_KEY = "oidc-ca.pem";
/** The system CA bundle in envoyproxy/envoy (Ubuntu) and distroless images: verifies https IdP/authz endpoints. */
export const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
/** Files the bootstrap may name that the image provides rather than a volume. */
export const IMAGE_FILES = [SYSTEM_CA_BUNDLE];

/** Header carrying Envoy's verdict (the authenticated user) to the IDE. */
export const IDENTITY_HEADER = "x-forwarded-user";
/** Headers removed from every incoming request before authentication (plus every x-auth-* header). */
export const STRIPPED_HEADERS = [
  IDENTITY_HEADER,
  "x-forwarded-email",
  "x-forwarded-groups",
  "x-forwarded-preferred-username",
  "x-forwarded-access-token",
  "x-remote-user",
  "remote-user",
  "x-webauth-user",
];
export const STRIPPED_HEADER_PREFIX = "x-auth-";

/** Paths answered by Envoy itself without authentication. */
export const PUBLIC_HEALTH_PATH = "/.kode/healthz";
export const HEALTH_READY_PATH = "/ready";
/** On the health listener: proxied to the IDE's own readiness path (kubelet cannot reach a loopback-bound IDE). */
export const HEALTH_IDE_READY_PATH = "/ide/ready";
export const STATS_PATHS = ["/stats", "/stats/prometheus"];
/** On the health listener: the IDE's own activity endpoints (exact paths, GET only), for the operator's poller. */
export const HEALTH_IDE_ACTIVITY_PREFIX = "/ide/activity";

export const JWT_FILTER_NAME = "envoy.filters.http.jwt_authn";
/** jwt_authn's dynamic-metadata namespace and the key its payload is stored under (the RBAC policy reads it). */
export const JWT_METADATA_NAMESPACE = "envoy.filters.http.jwt_authn";
export const JWT_PAYLOAD_KEY = "jwt_payload";
export const RBAC_POLICY_NAME = "kode-owner";

/** Stream timeouts for an IDE open all day: no route timeout, 1 h without a byte before a stream/connection ends. */
export const IDLE_TIMEOUT = "3600s";

export const OAUTH2_DEFAULTS = {
  scopes: ["openid", "profile", "email"],
  redirectPath: "/oauth2/callback",
  signoutPath: "/oauth2/signout",
  userClaim: "preferred_username",
  groupsClaim: "groups",
  clientSecretKey: "client-secret",
} as const;
export const EXT_AUTHZ_DEFAULT_TIMEOUT = "0.25s";

/** Keycloak's JWKS location for an issuer (…/realms/<realm>/protocol/openid-connect/certs). */
export const keycloakJwksUri = (issuer: string) => `${issuer.replace(/\/+$/, "")}/protocol/openid-connect/certs`;

type J = Record<string, unknown>;
type OAuth2Spec = NonNullable<EnvoyProxyConfigSpec["oauth2"]>;
type ExtAuthzSpec = NonNullable<EnvoyProxyConfigSpec["extAuthz"]>;
const typeUrl = (t: string) => `type.googleapis.com/${t}`;

/** What buildBootstrap needs; the caller has validated the spec and resolved the secrets its auth mode requires. */
export interface BootstrapInput {
  kode: { name: string; namespace?: string; user?: string };
  idePort: number;
  spec: EnvoyProxyConfigSpec;
  /** How the IDE reports readiness: an http check gets a route on the health listener. */
  ideReadiness: ProbeCheck;
  /** basic: the Kode's credentials (htpasswd). */
  credentials?: { username: string; password: string };
  /** oauth2: the client secret and the cookie HMAC key (SDS files). */
  oauth2?: { clientSecret: string; hmacSecret: string; ca?: string };
  /** Path routing: only requests below basePath reach the IDE (with the prefix removed when strip). */
  prefix?: { basePath: string; strip: boolean };
  /** The IDE's tool ports (alnoda): each gets a listener on envoyToolPort(port) with the public listener's filters. */
  toolPorts?: number[];
  /**
   * The IDE's activity endpoints the health listener forwards (GET, exactly these paths, query kept):
   * `${HEALTH_IDE_ACTIVITY_PREFIX}${path}` → `upstream` on the IDE.
   */
  ideActivity?: { path: string; upstream: string }[];
}

export interface BuiltBootstrap {
  bootstrap: J;
  /** Files for the auth Secret (key -> content), in the order they are written; empty when none is needed. */
  secretFiles: Record<string, string>;
}

/** Build the bootstrap and the auth Secret's files. Pure; assumes a valid input. */
export function buildBootstrap(input: BootstrapInput): BuiltBootstrap {
  const { kode, idePort, spec } = input;
  const authType = spec.authType ?? "none";
  const parts: Contribution[] = [];
  if (authType === "basic") parts.push(basicAuth());
  if (authType === "oauth2") parts.push(oauth2Auth(spec.oauth2!, kode.user, input.prefix?.basePath ?? "/", !!input.oauth2?.ca));
  if (spec.extAuthz) parts.push(extAuthz(spec.extAuthz));

  const filters: J[] = [
    healthCheckFilter(PUBLIC_HEALTH_PATH),
    stripIdentityFilter(),
    ...parts.flatMap((p) => p.filters),
    ...(spec.httpFilters ?? []).filter((f) => !isRawRouter(f)).map((f) => cloneJson(f) as J),
    routerFilter(),
  ];
  const tools = input.toolPorts ?? [];
  const clusters: J[] = [
    ideCluster(idePort),
    ...tools.map((p) => upstreamCluster(toolName(p), p)),
    probeCluster(idePort),
    staticCluster("kode_admin", "127.0.0.1", ENVOY_ADMIN_PORT),
    ...parts.flatMap((p) => p.clusters),
    ...(spec.clusters ?? []).map((c) => cloneJson(c)),
  ];
  const routeHeadersToRemove = parts.flatMap((p) => p.routeHeadersToRemove ?? []);

  const bootstrap: J = {
    node: { id: `${kode.namespace ?? "default"}/${kode.name}`, cluster: "kode" },
    admin: { address: socket("127.0.0.1", ENVOY_ADMIN_PORT) },
    static_resources: {
      listeners: [publicListener(filters, routeHeadersToRemove, input.prefix), ...tools.map((p) => toolListener(p, filters, routeHeadersToRemove)), healthListener(input.ideReadiness, input.ideActivity ?? [])],
      clusters,
    },
  };
  return { bootstrap, secretFiles: secretFilesFor(authType, input) };
}

// ---- Secret files ----

function secretFilesFor(authType: string, input: BootstrapInput): Record<string, string> {
  const files: Record<string, string> = {};
  if (authType === "basic") files[HTPASSWD_KEY] = `${htpasswdLine(input.credentials!.username, input.credentials!.password)}\n`;
  if (authType === "oauth2") {
    files[TOKEN_SECRET_KEY] = sdsFile("token", input.oauth2!.clientSecret);
    files[HMAC_SECRET_KEY] = sdsFile("hmac", input.oauth2!.hmacSecret);
    if (input.oauth2!.ca) files[OIDC_CA_KEY] = input.oauth2!.ca.endsWith("\n") ? input.oauth2!.ca : `${input.oauth2!.ca}\n`;
  }
  return files;
}

/** A file-based SDS DiscoveryResponse holding one generic secret (lives only in the auth Secret). */
function sdsFile(name: string, value: string): string {
  return `${JSON.stringify({
    resources: [
      { "@type": typeUrl("envoy.extensions.transport_sockets.tls.v3.Secret"), name, generic_secret: { secret: { inline_string: value } } },
    ],
  })}\n`;
}

/** The value of a file written by sdsFile (the operator reads its HMAC key back so it never changes). */
export function readSdsSecretValue(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    const value = JSON.parse(file)?.resources?.[0]?.generic_secret?.secret?.inline_string;
    return typeof value === "string" && value ? value : undefined;
  } catch {
    return undefined;
  }
}

/** An SDS reference to one of the files above, re-read when the mounted Secret changes. */
const sdsRef = (name: string, key: string): J => ({
  name,
  sds_config: { path_config_source: { path: `${AUTH_DIR}/${key}`, watched_directory: { path: AUTH_DIR } }, resource_api_version: "V3" },
});

// ---- Listeners ----

const HCM_TYPE = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

function httpListener(name: string, port: number, hcm: J): J {
  return {
    name,
    address: socket("0.0.0.0", port),
    filter_chains: [{ filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: { "@type": typeUrl(HCM_TYPE), ...hcm } }] }],
  };
}

/** The public listener: everything to the IDE, websockets on, no route timeout. */
function publicListener(filters: J[], routeHeadersToRemove: string[], prefix?: BootstrapInput["prefix"]): J {
  return httpListener("ide", ENVOY_PUBLIC_PORT, proxyHcm("ide", ideRoutes(prefix), filters, routeHeadersToRemove));
}

/** The listener and cluster name of a tool port. */
export const toolName = (port: number) => `${TOOL_NAME_PREFIX}${port}`;

/**
 * A tool of the IDE (alnoda): its own listener, with the public listener's filters (the same login, the same
 * identity headers stripped), everything to 127.0.0.1:<port>. Its stat_prefix is the IDE's, so traffic to a tool
 * counts in the http.ide.* statistics the activity poller reads. No path prefix: a tool is reached on its port.
 */
function toolListener(port: number, filters: J[], routeHeadersToRemove: string[]): J {
  const routes = [{ match: { prefix: "/" }, route: { cluster: toolName(port), timeout: "0s", idle_timeout: IDLE_TIMEOUT } }];
  return httpListener(toolName(port), envoyToolPort(port), proxyHcm("ide", routes, filters, routeHeadersToRemove, toolName(port)));
}

function proxyHcm(statPrefix: string, routes: J[], filters: J[], routeHeadersToRemove: string[], routeName = "ide"): J {
  return {
    stat_prefix: statPrefix,
    codec_type: "AUTO",
    normalize_path: true,
    upgrade_configs: [{ upgrade_type: "websocket" }],
    stream_idle_timeout: IDLE_TIMEOUT,
    common_http_protocol_options: { idle_timeout: IDLE_TIMEOUT },
    route_config: {
      name: routeName,
      virtual_hosts: [{ name: routeName, domains: ["*"], routes }],
      ...(routeHeadersToRemove.length && { request_headers_to_remove: routeHeadersToRemove }),
    },
    http_filters: filters,
  };
}

/**
 * The kubelet's listener: /ready (Envoy itself), GET stats from the admin, the IDE's readiness when it is http, and
 * the IDE's activity endpoints (the operator reads them through the pod proxy). Nothing else of the IDE is reachable
 * here: exact paths, GET only, so no route to the IDE's data bypasses the public listener's auth.
 */
function healthListener(ideReadiness: ProbeCheck, ideActivity: { path: string; upstream: string }[]): J {
  const routes: J[] = STATS_PATHS.map((path) => ({
    match: { path, headers: [{ name: ":method", string_match: { exact: "GET" } }] },
    route: { cluster: "kode_admin", timeout: "5s" },
  }));
  if (ideReadiness.kind === "http")
    routes.push({ match: { path: HEALTH_IDE_READY_PATH }, route: { cluster: "kode_ide_probe", prefix_rewrite: ideReadiness.path, timeout: "5s" } });
  for (const a of ideActivity)
    routes.push({
      match: { path: `${HEALTH_IDE_ACTIVITY_PREFIX}${a.path}`, headers: [{ name: ":method", string_match: { exact: "GET" } }] },
      route: { cluster: "kode_ide_probe", prefix_rewrite: a.upstream, timeout: "5s" },
    });
  routes.push({ match: { prefix: "/" }, direct_response: { status: 404 } });
  return httpListener("kode_health", ENVOY_HEALTH_PORT, {
    stat_prefix: "kode_health",
    codec_type: "AUTO",
    route_config: { name: "kode_health", virtual_hosts: [{ name: "kode_health", domains: ["*"], routes }] },
    http_filters: [healthCheckFilter(HEALTH_READY_PATH), routerFilter()],
  });
}

// ---- HTTP filters ----

/** Filters, clusters and route header removals that one auth mechanism adds. */
type Contribution = { filters: J[]; clusters: J[]; routeHeadersToRemove?: string[] };

const healthCheckFilter = (path: string): J => ({
  name: "kode.health_check",
  typed_config: {
    "@type": typeUrl("envoy.extensions.filters.http.health_check.v3.HealthCheck"),
    pass_through_mode: false,
    headers: [{ name: ":path", string_match: { exact: path } }],
  },
});

const routerFilter = (): J => ({ name: "envoy.filters.http.router", typed_config: { "@type": ROUTER_TYPE_URL } });

const stripIdentityFilter = (): J => ({
  name: "kode.strip_identity_headers",
  typed_config: { "@type": typeUrl("envoy.extensions.filters.http.lua.v3.Lua"), default_source_code: { inline_string: stripIdentityLua() } },
});

/** The Lua source that removes identity headers before any authentication filter runs. */
export function stripIdentityLua(): string {
  const exact = STRIPPED_HEADERS.map((h) => `["${h}"] = true`).join(", ");
  return [
    `local exact = { ${exact} }`,
    `local prefix = "${STRIPPED_HEADER_PREFIX}"`,
    "function envoy_on_request(handle)",
    "  local headers = handle:headers()",
    "  local drop = {}",
    "  for key, _ in pairs(headers) do",
    "    local k = string.lower(key)",
    "    if exact[k] or string.sub(k, 1, #prefix) == prefix then drop[#drop + 1] = key end",
    "  end",
    "  for _, key in ipairs(drop) do headers:remove(key) end",
    "end",
    "",
  ].join("\n");
}

function basicAuth(): Contribution {
  return {
    filters: [
      {
        name: "kode.basic_auth",
        typed_config: {
          "@type": typeUrl("envoy.extensions.filters.http.basic_auth.v3.BasicAuth"),
          users: { filename: `${AUTH_DIR}/${HTPASSWD_KEY}` },
          forward_username_header: IDENTITY_HEADER,
        },
      },
    ],
    clusters: [],
    // The IDE needs only the verdict, not the password: drop the credentials after the last filter has seen them.
    routeHeadersToRemove: ["authorization"],
  };
}

/**
 * Everything to the IDE; with path routing only what is below the prefix ("/p" is redirected to "/p/", anything
 * else is 404), the prefix removed for an IDE that serves at "/".
 */
function ideRoutes(prefix: BootstrapInput["prefix"]): J[] {
  const toIde = { cluster: "ide", timeout: "0s", idle_timeout: IDLE_TIMEOUT };
  if (!prefix || prefix.basePath === "/") return [{ match: { prefix: "/" }, route: toIde }];
  const base = prefix.basePath;
  return [
    { match: { path: base.slice(0, -1) }, redirect: { path_redirect: base } },
    { match: { prefix: base }, route: { ...toIde, ...(prefix.strip && { prefix_rewrite: "/" }) } },
    { match: { prefix: "/" }, direct_response: { status: 404 } },
  ];
}

/** oauth2 (login, cookies) -> jwt_authn (verifies the access token, forwards the user claim) -> rbac (owner/groups). */
function oauth2Auth(o: OAuth2Spec, kodeUser: string | undefined, basePath: string, privateCa: boolean): Contribution {
  const token = new URL(o.tokenEndpoint!);
  const jwks = new URL(o.jwksUri ?? keycloakJwksUri(o.issuer!));
  const caFile = privateCa ? `${AUTH_DIR}/${OIDC_CA_KEY}` : undefined;
  const clusters = [urlCluster("kode_oidc", token, caFile)];
  const jwksCluster = sameEndpoint(token, jwks) ? "kode_oidc" : "kode_oidc_jwks";
  if (jwksCluster !== "kode_oidc") clusters.push(urlCluster(jwksCluster, jwks, caFile));
  return { filters: [oauth2Filter(o, basePath), jwtAuthnFilter(o, jwks, jwksCluster), rbacFilter(o, kodeUser)], clusters };
}

/** The callback and signout paths default to below the Kode's prefix, where the route sends them. */
function oauth2Filter(o: OAuth2Spec, basePath: string): J {
  const underBase = (p: string) => `${basePath}${p.replace(/^\//, "")}`;
  const redirectPath = o.redirectPath ?? underBase(OAUTH2_DEFAULTS.redirectPath);
  return {
    name: "kode.oauth2",
    typed_config: {
      "@type": typeUrl("envoy.extensions.filters.http.oauth2.v3.OAuth2"),
      config: {
        token_endpoint: { cluster: "kode_oidc", uri: o.tokenEndpoint, timeout: "5s" },
        authorization_endpoint: o.authorizationEndpoint,
        credentials: { client_id: o.clientId, token_secret: sdsRef("token", TOKEN_SECRET_KEY), hmac_secret: sdsRef("hmac", HMAC_SECRET_KEY) },
        redirect_uri: `%REQ(x-forwarded-proto)%://%REQ(:authority)%${redirectPath}`,
        redirect_path_matcher: { path: { exact: redirectPath } },
        signout_path: { path: { exact: o.signoutPath ?? underBase(OAUTH2_DEFAULTS.signoutPath) } },
        // The access token goes on as Authorization: Bearer so jwt_authn can verify it (jwt_authn then removes it).
        forward_bearer_token: true,
        auth_scopes: o.scopes?.length ? [...o.scopes] : [...OAUTH2_DEFAULTS.scopes],
        use_refresh_token: true,
        // A websocket handshake (or XHR) with no valid session gets 401, not a 302 the browser cannot follow.
        deny_redirect_matcher: [
          { name: "upgrade", present_match: true },
          { name: "x-requested-with", string_match: { exact: "XMLHttpRequest" } },
        ],
      },
    },
  };
}

function jwtAuthnFilter(o: OAuth2Spec, jwks: URL, jwksCluster: string): J {
  return {
    name: JWT_FILTER_NAME,
    typed_config: {
      "@type": typeUrl("envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"),
      providers: {
        oidc: {
          issuer: o.issuer,
          remote_jwks: { http_uri: { uri: jwks.href, cluster: jwksCluster, timeout: "5s" }, cache_duration: "600s", async_fetch: {} },
          from_headers: [{ name: "authorization", value_prefix: "Bearer " }],
          forward: false,
          payload_in_metadata: JWT_PAYLOAD_KEY,
          claim_to_headers: [{ header_name: IDENTITY_HEADER, claim_name: o.userClaim ?? OAUTH2_DEFAULTS.userClaim }],
        },
      },
      rules: [{ match: { prefix: "/" }, requires: { provider_name: "oidc" } }],
    },
  };
}

const rbacFilter = (o: OAuth2Spec, kodeUser: string | undefined): J => ({
  name: "kode.rbac",
  typed_config: {
    "@type": typeUrl("envoy.extensions.filters.http.rbac.v3.RBAC"),
    rules: { action: "ALLOW", policies: { [RBAC_POLICY_NAME]: { permissions: [{ any: true }], principals: identityPrincipals(kodeUser, o) } } },
  },
});

/**
 * A claim name as a path into the JWT payload: "realm_access.roles" -> ["realm_access", "roles"] (Keycloak's
 * nested role claims). A name with "://" is a namespaced claim URL and stays whole.
 */
export const claimPath = (name: string): string[] => (name.includes("://") ? [name] : name.split(".").filter(Boolean));

/** RBAC principals: the owner by the user claim, or a member of an allowed group; nobody when neither is known. */
export function identityPrincipals(user: string | undefined, o: OAuth2Spec): J[] {
  const claim = (name: string) => [{ key: JWT_PAYLOAD_KEY }, ...claimPath(name).map((key) => ({ key }))];
  const out: J[] = [];
  if (user)
    out.push({ metadata: { filter: JWT_METADATA_NAMESPACE, path: claim(o.userClaim ?? OAUTH2_DEFAULTS.userClaim), value: { string_match: { exact: user } } } });
  for (const g of o.allowedGroups ?? [])
    out.push({
      metadata: {
        filter: JWT_METADATA_NAMESPACE,
        path: claim(o.groupsClaim ?? OAUTH2_DEFAULTS.groupsClaim),
        value: { list_match: { one_of: { string_match: { exact: g } } } },
      },
    });
  if (!out.length) out.push({ not_id: { any: true } });
  return out;
}

/** The extAuthz block: an ext_authz filter (gRPC or HTTP) and its kode_ext_authz cluster. */
function extAuthz(ea: ExtAuthzSpec): Contribution {
  const timeout = ea.timeout ?? EXT_AUTHZ_DEFAULT_TIMEOUT;
  const clusters: J[] = [];
  const cfg: J = { "@type": EXT_AUTHZ_TYPE_URL, transport_api_version: "V3", failure_mode_allow: ea.failureModeAllow ?? false };
  if (ea.grpc) {
    const hp = hostPort(ea.grpc.address)!;
    clusters.push(dnsCluster("kode_ext_authz", hp.host, hp.port, { http2: true }));
    cfg.grpc_service = { envoy_grpc: { cluster_name: "kode_ext_authz", ...(ea.grpc.authority && { authority: ea.grpc.authority }) }, timeout };
  } else if (ea.http) {
    clusters.push(urlCluster("kode_ext_authz", new URL(ea.http.uri)));
    cfg.http_service = { server_uri: { uri: ea.http.uri, cluster: "kode_ext_authz", timeout }, ...(ea.http.pathPrefix && { path_prefix: ea.http.pathPrefix }) };
  }
  if (ea.withRequestBody)
    cfg.with_request_body = { max_request_bytes: ea.withRequestBody.maxRequestBytes, allow_partial_message: ea.withRequestBody.allowPartialMessage ?? false };
  return { filters: [{ name: "kode.ext_authz", typed_config: cfg }], clusters };
}

// ---- Clusters ----

const socket = (address: string, port: number): J => ({ socket_address: { address, port_value: port } });

const loadAssignment = (name: string, host: string, port: number): J => ({
  cluster_name: name,
  endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(host, port) } }] }],
});

const HTTP_OPTIONS_KEY = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

function staticCluster(name: string, host: string, port: number, options?: J): J {
  return {
    name,
    type: "STATIC",
    connect_timeout: "5s",
    load_assignment: loadAssignment(name, host, port),
    ...(options && { typed_extension_protocol_options: { [HTTP_OPTIONS_KEY]: { "@type": typeUrl(HTTP_OPTIONS_KEY), ...options } } }),
  };
}

/** The IDE on loopback. A short upstream idle timeout: a pooled idle connection must not keep code-server "alive". */
const upstreamCluster = (name: string, port: number) =>
  staticCluster(name, "127.0.0.1", port, { common_http_protocol_options: { idle_timeout: "30s" }, explicit_http_config: { http_protocol_options: {} } });
const ideCluster = (port: number) => upstreamCluster("ide", port);

/** Readiness checks of the IDE through the health listener: one request per connection, nothing pooled. */
const probeCluster = (port: number) =>
  staticCluster("kode_ide_probe", "127.0.0.1", port, {
    common_http_protocol_options: { max_requests_per_connection: 1 },
    explicit_http_config: { http_protocol_options: {} },
  });

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function dnsCluster(name: string, host: string, port: number, opts: { tls?: boolean; http2?: boolean; caFile?: string }): J {
  const ip = IPV4.test(host) || host.includes(":");
  const cluster: J = {
    name,
    type: ip ? "STATIC" : "STRICT_DNS",
    connect_timeout: "5s",
    ...(!ip && { dns_lookup_family: "V4_PREFERRED" }),
    load_assignment: loadAssignment(name, host, port),
  };
  if (opts.http2)
    cluster.typed_extension_protocol_options = {
      [HTTP_OPTIONS_KEY]: { "@type": typeUrl(HTTP_OPTIONS_KEY), explicit_http_config: { http2_protocol_options: {} } },
    };
  if (opts.tls) cluster.transport_socket = upstreamTls(host, ip, opts.caFile);
  return cluster;
}

/** TLS to an IdP/authz endpoint, verified against the image's CA bundle (and the DNS name, unless it is an IP). */
function upstreamTls(host: string, ip: boolean, caFile = SYSTEM_CA_BUNDLE): J {
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: {
      "@type": typeUrl("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"),
      sni: host,
      common_tls_context: {
        validation_context: {
          trusted_ca: { filename: caFile },
          ...(!ip && { match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: host } }] }),
        },
      },
    },
  };
}

function urlCluster(name: string, u: URL, caFile?: string): J {
  const tls = u.protocol === "https:";
  const port = u.port ? Number(u.port) : tls ? 443 : 80;
  return dnsCluster(name, u.hostname.replace(/^\[|\]$/g, ""), port, { tls, caFile });
}

const sameEndpoint = (a: URL, b: URL) => a.protocol === b.protocol && a.host === b.host;
