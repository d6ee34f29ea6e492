// Configuration loading and every TLS/auth mode, against the embedded API server over HTTPS:
// CA + token, client certificate, exec plugin (re-run after expiry and after a 401), skip-verify,
// wrong CA, in-cluster files (token re-read), and the default lookup chain.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApiServer, type ApiServer } from "../apiserver/server.ts";
import { generateTlsMaterial } from "../apiserver/tls.ts";
import { createClient } from "./client.ts";
import { KubeError, TransportError } from "./errors.ts";
import { loadClientConfig, staticClientConfig, type ClientConfig } from "./kubeconfig.ts";
import type { ResourceRef } from "./types.ts";

const NAMESPACES: ResourceRef = { group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false };
const b64 = (s: string) => Buffer.from(s).toString("base64");
const TOKEN = "s3cret-token";

/** One GET of a namespace through a fresh client. */
async function probe(cfg: ClientConfig): Promise<string | undefined> {
  const c = createClient(cfg, { userAgent: "kubeconfig-test" });
  try {
    return (await c.get(NAMESPACES, "default"))?.metadata.name;
  } finally {
    c.close();
  }
}

function kubeconfig(input: { server: string; cluster: string; user: string; namespace?: string; name?: string }): string {
  const name = input.name ?? "test";
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${name}`,
    "  cluster:",
    `    server: ${input.server}`,
    input.cluster,
    "users:",
    `- name: ${name}-user`,
    "  user:",
    input.user,
    "contexts:",
    `- name: ${name}`,
    "  context:",
    `    cluster: ${name}`,
    `    user: ${name}-user`,
    ...(input.namespace ? [`    namespace: ${input.namespace}`] : []),
    `current-context: ${name}`,
    "",
  ]
    .filter((l) => l !== "")
    .join("\n");
}

const dir = mkdtempSync(join(tmpdir(), "kode-kubeconfig-test-"));
let n = 0;
function writeTemp(content: string, name = `kc-${++n}.yaml`): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe("HTTPS with CA and bearer token", () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await startApiServer({ tls: true, token: TOKEN });
  });
  afterAll(() => api.stop());

  test("the server's own kubeconfig works", async () => {
    const cfg = await loadClientConfig({ kubeconfig: api.kubeconfigPath });
    expect(cfg.server).toBe(api.url);
    expect(cfg.namespace).toBe("default");
    expect(await probe(cfg)).toBe("default");
  });

  test("a wrong token is rejected with 401", async () => {
    const path = writeTemp(kubeconfig({ server: api.url, cluster: `    certificate-authority-data: ${b64(api.tls!.caCert)}`, user: "    token: wrong" }));
    const err = await probe(await loadClientConfig({ kubeconfig: path })).catch((e) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect(err.code).toBe(401);
    expect(err.reason).toBe("Unauthorized");
  });

  test("a CA file path relative to the kubeconfig", async () => {
    writeFileSync(join(dir, "ca-rel.crt"), api.tls!.caCert);
    const path = writeTemp(kubeconfig({ server: api.url, cluster: "    certificate-authority: ca-rel.crt", user: `    token: ${TOKEN}` }));
    expect(await probe(await loadClientConfig({ kubeconfig: path }))).toBe("default");
  });

  test("insecure-skip-tls-verify works without a CA; without it the self-signed server fails", async () => {
    const skip = writeTemp(kubeconfig({ server: api.url, cluster: "    insecure-skip-tls-verify: true", user: `    token: ${TOKEN}` }));
    expect(await probe(await loadClientConfig({ kubeconfig: skip }))).toBe("default");

    const noCa = writeTemp(kubeconfig({ server: api.url, cluster: "", user: `    token: ${TOKEN}` }));
    const err = await probe(await loadClientConfig({ kubeconfig: noCa })).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
  });

  test("a wrong CA fails verification", async () => {
    const other = await generateTlsMaterial();
    const path = writeTemp(kubeconfig({ server: api.url, cluster: `    certificate-authority-data: ${b64(other.caCert)}`, user: `    token: ${TOKEN}` }));
    const err = await probe(await loadClientConfig({ kubeconfig: path })).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toContain(api.url);
  });
});

describe("HTTPS with a client certificate", () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await startApiServer({ clientCertAuth: true });
  });
  afterAll(() => api.stop());

  test("the certificate from the kubeconfig authenticates", async () => {
    expect(await probe(await loadClientConfig({ kubeconfig: api.kubeconfigPath }))).toBe("default");
  });

  test("certificate and key files work too", async () => {
    writeFileSync(join(dir, "client.crt"), api.tls!.clientCert);
    writeFileSync(join(dir, "client.key"), api.tls!.clientKey);
    const path = writeTemp(
      kubeconfig({
        server: api.url,
        cluster: `    certificate-authority-data: ${b64(api.tls!.caCert)}`,
        user: `    client-certificate: ${join(dir, "client.crt")}\n    client-key: ${join(dir, "client.key")}`,
      }),
    );
    expect(await probe(await loadClientConfig({ kubeconfig: path }))).toBe("default");
  });

  test("without the certificate the request is unauthorized", async () => {
    const err = await probe(staticClientConfig({ server: api.url, tls: { ca: api.tls!.caCert } })).catch((e) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect(err.code).toBe(401);
  });
});

describe("exec credential plugin", () => {
  let api: ApiServer;
  const pluginDir = join(dir, "exec");
  const runs = () => readFileSync(join(pluginDir, "runs"), "utf8").split("\n").filter(Boolean).length;
  let path: string;

  beforeAll(async () => {
    api = await startApiServer({ tls: true, token: TOKEN });
    mkdirSync(pluginDir, { recursive: true });
    writeFileSync(join(pluginDir, "runs"), "");
    const plugin = join(pluginDir, "plugin.sh");
    writeFileSync(
      plugin,
      [
        "#!/bin/sh",
        'echo run >> "$PLUGIN_DIR/runs"',
        'printf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}\' "$(cat "$PLUGIN_DIR/token")" "$(cat "$PLUGIN_DIR/expiry")"',
        "",
      ].join("\n"),
    );
    chmodSync(plugin, 0o755);
    path = writeTemp(
      kubeconfig({
        server: api.url,
        cluster: `    certificate-authority-data: ${b64(api.tls!.caCert)}`,
        user: [
          "    exec:",
          "      apiVersion: client.authentication.k8s.io/v1",
          `      command: ${plugin}`,
          "      interactiveMode: Never",
          "      env:",
          "      - name: PLUGIN_DIR",
          `        value: ${pluginDir}`,
        ].join("\n"),
      }),
    );
  });
  afterAll(() => api.stop());

  test("the token is cached until its expirationTimestamp, then the plugin runs again", async () => {
    // Loaded first: loading an exec kubeconfig imports client-node, which may take longer than the expiry below.
    const c = createClient(await loadClientConfig({ kubeconfig: path }));
    writeFileSync(join(pluginDir, "token"), TOKEN);
    const expiry = Date.now() + 800;
    writeFileSync(join(pluginDir, "expiry"), new Date(expiry).toISOString());
    const before = runs();
    await c.get(NAMESPACES, "default");
    await c.get(NAMESPACES, "default");
    await c.get(NAMESPACES, "default");
    expect(runs()).toBe(before + 1);
    // Let the credential expire; the next request must run the plugin again.
    writeFileSync(join(pluginDir, "expiry"), new Date(Date.now() + 3_600_000).toISOString());
    while (Date.now() <= expiry) await Bun.sleep(50);
    expect((await c.get(NAMESPACES, "default"))?.metadata.name).toBe("default");
    expect(runs()).toBe(before + 2);
    c.close();
  });

  test("a 401 makes the plugin run again before the credential expires", async () => {
    writeFileSync(join(pluginDir, "token"), "stale");
    writeFileSync(join(pluginDir, "expiry"), new Date(Date.now() + 3_600_000).toISOString());
    const c = createClient(await loadClientConfig({ kubeconfig: path }));
    const before = runs();
    const err = await c.get(NAMESPACES, "default").catch((e) => e);
    expect(err.code).toBe(401);
    expect(runs()).toBe(before + 2); // first credential, then once more after the 401
    writeFileSync(join(pluginDir, "token"), TOKEN);
    expect((await c.get(NAMESPACES, "default"))?.metadata.name).toBe("default");
    expect(runs()).toBe(before + 3);
    c.close();
  });
});

describe("in-cluster", () => {
  let api: ApiServer;
  const saDir = join(dir, "serviceaccount");
  beforeAll(async () => {
    api = await startApiServer({ tls: true, token: TOKEN });
    mkdirSync(saDir, { recursive: true });
    writeFileSync(join(saDir, "ca.crt"), api.tls!.caCert);
    writeFileSync(join(saDir, "token"), `${TOKEN}\n`);
    writeFileSync(join(saDir, "namespace"), "kode-system");
  });
  afterAll(() => api.stop());
  const env = () => ({ KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(api.port), HOME: join(dir, "no-home") });

  test("server, CA, token and namespace come from the environment and the service account directory", async () => {
    const cfg = await loadClientConfig({ inCluster: true, env: env(), serviceAccountDir: saDir });
    expect(cfg.source).toBe("in-cluster");
    expect(cfg.server).toBe(`https://127.0.0.1:${api.port}`);
    expect(cfg.namespace).toBe("kode-system");
    expect(await probe(cfg)).toBe("default");
  });

  test("the default chain picks in-cluster when there is no kubeconfig", async () => {
    const cfg = await loadClientConfig({ env: env(), serviceAccountDir: saDir });
    expect(cfg.source).toBe("in-cluster");
  });

  test("IPv6 service hosts are bracketed", async () => {
    const cfg = await loadClientConfig({ inCluster: true, env: { ...env(), KUBERNETES_SERVICE_HOST: "fd00::1" }, serviceAccountDir: saDir });
    expect(cfg.server).toBe(`https://[fd00::1]:${api.port}`);
  });

  test("the token file is re-read after the reload interval", async () => {
    let now = 0;
    const cfg = await loadClientConfig({ inCluster: true, env: env(), serviceAccountDir: saDir, reloadIntervalMs: 60_000, now: () => now });
    const c = createClient(cfg);
    expect((await c.get(NAMESPACES, "default"))?.metadata.name).toBe("default");
    writeFileSync(join(saDir, "token"), "rotated-away");
    now += 30_000; // still cached
    expect((await c.get(NAMESPACES, "default"))?.metadata.name).toBe("default");
    now += 31_000; // re-read: the server rejects the new token
    const err = await c.get(NAMESPACES, "default").catch((e) => e);
    expect(err.code).toBe(401);
    writeFileSync(join(saDir, "token"), TOKEN);
    // The 401 dropped the cache, so the fixed token is read at once.
    expect((await c.get(NAMESPACES, "default"))?.metadata.name).toBe("default");
    c.close();
  });

  test("missing environment or token is an error that says what is missing", async () => {
    await expect(loadClientConfig({ inCluster: true, env: {}, serviceAccountDir: saDir })).rejects.toThrow(/KUBERNETES_SERVICE_HOST/);
    await expect(loadClientConfig({ inCluster: true, env: env(), serviceAccountDir: join(dir, "nowhere") })).rejects.toThrow(/no service account token/);
  });
});

describe("kubeconfig lookup", () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await startApiServer();
  });
  afterAll(() => api.stop());

  test("plain http works, even without insecure-skip-tls-verify", async () => {
    const path = writeTemp(kubeconfig({ server: api.url, cluster: "", user: "    {}" }).replace("  user:\n    {}", "  user: {}"));
    expect(await probe(await loadClientConfig({ kubeconfig: path }))).toBe("default");
  });

  test("KUBECONFIG lists files; the first current-context wins; --context picks another", async () => {
    const a = writeTemp(kubeconfig({ name: "a", server: api.url, cluster: "    insecure-skip-tls-verify: true", user: "    token: x", namespace: "ns-a" }));
    const b = writeTemp(kubeconfig({ name: "b", server: "http://127.0.0.1:1", cluster: "    insecure-skip-tls-verify: true", user: "    token: y", namespace: "ns-b" }));
    const env = { KUBECONFIG: `${a}:${b}`, HOME: join(dir, "no-home") };
    const first = await loadClientConfig({ env });
    expect(first.context).toBe("a");
    expect(first.namespace).toBe("ns-a");
    expect(await probe(first)).toBe("default");
    const chosen = await loadClientConfig({ env, context: "b" });
    expect(chosen.server).toBe("http://127.0.0.1:1");
    expect(chosen.namespace).toBe("ns-b");
    await expect(loadClientConfig({ env, context: "c" })).rejects.toThrow(/context "c" not found.*have: a, b/);
  });

  test("~/.kube/config is used when nothing else is set", async () => {
    const home = join(dir, "home");
    mkdirSync(join(home, ".kube"), { recursive: true });
    writeFileSync(join(home, ".kube", "config"), readFileSync(api.kubeconfigPath));
    const cfg = await loadClientConfig({ env: { HOME: home }, serviceAccountDir: join(dir, "nowhere") });
    expect(cfg.server).toBe(api.url);
  });

  test("no configuration at all is a clear error", async () => {
    await expect(loadClientConfig({ env: { HOME: join(dir, "no-home") }, serviceAccountDir: join(dir, "nowhere") })).rejects.toThrow(/no Kubernetes configuration found/);
  });
});
