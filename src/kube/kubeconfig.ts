// Where the operator's client gets its server, TLS material and credentials from.
//
// A single kubeconfig file whose context needs nothing dynamic (a token, client certificate, basic auth,
// CA; no exec plugin, auth provider, proxy or impersonation) is read here: importing client-node costs
// the process tens of MB of memory it never gives back. Everything else (several files merged, exec
// plugins, auth providers) is parsed by @kubernetes/client-node's KubeConfig, and only that: its HTTP layer ignores TLS settings under Bun
// (shared/reference/bun-and-client-node.md §2.4). `applyToHTTPSOptions` yields the CA, client
// certificate and key, skip-verify and the Authorization header, running exec plugins as needed; we
// hand that to Bun's fetch `tls` option. In-cluster loading is done here (env vars plus a service
// account directory that tests can point elsewhere), re-reading the projected token every minute.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { isIPv6 } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";

/** TLS settings in the shape of Bun's fetch `tls` option. */
export interface TlsSettings {
  ca?: string;
  cert?: string;
  key?: string;
  /** false only when the kubeconfig says insecure-skip-tls-verify. */
  rejectUnauthorized?: boolean;
  serverName?: string;
}

/** What to put on a request right now. */
export interface Credentials {
  headers: Record<string, string>;
  tls?: TlsSettings;
}

export interface ClientConfig {
  /** Base URL of the API server, without a trailing slash. */
  server: string;
  /** Namespace of the context, or of the service account in a pod. */
  namespace?: string;
  source: "kubeconfig" | "in-cluster" | "static";
  /** Kubeconfig context in use. */
  context?: string;
  /** Current credentials; cached, and refreshed when they can have changed (token files, exec plugins). */
  credentials(): Promise<Credentials>;
  /** Drop cached credentials (the server said 401); the next credentials() reloads them. */
  invalidate(): void;
}

export interface LoadClientConfigOptions {
  /** Explicit kubeconfig file (--kubeconfig). */
  kubeconfig?: string;
  /** Context to use instead of current-context (--context). */
  context?: string;
  /** Use the pod's service account, ignoring kubeconfig files. */
  inCluster?: boolean;
  /** Service account directory; default /var/run/secrets/kubernetes.io/serviceaccount. */
  serviceAccountDir?: string;
  /** Environment to read KUBECONFIG, HOME and KUBERNETES_SERVICE_HOST/PORT from; default process.env. */
  env?: Record<string, string | undefined>;
  /** How long file-based credentials (token files, CA and key files) are cached; default 60 s. */
  reloadIntervalMs?: number;
  /** Milliseconds clock for the reload interval (tests). */
  now?: () => number;
}

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const DEFAULT_RELOAD_MS = 60_000;

/**
 * Load the client configuration. Order, as controller-runtime's GetConfig: --kubeconfig, then $KUBECONFIG
 * (colon-separated, merged, the first current-context wins), then the in-cluster service account (when
 * KUBERNETES_SERVICE_HOST is set and the token exists), then ~/.kube/config.
 */
export async function loadClientConfig(opts: LoadClientConfigOptions = {}): Promise<ClientConfig> {
  const env = opts.env ?? process.env;
  const saDir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (opts.inCluster) return inClusterConfig(opts, env, saDir);
  if (opts.kubeconfig) return kubeconfigConfig([opts.kubeconfig], opts);
  const fromEnv = (env.KUBECONFIG ?? "").split(delimiter).filter(Boolean);
  if (fromEnv.length) return kubeconfigConfig(fromEnv, opts);
  if (env.KUBERNETES_SERVICE_HOST && existsSync(join(saDir, "token"))) return inClusterConfig(opts, env, saDir);
  const home = env.HOME || homedir();
  const homeConfig = home ? join(home, ".kube", "config") : "";
  if (homeConfig && existsSync(homeConfig)) return kubeconfigConfig([homeConfig], opts);
  throw new Error(
    "no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account",
  );
}

/** A fixed configuration (tests, or a server URL and token given on the command line). */
export function staticClientConfig(input: { server: string; token?: string; tls?: TlsSettings; namespace?: string }): ClientConfig {
  const headers: Record<string, string> = input.token ? { authorization: `Bearer ${input.token}` } : {};
  const creds: Credentials = { headers, tls: input.tls };
  return {
    server: input.server.replace(/\/+$/, ""),
    namespace: input.namespace,
    source: "static",
    credentials: async () => creds,
    invalidate() {},
  };
}

// ---- in-cluster ----

function inClusterConfig(opts: LoadClientConfigOptions, env: Record<string, string | undefined>, dir: string): ClientConfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port)
    throw new Error("in-cluster configuration needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (is this running in a pod?)");
  const tokenFile = join(dir, "token");
  const caFile = join(dir, "ca.crt");
  if (!existsSync(tokenFile)) throw new Error(`in-cluster configuration: no service account token at ${tokenFile}`);
  const nsFile = join(dir, "namespace");
  const namespace = existsSync(nsFile) ? readFileSync(nsFile, "utf8").trim() || undefined : undefined;
  const load = async (): Promise<Credentials> => {
    const token = readFileSync(tokenFile, "utf8").trim();
    const tls: TlsSettings = {};
    if (existsSync(caFile)) tls.ca = readFileSync(caFile, "utf8");
    return { headers: token ? { authorization: `Bearer ${token}` } : {}, tls };
  };
  const cache = new CredentialCache(load, () => opts.reloadIntervalMs ?? DEFAULT_RELOAD_MS, opts.now);
  return {
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    namespace,
    source: "in-cluster",
    credentials: () => cache.get(),
    invalidate: () => cache.clear(),
  };
}

// ---- kubeconfig files ----

async function kubeconfigConfig(files: string[], opts: LoadClientConfigOptions): Promise<ClientConfig> {
  if (files.length === 1) {
    const simple = simpleKubeconfig(files[0], opts);
    if (simple) return simple;
  }
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  kc.loadFromFile(files[0]);
  for (const file of files.slice(1)) {
    const more = new KubeConfig();
    more.loadFromFile(file);
    mergeFirstWins(kc, more);
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context))
      throw new Error(`context "${opts.context}" not found in ${files.join(delimiter)} (have: ${kc.getContexts().map((c) => c.name).join(", ") || "none"})`);
    kc.setCurrentContext(opts.context);
  }
  const ctx = kc.getCurrentContext() ? kc.getContextObject(kc.getCurrentContext()) : null;
  const cluster = kc.getCurrentCluster();
  if (!ctx || !cluster) throw new Error(`kubeconfig ${files.join(delimiter)}: no current context or cluster (set current-context or pass --context)`);
  if (!cluster.server) throw new Error(`kubeconfig cluster "${cluster.name}" has no server`);
  // Plain http has nothing to verify; client-node refuses it unless skip-verify is set, kubectl does not.
  if (cluster.server.startsWith("http:") && !cluster.skipTLSVerify)
    kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, skipTLSVerify: true } : c));
  const user = kc.getCurrentUser();
  // Exec plugins and auth providers cache (and refresh) their own credentials; ask them on every request.
  const dynamic = !!(user?.exec || user?.authProvider);
  const cache = new CredentialCache(() => credentialsFromKubeConfig(kc), () => (dynamic ? 0 : (opts.reloadIntervalMs ?? DEFAULT_RELOAD_MS)), opts.now);
  return {
    server: cluster.server.replace(/\/+$/, ""),
    namespace: ctx.namespace,
    source: "kubeconfig",
    context: ctx.name,
    credentials: () => cache.get(),
    invalidate: () => {
      cache.clear();
      if (user) forgetExecCredential(kc, user.name);
    },
  };
}

type Named<T> = { name?: string } & T;
type RawCluster = { server?: string; "certificate-authority"?: string; "certificate-authority-data"?: string; "insecure-skip-tls-verify"?: boolean; "tls-server-name"?: string; [k: string]: unknown };
type RawUser = { token?: string; "client-certificate"?: string; "client-certificate-data"?: string; "client-key"?: string; "client-key-data"?: string; username?: string; password?: string; [k: string]: unknown };
const SIMPLE_CLUSTER_KEYS = new Set(["server", "certificate-authority", "certificate-authority-data", "insecure-skip-tls-verify", "tls-server-name", "extensions"]);
const SIMPLE_USER_KEYS = new Set(["token", "client-certificate", "client-certificate-data", "client-key", "client-key-data", "username", "password", "extensions"]);

/** The configuration of a kubeconfig file that needs nothing dynamic; undefined when client-node must read it. */
function simpleKubeconfig(file: string, opts: LoadClientConfigOptions): ClientConfig | undefined {
  let doc: any;
  try {
    doc = Bun.YAML.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined; // client-node reports the error in its words
  }
  if (!doc || typeof doc !== "object") return undefined;
  const byName = <T>(list: unknown, name: string, key: string): T | undefined =>
    Array.isArray(list) ? ((list as Named<Record<string, T>>[]).find((e) => e?.name === name)?.[key] as T | undefined) : undefined;
  const contextName: string | undefined = opts.context ?? doc["current-context"];
  if (!contextName) return undefined;
  const ctx = byName<{ cluster?: string; user?: string; namespace?: string }>(doc.contexts, contextName, "context");
  if (!ctx?.cluster) return undefined;
  const cluster = byName<RawCluster>(doc.clusters, ctx.cluster, "cluster");
  const user = ctx.user ? byName<RawUser>(doc.users, ctx.user, "user") : {};
  if (!cluster?.server || !user) return undefined;
  if (Object.keys(cluster).some((k) => !SIMPLE_CLUSTER_KEYS.has(k)) || Object.keys(user).some((k) => !SIMPLE_USER_KEYS.has(k))) return undefined;
  const dir = dirname(file);
  const path = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const pem = (data: string | undefined, filePath: string | undefined) =>
    data ? Buffer.from(data, "base64").toString("utf8") : filePath ? readFileSync(path(filePath), "utf8") : undefined;
  const server = cluster.server.replace(/\/+$/, "");
  const load = async (): Promise<Credentials> => {
    const headers: Record<string, string> = {};
    if (user.token) headers.authorization = `Bearer ${String(user.token).trim()}`;
    else if (user.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ""}`).toString("base64")}`;
    const tls: TlsSettings = {};
    const ca = pem(cluster["certificate-authority-data"], cluster["certificate-authority"]);
    if (ca) tls.ca = ca;
    const cert = pem(user["client-certificate-data"], user["client-certificate"]);
    const key = pem(user["client-key-data"], user["client-key"]);
    if (cert) tls.cert = cert;
    if (key) tls.key = key;
    // Plain http has nothing to verify.
    if (cluster["insecure-skip-tls-verify"] || server.startsWith("http:")) tls.rejectUnauthorized = false;
    if (cluster["tls-server-name"]) tls.serverName = cluster["tls-server-name"];
    return { headers, tls };
  };
  const cache = new CredentialCache(load, () => opts.reloadIntervalMs ?? DEFAULT_RELOAD_MS, opts.now);
  return { server, namespace: ctx.namespace, source: "kubeconfig", context: contextName, credentials: () => cache.get(), invalidate: () => cache.clear() };
}

async function credentialsFromKubeConfig(kc: KubeConfig): Promise<Credentials> {
  const o: Record<string, any> = {};
  await kc.applyToHTTPSOptions(o);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries((o.headers ?? {}) as Record<string, unknown>)) if (v != null) headers[k.toLowerCase()] = String(v).trim();
  if (o.auth && !headers.authorization) headers.authorization = `Basic ${Buffer.from(String(o.auth)).toString("base64")}`;
  const tls: TlsSettings = {};
  if (o.ca) tls.ca = o.ca.toString();
  if (o.cert) tls.cert = o.cert.toString();
  if (o.key) tls.key = o.key.toString();
  if (o.rejectUnauthorized === false) tls.rejectUnauthorized = false;
  if (o.servername) tls.serverName = String(o.servername);
  return { headers, tls };
}

/** kubectl semantics: the first file defining a name (or current-context) wins; client-node throws on duplicates. */
function mergeFirstWins(into: KubeConfig, from: KubeConfig) {
  if (!into.currentContext && from.currentContext) into.currentContext = from.currentContext;
  const has = <T extends { name: string }>(list: T[] | undefined, name: string) => (list ?? []).some((x) => x.name === name);
  for (const c of from.clusters ?? []) if (!has(into.clusters, c.name)) into.addCluster(c);
  for (const u of from.users ?? []) if (!has(into.users, u.name)) into.addUser(u);
  for (const c of from.contexts ?? []) if (!has(into.contexts, c.name)) into.addContext(c);
}

/**
 * After a 401, make client-node's exec authenticator run the plugin again even if the cached credential
 * has not reached its expirationTimestamp (client-go does the same). Best effort: it reaches into
 * KubeConfig's private authenticator list, which 2.0.1 has.
 */
function forgetExecCredential(kc: KubeConfig, userName: string) {
  const authenticators = (kc as unknown as { authenticators?: { tokenCache?: Record<string, unknown> }[] }).authenticators;
  for (const a of authenticators ?? []) if (a.tokenCache && userName in a.tokenCache) a.tokenCache[userName] = null;
}

/** Caches credentials for a time-to-live, with one load in flight at a time. */
class CredentialCache {
  private value: Credentials | undefined;
  private loadedAt = 0;
  private inflight: Promise<Credentials> | undefined;

  constructor(
    private load: () => Promise<Credentials>,
    private ttlMs: () => number,
    private now: () => number = Date.now,
  ) {}

  get(): Promise<Credentials> {
    const ttl = this.ttlMs();
    if (this.value && ttl > 0 && this.now() - this.loadedAt < ttl) return Promise.resolve(this.value);
    if (this.inflight) return this.inflight;
    this.inflight = this.load().then(
      (v) => {
        this.value = v;
        this.loadedAt = this.now();
        this.inflight = undefined;
        return v;
      },
      (e) => {
        this.inflight = undefined;
        throw e;
      },
    );
    return this.inflight;
  }

  clear() {
    this.value = undefined;
  }
}
