// The pure render of a Kode's Envoy sidecar: (Kode, IDE port/type, EnvoyProxyConfig, resolved secrets) -> the
// sidecar container, its volumes, the bootstrap ConfigMap, the auth Secret, the NetworkPolicy and what the IDE
// container must change. No I/O, no clock, no randomness: the caller resolves Secrets and generates the HMAC key.
// The bootstrap itself (listeners, filters, clusters, the Secret's files) is built in bootstrap.ts.
//
// Decisions (the long form is in README.md next to this file):
// - Ports: Envoy's public listener is 0.0.0.0:10080, named "http" (the Service's targetPort "http" follows it
//   without change); a second listener 0.0.0.0:19003 "envoy-health" answers the kubelet (/ready, no auth) and
//   exposes the admin's read-only GET /stats and /stats/prometheus; the admin itself is on 127.0.0.1:19000 only.
//   The IDE's container port is renamed "ide". 10080/19003/19000 avoid every IDE's own ports (8443, 3000/3001,
//   8082/8083, 8888, 8020-8039, 8080 of upstream code-server).
// - Files: bootstrap /etc/envoy/bootstrap/envoy.json (ConfigMap <kode>-envoy, no secret material); secrets in
//   /etc/envoy/auth (Secret <kode>-envoy-auth): htpasswd (basic), token-secret.json + hmac-secret.json (oauth2,
//   file-based SDS with watched_directory, so Envoy re-reads them when the Secret changes). The htpasswd is read
//   once by Envoy, so its digest is part of the checksum (a password change rolls the pod); the oauth2 files are not.
// - Filter order and identity headers: see bootstrap.ts.
import type { EnvVar, EnvoyProxyConfigSpec, ResourceRequirements } from "../api/types.ts";
import { ideTypeSpec, type ProbeCheck } from "../kode/ide/index.ts";
import { toolPortName, toolPortsOf } from "../kode/ide/spec.ts";
import { AUTH_DIR, HEALTH_IDE_READY_PATH, HEALTH_READY_PATH, HTPASSWD_KEY, buildBootstrap } from "./bootstrap.ts";
import { ENVOY_ADMIN_PORT, ENVOY_HEALTH_PORT, ENVOY_PUBLIC_PORT, envoyToolPort, validateEnvoyConfig, type Problem } from "./validate.ts";
import { cloneJson } from "../kube/json-clone.ts";

export { ENVOY_ADMIN_PORT, ENVOY_HEALTH_PORT, ENVOY_PUBLIC_PORT, envoyToolPort };
// The bootstrap's names, re-exported so importers of render.ts (and index.ts) keep finding them here.
export {
  AUTH_DIR,
  EXT_AUTHZ_DEFAULT_TIMEOUT,
  HEALTH_IDE_READY_PATH,
  HEALTH_READY_PATH,
  HMAC_SECRET_KEY,
  HTPASSWD_KEY,
  IDENTITY_HEADER,
  IDLE_TIMEOUT,
  IMAGE_FILES,
  JWT_FILTER_NAME,
  JWT_METADATA_NAMESPACE,
  JWT_PAYLOAD_KEY,
  OAUTH2_DEFAULTS,
  PUBLIC_HEALTH_PATH,
  RBAC_POLICY_NAME,
  STATS_PATHS,
  STRIPPED_HEADER_PREFIX,
  STRIPPED_HEADERS,
  SYSTEM_CA_BUNDLE,
  TOKEN_SECRET_KEY,
  identityPrincipals,
  keycloakJwksUri,
  readSdsSecretValue,
  stripIdentityLua,
} from "./bootstrap.ts";

/** Envoy 1.35.3 (Sep 2025 patch release): ≥ 1.32 for the websocket per-route fix; the bootstrap keeps to the 1.30 API. */
export const DEFAULT_ENVOY_IMAGE = "envoyproxy/envoy:v1.35.3";
export const ENVOY_CONTAINER = "envoy";
export const ENVOY_PUBLIC_PORT_NAME = "http";
export const ENVOY_HEALTH_PORT_NAME = "envoy-health";
/** The IDE container's port name once Envoy owns "http". */
export const IDE_PORT_NAME_BEHIND_ENVOY = "ide";
/** uid/gid of the `envoy` user in envoyproxy/envoy images; also fine for the distroless variant. */
export const ENVOY_UID = 101;

export const BOOTSTRAP_VOLUME = "envoy-bootstrap";
export const AUTH_VOLUME = "envoy-auth";
export const BOOTSTRAP_DIR = "/etc/envoy/bootstrap";
export const BOOTSTRAP_KEY = "envoy.json";
export const DEFAULT_ENVOY_RESOURCES: ResourceRequirements = { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } };

// ---- Shapes (plain Kubernetes data; only the fields we set) ----

export type EnvoyProbe = {
  httpGet?: { path: string; port: string; scheme: "HTTP" };
  tcpSocket?: { port: string };
  initialDelaySeconds?: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
};
export type VolumeMount = { name: string; mountPath: string; readOnly?: boolean };
export type EnvoyContainer = {
  name: string;
  image: string;
  command: string[];
  args: string[];
  env: EnvVar[];
  ports: { name: string; containerPort: number; protocol: "TCP" }[];
  startupProbe: EnvoyProbe;
  readinessProbe: EnvoyProbe;
  livenessProbe: EnvoyProbe;
  resources: ResourceRequirements;
  securityContext: {
    runAsNonRoot: true;
    runAsUser: number;
    runAsGroup: number;
    allowPrivilegeEscalation: false;
    readOnlyRootFilesystem: true;
    privileged: false;
    capabilities: { drop: ["ALL"] };
    seccompProfile: { type: "RuntimeDefault" };
  };
  volumeMounts: VolumeMount[];
};
export type EnvoyVolume =
  | { name: string; configMap: { name: string; defaultMode: number } }
  | { name: string; secret: { secretName: string; defaultMode: number } };
export type EnvoyMeta = { name: string; namespace?: string; labels: Record<string, string>; annotations?: Record<string, string> };
export type EnvoyConfigMap = { apiVersion: "v1"; kind: "ConfigMap"; metadata: EnvoyMeta; data: Record<string, string> };
export type EnvoySecret = { apiVersion: "v1"; kind: "Secret"; metadata: EnvoyMeta; type: "Opaque"; data: Record<string, string> };
export type NetworkPolicy = {
  apiVersion: "networking.k8s.io/v1";
  kind: "NetworkPolicy";
  metadata: EnvoyMeta;
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: ["Ingress"];
    ingress: { ports: { protocol: "TCP"; port: number }[] }[];
  };
};

/** What render must change in the IDE container when the sidecar is on. */
export interface IdePatch {
  /** Rename the IDE's container port "http" to this (Envoy's public port takes "http"; the Service is unchanged). */
  portName: string;
  /** Env names to drop from the IDE container (its own password when Envoy authenticates). */
  removeEnv: string[];
  /** Env to add (after removal), e.g. CODE_SERVER_HOST=127.0.0.1 to bind code-server to loopback. */
  env: EnvVar[];
  /** Whether the IDE now listens on 127.0.0.1 only. False: only the NetworkPolicy keeps others off its port. */
  bindsLoopback: boolean;
  /** Replacement probes for the IDE container. No livenessProbe: see the README (a loopback IDE's liveness would
   * depend on Envoy, and an Envoy restart must not restart the IDE). */
  probes: { startupProbe: EnvoyProbe; readinessProbe: EnvoyProbe; livenessProbe?: EnvoyProbe };
  /** Whether the IDE's own password was turned off (basic, oauth2). */
  idePasswordOff: boolean;
  notes: string[];
}

export interface EnvoyRenderInput {
  kode: { name: string; namespace?: string; user?: string };
  /** The IDE's listen port (template.port or the type's default). */
  idePort: number;
  /** The IDE type (code-server, webtop, …): decides loopback binding and probes. Unknown: no binding change. */
  ideType?: string;
  config: { kind: "EnvoyProxyConfig" | "EnvoyProxyClusterConfig"; name: string; namespace?: string; spec: EnvoyProxyConfigSpec };
  /** basic: the Kode's credentials, resolved by the caller (spec.user/password, existingSecret or generated). */
  credentials?: { username: string; password: string };
  /** The Secret holding the Kode's credentials (<kode>-auth or existingSecret): reported as statusSecretName. */
  credentialsSecretName?: string;
  /** oauth2: the client secret read from clientSecretRef, and the cookie HMAC key (generated once and kept by the
   * caller, e.g. read back from the existing <kode>-envoy-auth Secret: a new key logs everybody out). */
  oauth2?: { clientSecret: string; hmacSecret: string; ca?: string };
  /** The Kode's selector labels (NetworkPolicy podSelector). Default: app.kubernetes.io/instance + kode.jacero.io/name. */
  selectorLabels?: Record<string, string>;
  /** Labels for the ConfigMap, Secret and NetworkPolicy. Default: the Kode's standard labels, component "proxy". */
  labels?: Record<string, string>;
  /** Path routing: the browser's prefix (ends in "/"), and whether the IDE wants it removed (it serves at "/"). */
  prefix?: { basePath: string; strip: boolean };
  /** Ports besides the IDE's that get a listener each (default: the IDE type's toolPorts, e.g. alnoda's). */
  toolPorts?: number[];
}

export interface EnvoyRender {
  container: EnvoyContainer;
  volumes: EnvoyVolume[];
  configMap: EnvoyConfigMap;
  secret?: EnvoySecret;
  networkPolicy: NetworkPolicy;
  idePatch: IdePatch;
  /** Changes when the pod must roll for the sidecar's sake; holds nothing derived from a secret (the caller HMACs it with the credentials). */
  checksumSource: string;
  /** The Secret the Kode's status should name (credentials for basic and none; undefined for oauth2). */
  statusSecretName?: string;
  /** The bootstrap object (also JSON in configMap.data[BOOTSTRAP_KEY]). */
  bootstrap: Record<string, unknown>;
  /** Decoded Secret files (key -> content), for validation; never log them. */
  secretFiles: Record<string, string>;
}

export class EnvoyRenderError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`invalid Envoy configuration: ${problems.map((p) => `${p.reason}: ${p.message}`).join("; ")}`);
    this.name = "EnvoyRenderError";
  }
}

export const envoyChildNames = (kode: string) => ({ configMap: `${kode}-envoy`, secret: `${kode}-envoy-auth`, networkPolicy: kode });

type MetaFor = (name: string) => EnvoyMeta;

/** Render the sidecar. Throws EnvoyRenderError when the config is invalid or a needed secret is missing. */
export function renderEnvoy(input: EnvoyRenderInput): EnvoyRender {
  assertRenderable(input);
  const { kode, idePort, config } = input;
  const spec = config.spec;
  const authType = spec.authType ?? "none";
  const authenticates = authType === "basic" || authType === "oauth2";
  const ideSpec = input.ideType ? ideTypeSpec(input.ideType) : undefined;
  const ownReadiness: ProbeCheck = (authenticates ? ideSpec?.proxiedReadiness : undefined) ?? ideSpec?.readiness ?? { kind: "tcp" };
  // An IDE told to serve below the prefix answers its health check there too.
  const ideReadiness: ProbeCheck =
    ownReadiness.kind === "http" && input.prefix && !input.prefix.strip ? { kind: "http", path: `${input.prefix.basePath}${ownReadiness.path.replace(/^\//, "")}` } : ownReadiness;
  // The IDE's activity endpoints on the health listener (below the prefix for an IDE that serves there).
  const below = input.prefix && !input.prefix.strip ? input.prefix.basePath.replace(/\/$/, "") : "";
  const ideActivity = (ideSpec?.activityReading?.sidecarPaths ?? []).map((path) => ({ path, upstream: `${below}${path}` }));
  // The IDE's tools (alnoda): a listener each, with the same filters (so the same authentication) as the IDE's.
  const toolPorts = input.toolPorts ?? toolPortsOf(ideSpec, idePort);
  const { bootstrap, secretFiles } = buildBootstrap({ kode, idePort, spec, ideReadiness, credentials: input.credentials, oauth2: input.oauth2, prefix: input.prefix, ideActivity, toolPorts });
  const bootstrapJson = `${JSON.stringify(bootstrap, null, 2)}\n`;

  const names = envoyChildNames(kode.name);
  const meta = metaFor(input);
  const hasSecret = Object.keys(secretFiles).length > 0;
  const { volumes, volumeMounts } = envoyVolumes(names, hasSecret);
  const container = envoyContainer(spec, volumeMounts, toolPorts);
  const configMap: EnvoyConfigMap = { apiVersion: "v1", kind: "ConfigMap", metadata: meta(names.configMap), data: { [BOOTSTRAP_KEY]: bootstrapJson } };
  const secret = hasSecret ? authSecret(meta(names.secret), secretFiles) : undefined;
  const networkPolicy = envoyNetworkPolicy(meta(names.networkPolicy), input.selectorLabels ?? defaultSelectorLabels(kode.name), toolPorts.map(envoyToolPort));
  const idePatch = ideContainerPatch(input.ideType, ideReadiness, authType === "basic" || authType === "oauth2");
  const statusSecretName = authType === "oauth2" ? undefined : input.credentialsSecretName;
  return {
    container,
    volumes,
    configMap,
    ...(secret && { secret }),
    networkPolicy,
    idePatch,
    checksumSource: checksumSourceOf(container, bootstrapJson, secretFiles, idePatch),
    ...(statusSecretName !== undefined && { statusSecretName }),
    bootstrap,
    secretFiles,
  };
}

/** Throws EnvoyRenderError with every problem of the config and of the resolved inputs. */
function assertRenderable(input: EnvoyRenderInput): void {
  const { kode, idePort } = input;
  const spec = input.config.spec;
  const authType = spec.authType ?? "none";
  const problems = validateEnvoyConfig(spec, {
    idePort,
    toolPorts: input.toolPorts ?? toolPortsOf(input.ideType ? ideTypeSpec(input.ideType) : undefined, idePort),
    ...(authType === "oauth2" && { clientSecretFound: input.oauth2 !== undefined, kodeUser: kode.user, endpointsRequired: true }),
    ...(authType === "basic" && input.credentials && { basicUsername: input.credentials.username }),
  });
  if (authType === "basic" && !input.credentials)
    problems.push({ reason: "MissingCredentials", message: "authType basic needs the Kode's user and password (spec.password, existingSecret or the generated password)." });
  if (authType === "oauth2" && input.oauth2 && !input.oauth2.hmacSecret)
    problems.push({ reason: "MissingHmacSecret", message: "oauth2 needs an HMAC key for its cookies; the operator generates it." });
  if (!Number.isInteger(idePort) || idePort < 1 || idePort > 65535)
    problems.push({ reason: "InvalidPort", message: `IDE port ${idePort} is not a TCP port.` });
  if (problems.length) throw new EnvoyRenderError(problems);
}

// ---- Kubernetes objects ----

const defaultSelectorLabels = (kode: string): Record<string, string> => ({ "app.kubernetes.io/instance": kode, "kode.jacero.io/name": kode });

/** Metadata for the sidecar's children: the Kode's namespace, the proxy labels, the config they came from. */
function metaFor(input: EnvoyRenderInput): MetaFor {
  const { kode, config } = input;
  const labels = input.labels ?? {
    "app.kubernetes.io/name": "envoy",
    "app.kubernetes.io/instance": kode.name,
    "app.kubernetes.io/managed-by": "kode-operator",
    "app.kubernetes.io/component": "proxy",
    "kode.jacero.io/name": kode.name,
  };
  const configId =
    config.kind === "EnvoyProxyConfig" && config.namespace ? `${config.kind}/${config.namespace}/${config.name}` : `${config.kind}/${config.name}`;
  return (name) => ({
    name,
    ...(kode.namespace !== undefined && { namespace: kode.namespace }),
    labels: { ...labels },
    annotations: { "kode.jacero.io/envoy-config": configId },
  });
}

function envoyVolumes(names: ReturnType<typeof envoyChildNames>, hasSecret: boolean): { volumes: EnvoyVolume[]; volumeMounts: VolumeMount[] } {
  const volumeMounts: VolumeMount[] = [{ name: BOOTSTRAP_VOLUME, mountPath: BOOTSTRAP_DIR, readOnly: true }];
  const volumes: EnvoyVolume[] = [{ name: BOOTSTRAP_VOLUME, configMap: { name: names.configMap, defaultMode: 0o444 } }];
  if (hasSecret) {
    volumeMounts.push({ name: AUTH_VOLUME, mountPath: AUTH_DIR, readOnly: true });
    // 0444: the volume is mounted only into the Envoy container, which runs as a uid that is not the fsGroup's.
    volumes.push({ name: AUTH_VOLUME, secret: { secretName: names.secret, defaultMode: 0o444 } });
  }
  return { volumes, volumeMounts };
}

const healthProbe = (timing: { periodSeconds: number; timeoutSeconds: number; failureThreshold: number }): EnvoyProbe => ({
  httpGet: { path: HEALTH_READY_PATH, port: ENVOY_HEALTH_PORT_NAME, scheme: "HTTP" },
  ...timing,
});

function envoyContainer(spec: EnvoyProxyConfigSpec, volumeMounts: VolumeMount[], toolPorts: number[]): EnvoyContainer {
  return {
    name: ENVOY_CONTAINER,
    image: spec.image ?? DEFAULT_ENVOY_IMAGE,
    // The binary directly (same path in the regular and distroless images): no root entrypoint, no su-exec.
    command: ["/usr/local/bin/envoy"],
    args: ["--config-path", `${BOOTSTRAP_DIR}/${BOOTSTRAP_KEY}`, "--disable-hot-restart", "--log-level", "info"],
    env: [],
    ports: [
      { name: ENVOY_PUBLIC_PORT_NAME, containerPort: ENVOY_PUBLIC_PORT, protocol: "TCP" },
      { name: ENVOY_HEALTH_PORT_NAME, containerPort: ENVOY_HEALTH_PORT, protocol: "TCP" },
      // The Service's tool-<port> ports target these names, which the IDE container declares only without Envoy.
      ...toolPorts.map((p) => ({ name: toolPortName(p), containerPort: envoyToolPort(p), protocol: "TCP" as const })),
    ],
    startupProbe: healthProbe({ periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 60 }),
    readinessProbe: healthProbe({ periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 }),
    livenessProbe: healthProbe({ periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 }),
    resources: cloneJson(spec.resources && (spec.resources.limits || spec.resources.requests) ? spec.resources : DEFAULT_ENVOY_RESOURCES),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: ENVOY_UID,
      runAsGroup: ENVOY_UID,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts,
  };
}

const authSecret = (metadata: EnvoyMeta, files: Record<string, string>): EnvoySecret => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata,
  type: "Opaque",
  data: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v, "utf8").toString("base64")])),
});

/** Only Envoy's ports are reachable from outside the pod (the IDE's own ports may not bind to loopback). */
const envoyNetworkPolicy = (metadata: EnvoyMeta, selector: Record<string, string>, toolListenPorts: number[]): NetworkPolicy => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata,
  spec: {
    podSelector: { matchLabels: { ...selector } },
    policyTypes: ["Ingress"],
    ingress: [
      {
        ports: [
          { protocol: "TCP", port: ENVOY_PUBLIC_PORT },
          { protocol: "TCP", port: ENVOY_HEALTH_PORT },
          ...toolListenPorts.map((port) => ({ protocol: "TCP" as const, port })),
        ],
      },
    ],
  },
});

/** The pod rolls when the bootstrap or the image/args change. Nothing derived from a secret is in here: the htpasswd
 * (read once by Envoy) changes only with the Kode's credentials, which the caller versions with a keyed HMAC. The
 * oauth2 files are re-read by Envoy (watched_directory), so rotating the client secret restarts nobody's session. */
function checksumSourceOf(container: EnvoyContainer, bootstrapJson: string, secretFiles: Record<string, string>, idePatch: IdePatch): string {
  return JSON.stringify({
    image: container.image,
    args: container.args,
    resources: container.resources,
    bootstrap: bootstrapJson,
    secretKeys: Object.keys(secretFiles).sort(),
    idePatch,
  });
}

function ideContainerPatch(ideType: string | undefined, readiness: ProbeCheck, authenticated: boolean): IdePatch {
  const notes: string[] = [];
  const removeEnv: string[] = [];
  const env: EnvVar[] = [];
  let bindsLoopback = false;
  switch (ideType) {
    case "code-server":
      // code-server applies $CODE_SERVER_HOST after --bind-addr,
      // so it overrides linuxserver's hard-coded --bind-addr [::]:8443 while $PORT keeps moving the port.
      env.push({ name: "CODE_SERVER_HOST", value: "127.0.0.1" });
      bindsLoopback = true;
      // linuxserver: AUTH=password iff PASSWORD or HASHED_PASSWORD is set; without them code-server runs --auth none.
      if (authenticated) removeEnv.push("PASSWORD", "HASHED_PASSWORD");
      break;
    case "webtop":
      // nginx listens on 3000/3001 on all interfaces and Selkies on 8082 (no bind option): the NetworkPolicy is what
      // keeps those ports unreachable from outside the pod.
      notes.push("webtop cannot bind to loopback; the NetworkPolicy admits only Envoy's ports");
      // Without PASSWORD nginx serves without its own basic auth.
      if (authenticated) removeEnv.push("PASSWORD");
      break;
    case "jupyter":
    case "devcontainers":
      // Both are started by the operator's own flags: behind an authenticating Envoy they listen on 127.0.0.1 with
      // their own auth off (the render leaves the secret out); otherwise they keep their token or password.
      if (authenticated) {
        bindsLoopback = true;
        removeEnv.push(ideType === "jupyter" ? "JUPYTER_TOKEN" : "KODE_IDE_SECRET");
      } else notes.push(`${ideType} keeps its own authentication: Envoy does not authenticate (authType none)`);
      break;
    case "alnoda":
      notes.push("alnoda cannot bind to loopback; its UI and each tool port are proxied by Envoy (a listener per tool, the same auth) and the NetworkPolicy admits only Envoy's ports");
      break;
    default:
      notes.push(`IDE type ${ideType ?? "(unknown)"}: no loopback binding known; the NetworkPolicy admits only Envoy's ports`);
  }
  const timing = {
    startup: { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 120 },
    readiness: { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
    liveness: { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
  };
  let probes: IdePatch["probes"];
  if (bindsLoopback && readiness.kind === "http") {
    // kubelet probes the pod IP, where a loopback IDE is not listening: go through Envoy's health listener.
    const p = (t: (typeof timing)["startup"]): EnvoyProbe => ({ httpGet: { path: HEALTH_IDE_READY_PATH, port: ENVOY_HEALTH_PORT_NAME, scheme: "HTTP" }, ...t });
    probes = { startupProbe: p(timing.startup), readinessProbe: p(timing.readiness) };
    notes.push("IDE liveness probe dropped: through Envoy it would restart the IDE whenever Envoy restarts");
  } else {
    const p = (t: (typeof timing)["startup"]): EnvoyProbe =>
      readiness.kind === "http"
        ? { httpGet: { path: readiness.path, port: IDE_PORT_NAME_BEHIND_ENVOY, scheme: "HTTP" }, ...t }
        : { tcpSocket: { port: IDE_PORT_NAME_BEHIND_ENVOY }, ...t };
    probes = { startupProbe: p(timing.startup), readinessProbe: p(timing.readiness), livenessProbe: p(timing.liveness) };
  }
  return { portName: IDE_PORT_NAME_BEHIND_ENVOY, removeEnv, env, bindsLoopback, probes, idePasswordOff: authenticated && removeEnv.length > 0, notes };
}
