// The kode.jacero.io/v1alpha1 API as TypeScript types. The valibot schemas in this folder are the source
// of the CRDs; a type test keeps them and these types in step.

import type { DevcontainerSource } from "../devcontainer/source.ts";
import type { Dotfiles } from "../dotfiles/dotfiles.ts";
import type { Vscode } from "../vscode/vscode.ts";

export const GROUP = "kode.jacero.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

export const IDE_TYPES = ["code-server", "webtop", "jupyter", "alnoda", "devcontainers"] as const;
export type IdeType = (typeof IDE_TYPES)[number];

export const KODE_PHASES = ["Pending", "Provisioning", "Running", "Updating", "Paused", "Resuming", "Archived", "Failed", "Deleting"] as const;
export type KodePhase = (typeof KODE_PHASES)[number];

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface KodeStorage {
  accessModes?: string[];
  storageClassName?: string;
  resources?: { requests?: { storage?: string } };
  /** Keep the PVC when the Kode is deleted (it is orphaned and annotated). */
  keepVolume?: boolean;
  /** Use this existing PVC instead of creating one; never modified or deleted. */
  existingVolumeClaim?: string;
}

export interface TemplateRef {
  kind?: "KodeTemplate" | "KodeClusterTemplate";
  name: string;
  namespace?: string;
}

export interface EnvoyProxyRef {
  kind?: "EnvoyProxyConfig" | "EnvoyProxyClusterConfig";
  name: string;
  namespace?: string;
}

export interface KodeSpec {
  templateRef: TemplateRef;
  user?: string;
  password?: string;
  /** A Secret with key `password` and optionally `username`. */
  existingSecret?: string;
  /** Absolute path of the home directory (default: the template's defaultHome). */
  home?: string;
  /** Workspace folder relative to home (default: the template's defaultWorkspace). */
  workspace?: string;
  storage?: KodeStorage;
  devcontainer?: DevcontainerSource;
  dotfiles?: Dotfiles;
  vscode?: Vscode;
  initPlugins?: InitPlugin[];
  /** Scale the StatefulSet to 0, keeping everything else. */
  paused?: boolean;
  /** Shortens the template's lifecycle values. */
  lifecycle?: LifecycleSpec;
}

/** Go-style durations (`30m`, `1h30m`). */
export interface LifecycleSpec {
  idleTimeout?: string;
  maxRunTime?: string;
  warnBefore?: string;
}

export interface ActivityStatus {
  verdict: "Active" | "Idle" | "Unknown";
  reason: string;
  signal: string;
  lastActiveTime?: string;
  idleSince?: string;
  pauseAt?: string;
}

export interface StartupStatus {
  startedAt?: string;
  scheduledAt?: string;
  initializedAt?: string;
  readyAt?: string;
  seconds?: number;
}

export interface KodeStatus {
  phase?: KodePhase;
  conditions?: Condition[];
  observedGeneration?: number;
  /** The URL a user opens: the route's (https with TLS). Absent without a route (the template sets no access). */
  url?: string;
  /** In-cluster URL of the Service. */
  internalURL?: string;
  /** Name of the Secret holding the credentials in use. */
  credentialsSecret?: string;
  type?: IdeType;
  template?: { kind: string; name: string; namespace?: string };
  devcontainer?: { source?: string; commit?: string; postStartExitCode?: number };
  activity?: ActivityStatus;
  startup?: StartupStatus;
}

export interface Kode {
  apiVersion: typeof API_VERSION;
  kind: "Kode";
  metadata: ObjectMeta;
  spec: KodeSpec;
  status?: KodeStatus;
}

// Core v1 shapes used by templates, kept as plain data.
export type EnvVar = { name: string; value?: string; valueFrom?: Record<string, unknown> };
export type EnvFromSource = { prefix?: string; configMapRef?: { name: string; optional?: boolean }; secretRef?: { name: string; optional?: boolean } };
export type ResourceRequirements = { limits?: Record<string, string>; requests?: Record<string, string> };
export type Toleration = { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number };

export interface KodeTemplateSpec {
  type: IdeType;
  image: string;
  /** The IDE's listen port (default by type). */
  port?: number;
  tz?: string;
  puid?: number;
  pgid?: number;
  defaultHome?: string;
  defaultWorkspace?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  command?: string[];
  args?: string[];
  resources?: ResourceRequirements;
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  imagePullSecrets?: { name: string }[];
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  /** Default storage for Kodes using this template. */
  storage?: KodeStorage;
  envoyProxyRef?: EnvoyProxyRef;
  runtimeClassName?: string;
  podSecurityContext?: Record<string, unknown>;
  securityContext?: Record<string, unknown>;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  affinity?: Record<string, unknown>;
  priorityClassName?: string;
  devcontainer?: DevcontainerSource;
  ideServer?: { kind: "openvscode-server" | "code-server"; image?: string };
  gitImage?: string;
  allowRootStart?: boolean;
  allowPrivilegedPlugins?: boolean;
  initPlugins?: InitPlugin[];
  dotfiles?: Dotfiles;
  vscode?: Vscode;
  /** How a browser reaches the Kodes: one Ingress or HTTPRoute per Kode. */
  access?: AccessSpec;
  /** Isolation: only these peers reach a Kode, never other Kodes. */
  networkPolicy?: { ingressFrom: NetworkPeer[] };
  /** Automatic pauses of the Kodes. */
  lifecycle?: LifecycleSpec;
  /** Falco runtime security: pod labels, rules, the response to an alert. */
  falco?: FalcoSpec;
}

export interface FalcoSpec {
  enabled?: boolean;
  /** Default record. */
  response?: "record" | "isolate" | "pause";
  rules?: { rule: string; desc?: string; condition: string; output: string; priority: "EMERGENCY" | "ALERT" | "CRITICAL" | "ERROR" | "WARNING" | "NOTICE" | "INFORMATIONAL" | "DEBUG"; tags?: string[] }[];
}

export interface InitPlugin {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  resources?: ResourceRequirements;
  securityContext?: Record<string, unknown>;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

export interface NetworkPeer {
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
}

export interface AccessSpec {
  /** Render an Ingress (the default when neither ingress nor gateway is set). */
  ingress?: { className?: string; annotations?: Record<string, string> };
  /** Render an HTTPRoute attached to these Gateways. */
  gateway?: { parentRefs: { name: string; namespace?: string; sectionName?: string }[] };
  /** Host pattern with {kode}, {namespace}, {user}, e.g. "{kode}-{user}.dev.example.com". */
  host: string;
  /** Path prefix pattern, e.g. "/{namespace}/{kode}/" (default "/"). */
  path?: string;
  /** A TLS Secret in the Kode's namespace: the route serves https. */
  tlsSecretName?: string;
}

export interface KodeTemplateStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  /** How many Kodes use this template. */
  kodes?: number;
}

export interface KodeTemplate {
  apiVersion: typeof API_VERSION;
  kind: "KodeTemplate" | "KodeClusterTemplate";
  metadata: ObjectMeta;
  spec: KodeTemplateSpec;
  status?: KodeTemplateStatus;
}

export type EnvoyAuthType = "none" | "basic" | "oauth2" | "ext_authz";

export interface EnvoyOAuth2Spec {
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  /** Default: <issuer>/protocol/openid-connect/certs (Keycloak). */
  jwksUri?: string;
  /** A private CA (PEM in a Secret) for the identity provider's certificate. */
  caSecretRef?: { name: string; namespace?: string; key?: string };
  clientId?: string;
  clientSecretRef?: { name: string; key?: string };
  /** Default [openid, profile, email]. */
  scopes?: string[];
  /** Default /oauth2/callback. */
  redirectPath?: string;
  /** Default /oauth2/signout. */
  signoutPath?: string;
  /** Default preferred_username. */
  userClaim?: string;
  /** Default groups. */
  groupsClaim?: string;
  allowedGroups?: string[];
}

export interface EnvoyExtAuthzSpec {
  grpc?: { address: string; authority?: string };
  http?: { uri: string; pathPrefix?: string };
  /** Default 0.25s. */
  timeout?: string;
  /** Default false (closed). */
  failureModeAllow?: boolean;
  withRequestBody?: { maxRequestBytes: number; allowPartialMessage?: boolean };
}

export interface EnvoyProxyConfigSpec {
  image?: string;
  /** Unset: none. `ext_authz` is kept as an alias of none that requires an external authorizer (extAuthz or a raw ext_authz filter). */
  authType?: EnvoyAuthType;
  oauth2?: EnvoyOAuth2Spec;
  extAuthz?: EnvoyExtAuthzSpec;
  httpFilters?: { name: string; typed_config?: Record<string, unknown> }[];
  clusters?: Record<string, unknown>[];
  resources?: ResourceRequirements;
}

export interface EnvoyProxyConfig {
  apiVersion: typeof API_VERSION;
  kind: "EnvoyProxyConfig" | "EnvoyProxyClusterConfig";
  metadata: ObjectMeta;
  spec: EnvoyProxyConfigSpec;
  status?: { conditions?: Condition[]; observedGeneration?: number };
}
