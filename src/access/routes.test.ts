import { describe, expect, test } from "bun:test";
import { type Route, type RouteResult, renderHTTPRoute, renderIngress, resolveRoute, routeKey, routeOwner, userLabel } from "./routes.ts";

const mustRoute = (r: RouteResult): Route => {
  if (!r.ok) throw new Error(r.message);
  return r.route;
};
const T = { kode: "my-ide", namespace: "team-a", user: "Alice.Smith@example.com", serviceName: "my-ide", servicePort: 80 };
const labels = { "kode.jacero.io/name": "my-ide" };

describe("resolveRoute", () => {
  test("host routing with the user as a DNS label", () => {
    expect(userLabel("Alice.Smith@example.com")).toBe("alice-smith-example-com");
    expect(resolveRoute({ host: "{kode}-{user}.dev.example.com" }, T)).toEqual({
      ok: true,
      route: { host: "my-ide-alice-smith-example-com.dev.example.com", path: "/", tls: false, url: "http://my-ide-alice-smith-example-com.dev.example.com/" },
    });
  });

  test("path routing with TLS; a missing trailing slash is added", () => {
    expect(resolveRoute({ host: "dev.example.com", path: "/{namespace}/{kode}", tlsSecretName: "dev-tls" }, T)).toEqual({
      ok: true,
      route: { host: "dev.example.com", path: "/team-a/my-ide/", tls: true, url: "https://dev.example.com/team-a/my-ide/" },
    });
  });

  test("patterns producing invalid hostnames or paths are refused with the reason", () => {
    expect(resolveRoute({ host: "{kode}_{user}.example.com" }, T)).toEqual({
      ok: false,
      message: `host "my-ide_alice-smith-example-com.example.com" (from "{kode}_{user}.example.com") is not a valid DNS name: label "my-ide_alice-smith-example-com" must be 1-63 lowercase letters, digits or '-'`,
    });
    expect(resolveRoute({ host: "{kode}-{user}-with-a-very-long-suffix-to-pass-63.example.com" }, T)).toMatchObject({ ok: false });
    expect(resolveRoute({ host: "{kode}" }, T)).toEqual({ ok: false, message: 'host "my-ide" (from "{kode}") needs a domain, e.g. {kode}.dev.example.com' });
    expect(resolveRoute({ host: "{owner}.example.com" }, T)).toEqual({ ok: false, message: "access patterns use unknown placeholders {owner}; use {kode}, {namespace} or {user}" });
    expect(resolveRoute({ host: "dev.example.com", path: "{kode}/" }, T)).toEqual({ ok: false, message: 'path "my-ide/" (from "{kode}/") must start with "/"' });
    expect(resolveRoute({ host: "dev.example.com", path: "/a b/{kode}/" }, T)).toMatchObject({ ok: false });
  });

  test("the later of two Kodes with the same host and path loses", () => {
    const a = resolveRoute({ host: "dev.example.com", path: "/shared/" }, T);
    const b = resolveRoute({ host: "DEV.example.com", path: "/shared" }, { ...T, kode: "other" });
    expect(a.ok && b.ok && routeKey(a.route) === routeKey(b.route)).toBe(true);
    expect(
      routeOwner([
        { namespace: "team-a", name: "other", created: "2026-12-01T10:00:05Z" },
        { namespace: "team-a", name: "my-ide", created: "2026-12-01T10:00:00Z" },
      ])?.name,
    ).toBe("my-ide");
  });
});

describe("route objects", () => {
  const access = { host: "dev.example.com", path: "/{namespace}/{kode}/", tlsSecretName: "dev-tls", ingress: { className: "nginx", annotations: { "x/y": "z" } } };
  const route = mustRoute(resolveRoute(access, T));

  test("an Ingress with TLS, websockets kept open on ingress-nginx", () => {
    expect(renderIngress(access, route, T, { labels })).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: "my-ide",
        namespace: "team-a",
        labels,
        annotations: {
          "nginx.ingress.kubernetes.io/proxy-read-timeout": "86400",
          "nginx.ingress.kubernetes.io/proxy-send-timeout": "86400",
          "nginx.ingress.kubernetes.io/proxy-body-size": "0",
          "x/y": "z",
        },
      },
      spec: {
        ingressClassName: "nginx",
        tls: [{ hosts: ["dev.example.com"], secretName: "dev-tls" }],
        rules: [{ host: "dev.example.com", http: { paths: [{ path: "/team-a/my-ide/", pathType: "Prefix", backend: { service: { name: "my-ide", port: { number: 80 } } } }] } }],
      },
    });
  });

  test("an HTTPRoute without timeouts", () => {
    const gw = { host: "dev.example.com", gateway: { parentRefs: [{ name: "public", namespace: "gateways" }] } };
    const r = mustRoute(resolveRoute(gw, T));
    expect(renderHTTPRoute(gw, r, T, { labels })).toEqual({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "my-ide", namespace: "team-a", labels },
      spec: {
        parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "public", namespace: "gateways" }],
        hostnames: ["dev.example.com"],
        rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: "my-ide", port: 80 }], timeouts: { request: "0s", backendRequest: "0s" } }],
      },
    });
  });
});
