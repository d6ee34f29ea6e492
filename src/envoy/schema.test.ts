// The EnvoyProxyConfig schema (src/api/envoy-proxy-config.ts) accepts the seed's examples and the new blocks.
import { describe, expect, test } from "bun:test";
import { safeParseEnvoyProxyConfig } from "../api/envoy-proxy-config.ts";

const cfg = (spec: unknown) => ({ apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyConfig", metadata: { name: "c", namespace: "dev" }, spec });
const ok = (spec: unknown) => safeParseEnvoyProxyConfig(cfg(spec)).success;
const fields = (spec: unknown) => {
  const r = safeParseEnvoyProxyConfig(cfg(spec));
  return r.success ? [] : r.issues.map((i) => i.field);
};

describe("EnvoyProxyConfig schema", () => {
  test("the seed's values and the new blocks", () => {
    for (const authType of ["none", "basic", "oauth2", "ext_authz"]) expect(ok({ authType })).toBe(true);
    expect(
      ok({
        image: "envoyproxy/envoy:v1.35.3",
        authType: "oauth2",
        oauth2: {
          issuer: "https://kc/realms/dev",
          authorizationEndpoint: "https://kc/realms/dev/protocol/openid-connect/auth",
          tokenEndpoint: "http://keycloak.kc.svc:8080/realms/dev/protocol/openid-connect/token",
          jwksUri: "http://keycloak.kc.svc:8080/realms/dev/protocol/openid-connect/certs",
          clientId: "kode",
          clientSecretRef: { name: "kc-client", key: "secret" },
          scopes: ["openid"],
          redirectPath: "/oauth2/callback",
          signoutPath: "/oauth2/signout",
          userClaim: "preferred_username",
          groupsClaim: "groups",
          allowedGroups: ["/devs"],
        },
        extAuthz: { grpc: { address: "opa.opa.svc.cluster.local:9191", authority: "opa" }, timeout: "0.25s", failureModeAllow: false, withRequestBody: { maxRequestBytes: 8192, allowPartialMessage: true } },
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: 268435456 } },
      }),
    ).toBe(true);
    expect(ok({ extAuthz: { http: { uri: "http://authz:8080", pathPrefix: "/check" } } })).toBe(true);
  });

  test("rejects malformed values with their field path", () => {
    expect(fields({ authType: "saml" })).toEqual(["spec.authType"]);
    expect(fields({ extAuthz: { grpc: { address: "opa" } } })).toEqual(["spec.extAuthz.grpc.address"]);
    expect(fields({ extAuthz: { http: { uri: "authz:8080" } } })).toEqual(["spec.extAuthz.http.uri"]);
    expect(fields({ extAuthz: { timeout: "250ms" } })).toEqual(["spec.extAuthz.timeout"]);
    expect(fields({ oauth2: { redirectPath: "callback" } })).toEqual(["spec.oauth2.redirectPath"]);
    expect(fields({ oauth2: { clientSecretRef: { name: "Bad_Name" } } })).toEqual(["spec.oauth2.clientSecretRef.name"]);
    expect(fields({ httpFilters: [{ name: "" }] })).toEqual(["spec.httpFilters[0].name"]);
  });
});
