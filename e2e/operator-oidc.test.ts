// OpenID discovery by the operator process, end to end: an EnvoyProxyConfig that names only its issuer (a real
// oidc-provider on loopback, over HTTPS with a private CA given by caSecretRef) becomes Ready with the discovered
// endpoints, and its Kode's sidecar uses them; an unreachable issuer makes the config Ready=False with the HTTP
// error and a Warning Event, and its Kode gets no pod and no route (never an open route without auth).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { INGRESSES } from "../src/access/routes.ts";
import { ENVOY_PROXY_CONFIGS } from "../src/api/resources.ts";
import { generateTlsMaterial } from "../src/apiserver/tls.ts";
import { startProvider, type RunningProvider } from "../src/envoy/oidc-testing.ts";
import { CONFIGMAPS, EVENTS, STATEFULSETS } from "../src/kube/resources.ts";
import { condition, createKode, createNamespace, createSecret, createTemplate, eventually, startE2E, waitFailed, waitRunning, type E2E, type Obj } from "./operator-harness.ts";

let env: E2E;
let idp: RunningProvider;
let closedIssuer: string;
let caPem: string;
const ns = "sso";
const it = (name: string, fn: () => Promise<void>) => test(name, fn, 120_000);

beforeAll(async () => {
  const tls = await generateTlsMaterial({ hosts: ["127.0.0.1"] });
  caPem = tls.caCert;
  idp = await startProvider({ tls, kid: "e2e-key" });
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  closedIssuer = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((r) => closed.close(() => r()));

  env = await startE2E({ gc: true, kubeletDelayMs: 30 });
  await createNamespace(env.client, ns);
  await createSecret(env.client, "idp-ca", ns, { "ca.crt": caPem });
  await createSecret(env.client, "oidc-client", ns, { "client-secret": "kode-client-secret" });
  const oauth2 = (issuer: string, extra: Record<string, unknown> = {}) => ({ authType: "oauth2", oauth2: { issuer, clientId: "kode", clientSecretRef: { name: "oidc-client" }, ...extra } });
  await env.client.create(ENVOY_PROXY_CONFIGS, { apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyConfig", metadata: { name: "idp", namespace: ns }, spec: oauth2(idp.issuer, { caSecretRef: { name: "idp-ca" } }) } as never);
  await env.client.create(ENVOY_PROXY_CONFIGS, { apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyConfig", metadata: { name: "down", namespace: ns }, spec: oauth2(closedIssuer) } as never);
  const tpl = (envoy: string) => ({ type: "code-server", image: "linuxserver/code-server:latest", envoyProxyRef: { name: envoy }, access: { host: "{kode}.dev.example.com", path: "/" } });
  await createTemplate(env.client, "with-idp", ns, tpl("idp"));
  await createTemplate(env.client, "with-down", ns, tpl("down"));
}, 90_000);
afterAll(async () => {
  await env?.stop();
  await idp?.stop();
}, 30_000);

/** The config's Ready condition once it has this status (a CA Secret may reach the cache after the config). */
const configReady = (name: string, status: "True" | "False") => eventually(`EnvoyProxyConfig ${name} to report Ready=${status}`, async () => {
  const c = await env.client.get<Obj>(ENVOY_PROXY_CONFIGS, name, ns);
  const ready = condition(c, "Ready");
  if (ready?.status !== status) throw new Error(`Ready: ${JSON.stringify(ready)}`);
  return ready;
});

describe("OpenID discovery by the operator", () => {
  it("issuer only, private CA: the config is Ready with the discovered endpoints, the sidecar uses them", async () => {
    const ready = await configReady("idp", "True");
    expect(ready).toMatchObject({ status: "True", reason: "Valid", message: `authType oauth2; endpoints discovered from ${idp.issuer} (1 signing keys)` });
    await createKode(env.client, "ws", ns, { templateRef: { name: "with-idp" }, user: "alice" });
    const kode = await waitRunning(env.client, ns, "ws", 60_000);
    expect(kode.status.url).toBe("http://ws.dev.example.com/");
    const cm = await env.client.get<Obj>(CONFIGMAPS, "ws-envoy", ns);
    const bootstrap = cm!.data!["envoy.json"];
    expect(bootstrap).toContain(`"uri": "${idp.issuer}/token"`);
    expect(bootstrap).toContain(`"authorization_endpoint": "${idp.issuer}/auth"`);
    expect(bootstrap).toContain(`"uri": "${idp.issuer}/jwks"`);
    expect(bootstrap).toContain('"filename": "/etc/envoy/auth/oidc-ca.pem"');
    expect(bootstrap).not.toContain("BEGIN CERTIFICATE");
  });

  it("an unreachable issuer: Ready=False with the error and a Warning Event; its Kode gets no pod and no route", async () => {
    const ready = await configReady("down", "False");
    expect(ready.status).toBe("False");
    expect(ready.reason).toBe("IssuerUnreachable");
    expect(ready.message.startsWith(`GET ${closedIssuer}/.well-known/openid-configuration (discovery) failed: `)).toBe(true);
    await eventually("a Warning Event on the config", async () => {
      const events = await env.client.list<Obj>(EVENTS, { namespace: ns, fieldSelector: "involvedObject.kind=EnvoyProxyConfig,involvedObject.name=down" });
      const hit = (events.items as unknown as { type: string; reason: string }[]).find((e) => e.type === "Warning" && e.reason === "IssuerUnreachable");
      if (!hit) throw new Error(JSON.stringify(events.items.map((e) => (e as unknown as { reason: string }).reason)));
      return hit;
    });
    await createKode(env.client, "locked", ns, { templateRef: { name: "with-down" }, user: "bob" });
    const kode = await waitFailed(env.client, ns, "locked", "IssuerUnreachable", 60_000);
    expect(condition(kode, "Ready")!.message.startsWith(`GET ${closedIssuer}/.well-known/openid-configuration (discovery) failed: `)).toBe(true);
    expect(await env.client.get(STATEFULSETS, "locked", ns)).toBeUndefined();
    expect(await env.client.get(INGRESSES, "locked", ns)).toBeUndefined();
    expect(env.operator.alive).toBe(true);
  });
});
