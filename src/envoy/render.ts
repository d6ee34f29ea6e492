// The pure render of a Kode's Envoy sidecar: (Kode, IDE port/type, EnvoyProxyConfig, resolved secrets) -> the
// sidecar container, its volumes, the bootstrap ConfigMap, the auth Secret, the NetworkPolicy and what the IDE
// container must change. No I/O, no clock, no randomness: the caller resolves Secrets and generates the HMAC key.
//
// Decisions (the long form is in README.md next to this file):
// - Ports: Envoy's public listener is 0.0.0.0:10080, named "http" (the Service's targetPort "http" follows it
//   without change); a second listener 0.0.0.0:19003 "envoy-health" answers the kubelet (/ready, no auth) and
//   exposes the admin's read-only GET /stats and /stats/prometheus; the admin itself is on 127.0.0.1:19000 only.
//   The IDE's container port is renamed "ide". 10080/19003/19000 avoid every IDE's own ports (8443, 3000/3001,
//   8082/8083, 8888, 8020-8039, 8080 of upstream code-server).
// - Files: bootstrap /etc/envoy/bootstrap/envoy.json (ConfigMap <kode>-envoy, no secret material); secrets in
//   /etc/envoy/auth (Secret <kode>-envoy-auth): htpasswd (basic), token-secret.json + hmac-secret.json (oauth2,
//   file-based SDS with watched_directory, so Envoy re-reads them when the Secret changes). The htpasswd is read
//   once by Envoy, so its digest is part of the checksum (a password change rolls the pod); the oauth2 files are not.
// - Filter order on the public listener: health_check (/.kode/healthz, answered locally, bypasses auth) ->
//   Lua stripping identity headers (x-forwarded-user & co., x-auth-*) -> basic_auth | oauth2 + jwt_authn + rbac ->
//   ext_authz (extAuthz block) -> raw httpFilters in order -> router. Raw router entries are dropped.
// - Identity: Envoy's verdict reaches the IDE as x-forwarded-user (basic_auth forward_username_header, or jwt_authn
//   claim_to_headers); everything that could carry identity is stripped before authentication.
import type { EnvVar, EnvoyProxyConfigSpec, ResourceRequirements } from "../api/types.ts";
import { ideTypeSpec, type ProbeCheck } from "../kode/ide/index.ts";
import { htpasswdLine, sha256Hex } from "./htpasswd.ts";
import {
  ENVOY_ADMIN_PORT,
  ENVOY_HEALTH_PORT,
  ENVOY_PUBLIC_PORT,
  EXT_AUTHZ_TYPE_URL,
  ROUTER_TYPE_URL,
  hostPort,
  isRawRouter,
  validateEnvoyConfig,
  type Problem,
} from "./validate.ts";

export { ENVOY_ADMIN_PORT, ENVOY_HEALTH_PORT, ENVOY_PUBLIC_PORT };

/** Envoy 1.35.3 (Sep 2025 patch release): ≥ 1.32 for the websocket per-route fix; the bootstrap keeps to the 1.30 API. */
export const DEFAULT_ENVOY_IMAGE = "envoyproxy/envoy:v1.35.3";
export const ENVOY_CONTAINER = "envoy";
export const ENVOY_PUBLIC_PORT_NAME = "http";
export const ENVOY_HEALTH_PORT_NAME = "envoy-health";
/** The IDE container's port name once Envoy owns "http". */
export const IDE_PORT_NAME_BEHIND_ENVOY = "ide";
/** uid/gid of the `envoy` user in envoyproxy/envoy images; also fine for the distroless variant. */
export const ENVOY_UID = 101;

export const BOOTSTRAP_VOLUME = "envoy-bootstrap";
export const AUTH_VOLUME = "envoy-auth";
export const BOOTSTRAP_DIR = "/etc/envoy/bootstrap";
export const BOOTSTRAP_KEY = "envoy.json";
export const AUTH_DIR = "/etc/envoy/auth";
export const HTPASSWD_KEY = "htpasswd";
export const TOKEN_SECRET_KEY = "token-secret.json";
export const HMAC_SECRET_KEY = "hmac-secret.json";
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
export const DEFAULT_ENVOY_RESOURCES: ResourceRequirements = { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } };

/** Keycloak's JWKS location for an issuer (…/realms/<realm>/protocol/openid-connect/certs). */
export const keycloakJwksUri = (issuer: string) => `${issuer.replace(/\/+$/, "")}/protocol/openid-connect/certs`;

// ---- Shapes (plain Kubernetes data; only the fields we set) ----

export type EnvoyProbe = {
  httpGet?: { path: string; port: string; scheme: "HTTP" };
  tcpSocket?: { port: string };
  initialDelaySeconds?: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
};
export type VolumeMount = { name: string; mountPath: string; readOnly?: boolean };
export type EnvoyContainer = {
  name: string;
  image: string;
  command: string[];
  args: string[];
  env: EnvVar[];
  ports: { name: string; containerPort: number; protocol: "TCP" }[];
  startupProbe: EnvoyProbe;
  readinessProbe: EnvoyProbe;
  livenessProbe: EnvoyProbe;
  resources: ResourceRequirements;
  securityContext: {
    runAsNonRoot: true;
    runAsUser: number;
    runAsGroup: number;
    allowPrivilegeEscalation: false;
    readOnlyRootFilesystem: true;
    privileged: false;
    capabilities: { drop: ["ALL"] };
    seccompProfile: { type: "RuntimeDefault" };
  };
  volumeMounts: VolumeMount[];
};
export type EnvoyVolume =
  | { name: string; configMap: { name: string; defaultMode: number } }
  | { name: string; secret: { secretName: string; defaultMode: number } };
export type EnvoyMeta = { name: string; namespace?: string; labels: Record<string, string>; annotations?: Record<string, string> };
export type EnvoyConfigMap = { apiVersion: "v1"; kind: "ConfigMap"; metadata: EnvoyMeta; data: Record<string, string> };
export type EnvoySecret = { apiVersion: "v1"; kind: "Secret"; metadata: EnvoyMeta; type: "Opaque"; data: Record<string, string> };
export type NetworkPolicy = {
  apiVersion: "networking.k8s.io/v1";
  kind: "NetworkPolicy";
  metadata: EnvoyMeta;
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: ["Ingress"];
    ingress: { ports: { protocol: "TCP"; port: number }[] }[];
  };
};

/** What render must change in the IDE container when the sidecar is on. */
export interface IdePatch {
  /** Rename the IDE's container port "http" to this (Envoy's public port takes "http"; the Service is unchanged). */
  portName: string;
  /** Env names to drop from the IDE container (its own password when Envoy authenticates). */
  removeEnv: string[];
  /** Env to add (after removal), e.g. CODE_SERVER_HOST=127.0.0.1 to bind code-server to loopback. */
  env: EnvVar[];
  /** Whether the IDE now listens on 127.0.0.1 only. False: only the NetworkPolicy keeps others off its port. */
  bindsLoopback: boolean;
  /** Replacement probes for the IDE container. No livenessProbe: see the README (a loopback IDE's liveness would
   * depend on Envoy, and an Envoy restart must not restart the IDE). */
  probes: { startupProbe: EnvoyProbe; readinessProbe: EnvoyProbe; livenessProbe?: EnvoyProbe };
  /** Whether the IDE's own password was turned off (basic, oauth2). */
  idePasswordOff: boolean;
  notes: string[];
}

export interface EnvoyRenderInput {
  kode: { name: string; namespace?: string; user?: string };
  /** The IDE's listen port (template.port or the type's default). */
  idePort: number;
  /** The IDE type (code-server, webtop, …): decides loopback binding and probes. Unknown: no binding change. */
  ideType?: string;
  config: { kind: "EnvoyProxyConfig" | "EnvoyProxyClusterConfig"; name: string; namespace?: string; spec: EnvoyProxyConfigSpec };
  /** basic: the Kode's credentials, resolved by the caller (spec.user/password, existingSecret or generated). */
  credentials?: { username: string; password: string };
  /** The Secret holding the Kode's credentials (<kode>-auth or existingSecret): reported as statusSecretName. */
  credentialsSecretName?: string;
  /** oauth2: the client secret read from clientSecretRef, and the cookie HMAC key (generated once and kept by the
   * caller, e.g. read back from the existing <kode>-envoy-auth Secret: a new key logs everybody out). */
  oauth2?: { clientSecret: string; hmacSecret: string };
  /** The Kode's selector labels (NetworkPolicy podSelector). Default: app.kubernetes.io/instance + kode.jacero.io/name. */
  selectorLabels?: Record<string, string>;
  /** Labels for the ConfigMap, Secret and NetworkPolicy. Default: the Kode's standard labels, component "proxy". */
  labels?: Record<string, string>;
}

export interface EnvoyRender {
  container: EnvoyContainer;
  volumes: EnvoyVolume[];
  configMap: EnvoyConfigMap;
  secret?: EnvoySecret;
  networkPolicy: NetworkPolicy;
  idePatch: IdePatch;
  /** Hash this (e.g. sha256) into the pod template annotation: changes when the pod must roll. Holds no secret. */
  checksumSource: string;
  /** The Secret the Kode's status should name (credentials for basic and none; undefined for oauth2). */
  statusSecretName?: string;
  /** The bootstrap object (also JSON in configMap.data[BOOTSTRAP_KEY]). */
  bootstrap: Record<string, unknown>;
  /** Decoded Secret files (key -> content), for validation; never log them. */
  secretFiles: Record<string, string>;
}

export class EnvoyRenderError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`invalid Envoy configuration: ${problems.map((p) => `${p.reason}: ${p.message}`).join("; ")}`);
    this.name = "EnvoyRenderError";
  }
}

export const envoyChildNames = (kode: string) => ({ configMap: `${kode}-envoy`, secret: `${kode}-envoy-auth`, networkPolicy: kode });

type J = Record<string, unknown>;
const typeUrl = (t: string) => `type.googleapis.com/${t}`;

/** Render the sidecar. Throws EnvoyRenderError when the config is invalid or a needed secret is missing. */
export function renderEnvoy(input: EnvoyRenderInput): EnvoyRender {
  const { kode, idePort, config } = input;
  const spec = config.spec;
  const authType = spec.authType ?? "none";
  const problems = validateEnvoyConfig(spec, {
    idePort,
    ...(authType === "oauth2" && { clientSecretFound: input.oauth2 !== undefined, kodeUser: kode.user }),
    ...(authType === "basic" && input.credentials && { basicUsername: input.credentials.username }),
  });
  if (authType === "basic" && !input.credentials)
    problems.push({ reason: "MissingCredentials", message: "authType basic needs the Kode's user and password (spec.password, existingSecret or the generated password)." });
  if (authType === "oauth2" && input.oauth2 && !input.oauth2.hmacSecret)
    problems.push({ reason: "MissingHmacSecret", message: "oauth2 needs an HMAC key for its cookies; the operator generates it." });
  if (!Number.isInteger(idePort) || idePort < 1 || idePort > 65535)
    problems.push({ reason: "InvalidPort", message: `IDE port ${idePort} is not a TCP port.` });
  if (problems.length) throw new EnvoyRenderError(problems);

  const names = envoyChildNames(kode.name);
  const selector = input.selectorLabels ?? { "app.kubernetes.io/instance": kode.name, "kode.jacero.io/name": kode.name };
  const labels = input.labels ?? {
    "app.kubernetes.io/name": "envoy",
    "app.kubernetes.io/instance": kode.name,
    "app.kubernetes.io/managed-by": "kode-operator",
    "app.kubernetes.io/component": "proxy",
    "kode.jacero.io/name": kode.name,
  };
  const configId =
    config.kind === "EnvoyProxyConfig" && config.namespace ? `${config.kind}/${config.namespace}/${config.name}` : `${config.kind}/${config.name}`;
  const meta = (name: string): EnvoyMeta => ({
    name,
    ...(kode.namespace !== undefined && { namespace: kode.namespace }),
    labels: { ...labels },
    annotations: { "kode.jacero.io/envoy-config": configId },
  });

  const ide = input.ideType ? ideTypeSpec(input.ideType) : undefined;
  const ideReadiness: ProbeCheck = ide?.readiness ?? { kind: "tcp" };

  // ---- Secret files ----
  const secretFiles: Record<string, string> = {};
  if (authType === "basic") secretFiles[HTPASSWD_KEY] = `${htpasswdLine(input.credentials!.username, input.credentials!.password)}\n`;
  if (authType === "oauth2") {
    secretFiles[TOKEN_SECRET_KEY] = sdsFile("token", input.oauth2!.clientSecret);
    secretFiles[HMAC_SECRET_KEY] = sdsFile("hmac", input.oauth2!.hmacSecret);
  }
  const hasSecret = Object.keys(secretFiles).length > 0;

  // ---- Bootstrap ----
  const clusters: J[] = [ideCluster(idePort), probeCluster(idePort), staticCluster("kode_admin", "127.0.0.1", ENVOY_ADMIN_PORT)];
  const filters: J[] = [
    {
      name: "kode.health_check",
      typed_config: {
        "@type": typeUrl("envoy.extensions.filters.http.health_check.v3.HealthCheck"),
        pass_through_mode: false,
        headers: [{ name: ":path", string_match: { exact: PUBLIC_HEALTH_PATH } }],
      },
    },
    {
      name: "kode.strip_identity_headers",
      typed_config: { "@type": typeUrl("envoy.extensions.filters.http.lua.v3.Lua"), default_source_code: { inline_string: stripIdentityLua() } },
    },
  ];
  const routeHeadersToRemove: string[] = [];

  if (authType === "basic") {
    filters.push({
      name: "kode.basic_auth",
      typed_config: {
        "@type": typeUrl("envoy.extensions.filters.http.basic_auth.v3.BasicAuth"),
        users: { filename: `${AUTH_DIR}/${HTPASSWD_KEY}` },
        forward_username_header: IDENTITY_HEADER,
      },
    });
    // The IDE needs only the verdict, not the password: drop the credentials after the last filter has seen them.
    routeHeadersToRemove.push("authorization");
  }

  if (authType === "oauth2") {
    const o = spec.oauth2!;
    const token = new URL(o.tokenEndpoint!);
    const jwks = new URL(o.jwksUri ?? keycloakJwksUri(o.issuer!));
    clusters.push(urlCluster("kode_oidc", token));
    const jwksCluster = sameEndpoint(token, jwks) ? "kode_oidc" : "kode_oidc_jwks";
    if (jwksCluster !== "kode_oidc") clusters.push(urlCluster(jwksCluster, jwks));
    const redirectPath = o.redirectPath ?? OAUTH2_DEFAULTS.redirectPath;
    const sds = (name: string, key: string): J => ({
      name,
      sds_config: { path_config_source: { path: `${AUTH_DIR}/${key}`, watched_directory: { path: AUTH_DIR } }, resource_api_version: "V3" },
    });
    filters.push({
      name: "kode.oauth2",
      typed_config: {
        "@type": typeUrl("envoy.extensions.filters.http.oauth2.v3.OAuth2"),
        config: {
          token_endpoint: { cluster: "kode_oidc", uri: o.tokenEndpoint, timeout: "5s" },
          authorization_endpoint: o.authorizationEndpoint,
          credentials: { client_id: o.clientId, token_secret: sds("token", TOKEN_SECRET_KEY), hmac_secret: sds("hmac", HMAC_SECRET_KEY) },
          redirect_uri: `%REQ(x-forwarded-proto)%://%REQ(:authority)%${redirectPath}`,
          redirect_path_matcher: { path: { exact: redirectPath } },
          signout_path: { path: { exact: o.signoutPath ?? OAUTH2_DEFAULTS.signoutPath } },
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
    });
    const userClaim = o.userClaim ?? OAUTH2_DEFAULTS.userClaim;
    filters.push({
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
            claim_to_headers: [{ header_name: IDENTITY_HEADER, claim_name: userClaim }],
          },
        },
        rules: [{ match: { prefix: "/" }, requires: { provider_name: "oidc" } }],
      },
    });
    filters.push({
      name: "kode.rbac",
      typed_config: {
        "@type": typeUrl("envoy.extensions.filters.http.rbac.v3.RBAC"),
        rules: { action: "ALLOW", policies: { [RBAC_POLICY_NAME]: { permissions: [{ any: true }], principals: identityPrincipals(kode.user, o) } } },
      },
    });
  }

  if (spec.extAuthz) {
    const ea = spec.extAuthz;
    const timeout = ea.timeout ?? EXT_AUTHZ_DEFAULT_TIMEOUT;
    const cfg: J = { "@type": EXT_AUTHZ_TYPE_URL, transport_api_version: "V3", failure_mode_allow: ea.failureModeAllow ?? false };
    if (ea.grpc) {
      const hp = hostPort(ea.grpc.address)!;
      clusters.push(dnsCluster("kode_ext_authz", hp.host, hp.port, { http2: true }));
      cfg.grpc_service = { envoy_grpc: { cluster_name: "kode_ext_authz", ...(ea.grpc.authority && { authority: ea.grpc.authority }) }, timeout };
    } else if (ea.http) {
      const u = new URL(ea.http.uri);
      clusters.push(urlCluster("kode_ext_authz", u));
      cfg.http_service = { server_uri: { uri: ea.http.uri, cluster: "kode_ext_authz", timeout }, ...(ea.http.pathPrefix && { path_prefix: ea.http.pathPrefix }) };
    }
    if (ea.withRequestBody)
      cfg.with_request_body = { max_request_bytes: ea.withRequestBody.maxRequestBytes, allow_partial_message: ea.withRequestBody.allowPartialMessage ?? false };
    filters.push({ name: "kode.ext_authz", typed_config: cfg });
  }

  for (const f of spec.httpFilters ?? []) if (!isRawRouter(f)) filters.push(structuredClone(f) as J);
  filters.push({ name: "envoy.filters.http.router", typed_config: { "@type": ROUTER_TYPE_URL } });
  for (const c of spec.clusters ?? []) clusters.push(structuredClone(c));

  const publicListener: J = {
    name: "ide",
    address: socket("0.0.0.0", ENVOY_PUBLIC_PORT),
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": typeUrl("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"),
              stat_prefix: "ide",
              codec_type: "AUTO",
              normalize_path: true,
              upgrade_configs: [{ upgrade_type: "websocket" }],
              stream_idle_timeout: IDLE_TIMEOUT,
              common_http_protocol_options: { idle_timeout: IDLE_TIMEOUT },
              route_config: {
                name: "ide",
                virtual_hosts: [
                  {
                    name: "ide",
                    domains: ["*"],
                    routes: [{ match: { prefix: "/" }, route: { cluster: "ide", timeout: "0s", idle_timeout: IDLE_TIMEOUT } }],
                  },
                ],
                ...(routeHeadersToRemove.length && { request_headers_to_remove: routeHeadersToRemove }),
              },
              http_filters: filters,
            },
          },
        ],
      },
    ],
  };

  const healthRoutes: J[] = STATS_PATHS.map((path) => ({
    match: { path, headers: [{ name: ":method", string_match: { exact: "GET" } }] },
    route: { cluster: "kode_admin", timeout: "5s" },
  }));
  if (ideReadiness.kind === "http")
    healthRoutes.push({ match: { path: HEALTH_IDE_READY_PATH }, route: { cluster: "kode_ide_probe", prefix_rewrite: ideReadiness.path, timeout: "5s" } });
  healthRoutes.push({ match: { prefix: "/" }, direct_response: { status: 404 } });
  const healthListener: J = {
    name: "kode_health",
    address: socket("0.0.0.0", ENVOY_HEALTH_PORT),
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": typeUrl("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"),
              stat_prefix: "kode_health",
              codec_type: "AUTO",
              route_config: { name: "kode_health", virtual_hosts: [{ name: "kode_health", domains: ["*"], routes: healthRoutes }] },
              http_filters: [
                {
                  name: "kode.health_check",
                  typed_config: {
                    "@type": typeUrl("envoy.extensions.filters.http.health_check.v3.HealthCheck"),
                    pass_through_mode: false,
                    headers: [{ name: ":path", string_match: { exact: HEALTH_READY_PATH } }],
                  },
                },
                { name: "envoy.filters.http.router", typed_config: { "@type": ROUTER_TYPE_URL } },
              ],
            },
          },
        ],
      },
    ],
  };

  const bootstrap: J = {
    node: { id: `${kode.namespace ?? "default"}/${kode.name}`, cluster: "kode" },
    admin: { address: socket("127.0.0.1", ENVOY_ADMIN_PORT) },
    static_resources: { listeners: [publicListener, healthListener], clusters },
  };
  const bootstrapJson = `${JSON.stringify(bootstrap, null, 2)}\n`;

  // ---- Kubernetes objects ----
  const volumeMounts: VolumeMount[] = [{ name: BOOTSTRAP_VOLUME, mountPath: BOOTSTRAP_DIR, readOnly: true }];
  const volumes: EnvoyVolume[] = [{ name: BOOTSTRAP_VOLUME, configMap: { name: names.configMap, defaultMode: 0o444 } }];
  if (hasSecret) {
    volumeMounts.push({ name: AUTH_VOLUME, mountPath: AUTH_DIR, readOnly: true });
    // 0444: the volume is mounted only into the Envoy container, which runs as a uid that is not the fsGroup's.
    volumes.push({ name: AUTH_VOLUME, secret: { secretName: names.secret, defaultMode: 0o444 } });
  }
  const healthProbe = (timing: { periodSeconds: number; timeoutSeconds: number; failureThreshold: number }): EnvoyProbe => ({
    httpGet: { path: HEALTH_READY_PATH, port: ENVOY_HEALTH_PORT_NAME, scheme: "HTTP" },
    ...timing,
  });
  const container: EnvoyContainer = {
    name: ENVOY_CONTAINER,
    image: spec.image ?? DEFAULT_ENVOY_IMAGE,
    // The binary directly (same path in the regular and distroless images): no root entrypoint, no su-exec.
    command: ["/usr/local/bin/envoy"],
    args: ["--config-path", `${BOOTSTRAP_DIR}/${BOOTSTRAP_KEY}`, "--disable-hot-restart", "--log-level", "info"],
    env: [],
    ports: [
      { name: ENVOY_PUBLIC_PORT_NAME, containerPort: ENVOY_PUBLIC_PORT, protocol: "TCP" },
      { name: ENVOY_HEALTH_PORT_NAME, containerPort: ENVOY_HEALTH_PORT, protocol: "TCP" },
    ],
    startupProbe: healthProbe({ periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 60 }),
    readinessProbe: healthProbe({ periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 }),
    livenessProbe: healthProbe({ periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 }),
    resources: structuredClone(spec.resources && (spec.resources.limits || spec.resources.requests) ? spec.resources : DEFAULT_ENVOY_RESOURCES),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: ENVOY_UID,
      runAsGroup: ENVOY_UID,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts,
  };

  const configMap: EnvoyConfigMap = { apiVersion: "v1", kind: "ConfigMap", metadata: meta(names.configMap), data: { [BOOTSTRAP_KEY]: bootstrapJson } };
  const secret: EnvoySecret | undefined = hasSecret
    ? {
        apiVersion: "v1",
        kind: "Secret",
        metadata: meta(names.secret),
        type: "Opaque",
        data: Object.fromEntries(Object.entries(secretFiles).map(([k, v]) => [k, Buffer.from(v, "utf8").toString("base64")])),
      }
    : undefined;
  const networkPolicy: NetworkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: meta(names.networkPolicy),
    spec: {
      podSelector: { matchLabels: { ...selector } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          ports: [
            { protocol: "TCP", port: ENVOY_PUBLIC_PORT },
            { protocol: "TCP", port: ENVOY_HEALTH_PORT },
          ],
        },
      ],
    },
  };

  const idePatch = ideContainerPatch(input.ideType, ideReadiness, authType === "basic" || authType === "oauth2");

  // The pod rolls when the bootstrap, the image/args or a read-once file (htpasswd) changes. The oauth2 files are
  // re-read by Envoy (watched_directory), so rotating the client secret does not restart anybody's session.
  const checksumSource = JSON.stringify({
    image: container.image,
    args: container.args,
    resources: container.resources,
    bootstrap: bootstrapJson,
    secretKeys: Object.keys(secretFiles).sort(),
    htpasswd: secretFiles[HTPASSWD_KEY] !== undefined ? sha256Hex(secretFiles[HTPASSWD_KEY]) : undefined,
    idePatch,
  });

  const statusSecretName = authType === "oauth2" ? undefined : input.credentialsSecretName;
  return {
    container,
    volumes,
    configMap,
    ...(secret && { secret }),
    networkPolicy,
    idePatch,
    checksumSource,
    ...(statusSecretName !== undefined && { statusSecretName }),
    bootstrap,
    secretFiles,
  };
}

/** RBAC principals: the owner by the user claim, or a member of an allowed group; nobody when neither is known. */
export function identityPrincipals(user: string | undefined, o: NonNullable<EnvoyProxyConfigSpec["oauth2"]>): J[] {
  const claim = (name: string) => [{ key: JWT_PAYLOAD_KEY }, { key: name }];
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

function ideContainerPatch(ideType: string | undefined, readiness: ProbeCheck, authenticated: boolean): IdePatch {
  const notes: string[] = [];
  const removeEnv: string[] = [];
  const env: EnvVar[] = [];
  let bindsLoopback = false;
  switch (ideType) {
    case "code-server":
      // code-server applies $CODE_SERVER_HOST after --bind-addr (coder/code-server src/node/cli.ts bindAddrFromArgs),
      // so it overrides linuxserver's hard-coded --bind-addr [::]:8443 while $PORT keeps moving the port.
      env.push({ name: "CODE_SERVER_HOST", value: "127.0.0.1" });
      bindsLoopback = true;
      // linuxserver: AUTH=password iff PASSWORD or HASHED_PASSWORD is set; without them code-server runs --auth none.
      if (authenticated) removeEnv.push("PASSWORD", "HASHED_PASSWORD");
      break;
    case "webtop":
      // nginx listens on 3000/3001 on all interfaces and Selkies on 8082 (no bind option): the NetworkPolicy is what
      // keeps those ports unreachable from outside the pod.
      notes.push("webtop cannot bind to loopback; the NetworkPolicy admits only Envoy's ports");
      // Without PASSWORD nginx serves without its own basic auth.
      if (authenticated) removeEnv.push("PASSWORD");
      break;
    default:
      notes.push(`IDE type ${ideType ?? "(unknown)"}: no loopback binding known; the NetworkPolicy admits only Envoy's ports`);
  }
  const timing = {
    startup: { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 120 },
    readiness: { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
    liveness: { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
  };
  let probes: IdePatch["probes"];
  if (bindsLoopback && readiness.kind === "http") {
    // kubelet probes the pod IP, where a loopback IDE is not listening: go through Envoy's health listener.
    const p = (t: (typeof timing)["startup"]): EnvoyProbe => ({ httpGet: { path: HEALTH_IDE_READY_PATH, port: ENVOY_HEALTH_PORT_NAME, scheme: "HTTP" }, ...t });
    probes = { startupProbe: p(timing.startup), readinessProbe: p(timing.readiness) };
    notes.push("IDE liveness probe dropped: through Envoy it would restart the IDE whenever Envoy restarts");
  } else {
    const p = (t: (typeof timing)["startup"]): EnvoyProbe =>
      readiness.kind === "http"
        ? { httpGet: { path: readiness.path, port: IDE_PORT_NAME_BEHIND_ENVOY, scheme: "HTTP" }, ...t }
        : { tcpSocket: { port: IDE_PORT_NAME_BEHIND_ENVOY }, ...t };
    probes = { startupProbe: p(timing.startup), readinessProbe: p(timing.readiness), livenessProbe: p(timing.liveness) };
  }
  return { portName: IDE_PORT_NAME_BEHIND_ENVOY, removeEnv, env, bindsLoopback, probes, idePasswordOff: authenticated && removeEnv.length > 0, notes };
}

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

/** A file-based SDS DiscoveryResponse holding one generic secret (lives only in the auth Secret). */
function sdsFile(name: string, value: string): string {
  return `${JSON.stringify({
    resources: [
      { "@type": typeUrl("envoy.extensions.transport_sockets.tls.v3.Secret"), name, generic_secret: { secret: { inline_string: value } } },
    ],
  })}\n`;
}

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
const ideCluster = (port: number) =>
  staticCluster("ide", "127.0.0.1", port, { common_http_protocol_options: { idle_timeout: "30s" }, explicit_http_config: { http_protocol_options: {} } });

/** Readiness checks of the IDE through the health listener: one request per connection, nothing pooled. */
const probeCluster = (port: number) =>
  staticCluster("kode_ide_probe", "127.0.0.1", port, {
    common_http_protocol_options: { max_requests_per_connection: 1 },
    explicit_http_config: { http_protocol_options: {} },
  });

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function dnsCluster(name: string, host: string, port: number, opts: { tls?: boolean; http2?: boolean }): J {
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
  if (opts.tls)
    cluster.transport_socket = {
      name: "envoy.transport_sockets.tls",
      typed_config: {
        "@type": typeUrl("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"),
        sni: host,
        common_tls_context: {
          validation_context: {
            trusted_ca: { filename: SYSTEM_CA_BUNDLE },
            ...(!ip && { match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: host } }] }),
          },
        },
      },
    };
  return cluster;
}

function urlCluster(name: string, u: URL): J {
  const tls = u.protocol === "https:";
  const port = u.port ? Number(u.port) : tls ? 443 : 80;
  return dnsCluster(name, u.hostname.replace(/^\[|\]$/g, ""), port, { tls });
}

const sameEndpoint = (a: URL, b: URL) => a.protocol === b.protocol && a.host === b.host;
