// End-to-end: the Envoy sidecar. The `kode operator` command (a child process) against the embedded API server (GC
// and kubelet simulation on), driven with real kubectl where present. Covers the seed's Scenario 2 (basic auth), the
// stored bootstrap checked against Envoy's protos and load-time rules, switching a template between basic, oauth2,
// none and no proxy, password rotation, a deleted OAuth2 client Secret, invalid configs, the namespace rule for
// EnvoyProxyConfig, and that no secret reaches anything the API server stored (besides Secret data) or the log.
//
// Everything polls observable state with a deadline; nothing sleeps.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { ENVOY_PROXY_CLUSTER_CONFIGS, ENVOY_PROXY_CONFIGS, KODE_TEMPLATES, KODES } from "../src/api/resources.ts";
import { HMAC_SECRET_KEY, IMAGE_FILES, readSdsSecretValue, TOKEN_SECRET_KEY } from "../src/envoy/render.ts";
import { checkLoadTime, validateBootstrap, validateSdsFile, type ProtoIssue } from "../src/envoy/validate-proto.ts";
import { CONFIGMAPS, EVENTS, NETWORK_POLICIES, SECRETS, SERVICES, STATEFULSETS } from "../src/kube/resources.ts";
import type { ResourceRef } from "../src/kube/types.ts";
import {
  b64decode,
  condition,
  createKode,
  createNamespace,
  createSecret,
  createTemplate,
  eventually,
  operatorMode,
  REPO_ROOT,
  startE2E,
  waitEvent,
  waitFailed,
  waitGone,
  waitKode,
  waitRunning,
  type E2E,
  type Obj,
} from "./operator-harness.ts";

type J = Record<string, any>;
let env: E2E;
const it = (name: string, fn: () => Promise<void>) => test(name, fn, 60_000);
const SAMPLES = join(REPO_ROOT, "manifests", "samples");
const API_VERSION = "kode.jacero.io/v1alpha1";
const CODE_SERVER = { type: "code-server", image: "linuxserver/code-server:latest" };

// ---------------------------------------------------------------- secrets to look for at the end

/** Every plaintext secret the suite uses or the operator generated; none may leak outside Secret data. */
const secrets = new Set<string>();
/** Everything the API server stored (every write, via its store), for the leak scan. */
const stored: { resource: string; object: J }[] = [];
/** The operator's log lines (collected after each test: the harness keeps a bounded tail). */
const logLines = new Set<string>();
let unsubscribe: (() => void) | undefined;

beforeAll(async () => {
  env = await startE2E({ gc: true, kubeletDelayMs: 50, startOperator: false });
  unsubscribe = env.server.state.store.subscribe((e) => stored.push({ resource: e.resource, object: structuredClone(e.object) as J }));
  // Debug logging: the leak scan covers the most the operator ever logs.
  env.operator.opts.extraArgs = ["--log-level", "debug"];
  await env.operator.startAndWait();
  for (const ns of ["modes", "rotate", "oidc", "bad", "ns-a", "ns-b"]) await createNamespace(env.client, ns);
}, 120_000);

afterEach(() => {
  for (const l of env?.operator.logs() ?? []) logLines.add(l);
});

afterAll(async () => {
  unsubscribe?.();
  await env?.stop();
}, 30_000);

// ---------------------------------------------------------------- helpers

async function kubectl(args: string[], stdin?: string) {
  const res = await env.kubectl!.run(args, stdin === undefined ? {} : { stdin });
  if (res.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${res.code}:\n${res.out}`);
  return res.stdout;
}

const refOf = (kind: string): ResourceRef =>
  (({ EnvoyProxyConfig: ENVOY_PROXY_CONFIGS, EnvoyProxyClusterConfig: ENVOY_PROXY_CLUSTER_CONFIGS, KodeTemplate: KODE_TEMPLATES, Kode: KODES }) as Record<string, ResourceRef>)[kind]!;

/** kubectl apply -f - (or a create through the API without kubectl). */
async function apply(obj: J) {
  if (env.kubectl) return kubectl(["apply", "-f", "-"], JSON.stringify(obj));
  await env.client.create(refOf(obj.kind), obj as never);
}

/** kubectl patch --type merge (or the same merge patch through the API). */
async function patch(kind: string, name: string, ns: string | undefined, body: J) {
  if (env.kubectl) return kubectl(["patch", kind.toLowerCase(), name, ...(ns ? ["-n", ns] : []), "--type", "merge", "-p", JSON.stringify(body)]);
  await env.client.mergePatch(refOf(kind), name, body, { namespace: ns });
}

const envoyConfig = (name: string, ns: string | undefined, spec: J) => ({
  apiVersion: API_VERSION,
  kind: ns ? "EnvoyProxyConfig" : "EnvoyProxyClusterConfig",
  metadata: ns ? { name, namespace: ns } : { name },
  spec,
});

const oauth2Spec = (clientSecret: string) => ({
  authType: "oauth2",
  oauth2: {
    issuer: "https://keycloak.example.com/realms/dev",
    authorizationEndpoint: "https://keycloak.example.com/realms/dev/protocol/openid-connect/auth",
    tokenEndpoint: "https://keycloak.example.com/realms/dev/protocol/openid-connect/token",
    clientId: "kode",
    clientSecretRef: { name: clientSecret },
  },
});

const sts = (ns: string, name: string) => env.client.get<Obj>(STATEFULSETS, name, ns);
const cm = (ns: string, kode: string) => env.client.get<Obj>(CONFIGMAPS, `${kode}-envoy`, ns);
const envoySecret = (ns: string, kode: string) => env.client.get<Obj>(SECRETS, `${kode}-envoy-auth`, ns);
const netpol = (ns: string, kode: string) => env.client.get<Obj>(NETWORK_POLICIES, kode, ns);
const checksumOf = (s: Obj | undefined) => s?.spec?.template?.metadata?.annotations?.["kode.jacero.io/config-checksum"] as string | undefined;
const containers = (s: Obj | undefined) => (s?.spec?.template?.spec?.containers ?? []) as J[];
const container = (s: Obj | undefined, name: string) => containers(s).find((c) => c.name === name);
const bootstrapOf = (c: Obj | undefined) => JSON.parse(c!.data!["envoy.json"]!) as J;
const publicFilters = (b: J) => (b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters as J[]).map((f) => f.name as string);
const sha = (password: string) => `{SHA}${createHash("sha1").update(password).digest("base64")}`;
const decodeAll = (d: Record<string, string> | undefined) => Object.fromEntries(Object.entries(d ?? {}).map(([k, v]) => [k, b64decode(v)!]));

/** The proto validation and the load-time checks of the bootstrap as stored, with the files the pod really mounts. */
async function storedBootstrapIssues(ns: string, kode: string): Promise<ProtoIssue[]> {
  const [s, c, sec] = await Promise.all([sts(ns, kode), cm(ns, kode), envoySecret(ns, kode)]);
  const bootstrap = bootstrapOf(c);
  const envoy = container(s, "envoy")!;
  const volumes: Record<string, Record<string, string>> = {};
  for (const v of s!.spec.template.spec.volumes as J[]) {
    if (v.configMap) volumes[v.name] = v.configMap.name === c!.metadata.name ? (c!.data as Record<string, string>) : {};
    if (v.secret) volumes[v.name] = sec && v.secret.secretName === sec.metadata.name ? decodeAll(sec.data) : {};
  }
  const issues = [...validateBootstrap(bootstrap), ...checkLoadTime(bootstrap, { volumeMounts: envoy.volumeMounts, volumes, imageFiles: IMAGE_FILES })];
  for (const [key, text] of Object.entries(decodeAll(sec?.data)))
    if (key.endsWith(".json")) issues.push(...validateSdsFile(JSON.parse(text)).map((i) => ({ ...i, path: `${key}: ${i.path}` })));
  return issues;
}

/** Wait until the Kode's StatefulSet checksum differs from `before` and `pred` holds for the stored children. */
async function waitRolled(ns: string, kode: string, before: string | undefined, what: string, pred: (s: Obj, c: Obj | undefined) => boolean = () => true) {
  return eventually(`${ns}/${kode}: ${what}`, async () => {
    const [s, c] = await Promise.all([sts(ns, kode), cm(ns, kode)]);
    if (!s || checksumOf(s) === before || !pred(s, c)) return undefined;
    const k = await env.client.get<Obj>(KODES, kode, ns);
    return condition(k, "Ready")?.status === "True" ? s : undefined;
  });
}

/** Events about any object (kind, name), across namespaces. */
async function eventsAbout(kind: string, name: string) {
  return (await env.client.list<Obj>(EVENTS, { fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` })).items as unknown as { type: string; reason: string; message: string }[];
}
const waitObjectEvent = (kind: string, name: string, type: string, reason: string) =>
  eventually(`a ${type} Event ${reason} on ${kind} ${name}`, async () => (await eventsAbout(kind, name)).find((e) => e.type === type && e.reason === reason));

const configReady = (ref: ResourceRef, name: string, ns: string | undefined, status: string, reason?: string) =>
  eventually(`${ref.kind} ${name}: Ready=${status}${reason ? `/${reason}` : ""}`, async () => {
    const c = await env.client.get<Obj>(ref, name, ns);
    const ready = condition(c, "Ready");
    return ready?.status === status && (!reason || ready.reason === reason) && c?.status?.observedGeneration === c?.metadata.generation ? c : undefined;
  });

/** Record a Kode's htpasswd hash and, for oauth2, the HMAC key and client secret as secrets to scan for. */
async function rememberSidecarSecrets(ns: string, kode: string) {
  const files = decodeAll((await envoySecret(ns, kode))?.data);
  for (const line of (files.htpasswd ?? "").split("\n").filter(Boolean)) secrets.add(line.slice(line.indexOf(":") + 1));
  for (const key of [HMAC_SECRET_KEY, TOKEN_SECRET_KEY]) {
    const v = readSdsSecretValue(files[key]);
    if (v) secrets.add(v);
  }
}

// ---------------------------------------------------------------- Scenario 2

describe(`Envoy sidecar (${operatorMode()}; ${Bun.which("kubectl") ? "real kubectl" : "no kubectl on PATH: through the API"})`, () => {
  it("Scenario 2 applied as written: Ready, Envoy in front of a loopback IDE, Service → Envoy, NetworkPolicy, locked-down sidecar", async () => {
    const files = ["scenario2_envoyproxyclusterconfig.yaml", "scenario2_kodetemplate.yaml", "scenario2_kode.yaml"].map((f) => join(SAMPLES, f));
    secrets.add("devpassword");
    if (env.kubectl) {
      const out = await kubectl(["apply", "-n", "default", ...files.flatMap((f) => ["-f", f])]);
      expect(out).toContain("envoyproxyclusterconfig.kode.jacero.io/basic-auth-proxy created");
      expect(out).toContain("kode.kode.jacero.io/secure-code-server created");
      const wait = await env.kubectl.run(["wait", "-n", "default", "--for=condition=Ready", "kode/secure-code-server", "--timeout=30s"], { noRequestTimeout: true });
      expect(wait.code, wait.out).toBe(0);
    } else
      for (const f of files) {
        const obj = Bun.YAML.parse(await Bun.file(f).text()) as J;
        if (obj.kind !== "EnvoyProxyClusterConfig") obj.metadata.namespace = "default";
        await apply(obj);
      }

    const kode = await waitRunning(env.client, "default", "secure-code-server");
    expect(kode.status.credentialsSecret).toBe("secure-code-server-auth");
    await configReady(ENVOY_PROXY_CLUSTER_CONFIGS, "basic-auth-proxy", undefined, "True", "Valid");

    const s = (await sts("default", "secure-code-server"))!;
    const pod = s.spec.template.spec;
    expect(containers(s).map((c) => c.name)).toEqual(["ide", "envoy"]);
    expect(pod.initContainers).toBeUndefined();
    const ide = container(s, "ide")!;
    const envoy = container(s, "envoy")!;

    // The Service targets "http", which is Envoy's public port, never the IDE's.
    const svc = (await env.client.get<Obj>(SERVICES, "secure-code-server", "default"))!;
    expect(svc.spec.ports.map((p: J) => p.targetPort)).toEqual(["http"]);
    const httpPort = envoy.ports.find((p: J) => p.name === "http");
    expect(httpPort.containerPort).toBe(10080);
    expect(ide.ports.map((p: J) => p.name)).toEqual(["ide"]);
    expect(ide.ports[0].containerPort).toBe(8443);
    expect(containers(s).filter((c) => c.ports?.some((p: J) => p.name === "http")).map((c) => c.name)).toEqual(["envoy"]);

    // NetworkPolicy <kode>: ingress only to Envoy's public and health ports, for this Kode's pod.
    const np = (await netpol("default", "secure-code-server"))!;
    const healthPort = envoy.ports.find((p: J) => p.name === "envoy-health").containerPort;
    expect(np.spec.podSelector.matchLabels).toEqual(s.spec.selector.matchLabels);
    expect(np.spec.policyTypes).toEqual(["Ingress"]);
    expect(np.spec.ingress.flatMap((r: J) => r.ports.map((p: J) => p.port)).sort()).toEqual([httpPort.containerPort, healthPort].sort());
    expect(np.spec.ingress.flatMap((r: J) => r.ports.map((p: J) => p.port))).not.toContain(8443);
    expect(np.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Kode", uid: kode.metadata.uid, controller: true });

    // code-server on loopback with its own password off (Envoy is the front door).
    expect(ide.env).toContainEqual({ name: "CODE_SERVER_HOST", value: "127.0.0.1" });
    expect(ide.env.map((e: J) => e.name)).not.toContain("PASSWORD");
    expect(ide.env.map((e: J) => e.name)).not.toContain("HASHED_PASSWORD");

    // Envoy: non-root, read-only root filesystem, nothing added, no privilege.
    const sc = envoy.securityContext;
    expect(sc.runAsNonRoot).toBe(true);
    expect(sc.runAsUser).toBeGreaterThan(0);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.privileged ?? false).toBe(false);
    expect(sc.capabilities?.add ?? []).toEqual([]);
    for (const c of containers(s)) expect(c.securityContext?.capabilities?.add ?? []).toEqual([]);
  });

  it("the stored bootstrap passes Envoy's proto validation and load-time checks; htpasswd is {SHA} of the Kode's password", async () => {
    expect(await storedBootstrapIssues("default", "secure-code-server")).toEqual([]);
    const b = bootstrapOf(await cm("default", "secure-code-server"));
    expect(publicFilters(b)).toContain("kode.basic_auth");
    expect(publicFilters(b).at(-1)).toBe("envoy.filters.http.router");
    const files = decodeAll((await envoySecret("default", "secure-code-server"))!.data);
    expect(Object.keys(files)).toEqual(["htpasswd"]);
    expect(files.htpasswd!.trim()).toBe(`devuser:${sha("devpassword")}`);
    await rememberSidecarSecrets("default", "secure-code-server");
  });

  // ---------------------------------------------------------------- switching modes

  it("switching the template between basic, oauth2 and none rolls the pod each time; removing envoyProxyRef removes the sidecar", async () => {
    const ns = "modes";
    const CLIENT_SECRET = "oauth2-client-secret-Vq83nL2w";
    secrets.add(CLIENT_SECRET);
    await createSecret(env.client, "kc", ns, { "client-secret": CLIENT_SECRET });
    for (const [name, spec] of [["p-basic", { authType: "basic" }], ["p-oauth2", oauth2Spec("kc")], ["p-none", { authType: "none" }]] as const)
      await apply(envoyConfig(name, ns, spec));
    await apply({ apiVersion: API_VERSION, kind: "KodeTemplate", metadata: { name: "t", namespace: ns }, spec: { ...CODE_SERVER, envoyProxyRef: { kind: "EnvoyProxyConfig", name: "p-basic" } } });
    await createKode(env.client, "m", ns, { templateRef: { name: "t" }, user: "alice" });
    await waitRunning(env.client, ns, "m");
    const generated = b64decode((await env.client.get<Obj>(SECRETS, "m-auth", ns))!.data!.password)!;
    secrets.add(generated);

    // basic
    let s = (await sts(ns, "m"))!;
    expect(publicFilters(bootstrapOf(await cm(ns, "m")))).toContain("kode.basic_auth");
    expect(decodeAll((await envoySecret(ns, "m"))!.data).htpasswd!.trim()).toBe(`alice:${sha(generated)}`);
    expect(await storedBootstrapIssues(ns, "m")).toEqual([]);
    await rememberSidecarSecrets(ns, "m");
    const seen = [checksumOf(s)];

    // → oauth2
    await patch("KodeTemplate", "t", ns, { spec: { envoyProxyRef: { name: "p-oauth2" } } });
    s = await waitRolled(ns, "m", seen.at(-1), "oauth2 filters", (_, c) => !!c && publicFilters(bootstrapOf(c)).includes("kode.oauth2"));
    seen.push(checksumOf(s));
    const oauthFilters = publicFilters(bootstrapOf(await cm(ns, "m")));
    expect(oauthFilters).toEqual(expect.arrayContaining(["kode.oauth2", "envoy.filters.http.jwt_authn", "kode.rbac"]));
    expect(oauthFilters).not.toContain("kode.basic_auth");
    const oauthFiles = decodeAll((await envoySecret(ns, "m"))!.data);
    expect(Object.keys(oauthFiles).sort()).toEqual([HMAC_SECRET_KEY, TOKEN_SECRET_KEY].sort());
    expect(readSdsSecretValue(oauthFiles[TOKEN_SECRET_KEY])).toBe(CLIENT_SECRET);
    expect(readSdsSecretValue(oauthFiles[HMAC_SECRET_KEY])?.length).toBeGreaterThan(20);
    expect(container(s, "ide")!.env.map((e: J) => e.name)).not.toContain("PASSWORD");
    expect(await storedBootstrapIssues(ns, "m")).toEqual([]);
    await rememberSidecarSecrets(ns, "m");

    // → none: no auth filter, the sidecar Secret removed, the IDE's own password back on.
    await patch("KodeTemplate", "t", ns, { spec: { envoyProxyRef: { name: "p-none" } } });
    s = await waitRolled(ns, "m", seen.at(-1), "no auth filters", (_, c) => !!c && !publicFilters(bootstrapOf(c)).includes("kode.oauth2"));
    seen.push(checksumOf(s));
    const noneFilters = publicFilters(bootstrapOf(await cm(ns, "m")));
    for (const f of ["kode.basic_auth", "kode.oauth2", "envoy.filters.http.jwt_authn", "kode.rbac"]) expect(noneFilters).not.toContain(f);
    await waitGone(env.client, SECRETS, ns, "m-envoy-auth");
    expect(containers(s).map((c) => c.name)).toEqual(["ide", "envoy"]);
    expect(s.spec.template.spec.volumes.some((v: J) => v.secret?.secretName === "m-envoy-auth")).toBe(false);
    expect(container(s, "ide")!.env.find((e: J) => e.name === "PASSWORD")).toEqual({ name: "PASSWORD", valueFrom: { secretKeyRef: { name: "m-auth", key: "password" } } });
    expect(await storedBootstrapIssues(ns, "m")).toEqual([]);

    // → basic again.
    await patch("KodeTemplate", "t", ns, { spec: { envoyProxyRef: { name: "p-basic" } } });
    s = await waitRolled(ns, "m", seen.at(-1), "basic_auth again", (_, c) => !!c && publicFilters(bootstrapOf(c)).includes("kode.basic_auth"));
    seen.push(checksumOf(s));
    await eventually("m-envoy-auth recreated with the htpasswd", async () => decodeAll((await envoySecret(ns, "m"))?.data).htpasswd?.trim() === `alice:${sha(generated)}`);
    // basic → oauth2 → none → basic: every switch rolled the pod; the same inputs give the same checksum again.
    expect(new Set(seen.slice(0, 3)).size).toBe(3);
    expect(seen[3]).toBe(seen[0]);

    // envoyProxyRef off: the sidecar, its ConfigMap, Secret and NetworkPolicy go; the IDE takes "http" back.
    await patch("KodeTemplate", "t", ns, { spec: { envoyProxyRef: null } });
    s = await waitRolled(ns, "m", seen.at(-1), "no sidecar", (x) => containers(x).length === 1);
    expect(containers(s).map((c) => c.name)).toEqual(["ide"]);
    expect(container(s, "ide")!.ports.map((p: J) => p.name)).toEqual(["http"]);
    expect(container(s, "ide")!.env.map((e: J) => e.name)).not.toContain("CODE_SERVER_HOST");
    await waitGone(env.client, CONFIGMAPS, ns, "m-envoy");
    await waitGone(env.client, NETWORK_POLICIES, ns, "m");
    await waitGone(env.client, SECRETS, ns, "m-envoy-auth");
    await waitRunning(env.client, ns, "m");
  });

  // ---------------------------------------------------------------- rotation

  it("rotating the password (spec.password or the existingSecret) changes the htpasswd and rolls the pod", async () => {
    const ns = "rotate";
    await apply(envoyConfig("rotate-basic", undefined, { authType: "basic" }));
    await createTemplate(env.client, "rt", ns, { ...CODE_SERVER, envoyProxyRef: { kind: "EnvoyProxyClusterConfig", name: "rotate-basic" } });
    const [p1, p2, e1, e2] = ["spec-pass-One-1111", "spec-pass-Two-2222", "existing-pass-AAAA", "existing-pass-BBBB"];
    for (const p of [p1, p2, e1, e2]) secrets.add(p);
    await createSecret(env.client, "r2-creds", ns, { username: "carol", password: e1 });
    await createKode(env.client, "r1", ns, { templateRef: { name: "rt" }, user: "bob", password: p1 });
    await createKode(env.client, "r2", ns, { templateRef: { name: "rt" }, existingSecret: "r2-creds" });
    await Promise.all([waitRunning(env.client, ns, "r1"), waitRunning(env.client, ns, "r2")]);
    const htpasswd = async (k: string) => decodeAll((await envoySecret(ns, k))?.data).htpasswd?.trim();
    expect(await htpasswd("r1")).toBe(`bob:${sha(p1)}`);
    expect(await htpasswd("r2")).toBe(`carol:${sha(e1)}`);
    await rememberSidecarSecrets(ns, "r1");
    await rememberSidecarSecrets(ns, "r2");
    const [c1, c2] = [checksumOf(await sts(ns, "r1")), checksumOf(await sts(ns, "r2"))];

    await patch("Kode", "r1", ns, { spec: { password: p2 } });
    await env.client.mergePatch(SECRETS, "r2-creds", { data: { password: Buffer.from(e2).toString("base64") } }, { namespace: ns });
    await waitRolled(ns, "r1", c1, "r1 rolled after spec.password changed");
    await waitRolled(ns, "r2", c2, "r2 rolled after its existingSecret changed");
    await eventually("r1's htpasswd has the new password", async () => (await htpasswd("r1")) === `bob:${sha(p2)}`);
    await eventually("r2's htpasswd has the new password", async () => (await htpasswd("r2")) === `carol:${sha(e2)}`);
    await rememberSidecarSecrets(ns, "r1");
    await rememberSidecarSecrets(ns, "r2");
    expect(await storedBootstrapIssues(ns, "r2")).toEqual([]);
  });

  // ---------------------------------------------------------------- deleted client Secret

  it("deleting the OAuth2 client Secret: Ready=False/SecretNotFound, the running StatefulSet untouched; recreating it recovers", async () => {
    const ns = "oidc";
    const [first, second] = ["oidc-client-secret-First-77", "oidc-client-secret-Second-88"];
    secrets.add(first);
    secrets.add(second);
    await apply(envoyConfig("oidc-proxy", undefined, oauth2Spec("oidc-client")));
    await createSecret(env.client, "oidc-client", ns, { "client-secret": first });
    await createTemplate(env.client, "ot", ns, { ...CODE_SERVER, envoyProxyRef: { kind: "EnvoyProxyClusterConfig", name: "oidc-proxy" } });
    await createKode(env.client, "o1", ns, { templateRef: { name: "ot" }, user: "dave" });
    await waitRunning(env.client, ns, "o1");
    await rememberSidecarSecrets(ns, "o1");
    const before = (await sts(ns, "o1"))!;
    const cmBefore = (await cm(ns, "o1"))!;

    await env.client.delete(SECRETS, "oidc-client", { namespace: ns });
    const failed = await waitFailed(env.client, ns, "o1", "SecretNotFound");
    expect(condition(failed, "Ready")!.message).toContain("oidc-client");
    await waitEvent(env.client, ns, "o1", "Warning", "SecretNotFound");
    // Never a fallback to "no auth": the StatefulSet, its bootstrap and the sidecar Secret are left as they were.
    const after = (await sts(ns, "o1"))!;
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec.template).toEqual(before.spec.template);
    expect((await cm(ns, "o1"))!.data).toEqual(cmBefore.data);
    expect(await envoySecret(ns, "o1")).toBeDefined();

    await createSecret(env.client, "oidc-client", ns, { "client-secret": second });
    await waitRunning(env.client, ns, "o1");
    // The new client secret reaches Envoy's watched SDS file (no roll needed); the HMAC key is kept.
    const hmacBefore = readSdsSecretValue(decodeAll((await envoySecret(ns, "o1"))!.data)[HMAC_SECRET_KEY]);
    await eventually("the sidecar Secret holds the new client secret", async () => readSdsSecretValue(decodeAll((await envoySecret(ns, "o1"))?.data)[TOKEN_SECRET_KEY]) === second);
    expect(readSdsSecretValue(decodeAll((await envoySecret(ns, "o1"))!.data)[HMAC_SECRET_KEY])).toBe(hmacBefore!);
    expect(containers(await sts(ns, "o1")).map((c) => c.name)).toEqual(["ide", "envoy"]);
    await rememberSidecarSecrets(ns, "o1");
  });

  // ---------------------------------------------------------------- invalid configs

  it("invalid configs: Ready=False with a Warning Event on the config and on each Kode; nothing deployed half-configured", async () => {
    const ns = "bad";
    await apply(envoyConfig("cfg", ns, { authType: "basic" }));
    await createTemplate(env.client, "bt", ns, { ...CODE_SERVER, envoyProxyRef: { name: "cfg" } });
    await createKode(env.client, "b1", ns, { templateRef: { name: "bt" }, user: "erin", password: "bad-ns-password-1" });
    secrets.add("bad-ns-password-1");
    await waitRunning(env.client, ns, "b1");
    const before = (await sts(ns, "b1"))!;
    const cmBefore = (await cm(ns, "b1"))!;

    // oauth2 without clientId (the schema allows it; the operator must not).
    const { clientId: _, ...noClientId } = oauth2Spec("nope").oauth2;
    await env.client.mergePatch(ENVOY_PROXY_CONFIGS, "cfg", { spec: { authType: "oauth2", oauth2: noClientId } }, { namespace: ns });
    const c1 = await configReady(ENVOY_PROXY_CONFIGS, "cfg", ns, "False", "MissingOAuth2Field");
    expect(condition(c1, "Ready")!.message).toContain("clientId");
    await waitObjectEvent("EnvoyProxyConfig", "cfg", "Warning", "MissingOAuth2Field");
    await waitFailed(env.client, ns, "b1", "MissingOAuth2Field");
    await waitEvent(env.client, ns, "b1", "Warning", "MissingOAuth2Field");
    // A Kode created while the config is broken gets nothing at all.
    await createKode(env.client, "b2", ns, { templateRef: { name: "bt" }, user: "frank" });
    await waitFailed(env.client, ns, "b2", "MissingOAuth2Field");
    await waitEvent(env.client, ns, "b2", "Warning", "MissingOAuth2Field");

    // A raw filter without a name: the API's schema refuses a missing name; a blank one reaches the operator.
    const lua = { "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua", default_source_code: { inline_string: "function envoy_on_request(h) end" } };
    const refused = await env.client.create(ENVOY_PROXY_CONFIGS, envoyConfig("nameless", ns, { httpFilters: [{ typed_config: lua }] }) as never).then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    expect(refused?.code).toBe(422);
    await env.client.mergePatch(ENVOY_PROXY_CONFIGS, "cfg", { spec: { authType: "basic", oauth2: null, httpFilters: [{ name: " ", typed_config: lua }] } }, { namespace: ns });
    await configReady(ENVOY_PROXY_CONFIGS, "cfg", ns, "False", "FilterWithoutName");
    await waitObjectEvent("EnvoyProxyConfig", "cfg", "Warning", "FilterWithoutName");
    for (const k of ["b1", "b2"]) {
      await waitFailed(env.client, ns, k, "FilterWithoutName");
      await waitEvent(env.client, ns, k, "Warning", "FilterWithoutName");
    }

    // Through all of it: b1's running StatefulSet and bootstrap unchanged; b2 has no children.
    const after = (await sts(ns, "b1"))!;
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec.template).toEqual(before.spec.template);
    expect((await cm(ns, "b1"))!.data).toEqual(cmBefore.data);
    for (const [ref, name] of [[STATEFULSETS, "b2"], [CONFIGMAPS, "b2-envoy"], [SECRETS, "b2-envoy-auth"], [NETWORK_POLICIES, "b2"], [SERVICES, "b2"]] as const)
      expect(await env.client.get(ref, name, ns), `${ref.kind} ${name}`).toBeUndefined();

    // Fixed: both run, with the sidecar.
    await env.client.mergePatch(ENVOY_PROXY_CONFIGS, "cfg", { spec: { httpFilters: null } }, { namespace: ns });
    await configReady(ENVOY_PROXY_CONFIGS, "cfg", ns, "True", "Valid");
    for (const k of ["b1", "b2"]) {
      await waitRunning(env.client, ns, k);
      expect(containers(await sts(ns, k)).map((c) => c.name)).toEqual(["ide", "envoy"]);
    }
    await rememberSidecarSecrets(ns, "b1");
    secrets.add(b64decode((await env.client.get<Obj>(SECRETS, "b2-auth", ns))!.data!.password)!);
  });

  it("a namespaced EnvoyProxyConfig named from a template in another namespace: EnvoyConfigNamespaceForbidden", async () => {
    await apply(envoyConfig("shared", "ns-b", { authType: "basic" }));
    await createTemplate(env.client, "ft", "ns-a", { ...CODE_SERVER, envoyProxyRef: { kind: "EnvoyProxyConfig", name: "shared", namespace: "ns-b" } });
    await createKode(env.client, "f1", "ns-a", { templateRef: { name: "ft" }, user: "gina", password: "forbidden-pass-9" });
    secrets.add("forbidden-pass-9");
    const k = await waitFailed(env.client, "ns-a", "f1", "EnvoyConfigNamespaceForbidden");
    expect(condition(k, "Ready")!.message).toContain("ns-b");
    await waitEvent(env.client, "ns-a", "f1", "Warning", "EnvoyConfigNamespaceForbidden");
    expect(await sts("ns-a", "f1")).toBeUndefined();
  });

  // ---------------------------------------------------------------- no secret anywhere

  it("no secret (plaintext or base64) in anything stored besides Secret data, nor in the operator's log", async () => {
    // Settle: every Kode has been reconciled to its final state and events are written.
    await waitKode(env.client, "oidc", "o1", "Running", (k) => condition(k, "Ready")?.status === "True");
    for (const l of env.operator.logs()) logLines.add(l);
    const needles = [...secrets].filter((s) => s.length >= 8);
    expect(needles.length).toBeGreaterThanOrEqual(10);
    const forms = needles.flatMap((s) => [s, Buffer.from(s).toString("base64").replace(/=+$/, "")].map((f) => ({ secret: s, form: f })));

    const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
    const scrub = (resource: string, o: J): J => {
      const c = structuredClone(o);
      if (resource === "/secrets") delete c.data, delete c.stringData;
      // A Kode's spec.password is the user's own input (Scenario 2 puts it there); kubectl copies it to last-applied.
      if (resource === "kode.jacero.io/kodes") {
        if (c.spec) delete c.spec.password;
        if (c.metadata?.annotations) delete c.metadata.annotations[LAST_APPLIED];
      }
      return c;
    };
    const current = env.server.state.store.resources().flatMap((r) => env.server.state.store.list(r).map((o) => ({ resource: r, object: o as J })));
    const leaks: string[] = [];
    let scanned = 0;
    for (const { resource, object } of [...stored, ...current]) {
      const text = JSON.stringify(scrub(resource, object));
      scanned++;
      for (const { secret, form } of forms)
        if (text.includes(form)) leaks.push(`${resource} ${object.metadata?.namespace ?? ""}/${object.metadata?.name}: ${form === secret ? "plaintext" : "base64"} of a secret`);
    }
    for (const line of logLines) for (const { secret, form } of forms) if (line.includes(form)) leaks.push(`operator log: ${form === secret ? "plaintext" : "base64"}: ${line.slice(0, 200)}`);
    expect([...new Set(leaks)]).toEqual([]);
    // The scan saw what it should: pods, StatefulSets, ConfigMaps, Events and the operator's log.
    const resources = new Set(stored.map((s) => s.resource));
    for (const r of ["/pods", "apps/statefulsets", "/configmaps", "/events", "kode.jacero.io/kodes", "/secrets"]) expect(resources).toContain(r);
    expect(scanned).toBeGreaterThan(100);
    expect([...logLines].some((l) => l.includes("caches synced"))).toBe(true);
  });
});
