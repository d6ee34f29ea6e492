// OpenID discovery and the rendered RBAC rules, checked against a real OpenID provider (npm oidc-provider) on
// loopback, over HTTPS with a private CA and over plain HTTP: discovery, JWKS, tokens it issues verified against
// the JWKS, the operator's principals evaluated on their payloads, key rotation picked up by a re-fetch.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, jwtVerify, type JWK } from "jose";
import { generateTlsMaterial, type TlsMaterial } from "../apiserver/tls.ts";
import { renderEnvoy } from "./render.ts";
import { discover, OidcDiscoveryCache, withDiscovered } from "./oidc.ts";
import { startProvider, USERS, type RunningProvider } from "./oidc-testing.ts";
import { rbacAllows } from "./testing.ts";
import { validateRender } from "./testing.ts";

async function tokenFor(tokenEndpoint: string, client: string, ca?: string): Promise<string> {
  const res = await fetch(tokenEndpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`${client}:${client}-secret`).toString("base64")}` },
    body: new URLSearchParams({ grant_type: "client_credentials", resource: "urn:kode" }),
    ...(ca && { tls: { ca } }),
  } as RequestInit);
  const body = (await res.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`no token for ${client}: ${JSON.stringify(body)}`);
  return body.access_token;
}

async function verify(token: string, jwksUri: string, issuer: string, ca?: string) {
  const jwks = (await (await fetch(jwksUri, { ...(ca && { tls: { ca } }) } as RequestInit)).json()) as { keys: JWK[] };
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer });
  return payload as Record<string, unknown>;
}

/** The operator's render of an oauth2 sidecar for Kode "ws" of `user`, from a config that names only the issuer. */
function sidecar(issuer: string, discovered: Parameters<typeof withDiscovered>[1], oauth2: Record<string, unknown>, user: string | undefined, ca?: string) {
  const spec = { authType: "oauth2" as const, oauth2: withDiscovered({ issuer, clientId: "kode", clientSecretRef: { name: "sso" }, ...oauth2 }, discovered) };
  return renderEnvoy({
    kode: { name: "ws", namespace: "dev", user },
    idePort: 8443,
    ideType: "code-server",
    config: { kind: "EnvoyProxyConfig", name: "sso", namespace: "dev", spec },
    oauth2: { clientSecret: "cs", hmacSecret: "hm", ...(ca && { ca }) },
  });
}

let tls: TlsMaterial;
let https: RunningProvider;
let http: RunningProvider;
beforeAll(async () => {
  tls = await generateTlsMaterial({ hosts: ["127.0.0.1"] });
  https = await startProvider({ tls, kid: "key-1" });
  http = await startProvider({ kid: "http-key" });
});
afterAll(async () => {
  await https?.stop();
  await http?.stop();
});

describe("discovery against oidc-provider", () => {
  test("HTTPS with the private CA: endpoints and keys as the provider publishes them", async () => {
    const r = await discover(https.issuer, { ca: tls.caCert });
    expect(r).toEqual({
      ok: true,
      discovered: { authorizationEndpoint: `${https.issuer}/auth`, tokenEndpoint: `${https.issuer}/token`, jwksUri: `${https.issuer}/jwks`, keyIds: ["key-1"] },
    });
  });

  test("HTTPS without the CA: unreachable, with the TLS error", async () => {
    const r = await discover(https.issuer);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe("IssuerUnreachable");
    expect(r.message.startsWith(`GET ${https.issuer}/.well-known/openid-configuration (discovery) failed: `)).toBe(true);
  });

  test("plain HTTP works; a differently spelled issuer is a mismatch; a closed port and a 404 are unreachable", async () => {
    expect((await discover(http.issuer)).ok).toBe(true);
    expect(await discover(`${http.issuer}/`)).toEqual({
      ok: false,
      reason: "IssuerMismatch",
      message: `${http.issuer}/.well-known/openid-configuration names issuer "${http.issuer}", not "${http.issuer}/"; tokens would carry that iss and be refused. Set spec.oauth2.issuer to exactly the issuer's value`,
    });
    const closed = createHttpServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = await discover(`http://127.0.0.1:${port}`, { timeoutMs: 2000 });
    expect(down.ok || down.reason).toBe("IssuerUnreachable");
    expect(await discover(`${http.issuer}/realms/nope`)).toEqual({
      ok: false,
      reason: "IssuerUnreachable",
      message: `GET ${http.issuer}/realms/nope/.well-known/openid-configuration (discovery) answered HTTP 404 Not Found`,
    });
  });
});

describe("tokens the provider issues, against the principals the operator renders", () => {
  test("owner by preferred_username: alice passes, bob and carol do not", async () => {
    const d = await discover(https.issuer, { ca: tls.caCert });
    if (!d.ok) throw new Error(d.message);
    const r = sidecar(https.issuer, d.discovered, {}, "alice", tls.caCert);
    expect(validateRender(r)).toEqual([]);
    // Envoy trusts the private CA, not the image's bundle, for the provider's endpoints.
    expect(JSON.stringify(r.bootstrap)).toContain('"trusted_ca":{"filename":"/etc/envoy/auth/oidc-ca.pem"}');
    expect(r.secretFiles["oidc-ca.pem"]).toBe(tls.caCert.endsWith("\n") ? tls.caCert : `${tls.caCert}\n`);
    const verdicts: Record<string, boolean> = {};
    for (const client of Object.keys(USERS)) {
      const payload = await verify(await tokenFor(d.discovered.tokenEndpoint, client, tls.caCert), d.discovered.jwksUri, https.issuer, tls.caCert);
      expect(payload.iss).toBe(https.issuer);
      verdicts[client] = rbacAllows(r.bootstrap, payload);
    }
    expect(verdicts).toEqual({ "alice-app": true, "bob-app": false, "carol-app": false });
  });

  test("groups at nested paths: realm_access.roles and resource_access.kode.roles", async () => {
    const d = await discover(https.issuer, { ca: tls.caCert });
    if (!d.ok) throw new Error(d.message);
    const payloads = Object.fromEntries(
      await Promise.all(Object.keys(USERS).map(async (c) => [c, await verify(await tokenFor(d.discovered.tokenEndpoint, c, tls.caCert), d.discovered.jwksUri, https.issuer, tls.caCert)] as const)),
    );
    const realm = sidecar(https.issuer, d.discovered, { groupsClaim: "realm_access.roles", allowedGroups: ["developer"] }, "nobody");
    expect(Object.fromEntries(Object.entries(payloads).map(([c, p]) => [c, rbacAllows(realm.bootstrap, p)]))).toEqual({ "alice-app": true, "bob-app": true, "carol-app": false });
    const client = sidecar(https.issuer, d.discovered, { groupsClaim: "resource_access.kode.roles", allowedGroups: ["owner"] }, "nobody");
    expect(Object.fromEntries(Object.entries(payloads).map(([c, p]) => [c, rbacAllows(client.bootstrap, p)]))).toEqual({ "alice-app": true, "bob-app": false, "carol-app": false });
    const flat = sidecar(https.issuer, d.discovered, { allowedGroups: ["/ops"] }, undefined);
    expect(Object.fromEntries(Object.entries(payloads).map(([c, p]) => [c, rbacAllows(flat.bootstrap, p)]))).toEqual({ "alice-app": false, "bob-app": false, "carol-app": true });
  });
});

describe("the discovery cache", () => {
  test("key rotation: the provider restarts with a new key, the refresh sees it, old tokens no longer verify", async () => {
    const provider = await startProvider({ tls, kid: "rot-1" });
    const changes: string[] = [];
    const cache = new OidcDiscoveryCache({ refreshMs: 0, onChange: (k) => changes.push(k) });
    const first = await cache.ensure(provider.issuer, tls.caCert);
    if (!first.result.ok) throw new Error(first.result.message);
    expect(first.result.discovered.keyIds).toEqual(["rot-1"]);
    const oldToken = await tokenFor(first.result.discovered.tokenEndpoint, "alice-app", tls.caCert);
    // Same answer again: no change, same version.
    const same = await cache.ensure(provider.issuer, tls.caCert);
    expect(same.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(changes.length).toBe(1);

    const port = Number(new URL(provider.issuer).port);
    await provider.stop();
    const rotated = await startProvider({ tls, port, kid: "rot-2" });
    try {
      const next = await cache.ensure(rotated.issuer, tls.caCert);
      if (!next.result.ok) throw new Error(next.result.message);
      expect(next.result.discovered.keyIds).toEqual(["rot-2"]);
      expect(next.metadata.resourceVersion).not.toBe(first.metadata.resourceVersion);
      expect(changes.length).toBe(2);
      const newToken = await tokenFor(next.result.discovered.tokenEndpoint, "alice-app", tls.caCert);
      expect((await verify(newToken, next.result.discovered.jwksUri, rotated.issuer, tls.caCert)).preferred_username).toBe("alice");
      await expect(verify(oldToken, next.result.discovered.jwksUri, rotated.issuer, tls.caCert)).rejects.toThrow();
    } finally {
      await rotated.stop();
    }
  });

  test("failures back off (no refetch before the backoff), and one success recovers", async () => {
    let t = 1_000_000;
    const cache = new OidcDiscoveryCache({ now: () => t, backoffMs: 1000, maxBackoffMs: 4000, timeoutMs: 2000 });
    const bad = `${http.issuer}/missing`;
    const e1 = await cache.ensure(bad);
    expect(e1.result.ok).toBe(false);
    expect(cache.dueIn(bad)).toBe(1000);
    expect(await cache.ensure(bad)).toBe(cache.get(undefined, bad)!);
    t += 1000;
    await cache.ensure(bad);
    expect(cache.dueIn(bad)).toBe(2000);
    t += 2000;
    await cache.ensure(bad);
    t += 4000;
    await cache.ensure(bad);
    expect(cache.dueIn(bad)).toBe(4000);
    const good = await cache.ensure(http.issuer);
    expect(good.result.ok).toBe(true);
    expect(cache.dueIn(http.issuer)).toBe(600_000);
  });
});
