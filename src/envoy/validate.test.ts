import { describe, expect, test } from "bun:test";
import type { EnvoyProxyConfigSpec } from "../api/types.ts";
import { htpasswdFile, htpasswdLine, shaHash } from "./htpasswd.ts";
import { validateEnvoyConfig, type EnvoyResolved } from "./validate.ts";

const OAUTH2 = {
  issuer: "https://kc.example.com/realms/dev",
  authorizationEndpoint: "https://kc.example.com/realms/dev/protocol/openid-connect/auth",
  tokenEndpoint: "https://kc.example.com/realms/dev/protocol/openid-connect/token",
  clientId: "kode",
  clientSecretRef: { name: "kc" },
};
const reasons = (spec: EnvoyProxyConfigSpec, resolved: EnvoyResolved = {}) => validateEnvoyConfig(spec, resolved).map((p) => p.reason);
const extAuthzFilter = {
  name: "envoy.filters.http.ext_authz",
  typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz", grpc_service: { envoy_grpc: { cluster_name: "opa" } } },
};

describe("validateEnvoyConfig", () => {
  test("valid configs have no problems", () => {
    expect(reasons({})).toEqual([]);
    expect(reasons({ authType: "basic" }, { basicUsername: "devuser", idePort: 8443 })).toEqual([]);
    expect(reasons({ authType: "oauth2", oauth2: OAUTH2 }, { clientSecretFound: true, kodeUser: "dev" })).toEqual([]);
    expect(reasons({ authType: "ext_authz", httpFilters: [extAuthzFilter], clusters: [{ name: "opa" }] })).toEqual([]);
    expect(reasons({ extAuthz: { grpc: { address: "opa:9191" }, timeout: "1s", withRequestBody: { maxRequestBytes: 1 } } })).toEqual([]);
  });

  test("unknown authType", () => {
    const p = validateEnvoyConfig({ authType: "saml" as never });
    expect(p.map((x) => x.reason)).toEqual(["UnknownAuthType"]);
    expect(p[0]!.message).toContain('"saml"');
  });

  test("oauth2: missing block, missing fields, bad URLs and paths, missing Secret, no identity", () => {
    expect(reasons({ authType: "oauth2" })).toEqual(["MissingOAuth2Config"]);
    const p = validateEnvoyConfig({ authType: "oauth2", oauth2: { issuer: OAUTH2.issuer, clientId: "x" } });
    expect(p.map((x) => x.reason)).toEqual(["MissingOAuth2Field"]);
    expect(p[0]!.message).toBe("spec.oauth2 lacks clientSecretRef; issuer, clientId and clientSecretRef are required (the endpoints are read from the issuer's discovery document when unset).");
    // At render time (after discovery), the endpoints must be there.
    const atRender = validateEnvoyConfig({ authType: "oauth2", oauth2: { issuer: OAUTH2.issuer, clientId: "x" } }, { endpointsRequired: true });
    expect(atRender[0]!.message).toContain("lacks authorizationEndpoint, tokenEndpoint, clientSecretRef");
    expect(reasons({ authType: "oauth2", oauth2: { ...OAUTH2, tokenEndpoint: "kc/token" } })).toEqual(["InvalidOAuth2URL"]);
    expect(reasons({ authType: "oauth2", oauth2: { ...OAUTH2, redirectPath: "cb" } })).toEqual(["InvalidOAuth2Path"]);
    expect(reasons({ authType: "oauth2", oauth2: { ...OAUTH2, redirectPath: "/x", signoutPath: "/x" } })).toEqual(["InvalidOAuth2Path"]);
    const missing = validateEnvoyConfig({ authType: "oauth2", oauth2: { ...OAUTH2, clientSecretRef: { name: "kc", key: "secret" } } }, { clientSecretFound: false });
    expect(missing.map((x) => x.reason)).toEqual(["SecretNotFound"]);
    expect(missing[0]!.message).toContain('"kc" (key "secret")');
    expect(reasons({ authType: "oauth2", oauth2: OAUTH2 }, { kodeUser: undefined })).toEqual(["MissingUser"]);
    expect(reasons({ authType: "oauth2", oauth2: { ...OAUTH2, allowedGroups: ["/devs"] } }, { kodeUser: undefined })).toEqual([]);
    // oauth2 settings are ignored (not an error) when authType is something else.
    expect(reasons({ authType: "basic", oauth2: { clientId: "x" } })).toEqual([]);
  });

  test("raw filters: without name, without typed_config, without @type, reserved and duplicate names", () => {
    expect(reasons({ httpFilters: [{ name: "", typed_config: { "@type": "type.googleapis.com/x.Y" } }] })).toEqual(["FilterWithoutName"]);
    expect(reasons({ httpFilters: [{ typed_config: { "@type": "type.googleapis.com/x.Y" } } as never] })).toEqual(["FilterWithoutName"]);
    expect(reasons({ httpFilters: [{ name: "a" }] })).toEqual(["FilterWithoutConfig"]);
    expect(reasons({ httpFilters: [{ name: "a", typed_config: { grpc_service: {} } }] })).toEqual(["FilterWithoutType"]);
    expect(reasons({ httpFilters: [{ ...extAuthzFilter, name: "kode.basic_auth" }] })).toEqual(["ReservedName"]);
    expect(reasons({ httpFilters: [extAuthzFilter, extAuthzFilter] })).toEqual(["DuplicateName"]);
    // A raw router is tolerated (render drops it; the router is always last).
    expect(reasons({ httpFilters: [{ name: "envoy.filters.http.router" }] })).toEqual([]);
  });

  test("raw clusters: without name, reserved and duplicate names", () => {
    expect(reasons({ clusters: [{ type: "STATIC" }] })).toEqual(["ClusterWithoutName"]);
    expect(reasons({ clusters: [{ name: "ide" }] })).toEqual(["ReservedName"]);
    expect(reasons({ clusters: [{ name: "opa" }, { name: "opa" }] })).toEqual(["DuplicateName"]);
  });

  test("extAuthz block and the ext_authz authType", () => {
    expect(reasons({ extAuthz: {} })).toEqual(["InvalidExtAuthz"]);
    expect(reasons({ extAuthz: { grpc: { address: "opa:9191" }, http: { uri: "http://x" } } })).toEqual(["InvalidExtAuthz"]);
    expect(reasons({ extAuthz: { grpc: { address: "opa" } } })).toEqual(["InvalidExtAuthz"]);
    expect(reasons({ extAuthz: { http: { uri: "x" } } })).toEqual(["InvalidExtAuthz"]);
    expect(reasons({ extAuthz: { grpc: { address: "opa:9191" }, timeout: "250ms" } })).toEqual(["InvalidExtAuthz"]);
    expect(reasons({ authType: "ext_authz" })).toEqual(["MissingExtAuthz"]);
    expect(reasons({ authType: "ext_authz", extAuthz: { http: { uri: "http://authz:8080" } } })).toEqual([]);
  });

  test("basic user names and port conflicts", () => {
    expect(reasons({ authType: "basic" }, { basicUsername: "a:b" })).toEqual(["InvalidUserName"]);
    expect(reasons({}, { idePort: 19000 })).toEqual(["PortConflict"]);
    expect(reasons({}, { idePort: 19003 })).toEqual(["PortConflict"]);
  });
});

describe("htpasswd {SHA}", () => {
  test("matches `htpasswd -s` (base64 of unsalted SHA-1)", () => {
    expect(shaHash("password")).toBe("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=");
    expect(shaHash("devpassword")).toBe("{SHA}T0lEpxF/0ulRadorQK8ztoploWE=");
    expect(shaHash("pässword").length).toBe(33);
    expect(htpasswdLine("devuser", "password")).toBe("devuser:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=");
    expect(htpasswdFile([{ username: "a", password: "password" }, { username: "b", password: "password" }])).toBe(
      "a:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\nb:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n",
    );
  });
  test("refuses user names Envoy cannot read back", () => {
    for (const bad of ["", "a:b", "a b", "a\nb"]) expect(() => htpasswdLine(bad, "x")).toThrow();
  });
});
