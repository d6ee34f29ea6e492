import { ENVOY_PROXY_CONFIG } from "../api/testdata/seed-examples.ts";
import { describe, expect, test } from "bun:test";
import { parseEnvoyProxyConfig } from "../api/envoy-proxy-config.ts";
import type { EnvoyProxyConfigSpec } from "../api/types.ts";
import { shaHash } from "./htpasswd.ts";
import {
  DEFAULT_ENVOY_IMAGE,
  ENVOY_HEALTH_PORT,
  ENVOY_PUBLIC_PORT,
  EnvoyRenderError,
  HEALTH_IDE_READY_PATH,
  IDENTITY_HEADER,
  STRIPPED_HEADERS,
  renderEnvoy,
  type EnvoyRender,
  type EnvoyRenderInput,
} from "./render.ts";
import { rbacAllows, validateRender } from "./testing.ts";
import { findTyped } from "./validate-proto.ts";

type J = Record<string, any>;

const PASSWORD = "S3cr3t-Pa55w0rd-devuser";
const CLIENT_SECRET = "client-SECRET-0f9d8c7b6a";
const HMAC = "hmac-KEY-5e4d3c2b1a09f8e7";

const OAUTH2 = {
  issuer: "https://keycloak.example.com/realms/dev",
  authorizationEndpoint: "https://keycloak.example.com/realms/dev/protocol/openid-connect/auth",
  tokenEndpoint: "https://keycloak.example.com/realms/dev/protocol/openid-connect/token",
  clientId: "kode",
  clientSecretRef: { name: "keycloak-client" },
};

// The seed README's EnvoyProxyConfig example, verbatim apart from apiVersion/metadata.
const seedExtAuthz = () => parseEnvoyProxyConfig(Bun.YAML.parse(ENVOY_PROXY_CONFIG));
// Scenario 2's EnvoyProxyClusterConfig.
const seedBasic = () =>
  parseEnvoyProxyConfig({ apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyClusterConfig", metadata: { name: "basic-auth-proxy" }, spec: { authType: "basic" } });

const input = (spec: EnvoyProxyConfigSpec, over: Partial<EnvoyRenderInput> = {}): EnvoyRenderInput => ({
  kode: { name: "secure-code-server", namespace: "dev", user: "devuser" },
  idePort: 8443,
  ideType: "code-server",
  config: { kind: "EnvoyProxyConfig", name: "cfg", namespace: "dev", spec },
  credentials: { username: "devuser", password: PASSWORD },
  credentialsSecretName: "secure-code-server-auth",
  oauth2: { clientSecret: CLIENT_SECRET, hmacSecret: HMAC },
  ...over,
});
const render = (spec: EnvoyProxyConfigSpec, over: Partial<EnvoyRenderInput> = {}) => renderEnvoy(input(spec, over));
const hcm = (r: EnvoyRender): J => (r.bootstrap as J).static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
const filterNames = (r: EnvoyRender) => hcm(r).http_filters.map((f: J) => f.name);
const clusterNames = (r: EnvoyRender) => (r.bootstrap as J).static_resources.clusters.map((c: J) => c.name);

const RAW_FILTER = {
  name: "envoy.filters.http.lua",
  typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua", default_source_code: { inline_string: "function envoy_on_request(h) end" } },
};

const MODES: [string, EnvoyProxyConfigSpec, Partial<EnvoyRenderInput>?][] = [
  ["none (no authType)", {}],
  ["none", { authType: "none" }],
  ["basic (Scenario 2)", seedBasic().spec],
  ["basic on webtop", { authType: "basic" }, { ideType: "webtop", idePort: 3000 }],
  ["oauth2", { authType: "oauth2", oauth2: OAUTH2 }],
  ["oauth2 with groups and every option", {
    authType: "oauth2",
    oauth2: { ...OAUTH2, jwksUri: "http://keycloak.keycloak.svc:8080/realms/dev/protocol/openid-connect/certs", scopes: ["openid"], redirectPath: "/cb", signoutPath: "/logout", userClaim: "email", groupsClaim: "roles", allowedGroups: ["/devs", "/ops"] },
  }],
  ["extAuthz gRPC", { extAuthz: { grpc: { address: "opa.opa-system.svc.cluster.local:9191", authority: "opa" }, timeout: "0.5s", withRequestBody: { maxRequestBytes: 8192, allowPartialMessage: true } } }],
  ["extAuthz HTTP", { extAuthz: { http: { uri: "https://authz.example.com/base", pathPrefix: "/verify" }, failureModeAllow: true } }],
  ["extAuthz HTTP to an IP", { extAuthz: { http: { uri: "http://10.0.0.5:8080" } } }],
  ["ext_authz authType with the block", { authType: "ext_authz", extAuthz: { grpc: { address: "10.1.2.3:9191" } } }],
  ["seed ext_authz example (raw httpFilters + clusters, Envoy 1.30 image)", seedExtAuthz().spec],
  ["seed raw filters + basic", { ...seedExtAuthz().spec, authType: "basic" }],
  ["seed raw filters + oauth2 with groups", { ...seedExtAuthz().spec, authType: "oauth2", oauth2: { ...OAUTH2, allowedGroups: ["/devs"] } }],
  ["raw Lua + basic + extAuthz", { authType: "basic", httpFilters: [RAW_FILTER], extAuthz: { grpc: { address: "opa:9191" } } }],
  ["raw router entry is dropped", { httpFilters: [{ name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } }] }],
  ["unknown IDE type", { authType: "basic" }, { ideType: "devcontainers", idePort: 8080 }],
];

describe("every mode renders a bootstrap Envoy's API accepts", () => {
  for (const [name, spec, over] of MODES)
    test(name, () => {
      const r = render(spec, over);
      expect(validateRender(r)).toEqual([]);
      expect(filterNames(r).at(-1)).toBe("envoy.filters.http.router");
    });
});

describe("bootstrap shape", () => {
  test("public listener: websockets, no route timeout, long idle timeouts, IDE on loopback", () => {
    const r = render({ authType: "basic" });
    const h = hcm(r);
    expect(h.upgrade_configs).toEqual([{ upgrade_type: "websocket" }]);
    expect(h.route_config.virtual_hosts[0].routes[0].route).toEqual({ cluster: "ide", timeout: "0s", idle_timeout: "3600s" });
    expect(h.stream_idle_timeout).toBe("3600s");
    expect(h.common_http_protocol_options).toEqual({ idle_timeout: "3600s" });
    const b = r.bootstrap as J;
    expect(b.static_resources.listeners[0].address).toEqual({ socket_address: { address: "0.0.0.0", port_value: ENVOY_PUBLIC_PORT } });
    expect(b.admin.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: 19000 } });
    const ide = b.static_resources.clusters.find((c: J) => c.name === "ide");
    expect(ide.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address).toEqual({ socket_address: { address: "127.0.0.1", port_value: 8443 } });
  });

  test("filter order: health, strip identity, auth, extAuthz, raw filters in order, router", () => {
    const raw2 = { ...RAW_FILTER, name: "second" };
    expect(filterNames(render({ authType: "basic", extAuthz: { grpc: { address: "opa:9191" } }, httpFilters: [RAW_FILTER, raw2] }))).toEqual([
      "kode.health_check",
      "kode.strip_identity_headers",
      "kode.basic_auth",
      "kode.ext_authz",
      "envoy.filters.http.lua",
      "second",
      "envoy.filters.http.router",
    ]);
    expect(filterNames(render({ authType: "oauth2", oauth2: OAUTH2 }))).toEqual([
      "kode.health_check",
      "kode.strip_identity_headers",
      "kode.oauth2",
      "envoy.filters.http.jwt_authn",
      "kode.rbac",
      "envoy.filters.http.router",
    ]);
    expect(filterNames(render({}))).toEqual(["kode.health_check", "kode.strip_identity_headers", "envoy.filters.http.router"]);
  });

  test("identity headers are stripped by Lua before auth; the verdict header is among them", () => {
    const lua = hcm(render({ authType: "basic" })).http_filters[1].typed_config.default_source_code.inline_string as string;
    expect(STRIPPED_HEADERS).toContain(IDENTITY_HEADER);
    for (const h of STRIPPED_HEADERS) expect(lua).toContain(`["${h}"] = true`);
    expect(lua).toContain('local prefix = "x-auth-"');
    expect(lua).toContain("function envoy_on_request(handle)");
  });

  test("basic: htpasswd from the mounted file, user forwarded in Envoy's header, Authorization not forwarded", () => {
    const r = render({ authType: "basic" });
    const ba = hcm(r).http_filters.find((f: J) => f.name === "kode.basic_auth").typed_config;
    expect(ba.users).toEqual({ filename: "/etc/envoy/auth/htpasswd" });
    expect(ba.forward_username_header).toBe(IDENTITY_HEADER);
    expect(hcm(r).route_config.request_headers_to_remove).toEqual(["authorization"]);
    expect(r.secretFiles.htpasswd).toBe(`devuser:${shaHash(PASSWORD)}\n`);
    expect(r.secret?.metadata.name).toBe("secure-code-server-envoy-auth");
  });

  test("oauth2: secrets as watched SDS files, 401 for websocket handshakes, token verified against the issuer's JWKS", () => {
    const r = render({ authType: "oauth2", oauth2: OAUTH2 });
    const cfg = hcm(r).http_filters.find((f: J) => f.name === "kode.oauth2").typed_config.config;
    expect(cfg.credentials.token_secret).toEqual({
      name: "token",
      sds_config: { path_config_source: { path: "/etc/envoy/auth/token-secret.json", watched_directory: { path: "/etc/envoy/auth" } }, resource_api_version: "V3" },
    });
    expect(cfg.credentials.hmac_secret.sds_config.path_config_source.path).toBe("/etc/envoy/auth/hmac-secret.json");
    expect(cfg.auth_scopes).toEqual(["openid", "profile", "email"]);
    expect(cfg.redirect_path_matcher).toEqual({ path: { exact: "/oauth2/callback" } });
    expect(cfg.signout_path).toEqual({ path: { exact: "/oauth2/signout" } });
    expect(cfg.redirect_uri).toBe("%REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/callback");
    expect(cfg.deny_redirect_matcher).toContainEqual({ name: "upgrade", present_match: true });
    const jwt = hcm(r).http_filters.find((f: J) => f.name === "envoy.filters.http.jwt_authn").typed_config.providers.oidc;
    expect(jwt.issuer).toBe(OAUTH2.issuer);
    expect(jwt.remote_jwks.http_uri.uri).toBe("https://keycloak.example.com/realms/dev/protocol/openid-connect/certs");
    expect(jwt.claim_to_headers).toEqual([{ header_name: IDENTITY_HEADER, claim_name: "preferred_username" }]);
    // One cluster for the IdP (token and JWKS on the same host), TLS verified against the system CA bundle.
    expect(clusterNames(r)).toEqual(["ide", "kode_ide_probe", "kode_admin", "kode_oidc"]);
    const oidc = (r.bootstrap as J).static_resources.clusters.at(-1);
    expect(oidc.transport_socket.typed_config.sni).toBe("keycloak.example.com");
    expect(oidc.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: "keycloak.example.com", port_value: 443 });
    // A JWKS on another host gets its own cluster.
    const r2 = render({ authType: "oauth2", oauth2: { ...OAUTH2, jwksUri: "http://kc.keycloak.svc:8080/certs" } });
    expect(clusterNames(r2)).toContain("kode_oidc_jwks");
  });

  test("extAuthz gRPC: HTTP/2 cluster, closed by default, 0.25s default timeout", () => {
    const r = render({ extAuthz: { grpc: { address: "opa.opa.svc:9191" } } });
    const ea = hcm(r).http_filters.find((f: J) => f.name === "kode.ext_authz").typed_config;
    expect(ea.failure_mode_allow).toBe(false);
    expect(ea.grpc_service).toEqual({ envoy_grpc: { cluster_name: "kode_ext_authz" }, timeout: "0.25s" });
    const c = (r.bootstrap as J).static_resources.clusters.find((x: J) => x.name === "kode_ext_authz");
    expect(c.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].explicit_http_config).toEqual({ http2_protocol_options: {} });
    expect(c.type).toBe("STRICT_DNS");
  });

  test("the seed's raw filter and cluster pass through unchanged, before the router", () => {
    const spec = seedExtAuthz().spec;
    const r = render(spec);
    expect(hcm(r).http_filters.at(-2)).toEqual(spec.httpFilters![0]);
    expect((r.bootstrap as J).static_resources.clusters.at(-1)).toEqual(spec.clusters![0]);
    expect(r.container.image).toBe("envoyproxy/envoy:v1.30-latest");
  });

  test("health listener: /ready without auth, read-only GET stats, the IDE's readiness, 404 otherwise", () => {
    const r = render({ authType: "basic" });
    const h = (r.bootstrap as J).static_resources.listeners[1];
    expect(h.address.socket_address).toEqual({ address: "0.0.0.0", port_value: ENVOY_HEALTH_PORT });
    const tc = h.filter_chains[0].filters[0].typed_config;
    expect(tc.http_filters.map((f: J) => f.name)).toEqual(["kode.health_check", "envoy.filters.http.router"]);
    const routes = tc.route_config.virtual_hosts[0].routes;
    expect(routes.map((x: J) => x.match.path ?? x.match.prefix)).toEqual(["/stats", "/stats/prometheus", HEALTH_IDE_READY_PATH, "/"]);
    expect(routes[0].match.headers).toEqual([{ name: ":method", string_match: { exact: "GET" } }]);
    expect(routes[2].route).toEqual({ cluster: "kode_ide_probe", prefix_rewrite: "/healthz", timeout: "5s" });
    expect(routes[3].direct_response).toEqual({ status: 404 });
  });
});

describe("Kubernetes objects", () => {
  test("the sidecar: non-root, read-only root, no capabilities, ports, probes on the health port, mounts", () => {
    const r = render({ authType: "basic" });
    const c = r.container;
    expect(c.name).toBe("envoy");
    expect(c.image).toBe(DEFAULT_ENVOY_IMAGE);
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(c.securityContext.runAsUser).toBeGreaterThan(0);
    expect(c.ports).toEqual([
      { name: "http", containerPort: ENVOY_PUBLIC_PORT, protocol: "TCP" },
      { name: "envoy-health", containerPort: ENVOY_HEALTH_PORT, protocol: "TCP" },
    ]);
    for (const p of [c.readinessProbe, c.livenessProbe, c.startupProbe]) expect(p.httpGet).toEqual({ path: "/ready", port: "envoy-health", scheme: "HTTP" });
    expect(c.volumeMounts).toEqual([
      { name: "envoy-bootstrap", mountPath: "/etc/envoy/bootstrap", readOnly: true },
      { name: "envoy-auth", mountPath: "/etc/envoy/auth", readOnly: true },
    ]);
    expect(r.volumes).toEqual([
      { name: "envoy-bootstrap", configMap: { name: "secure-code-server-envoy", defaultMode: 0o444 } },
      { name: "envoy-auth", secret: { secretName: "secure-code-server-envoy-auth", defaultMode: 0o444 } },
    ]);
    expect(c.args).toEqual(["--config-path", "/etc/envoy/bootstrap/envoy.json", "--disable-hot-restart", "--log-level", "info"]);
    expect(c.resources).toEqual({ requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } });
    expect(render({ resources: { limits: { memory: "1Gi" } } }).container.resources).toEqual({ limits: { memory: "1Gi" } });
  });

  test("no Secret and no auth mount when nothing secret is needed", () => {
    const r = render({});
    expect(r.secret).toBeUndefined();
    expect(r.volumes.map((v) => v.name)).toEqual(["envoy-bootstrap"]);
    expect(r.container.volumeMounts.map((m) => m.name)).toEqual(["envoy-bootstrap"]);
  });

  test("NetworkPolicy <kode>: ingress only to Envoy's public and health ports, Kode's selector", () => {
    const np = render({ authType: "basic" }).networkPolicy;
    expect(np.metadata.name).toBe("secure-code-server");
    expect(np.metadata.namespace).toBe("dev");
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/instance": "secure-code-server", "kode.jacero.io/name": "secure-code-server" } },
      policyTypes: ["Ingress"],
      ingress: [{ ports: [{ protocol: "TCP", port: ENVOY_PUBLIC_PORT }, { protocol: "TCP", port: ENVOY_HEALTH_PORT }] }],
    });
  });

  test("idePatch: code-server binds loopback, password off when Envoy authenticates, probes through Envoy", () => {
    const p = render({ authType: "basic" }).idePatch;
    expect(p.portName).toBe("ide");
    expect(p.env).toEqual([{ name: "CODE_SERVER_HOST", value: "127.0.0.1" }]);
    expect(p.bindsLoopback).toBe(true);
    expect(p.removeEnv).toEqual(["PASSWORD", "HASHED_PASSWORD"]);
    expect(p.idePasswordOff).toBe(true);
    expect(p.probes.readinessProbe.httpGet).toEqual({ path: HEALTH_IDE_READY_PATH, port: "envoy-health", scheme: "HTTP" });
    expect(p.probes.livenessProbe).toBeUndefined();
    // No Envoy authentication: the IDE keeps its own password.
    expect(render({}).idePatch.removeEnv).toEqual([]);
    expect(render({ extAuthz: { grpc: { address: "opa:9191" } } }).idePatch.idePasswordOff).toBe(false);
  });

  test("idePatch: webtop cannot bind loopback; PASSWORD dropped; TCP probes on the renamed port", () => {
    const p = render({ authType: "oauth2", oauth2: OAUTH2 }, { ideType: "webtop", idePort: 3000 }).idePatch;
    expect(p.bindsLoopback).toBe(false);
    expect(p.env).toEqual([]);
    expect(p.removeEnv).toEqual(["PASSWORD"]);
    expect(p.probes.readinessProbe.tcpSocket).toEqual({ port: "ide" });
    expect(p.probes.livenessProbe?.tcpSocket).toEqual({ port: "ide" });
  });

  test("statusSecretName: the credentials Secret for basic and none, none for oauth2", () => {
    expect(render({ authType: "basic" }).statusSecretName).toBe("secure-code-server-auth");
    expect(render({}).statusSecretName).toBe("secure-code-server-auth");
    expect(render({ authType: "oauth2", oauth2: OAUTH2 }).statusSecretName).toBeUndefined();
  });

  test("checksum source: a config change rolls the pod; it holds nothing derived from a secret (the Kode HMACs its credentials)", () => {
    const base = render({ authType: "basic" }).checksumSource;
    expect(render({ authType: "basic" }).checksumSource).toBe(base);
    // The password is not in it in any form: the same source whatever the password (htpasswd changes are versioned by the Kode).
    expect(render({ authType: "basic" }, { credentials: { username: "devuser", password: "other" } }).checksumSource).toBe(base);
    expect(base).not.toContain("htpasswd\":");
    expect(render({ authType: "basic", httpFilters: [RAW_FILTER] }).checksumSource).not.toBe(base);
    expect(render({ authType: "basic", image: "envoyproxy/envoy:v1.34.1" }).checksumSource).not.toBe(base);
    const o = render({ authType: "oauth2", oauth2: OAUTH2 }).checksumSource;
    expect(render({ authType: "oauth2", oauth2: OAUTH2 }, { oauth2: { clientSecret: "new", hmacSecret: "new" } }).checksumSource).toBe(o);
    expect(render({ authType: "oauth2", oauth2: { ...OAUTH2, clientId: "other" } }).checksumSource).not.toBe(o);
  });

  test("rendering is deterministic", () => {
    expect(render({ authType: "oauth2", oauth2: OAUTH2 })).toEqual(render({ authType: "oauth2", oauth2: OAUTH2 }));
  });
});

describe("secrets never leave the Secret", () => {
  const forms = (s: string) => [s, Buffer.from(s).toString("base64"), shaHash(s), shaHash(s).slice(5)];
  const secrets = [...forms(PASSWORD), ...forms(CLIENT_SECRET), ...forms(HMAC)];
  const cases: [string, EnvoyProxyConfigSpec][] = [
    ["basic", { authType: "basic" }],
    ["oauth2", { authType: "oauth2", oauth2: { ...OAUTH2, allowedGroups: ["/devs"] } }],
    ["basic + raw filters", { ...seedExtAuthz().spec, authType: "basic" }],
  ];
  for (const [name, spec] of cases)
    test(`${name}: not in the container, volumes, ConfigMap, bootstrap, NetworkPolicy, idePatch, checksum or status`, () => {
      const r = render(spec);
      const { secret, secretFiles, ...rest } = r;
      const visible = JSON.stringify(rest);
      for (const s of secrets) expect({ secret: s, found: visible.includes(s) }).toEqual({ secret: s, found: false });
      // …and they are in the Secret (so the scan above is not vacuous).
      const inSecret = Object.values(secretFiles).join("\n");
      if (spec.authType === "basic") expect(inSecret).toContain(shaHash(PASSWORD));
      if (spec.authType === "oauth2") {
        expect(inSecret).toContain(CLIENT_SECRET);
        expect(inSecret).toContain(HMAC);
      }
      expect(Object.keys(secret!.data).sort()).toEqual(Object.keys(secretFiles).sort());
      // The plain password is not even in the Secret: only its {SHA} hash.
      expect(inSecret).not.toContain(PASSWORD);
    });
});

describe("identity binding (rendered RBAC policy)", () => {
  const oauth = (over: Partial<typeof OAUTH2 & { allowedGroups: string[]; userClaim: string; groupsClaim: string }> = {}, user: string | undefined = "devuser") =>
    render({ authType: "oauth2", oauth2: { ...OAUTH2, ...over } }, { kode: { name: "k", namespace: "dev", user } }).bootstrap;

  test("spec.user passes; another user, a missing claim or a near miss gets 403", () => {
    const b = oauth();
    expect(rbacAllows(b, { preferred_username: "devuser" })).toBe(true);
    expect(rbacAllows(b, { preferred_username: "mallory" })).toBe(false);
    expect(rbacAllows(b, { preferred_username: "DevUser" })).toBe(false);
    expect(rbacAllows(b, { preferred_username: "devuser2" })).toBe(false);
    expect(rbacAllows(b, { email: "devuser" })).toBe(false);
    expect(rbacAllows(b, {})).toBe(false);
  });

  test("a configurable claim", () => {
    const b = oauth({ userClaim: "email" }, "dev@example.com");
    expect(rbacAllows(b, { email: "dev@example.com", preferred_username: "x" })).toBe(true);
    expect(rbacAllows(b, { preferred_username: "dev@example.com" })).toBe(false);
  });

  test("allowedGroups: members pass, others do not; groups without the owner still need membership", () => {
    const b = oauth({ allowedGroups: ["/devs", "/ops"] });
    expect(rbacAllows(b, { preferred_username: "devuser" })).toBe(true);
    expect(rbacAllows(b, { preferred_username: "bob", groups: ["/ops"] })).toBe(true);
    expect(rbacAllows(b, { preferred_username: "bob", groups: ["/qa", "/devs-readonly"] })).toBe(false);
    expect(rbacAllows(b, { preferred_username: "bob", groups: "/devs" })).toBe(false);
    const onlyGroups = oauth({ allowedGroups: ["/devs"], groupsClaim: "roles" }, undefined);
    expect(rbacAllows(onlyGroups, { preferred_username: "anyone", roles: ["/devs"] })).toBe(true);
    expect(rbacAllows(onlyGroups, { preferred_username: "anyone", groups: ["/devs"] })).toBe(false);
  });

  test("the RBAC policy reads the payload where jwt_authn stores it", () => {
    const b = oauth();
    const jwt = findTyped(b, "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication", "")[0]!.value as J;
    const principal = findTyped(b, "envoy.extensions.filters.http.rbac.v3.RBAC", "")[0]!.value.rules as J;
    const m = principal.policies["kode-owner"].principals[0].metadata;
    expect(m.filter).toBe("envoy.filters.http.jwt_authn");
    expect(m.path[0].key).toBe(jwt.providers.oidc.payload_in_metadata);
  });
});

describe("invalid input renders nothing", () => {
  const problems = (spec: EnvoyProxyConfigSpec, over: Partial<EnvoyRenderInput> = {}) => {
    try {
      render(spec, over);
    } catch (e) {
      expect(e).toBeInstanceOf(EnvoyRenderError);
      return (e as EnvoyRenderError).problems.map((p) => p.reason);
    }
    return [];
  };
  test("basic without credentials, oauth2 without its secret or fields, unknown authType, port clash", () => {
    expect(problems({ authType: "basic" }, { credentials: undefined })).toEqual(["MissingCredentials"]);
    expect(problems({ authType: "oauth2", oauth2: OAUTH2 }, { oauth2: undefined })).toEqual(["SecretNotFound"]);
    expect(problems({ authType: "oauth2" })).toEqual(["MissingOAuth2Config"]);
    expect(problems({ authType: "oauth2", oauth2: OAUTH2 }, { kode: { name: "k", user: undefined } })).toEqual(["MissingUser"]);
    expect(problems({ authType: "kerberos" as never })).toEqual(["UnknownAuthType"]);
    expect(problems({}, { idePort: ENVOY_PUBLIC_PORT })).toEqual(["PortConflict"]);
    expect(problems({ authType: "ext_authz" })).toEqual(["MissingExtAuthz"]);
  });
});
