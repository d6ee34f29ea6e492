// Starts the embedded API server: one call for tests (in process) and for `kode apiserver`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { readFileSync } from "node:fs";
import { ANONYMOUS_USER, authenticate, parseTokenFile, UNAUTHENTICATED_GROUP, unauthorizedStatus, type AuthConfig, type UserInfo } from "./auth.ts";
import { ServiceAccountTokens } from "./auth-serviceaccounts.ts";
import { ApiError } from "./errors.ts";
import { ClusterRoleAggregator } from "./rbac/aggregation.ts";
import { requestAttributes } from "./rbac/attributes.ts";
import { ALWAYS_ALLOW, RbacAuthorizer, type Authorizer } from "./rbac/authorizer.ts";
import { seedBootstrapPolicy } from "./rbac/bootstrap.ts";
import { checkEscalation, isPolicyWrite } from "./rbac/escalation.ts";
import { forbidden } from "./rbac/forbidden.ts";
import { impersonate } from "./rbac/impersonation.ts";
import { mayBeReview, reviewEndpoint, type ReviewContext } from "./rbac/reviews.ts";
import { GarbageCollector } from "./controllers/garbage-collector.ts";
import { KubeletSimulator } from "./controllers/kubelet.ts";
import { ServiceAccountController } from "./controllers/service-accounts.ts";
import { CrdController } from "./crd/register.ts";
import { TestHooks } from "./hooks.ts";
import { renderKubeconfig } from "./kubeconfig.ts";
import { rememberUser, userOf } from "./request-user.ts";
import { serve, type PeerIdentity } from "./listener.ts";
import { OpenApiDocs } from "./openapi.ts";
import { DataDir } from "./persistence.ts";
import { ResourceRegistry, storageKey } from "./registry.ts";
import { errorResponse, faultResponse, jsonResponse } from "./respond.ts";
import { requestInfo, Router } from "./router.ts";
import type { ApiState } from "./state.ts";
import { Store } from "./store.ts";
import { generateTlsMaterial, type TlsMaterial } from "./tls.ts";
import type { KObject } from "./types.ts";
import { WatchHub } from "./watch.ts";

export interface ApiServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  address?: string;
  /** Serve HTTPS with a CA and serving certificate generated at start. */
  tls?: boolean;
  /** Require a client certificate signed by the generated CA (implies tls). */
  clientCertAuth?: boolean;
  /** Subject of the generated client certificate (default CN=admin, O=system:masters): CN is the user, O the group. */
  clientCertSubject?: { commonName: string; organization: string };
  /** Require this bearer token (it authenticates as the admin). With clientCertAuth too, either credential works. */
  token?: string;
  /** kube-apiserver's static token file (CSV `token,user,uid,"group1,group2"`): more tokens, each its own user. */
  tokenFile?: string;
  /** "AlwaysAllow" (default, as envtest) or "RBAC": Roles, ClusterRoles and their bindings decide. */
  authorizationMode?: AuthorizationMode;
  /** Where to write the kubeconfig; default: <dataDir>/kubeconfig or a temporary folder. */
  kubeconfigPath?: string;
  /** Keep state here across restarts. */
  dataDir?: string;
  /** Garbage collection of ownerReferences and namespace finalization. */
  gc?: boolean;
  simulateKubelet?: boolean;
  kubeletDelayMs?: number;
  logRequests?: boolean;
  /** How many events watches can resume from (older resourceVersions get 410). */
  watchHistory?: number;
  bookmarkIntervalMs?: number;
  /** Wall clock override for tests. */
  now?: () => number;
}

export type AuthorizationMode = "AlwaysAllow" | "RBAC";

export interface ApiServer {
  url: string;
  port: number;
  kubeconfigPath: string;
  kubeconfig: string;
  hooks: TestHooks;
  tls: TlsMaterial | undefined;
  state: ApiState;
  /** Issues ServiceAccount tokens as TokenRequest does (for harnesses that run a client as a ServiceAccount). */
  serviceAccountTokens: ServiceAccountTokens;
  stop(): Promise<void>;
}

const SEED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

function seedNamespaces(state: ApiState) {
  const nsType = state.registry.lookup("", "v1", "namespaces")!;
  for (const name of SEED_NAMESPACES) {
    if (state.store.get(storageKey(nsType), undefined, name)) continue;
    const ns: KObject = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, uid: crypto.randomUUID(), creationTimestamp: new Date(state.now()).toISOString().replace(/\.\d+Z$/, "Z") },
    };
    nsType.prepare!(ns, undefined);
    state.store.put(storageKey(nsType), ns, undefined);
  }
}

export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  const store = new Store(opts.watchHistory);
  const dataDir = opts.dataDir ? new DataDir(opts.dataDir, store) : undefined;
  const registry = new ResourceRegistry();
  const hooks = new TestHooks();
  const watches = new WatchHub(store, opts.bookmarkIntervalMs);
  hooks.watchControl = watches;
  const state: ApiState = {
    store,
    registry,
    hooks,
    watches,
    controllers: { gc: opts.gc, simulateKubelet: opts.simulateKubelet, kubeletDelayMs: opts.kubeletDelayMs },
    now: opts.now ?? Date.now,
  };
  new CrdController(store, registry);
  seedNamespaces(state);
  const namespaced = (resource: string) => registry.all().some((t) => storageKey(t) === resource && t.namespaced);
  const gc = opts.gc ? new GarbageCollector(store, state.now, namespaced) : undefined;
  const kubelet = opts.simulateKubelet ? new KubeletSimulator(store, state.now, opts.kubeletDelayMs, hooks) : undefined;
  const serviceAccounts = opts.gc || opts.simulateKubelet ? new ServiceAccountController(store, state.now) : undefined;

  const useTls = !!(opts.tls || opts.clientCertAuth);
  const subject = opts.clientCertSubject;
  const tls = useTls ? await generateTlsMaterial(subject ? { clientCommonName: subject.commonName, clientOrganization: subject.organization } : {}) : undefined;
  const serviceAccountTokens = new ServiceAccountTokens(store, state.now);
  const rbac = opts.authorizationMode === "RBAC" ? new RbacAuthorizer(store) : undefined;
  if (opts.authorizationMode && opts.authorizationMode !== "RBAC" && opts.authorizationMode !== "AlwaysAllow")
    throw new Error(`authorization mode must be AlwaysAllow or RBAC, got ${opts.authorizationMode}`);
  let aggregator: ClusterRoleAggregator | undefined;
  if (rbac) {
    seedBootstrapPolicy(store, state.now());
    aggregator = new ClusterRoleAggregator(store);
  }
  const authz: Authorizer = rbac ?? ALWAYS_ALLOW;
  const auth: AuthConfig = {
    token: opts.token,
    clientCertAuth: !!opts.clientCertAuth,
    tokens: opts.tokenFile ? parseTokenFile(readFileSync(opts.tokenFile, "utf8")) : undefined,
    serviceAccountTokens,
    rejectUnknownTokens: !!rbac,
  };
  const reviews: ReviewContext = { store, authz, tokens: serviceAccountTokens, now: state.now };
  const anonymous: UserInfo = { user: ANONYMOUS_USER, groups: [UNAUTHENTICATED_GROUP] };

  /** Impersonation, authorization (and escalation checks), then the review endpoints or the router. */
  const authorized = async (req: Request, url: URL, who: UserInfo): Promise<Response> => {
    try {
      const user = impersonate(req.headers, who, authz);
      if (userOf(req) !== user) rememberUser(req, user);
      const attrs = requestAttributes(req.method, url);
      if (!authz.authorize(user, attrs).allowed) throw forbidden(user.user, attrs);
      if (rbac && isPolicyWrite(req.method, attrs)) await checkEscalation(authz, store, user, attrs, req.clone() as Request, (dry) => router.handle(dry));
      const review = mayBeReview(req.method, url.pathname) ? await reviewEndpoint(req, url.pathname, user, reviews) : undefined;
      return review ?? (await router.handle(req, url));
    } catch (e) {
      if (e instanceof ApiError) return errorResponse(e);
      throw e;
    }
  };
  let hostPort = "";
  const router = new Router(state, new OpenApiDocs(registry), () => hostPort);

  const handler = async (req: Request, peer: PeerIdentity | undefined): Promise<Response> => {
    const started = performance.now();
    const url = new URL(req.url);
    const userAgent = req.headers.get("user-agent") ?? "";
    const internal = url.pathname.startsWith("/__kode/");
    const info = requestInfo(req.method, url);
    let res: Response;
    const who = authenticate(req, peer, auth);
    rememberUser(req, who);
    if (!who && !isHealth(url.pathname)) res = jsonResponse(unauthorizedStatus(), 401);
    else {
      const fault = internal ? undefined : hooks.takeFault(info.verb, info.resource, userAgent);
      if (fault?.latencyMs) await Bun.sleep(fault.latencyMs);
      res = fault?.status ? faultResponse(fault) : internal ? await router.handle(req, url) : await authorized(req, url, who ?? anonymous);
    }
    if (!internal) hooks.record(info.verb, info.resource, res.status, userAgent);
    if (opts.logRequests)
      console.log(
        JSON.stringify({
          time: new Date().toISOString(),
          verb: info.verb,
          uri: `${url.pathname}${url.search}`,
          code: res.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          userAgent,
        }),
      );
    return res;
  };

  const address = opts.address ?? "127.0.0.1";
  const listener = await serve({
    port: opts.port ?? 0,
    hostname: address,
    tls: tls ? { material: tls, requestClientCert: !!opts.clientCertAuth } : undefined,
    handler,
  });
  const host = address.includes(":") ? `[${address}]` : address;
  hostPort = `${host}:${listener.port}`;
  const url = `${tls ? "https" : "http"}://${hostPort}`;
  const kubeconfig = renderKubeconfig({ url, tls, token: opts.token, clientCert: !!opts.clientCertAuth });
  // Without a path or data dir the kubeconfig goes to a temporary folder of ours, removed on stop.
  const scratch = opts.kubeconfigPath || opts.dataDir ? undefined : mkdtempSync(join(tmpdir(), "kode-apiserver-"));
  const kubeconfigPath = opts.kubeconfigPath ?? (opts.dataDir ? join(opts.dataDir, "kubeconfig") : join(scratch!, "kubeconfig"));
  mkdirSync(dirname(kubeconfigPath), { recursive: true });
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });

  let stopped = false;
  return {
    url,
    port: listener.port,
    kubeconfigPath,
    kubeconfig,
    hooks,
    tls,
    state,
    serviceAccountTokens,
    async stop() {
      if (stopped) return;
      stopped = true;
      rbac?.stop();
      aggregator?.stop();
      gc?.stop();
      kubelet?.stop();
      serviceAccounts?.stop();
      watches.closeAll();
      await listener.stop();
      dataDir?.close();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    },
  };
}

function isHealth(path: string): boolean {
  return /^\/(healthz|readyz|livez)(\/|$)/.test(path);
}
