// What the operator needs to know about one IDE type. Adding a type is one file exporting an IdeTypeSpec plus
// its entry in index.ts; nothing else in the operator knows the list of types.
import type { EnvVar, IdeType } from "../../api/types.ts";
import type { TrafficFloor } from "../../lifecycle/verdict.ts";

/** How kubelet checks the IDE container. Probes always target the container port named "http". */
export type ProbeCheck = { kind: "http"; path: string } | { kind: "tcp" };

/** How a later idle detector can tell whether somebody uses the IDE. */
export type ActivitySignal =
  /** An HTTP endpoint on the IDE port that reports activity without counting as activity itself. */
  | { kind: "http"; path: string; note: string }
  /** No signal inside the IDE: fall back to proxy traffic statistics. */
  | { kind: "none"; note: string };

/** What the activity poller (src/lifecycle/targets.ts) reads for this type. */
export interface ActivityReading {
  /** The IDE's own activity protocol, read on the IDE port when no sidecar is in front (the IDE then binds the pod IP). */
  native?: "code-server" | "jupyter";
  /** Client-to-server traffic through the Envoy sidecar below this rate is keep-alive, not use. */
  envoyFloor: TrafficFloor;
  /**
   * The native endpoints (exact paths, GET only) the sidecar forwards from its health listener to the IDE, so the
   * native signal is read behind the sidecar too (the IDE then binds 127.0.0.1, out of the pod proxy's reach).
   */
  sidecarPaths?: string[];
}

/** Everything an IDE's env contract may depend on. Values are already resolved (template defaults applied). */
export interface IdeEnvContext {
  /** The IDE's listen port (template.port or the type's default). */
  port: number;
  /** Absolute home directory (the home volume's mount path). */
  home: string;
  /** Absolute folder to open: home/workspace, or home alone when there is no workspace. */
  workspacePath: string;
  puid: number;
  pgid: number;
  tz: string;
  /** The login name, used when the credentials Secret has no username key. */
  user: string;
  /**
   * The path prefix the browser uses ("/" without path routing; else e.g. "/team/my-kode/", always ending in "/").
   * Only types with `pathPrefix: "serve"` use it; for "strip" types the proxy removes it before the IDE sees it.
   * Unset: "/".
   */
  basePath?: string;
  /** Where the credentials live. Secrets enter the pod only through secretKeyRef, never as literal values. */
  credentials: { secretName: string; usernameKey?: string; passwordKey: string };
}

export interface IdeExtraVolume {
  volume: Record<string, unknown> & { name: string };
  mountPath: string;
}

export interface IdeTypeSpec {
  type: IdeType;
  description: string;
  /** False: described for planning, but a Kode of this type fails validation with UnsupportedType. */
  supported: boolean;
  /** Why it is unsupported (shown in the UnsupportedType message). */
  unsupportedReason?: string;
  defaultImage: string;
  /** The image's home directory, used when neither the Kode nor the template names one (default /config). */
  defaultHome?: string;
  /** The port the image listens on when the contract does not change it. */
  defaultPort: number;
  /** The env the image expects, in order. Template env is appended after it and wins on equal names. */
  env(ctx: IdeEnvContext): EnvVar[];
  readiness: ProbeCheck;
  /** Readiness when an authenticating Envoy sidecar is in front and the IDE's own auth is off (default: readiness). */
  proxiedReadiness?: ProbeCheck;
  liveness: ProbeCheck;
  activity: ActivitySignal;
  /** How the activity poller reads this type; a type without it gets DEFAULT_ENVOY_FLOOR and no native reader. */
  activityReading?: ActivityReading;
  /**
   * How the IDE runs under a path prefix (access.path): "strip" = it serves at "/" with relative URLs, so the
   * proxy in front (Envoy, or an HTTPRoute URLRewrite) removes the prefix; "serve" = it is told the prefix
   * (basePath in the env) and serves everything, probes included, below it.
   */
  pathPrefix: "strip" | "serve";
  /** Volumes the image needs besides home (e.g. a memory-backed /dev/shm for browsers in webtop). */
  extraVolumes?: IdeExtraVolume[];
  /**
   * Ports of tools the image serves besides the IDE port (alnoda). Each is on the Service under its own number
   * (port name tool-<port>); behind an Envoy sidecar it gets a listener of its own with the same authentication.
   */
  toolPorts?: readonly number[];
}

// Helpers shared by the env contracts.

/** PUID/PGID/TZ: the common linuxserver.io variables. */
export const linuxserverBaseEnv = (ctx: IdeEnvContext): EnvVar[] => [
  { name: "PUID", value: String(ctx.puid) },
  { name: "PGID", value: String(ctx.pgid) },
  { name: "TZ", value: ctx.tz },
];

export const secretKeyRef = (name: string, secretName: string, key: string): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secretName, key } },
});

export const passwordEnv = (name: string, ctx: IdeEnvContext): EnvVar =>
  secretKeyRef(name, ctx.credentials.secretName, ctx.credentials.passwordKey);

/** The user name: from the Secret when it has a username key (existingSecret), else the resolved literal. */
export const usernameEnv = (name: string, ctx: IdeEnvContext): EnvVar =>
  ctx.credentials.usernameKey
    ? secretKeyRef(name, ctx.credentials.secretName, ctx.credentials.usernameKey)
    : { name, value: ctx.user };

/** `name=port` only when the port differs from the image default, so the common case renders the image's own behaviour. */
export const portEnvIfChanged = (name: string, ctx: IdeEnvContext, imageDefault: number): EnvVar[] =>
  ctx.port === imageDefault ? [] : [{ name, value: String(ctx.port) }];

// Tool ports (toolPorts): one name per tool everywhere, so the Service does not change when Envoy takes them over.

/** The name of a tool's port, on the IDE container (no Envoy), on Envoy's container (behind Envoy) and on the Service. */
export const toolPortName = (port: number) => `tool-${port}`;

/** The tool ports of a type, without the one the IDE itself listens on (a template may move the UI onto one). */
export const toolPortsOf = (spec: Pick<IdeTypeSpec, "toolPorts"> | undefined, idePort: number): number[] => (spec?.toolPorts ?? []).filter((p) => p !== idePort);

/** Container ports of the IDE container besides "http", one per tool (without Envoy: behind it Envoy declares them). */
export const toolContainerPorts = (ports: readonly number[]) => ports.map((p) => ({ name: toolPortName(p), containerPort: p, protocol: "TCP" as const }));

/** Service ports besides 80 → http: each tool on its own number, targeting the port named tool-<port> (the IDE's or Envoy's). */
export const toolServicePorts = (ports: readonly number[]) => ports.map((p) => ({ name: toolPortName(p), port: p, targetPort: toolPortName(p), protocol: "TCP" as const }));
