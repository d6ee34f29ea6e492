// Reaching a Kode from a browser, end to end: the operator (as its ServiceAccount, with the shipped RBAC) renders
// one Ingress or HTTPRoute per Kode of a template with access; status.url is the external URL; a second Kode
// with the same host and path is refused with RouteConflict and gets the route once the first one is gone; bad
// patterns fail with a reason and a Warning Event and leave no route. Checked with real kubectl where present.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HTTPROUTES, INGRESSES } from "../src/access/routes.ts";
import { KODES } from "../src/api/resources.ts";
import { NAMESPACES, NETWORK_POLICIES } from "../src/kube/resources.ts";
import { condition, createKode, createNamespace, createTemplate, eventually, getKode, startE2E, waitEvent, waitFailed, waitGone, waitKode, waitRunning, type E2E, type Obj } from "./operator-harness.ts";

let env: E2E;
const ns = "web";
const it = (name: string, fn: () => Promise<void>) => test(name, fn, 120_000);
const CS = { type: "code-server", image: "linuxserver/code-server:latest" };

beforeAll(async () => {
  env = await startE2E({ gc: true, kubeletDelayMs: 30, startOperator: false });
  env.operator.opts.extraArgs = ["--gateway-api"];
  await env.operator.startAndWait();
  await createNamespace(env.client, ns);
  await createTemplate(env.client, "by-host", ns, { ...CS, access: { host: "{kode}-{user}.dev.example.com", ingress: { className: "nginx" }, tlsSecretName: "dev-tls" } });
  await createTemplate(env.client, "shared", ns, { ...CS, access: { host: "dev.example.com", path: "/shared/", gateway: { parentRefs: [{ name: "web", namespace: "gateways" }] } } });
  await createTemplate(env.client, "bad-host", ns, { ...CS, access: { host: "{kode}-{user}-abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz.dev.example.com" } });
}, 90_000);
afterAll(async () => {
  await env?.stop();
}, 30_000);

/** kubectl get … -o json (real kubectl when present, else the API). */
async function kubectlGet(kind: "ingress" | "httproute", name: string): Promise<Obj | undefined> {
  if (env.kubectl) {
    const res = await env.kubectl.run(["get", kind, name, "-n", ns, "-o", "json"]);
    if (res.code !== 0) {
      expect(res.stderr).toContain("NotFound");
      return undefined;
    }
    return JSON.parse(res.stdout) as Obj;
  }
  return env.client.get<Obj>(kind === "ingress" ? INGRESSES : HTTPROUTES, name, ns);
}

describe("routes from a browser", () => {
  it("host routing with TLS: an Ingress to the Service, status.url the https URL, internalURL the Service", async () => {
    await createKode(env.client, "ide", ns, { templateRef: { name: "by-host" }, user: "alice" });
    const kode = await waitRunning(env.client, ns, "ide");
    expect(kode.status.url).toBe("https://ide-alice.dev.example.com/");
    expect(kode.status.internalURL).toBe("http://ide.web.svc.cluster.local");
    const ing = await eventually("the Ingress", () => kubectlGet("ingress", "ide"));
    expect(ing.spec).toEqual({
      ingressClassName: "nginx",
      tls: [{ hosts: ["ide-alice.dev.example.com"], secretName: "dev-tls" }],
      rules: [{ host: "ide-alice.dev.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "ide", port: { number: 80 } } } }] } }],
    });
    expect(ing.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Kode", name: "ide", controller: true });
    if (env.kubectl) {
      const cols = await env.kubectl.run(["get", "kode", "ide", "-n", ns]);
      expect(cols.stdout).toContain("https://ide-alice.dev.example.com/");
    }
  });

  it("the same host and path twice: the later Kode gets RouteConflict and no HTTPRoute, then the route once the first is gone", async () => {
    await createKode(env.client, "first", ns, { templateRef: { name: "shared" }, user: "alice" });
    const first = await waitRunning(env.client, ns, "first");
    expect(first.status.url).toBe("http://dev.example.com/shared/");
    const route = await eventually("the HTTPRoute", () => kubectlGet("httproute", "first"));
    expect(route.spec.rules[0].matches).toEqual([{ path: { type: "PathPrefix", value: "/shared/" } }]);
    // code-server serves at "/": without Envoy the HTTPRoute removes the prefix.
    expect(route.spec.rules[0].filters).toEqual([{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }]);

    // Creation timestamps have one-second resolution: make sure the second is later.
    await Bun.sleep(1100);
    await createKode(env.client, "second", ns, { templateRef: { name: "shared" }, user: "bob" });
    const second = await waitFailed(env.client, ns, "second", "RouteConflict");
    expect(condition(second, "Ready")!.message).toBe(
      "http://dev.example.com/shared/ is already the route of Kode web/first (created earlier); this Kode gets no route until that one is gone or the template's access.host/path tells them apart",
    );
    expect(second.status.url).toBeUndefined();
    await waitEvent(env.client, ns, "second", "Warning", "RouteConflict");
    expect(await kubectlGet("httproute", "second")).toBeUndefined();

    await env.client.delete(KODES, "first", { namespace: ns });
    await waitGone(env.client, KODES, ns, "first", 60_000);
    const freed = await waitRunning(env.client, ns, "second", 60_000);
    expect(freed.status.url).toBe("http://dev.example.com/shared/");
    await eventually("the HTTPRoute of the second Kode", () => kubectlGet("httproute", "second"));
  });

  it("a contested host is freed when the holder's user changes, and a template change that tells them apart routes both", async () => {
    const kodeTemplates = { group: "kode.jacero.io", version: "v1alpha1", plural: "kodetemplates", kind: "KodeTemplate", namespaced: true };
    await createTemplate(env.client, "by-user", ns, { ...CS, access: { host: "{user}.dev.example.com" } });
    await createKode(env.client, "holder", ns, { templateRef: { name: "by-user" }, user: "dana" });
    expect((await waitRunning(env.client, ns, "holder")).status.url).toBe("http://dana.dev.example.com/");
    await Bun.sleep(1100);
    await createKode(env.client, "contender", ns, { templateRef: { name: "by-user" }, user: "dana" });
    await waitFailed(env.client, ns, "contender", "RouteConflict");
    // The holder moves to another user's host: the contender gets dana's.
    await env.client.mergePatch(KODES, "holder", { spec: { user: "erin" } }, { namespace: ns });
    await waitKode(env.client, ns, "holder", "at erin's host", (k) => k.status?.phase === "Running" && k.status?.url === "http://erin.dev.example.com/");
    expect((await waitRunning(env.client, ns, "contender", 60_000)).status.url).toBe("http://dana.dev.example.com/");
    // Both on one host again, then the template gives each Kode its own host.
    await Bun.sleep(1100);
    await createKode(env.client, "third", ns, { templateRef: { name: "by-user" }, user: "dana" });
    expect(condition(await waitFailed(env.client, ns, "third", "RouteConflict"), "Ready")!.message).toContain("already the route of Kode web/contender");
    await env.client.mergePatch(kodeTemplates, "by-user", { spec: { access: { host: "{kode}-{user}.dev.example.com" } } }, { namespace: ns });
    const third = await waitKode(env.client, ns, "third", "Running at its own host", (k) => k.status?.phase === "Running" && k.status?.url === "http://third-dana.dev.example.com/");
    expect(third.status.url).toBe("http://third-dana.dev.example.com/");
    await waitKode(env.client, ns, "contender", "at its own host", (k) => k.status?.url === "http://contender-dana.dev.example.com/");
    await eventually("the Ingress of the third Kode", () => kubectlGet("ingress", "third"));
  });

  it("a pattern producing an invalid host: InvalidRoute, a Warning Event, no route, the operator alive", async () => {
    await createKode(env.client, "oops", ns, { templateRef: { name: "bad-host" }, user: "carol" });
    const kode = await waitFailed(env.client, ns, "oops", "InvalidRoute");
    expect(condition(kode, "Ready")!.message).toBe(
      `host "oops-carol-abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz.dev.example.com" (from "{kode}-{user}-abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz.dev.example.com") is not a valid DNS name: label "oops-carol-abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz" must be 1-63 lowercase letters, digits or '-'; fix the template's access.host or access.path`,
    );
    await waitEvent(env.client, ns, "oops", "Warning", "InvalidRoute");
    expect(await kubectlGet("ingress", "oops")).toBeUndefined();
    expect(env.operator.alive).toBe(true);
    // Fixing the template recovers the Kode.
    const t = await env.client.get<Obj>({ group: "kode.jacero.io", version: "v1alpha1", plural: "kodetemplates", kind: "KodeTemplate", namespaced: true }, "bad-host", ns);
    await env.client.mergePatch({ group: "kode.jacero.io", version: "v1alpha1", plural: "kodetemplates", kind: "KodeTemplate", namespaced: true }, "bad-host", { spec: { access: { ...t!.spec.access, host: "{kode}-{user}.dev.example.com" } } }, { namespace: ns });
    const fixed = await waitKode(env.client, ns, "oops", "Running with a route", (k) => k.status?.phase === "Running" && k.status?.url === "http://oops-carol.dev.example.com/");
    expect(fixed.status.internalURL).toBe("http://oops.web.svc.cluster.local");
    expect((await getKode(env.client, ns, "oops"))!.status.phase).toBe("Running");
  });

  it("isolation: the NetworkPolicy admits only the template's peers on the IDE port, never Kodes", async () => {
    await createTemplate(env.client, "isolated", ns, {
      ...CS,
      access: { host: "{kode}.dev.example.com" },
      networkPolicy: { ingressFrom: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }] },
    });
    await createKode(env.client, "iso", ns, { templateRef: { name: "isolated" }, user: "dana" });
    await waitRunning(env.client, ns, "iso");
    const np = await eventually("the NetworkPolicy", () => env.client.get<Obj>(NETWORK_POLICIES, "iso", ns));
    expect(np.spec.ingress).toEqual([
      {
        ports: [{ protocol: "TCP", port: 8443 }],
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } }, podSelector: { matchExpressions: [{ key: "kode.jacero.io/name", operator: "DoesNotExist" }] } }],
      },
    ]);
  });

  it("a namespace owned by alice admits alice's Kode and refuses bob's with OwnerMismatch", async () => {
    await env.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: "alice-home", labels: { "kode.jacero.io/owner": "alice" } } } as never);
    await createTemplate(env.client, "plain", "alice-home", CS);
    await createKode(env.client, "mine", "alice-home", { templateRef: { name: "plain" }, user: "alice" });
    await createKode(env.client, "intruder", "alice-home", { templateRef: { name: "plain" }, user: "bob" });
    await waitRunning(env.client, "alice-home", "mine");
    const refused = await waitFailed(env.client, "alice-home", "intruder", "OwnerMismatch");
    expect(condition(refused, "Ready")!.message).toBe(
      'namespace alice-home belongs to alice (label kode.jacero.io/owner), but spec.user is "bob"; create the Kode in your own namespace or set spec.user to alice',
    );
    await waitEvent(env.client, "alice-home", "intruder", "Warning", "OwnerMismatch");
    // Relabelling the namespace re-checks its Kodes.
    await env.client.mergePatch(NAMESPACES, "alice-home", { metadata: { labels: { "kode.jacero.io/owner": "bob" } } });
    await waitRunning(env.client, "alice-home", "intruder");
    await waitFailed(env.client, "alice-home", "mine", "OwnerMismatch");
  });
});
