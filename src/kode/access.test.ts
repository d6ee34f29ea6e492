import { describe, expect, test } from "bun:test";
import { routeClaimsIndex } from "../access/claims.ts";
import type { AccessSpec, Kode, KodeTemplateSpec } from "../api/types.ts";
import { validateRender } from "../envoy/testing.ts";
import { renderEnvoy } from "../envoy/render.ts";
import { ownerProblem, resolveKodeAccess, type KodeAccess } from "./access.ts";
import { jupyterFlags } from "./ide/jupyter.ts";
import { renderDocuments } from "./render-command.ts";
import { renderKode, type RenderInput } from "./render.ts";

const kode = (name: string, created = "2026-01-01T00:00:00Z", user = "alice"): Kode => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "Kode",
  metadata: { name, namespace: "dev", uid: `uid-${name}`, generation: 1, creationTimestamp: created, resourceVersion: "1" },
  spec: { templateRef: { kind: "KodeTemplate", name: "tpl" }, user },
});
const tpl = (type: KodeTemplateSpec["type"], access: AccessSpec, extra: Partial<KodeTemplateSpec> = {}): KodeTemplateSpec => ({ type, image: `img/${type}`, access, ...extra });
const input = (k: Kode, spec: KodeTemplateSpec, access: KodeAccess | undefined, over: Partial<RenderInput> = {}): RenderInput => ({
  kode: k,
  template: { kind: "KodeTemplate", name: "tpl", namespace: "dev", spec },
  credentials: { secretName: "x-auth", passwordKey: "password", generated: { username: "alice", password: "pw-0123456789" } },
  rollout: { key: "k", material: "m" },
  access,
  ...over,
});
const must = (r: ReturnType<typeof resolveKodeAccess>): KodeAccess => {
  if (!r.access) throw new Error(r.problem?.message ?? "no access");
  return r.access;
};
const all = { ingress: true, gateway: true };
const basicEnvoy = (k: Kode): RenderInput["envoy"] => ({
  config: { kind: "EnvoyProxyConfig", name: "proxy", namespace: "dev", spec: { authType: "basic" } },
  credentials: { username: k.spec.user!, password: "pw-0123456789" },
});
const routeOf = (r: ReturnType<typeof renderKode>) => r.children.find((c) => c.resource.kind === "Ingress" || c.resource.kind === "HTTPRoute");

describe("route child", () => {
  test("host routing with TLS: one Ingress to the Service on port 80, owned by the Kode, status URL https", () => {
    const spec = tpl("code-server", { host: "{kode}-{user}.dev.example.com", ingress: { className: "nginx" }, tlsSecretName: "wild-tls" });
    const k = kode("ide1");
    const a = must(resolveKodeAccess(k, spec, { envoy: false, available: all }));
    expect(a.route.url).toBe("https://ide1-alice.dev.example.com/");
    const r = renderKode(input(k, spec, a));
    const route = routeOf(r)!;
    expect(route.resource.plural).toBe("ingresses");
    expect(r.children.at(-1)).toBe(route);
    expect(route.object).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: "ide1",
        namespace: "dev",
        labels: {
          "app.kubernetes.io/name": "code-server",
          "app.kubernetes.io/instance": "ide1",
          "app.kubernetes.io/managed-by": "kode-operator",
          "app.kubernetes.io/component": "access",
          "kode.jacero.io/name": "ide1",
        },
        annotations: {
          "nginx.ingress.kubernetes.io/proxy-read-timeout": "86400",
          "nginx.ingress.kubernetes.io/proxy-send-timeout": "86400",
          "nginx.ingress.kubernetes.io/proxy-body-size": "0",
        },
        ownerReferences: [{ apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", name: "ide1", uid: "uid-ide1", controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        ingressClassName: "nginx",
        tls: [{ hosts: ["ide1-alice.dev.example.com"], secretName: "wild-tls" }],
        rules: [{ host: "ide1-alice.dev.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "ide1", port: { number: 80 } } } }] } }],
      },
    } as never);
  });

  test("path routing through a Gateway for code-server without Envoy: the HTTPRoute strips the prefix", () => {
    const spec = tpl("code-server", { host: "dev.example.com", path: "/{namespace}/{kode}/", gateway: { parentRefs: [{ name: "web", namespace: "gw" }] } });
    const k = kode("ide2");
    const a = must(resolveKodeAccess(k, spec, { envoy: false, available: all }));
    expect(a.stripPrefix).toBe(true);
    const route = routeOf(renderKode(input(k, spec, a)))!;
    expect(route.resource.plural).toBe("httproutes");
    expect((route.object as unknown as { spec: unknown }).spec).toEqual({
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "web", namespace: "gw" }],
      hostnames: ["dev.example.com"],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/dev/ide2/" } }],
          filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }],
          backendRefs: [{ name: "ide2", port: 80 }],
          timeouts: { request: "0s", backendRequest: "0s" },
        },
      ],
    });
  });

  test("code-server under a path prefix behind a plain Ingress without Envoy is refused (nothing could strip it)", () => {
    const spec = tpl("code-server", { host: "dev.example.com", path: "/{kode}/" });
    expect(resolveKodeAccess(kode("ide3"), spec, { envoy: false, available: all }).problem?.reason).toBe("PathPrefixNeedsProxy");
    expect(resolveKodeAccess(kode("ide3"), spec, { envoy: true, available: all }).access?.route.path).toBe("/ide3/");
  });

  test("webtop serves below the prefix: SUBFOLDER in the env, the route passes the path through", () => {
    const spec = tpl("webtop", { host: "dev.example.com", path: "/{namespace}/{kode}/", gateway: { parentRefs: [{ name: "web" }] } });
    const k = kode("desk");
    const a = must(resolveKodeAccess(k, spec, { envoy: false, available: all }));
    expect(a.stripPrefix).toBe(false);
    const r = renderKode(input(k, spec, a));
    expect(r.statefulSet.spec.template.spec.containers[0].env.find((e) => e.name === "SUBFOLDER")).toEqual({ name: "SUBFOLDER", value: "/dev/desk/" });
    const rule = (routeOf(r)!.object as unknown as { spec: { rules: Record<string, unknown>[] } }).spec.rules[0];
    expect("filters" in rule).toBe(false);
    // Without path routing, no SUBFOLDER at all.
    const plain = renderKode(input(k, tpl("webtop", { host: "{kode}.example.com" }), must(resolveKodeAccess(k, tpl("webtop", { host: "{kode}.example.com" }), { envoy: false, available: all }))));
    expect(plain.statefulSet.spec.template.spec.containers[0].env.some((e) => e.name === "SUBFOLDER")).toBe(false);
  });

  test("jupyter gets ServerApp.base_url and its HTTP probes move below the prefix", () => {
    const spec = tpl("jupyter", { host: "dev.example.com", path: "/nb/{kode}/", gateway: { parentRefs: [{ name: "web" }] } });
    const k = kode("lab");
    const r = renderKode(input(k, spec, must(resolveKodeAccess(k, spec, { envoy: false, available: all }))));
    const c = r.statefulSet.spec.template.spec.containers[0];
    const ctx = { port: 8888, home: "/home/jovyan", workspacePath: "/home/jovyan/work", puid: 1000, pgid: 100, tz: "UTC", user: "alice", credentials: { secretName: "s", passwordKey: "password" } };
    expect(jupyterFlags({ ...ctx, basePath: "/nb/lab/" }, false)).toContain("--ServerApp.base_url=/nb/lab/");
    expect(jupyterFlags({ ...ctx, basePath: "/" }, false).some((f) => f.startsWith("--ServerApp.base_url"))).toBe(false);
    expect(c.readinessProbe.httpGet?.path).toBe("/nb/lab/api");
    expect(c.livenessProbe?.httpGet?.path).toBe("/nb/lab/api");
  });

  test("Envoy in front of code-server under a prefix: only the prefix reaches the IDE, stripped; '/p' redirects to '/p/'; the bootstrap is valid", () => {
    const spec = tpl("code-server", { host: "dev.example.com", path: "/{kode}/" });
    const k = kode("ide4");
    const a = must(resolveKodeAccess(k, spec, { envoy: true, available: all }));
    const envoy = renderEnvoy({ kode: { name: "ide4", namespace: "dev", user: "alice" }, idePort: 8443, ideType: "code-server", config: basicEnvoy(k)!.config, credentials: basicEnvoy(k)!.credentials, prefix: { basePath: a.route.path, strip: a.stripPrefix } });
    expect(validateRender(envoy)).toEqual([]);
    const listener = (envoy.bootstrap as { static_resources: { listeners: { name: string; filter_chains: { filters: { typed_config: { route_config: { virtual_hosts: { routes: unknown[] }[] } } }[] }[] }[] } }).static_resources.listeners.find((l) => l.name === "ide")!;
    expect(listener.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes).toEqual([
      { match: { path: "/ide4" }, redirect: { path_redirect: "/ide4/" } },
      { match: { prefix: "/ide4/" }, route: { cluster: "ide", timeout: "0s", idle_timeout: "3600s", prefix_rewrite: "/" } },
      { match: { prefix: "/" }, direct_response: { status: 404 } },
    ]);
    // Through renderKode the route itself does not rewrite (Envoy does), and the sidecar is in the pod.
    const r = renderKode(input(k, spec, a, { envoy: basicEnvoy(k) }));
    expect(r.statefulSet.spec.template.spec.containers.map((c) => c.name)).toEqual(["ide", "envoy"]);
    expect(JSON.parse(r.envoyConfigMap!.data["envoy.json"]).static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[1].route.prefix_rewrite).toBe("/");
    expect(routeOf(r)!.resource.plural).toBe("ingresses");
  });

  test("oauth2 under a prefix: callback and signout below the prefix, where the route sends them", () => {
    const config = {
      kind: "EnvoyProxyConfig" as const,
      name: "sso",
      namespace: "dev",
      spec: {
        authType: "oauth2" as const,
        oauth2: { issuer: "https://idp.example.com/realms/dev", authorizationEndpoint: "https://idp.example.com/realms/dev/auth", tokenEndpoint: "https://idp.example.com/realms/dev/token", clientId: "kode", clientSecretRef: { name: "sso" } },
      },
    };
    const envoy = renderEnvoy({ kode: { name: "ide5", namespace: "dev", user: "alice" }, idePort: 8443, ideType: "code-server", config, oauth2: { clientSecret: "cs", hmacSecret: "hm" }, prefix: { basePath: "/dev/ide5/", strip: true } });
    expect(validateRender(envoy)).toEqual([]);
    const text = JSON.stringify(envoy.bootstrap);
    expect(text).toContain('"redirect_uri":"%REQ(x-forwarded-proto)%://%REQ(:authority)%/dev/ide5/oauth2/callback"');
    expect(text).toContain('"signout_path":{"path":{"exact":"/dev/ide5/oauth2/signout"}}');
  });
});

describe("bad access input", () => {
  test("patterns producing an invalid host: InvalidRoute with the reason", () => {
    const r = resolveKodeAccess(kode("ide6", undefined, "bob"), tpl("code-server", { host: "{kode}_{user}.example.com" }), { envoy: false, available: all });
    expect(r).toEqual({
      problem: {
        reason: "InvalidRoute",
        message: `host "ide6_bob.example.com" (from "{kode}_{user}.example.com") is not a valid DNS name: label "ide6_bob" must be 1-63 lowercase letters, digits or '-'; fix the template's access.host or access.path`,
      },
    });
  });
  test("both ingress and gateway, or a kind the operator does not manage", () => {
    expect(resolveKodeAccess(kode("a"), tpl("code-server", { host: "a.example.com", ingress: {}, gateway: { parentRefs: [{ name: "g" }] } }), { envoy: false }).problem?.reason).toBe("InvalidAccess");
    expect(resolveKodeAccess(kode("a"), tpl("code-server", { host: "a.example.com", gateway: { parentRefs: [{ name: "g" }] } }), { envoy: false, available: { ingress: true, gateway: false } }).problem?.reason).toBe("RouteKindUnavailable");
  });
});

describe("route conflicts", () => {
  const access: AccessSpec = { host: "dev.example.com", path: "/shared/" };
  const spec = tpl("code-server", access, {});
  const older = kode("first", "2026-01-01T00:00:00Z");
  const later = kode("second", "2026-01-02T00:00:00Z");
  const claims = routeClaimsIndex("abc");
  claims.set(older, access);
  claims.set(later, access);

  test("the later Kode gets RouteConflict naming the older one, and renders no route", () => {
    expect(must(resolveKodeAccess(older, spec, { envoy: true, claims, available: all })).conflict).toBeUndefined();
    const a = must(resolveKodeAccess(later, spec, { envoy: true, claims, available: all }));
    expect(a.conflict).toEqual({
      reason: "RouteConflict",
      message: "http://dev.example.com/shared/ is already the route of Kode dev/first (created earlier); this Kode gets no route until that one is gone or the template's access.host/path tells them apart",
    });
    const r = renderKode(input(later, spec, a, { envoy: basicEnvoy(later) }));
    expect(routeOf(r)).toBeUndefined();
    expect(r.children.map((c) => c.resource.kind)).toContain("StatefulSet");
  });

  test("the claims' version changes when a claimant comes, goes or is re-created, not when one is written", () => {
    const c = routeClaimsIndex("abc");
    const route = "dev.example.com/shared/";
    c.set(older, access);
    expect(c.get(undefined, route)?.metadata.resourceVersion).toBe("dev/first@uid-first");
    c.set(later, access);
    expect(c.get(undefined, route)?.metadata.resourceVersion).toBe("dev/first@uid-first,dev/second@uid-second");
    // A status write: a new resourceVersion, the same claim.
    c.set({ ...older, metadata: { ...older.metadata, resourceVersion: "7" } }, access);
    expect(c.get(undefined, route)?.metadata.resourceVersion).toBe("dev/first@uid-first,dev/second@uid-second");
    // Deleted and created again under the same name: a new uid, a later creation.
    c.remove("dev", "first");
    expect(c.get(undefined, route)?.metadata.resourceVersion).toBe("dev/second@uid-second");
    c.set({ ...older, metadata: { ...older.metadata, uid: "uid-first-again", creationTimestamp: "2026-01-03T00:00:00Z" } }, access);
    expect(c.get(undefined, route)?.metadata.resourceVersion).toBe("dev/first@uid-first-again,dev/second@uid-second");
    expect(c.get(undefined, route)?.claims.map((x) => x.created).sort()).toEqual(["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]);
    expect(c.get(undefined, "other.example.com/")).toBeUndefined();
  });

  test("a Kode whose route changes (another user, a template without access) leaves its old claim", () => {
    const c = routeClaimsIndex("abc");
    const perUser: AccessSpec = { host: "{user}.example.com" };
    c.set(kode("a", "2026-01-01T00:00:00Z", "alice"), perUser);
    c.set(kode("b", "2026-01-02T00:00:00Z", "bob"), perUser);
    expect(c.get(undefined, "alice.example.com/")?.metadata.resourceVersion).toBe("dev/a@uid-a");
    // b's user becomes alice: b now contests alice's host and has left bob's.
    c.set(kode("b", "2026-01-02T00:00:00Z", "alice"), perUser);
    expect(c.get(undefined, "alice.example.com/")?.metadata.resourceVersion).toBe("dev/a@uid-a,dev/b@uid-b");
    expect(c.get(undefined, "bob.example.com/")).toBeUndefined();
    const b = must(resolveKodeAccess(kode("b", "2026-01-02T00:00:00Z", "alice"), tpl("code-server", perUser), { envoy: false, claims: c, available: all }));
    expect(b.conflict?.message).toContain("already the route of Kode dev/a");
    // a's template loses its access section: the host is b's alone.
    c.set(kode("a", "2026-01-01T00:00:00Z", "alice"), undefined);
    expect(c.get(undefined, "alice.example.com/")?.metadata.resourceVersion).toBe("dev/b@uid-b");
    expect(must(resolveKodeAccess(kode("b", "2026-01-02T00:00:00Z", "alice"), tpl("code-server", perUser), { envoy: false, claims: c, available: all })).conflict).toBeUndefined();
  });
});

describe("isolation", () => {
  const peers = [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx" } } }];
  test("without Envoy: only the IDE port, only from the named peers, never from a Kode", () => {
    const spec = tpl("code-server", { host: "{kode}.example.com" }, { networkPolicy: { ingressFrom: [...peers, {}] } });
    const r = renderKode(input(kode("iso"), spec, undefined));
    expect(r.children.find((c) => c.resource.kind === "NetworkPolicy")?.object.spec).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/instance": "iso", "kode.jacero.io/name": "iso" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          ports: [{ protocol: "TCP", port: 8443 }],
          from: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } },
              podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx" }, matchExpressions: [{ key: "kode.jacero.io/name", operator: "DoesNotExist" }] },
            },
            { podSelector: { matchExpressions: [{ key: "kode.jacero.io/name", operator: "DoesNotExist" }] } },
          ],
        },
      ],
    });
  });
  test("with Envoy: Envoy's public port only (the sidecar's open policy is replaced)", () => {
    const spec = tpl("code-server", { host: "{kode}.example.com" }, { networkPolicy: { ingressFrom: peers } });
    const k = kode("iso2");
    const r = renderKode(input(k, spec, undefined, { envoy: basicEnvoy(k) }));
    const np = r.children.filter((c) => c.resource.kind === "NetworkPolicy");
    expect(np.length).toBe(1);
    expect((np[0].object.spec as { ingress: { ports: unknown }[] }).ingress[0].ports).toEqual([{ protocol: "TCP", port: 10080 }]);
  });
  test("a namespace labelled with an owner admits only that owner's Kodes", () => {
    const home = { metadata: { labels: { "kode.jacero.io/owner": "alice" } } };
    expect(ownerProblem(kode("a", undefined, "alice"), home)).toBeUndefined();
    expect(ownerProblem(kode("b", undefined, "bob"), home)).toEqual({
      reason: "OwnerMismatch",
      message: 'namespace dev belongs to alice (label kode.jacero.io/owner), but spec.user is "bob"; create the Kode in your own namespace or set spec.user to alice',
    });
    expect(ownerProblem(kode("c", undefined, "bob"), { metadata: {} })).toBeUndefined();
  });
});

describe("kode render", () => {
  const docs = (oauth2: Record<string, unknown>) =>
    [
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyConfig", metadata: { name: "sso", namespace: "dev" }, spec: { authType: "oauth2", oauth2: { issuer: "https://idp.example.com", clientId: "kode", clientSecretRef: { name: "sso" }, ...oauth2 } } },
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "KodeTemplate", metadata: { name: "tpl", namespace: "dev" }, spec: { type: "code-server", image: "img", envoyProxyRef: { name: "sso" }, access: { host: "{kode}.example.com" } } },
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name: "ws", namespace: "dev" }, spec: { templateRef: { name: "tpl" }, user: "alice" } },
    ] as never;
  test("an issuer-only oauth2 config renders nothing offline (never a route without its auth)", () => {
    const r = renderDocuments(docs({}));
    expect(r.yaml).toBe("");
    expect(r.problems).toEqual([
      "Kode ws: IssuerNotDiscovered: the oauth2 endpoints come from the discovery of https://idp.example.com, which only the operator reads; set authorizationEndpoint and tokenEndpoint to render offline",
    ]);
  });
  test("with the endpoints given, the route is rendered with the sidecar", () => {
    const r = renderDocuments(docs({ authorizationEndpoint: "https://idp.example.com/auth", tokenEndpoint: "https://idp.example.com/token" }));
    expect(r.yaml).toContain("kind: Ingress");
    expect(r.yaml).toContain("host: ws.example.com");
  });
});
