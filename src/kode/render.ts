// The pure render of one Kode: (Kode, template, credentials, rollout key) -> the child objects it should own, as
// one list the generic apply step (src/kube/children.ts) creates, patches and prunes. No I/O, no clock, no
// randomness: a generated password and the key that versions the credentials come in as values, so
// `kode render`, the unit tests and the operator all call exactly this.
//
// Decisions (see the README of this folder for the long form):
// - Ports: the IDE container listens on the template port (default: the image's own port, 8443 for code-server,
//   3000 for webtop) and names it "http". The Service listens on 80 -> targetPort "http", so the in-cluster URL is
//   http://<kode>.<ns>.svc with no port to remember, whatever the IDE type; when an auth proxy sidecar arrives it
//   takes over the name "http" and the Service does not change.
// - Env order: IDE contract first, then template env. A template variable with the same name replaces the contract
//   one (no duplicate names reach the API), and a warning says so. Nothing else overrides env for now.
// - keepVolume: a PVC the user wants kept gets NO ownerReference, so neither the finalizer path nor garbage
//   collection (e.g. `kubectl delete --cascade=background` after a finalizer was stripped) can delete it. It carries
//   the annotation kode.jacero.io/keep-volume=true so that the apply layer knows to strip an ownerReference left
//   from before keepVolume was turned on (a JSON merge patch that omits a field does not remove it).
// - Selector: only app.kubernetes.io/instance and kode.jacero.io/name, which never change for a Kode, so switching
//   template or type never touches the immutable StatefulSet selector.
import { createHmac } from "node:crypto";
import { renderEnvoy, type EnvoyConfigMap, type EnvoyMeta, type EnvoyRenderInput, type EnvoySecret, type NetworkPolicy } from "../envoy/render.ts";
import { API_VERSION, type EnvVar, type Kode, type KodeTemplateSpec } from "../api/types.ts";
import type { DesiredChild } from "../kube/children.ts";
import { CONFIGMAPS, NETWORK_POLICIES, PVCS, SECRETS, SERVICES, STATEFULSETS } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import { renderRoute } from "../access/routes.ts";
import { renderKodeNetworkPolicy } from "../access/network-policy.ts";
import { ENVOY_PUBLIC_PORT, envoyToolPort } from "../envoy/render.ts";
import type { KodeAccess } from "./access.ts";
import type { IdeEnvContext, IdeTypeSpec, ProbeCheck } from "./ide/index.ts";
import { falcoPodLabels } from "../falco/labels.ts";
import { renderIsolationPolicy, type IsolationPolicy } from "../falco/isolation.ts";
import { DEFAULT_ACCESS_MODES, DEFAULT_USER, resolveSettings } from "./settings.ts";
import { podOptions, renderEnvironment, type InitContainerSpec, type ResolvedDevcontainer } from "./render-environment.ts";
import { renderRestoreInitContainer, RESTORE_REQUEST_ANNOTATION, restoreRequestId, type KodeRestore, type RestoreSource, type TemplateBackup } from "../backup/restore-render.ts";
import { JOBS, renderRestoreJob } from "../backup/restore-job.ts";
import { cloneJson } from "../kube/json-clone.ts";

export const MANAGED_BY = "kode-operator";
export const LABEL_KODE_NAME = "kode.jacero.io/name";
/** Pod-template annotation that changes when the pod's credentials or sidecar config change (an HMAC, see rolloutVersion). */
export const ANNOTATION_CONFIG_CHECKSUM = "kode.jacero.io/config-checksum";
/** Key in <kode>-auth of the random key that versions the credentials (generated once, like the password). */
export const SECRET_ROLLOUT_KEY = "rollout-key";
/** The annotation value `kode render` shows: only the operator holds the key. */
export const ROLLOUT_PLACEHOLDER = "<computed-by-the-operator>";
export const ANNOTATION_TEMPLATE = "kode.jacero.io/template";
export const ANNOTATION_KEEP_VOLUME = "kode.jacero.io/keep-volume";
export const IDE_CONTAINER = "ide";
export const HOME_VOLUME = "home";
export const HTTP_PORT_NAME = "http";
export const SERVICE_PORT = 80;
export const SECRET_USERNAME_KEY = "username";
export const SECRET_PASSWORD_KEY = "password";

/** Names of a Kode's children. */
export const childNames = (kode: string) => ({
  statefulSet: kode,
  service: kode,
  secret: `${kode}-auth`,
  pvc: `${kode}-home`,
  pod: `${kode}-0`,
});

export type Component = "ide" | "storage" | "credentials" | "proxy" | "access" | "security" | "snapshot" | "restore";

/** Labels every child carries. */
export const childLabels = (kode: string, type: string, component: Component): Record<string, string> => ({
  "app.kubernetes.io/name": type,
  "app.kubernetes.io/instance": kode,
  "app.kubernetes.io/managed-by": MANAGED_BY,
  "app.kubernetes.io/component": component,
  [LABEL_KODE_NAME]: kode,
});

/** The StatefulSet selector (also the Service selector): labels that never change for a given Kode. */
export const selectorLabels = (kode: string): Record<string, string> => ({
  "app.kubernetes.io/instance": kode,
  [LABEL_KODE_NAME]: kode,
});

// ---- Plain Kubernetes shapes (only the fields we set) ----

export type OwnerReference = {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
};
export type ChildMeta = {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
};
export type Probe = {
  httpGet?: { path: string; port: string; scheme: "HTTP" };
  tcpSocket?: { port: string };
  initialDelaySeconds?: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
};
export type Container = {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env: EnvVar[];
  envFrom?: KodeTemplateSpec["envFrom"];
  ports: { name: string; containerPort: number; protocol: "TCP" }[];
  startupProbe: Probe;
  readinessProbe: Probe;
  livenessProbe?: Probe;
  resources?: KodeTemplateSpec["resources"];
  securityContext?: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
};
export type Volume = {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: Record<string, unknown>;
  [k: string]: unknown;
};
export type PodSpec = {
  initContainers?: InitContainerSpec[];
  containers: Container[];
  volumes: Volume[];
  securityContext: Record<string, unknown>;
  enableServiceLinks: false;
  automountServiceAccountToken: boolean;
  serviceAccountName?: string;
  runtimeClassName?: string;
  priorityClassName?: string;
  affinity?: Record<string, unknown>;
  imagePullSecrets?: { name: string }[];
  nodeSelector?: Record<string, string>;
  tolerations?: KodeTemplateSpec["tolerations"];
};
export type StatefulSet = {
  apiVersion: "apps/v1";
  kind: "StatefulSet";
  metadata: ChildMeta;
  spec: {
    /** 0 while the Kode is paused (spec.paused): everything else stays. */
    replicas: 0 | 1;
    serviceName: string;
    podManagementPolicy: "Parallel";
    updateStrategy: { type: "RollingUpdate" };
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: PodSpec };
  };
};
export type Service = {
  apiVersion: "v1";
  kind: "Service";
  metadata: ChildMeta;
  spec: {
    type: "ClusterIP";
    selector: Record<string, string>;
    ports: { name: string; port: number; targetPort: string | number; protocol: "TCP" }[];
  };
};
export type Secret = {
  apiVersion: "v1";
  kind: "Secret";
  metadata: ChildMeta;
  type: "Opaque";
  /** base64, not stringData: stringData is write-only, so comparing it with the live object would never settle. */
  data: Record<string, string>;
};
export type PersistentVolumeClaim = {
  apiVersion: "v1";
  kind: "PersistentVolumeClaim";
  metadata: ChildMeta;
  spec: { accessModes: string[]; storageClassName?: string; resources: { requests: { storage: string } }; dataSource?: PvcDataSource };
};
export type PvcDataSource = { apiGroup?: string; kind: string; name: string };

export interface RenderInput {
  kode: Kode;
  template: { kind: "KodeTemplate" | "KodeClusterTemplate"; name: string; namespace?: string; spec: KodeTemplateSpec };
  credentials: {
    /** The Secret the pod reads credentials from (ignored when `generated` is present: then it is <kode>-auth). */
    secretName: string;
    /** Key of the user name in that Secret, when it has one. */
    usernameKey?: string;
    passwordKey: string;
    /** Present when the operator must create the Secret <kode>-auth (generated or taken from spec.password). */
    generated?: { username: string; password: string; rolloutKey?: string };
    /** The generated values were made because the cache shows no <kode>-auth: create it only, never patch it. */
    createOnly?: boolean;
  };
  /**
   * What versions the pod's credentials: HMAC-SHA256 of `material` (the credentials as the pod reads them) with
   * `key`, a value only Secret readers can know (the rollout key in <kode>-auth, or the uid of an existingSecret).
   * A change of credentials changes the annotation and rolls the pod; a pod reader cannot test a guessed password
   * against it. Absent (`kode render`): a placeholder.
   */
  rollout?: { key: string; material: string };
  /** An Envoy sidecar in front of the IDE (the template names an EnvoyProxyConfig), with what it needs resolved. */
  envoy?: Pick<EnvoyRenderInput, "config" | "credentials" | "oauth2"> & {
    /** The oauth2 HMAC key was generated in this pass: "create" (no sidecar Secret cached) or "ifUnchanged" (one without a key). */
    hmacGenerated?: "create" | "ifUnchanged";
  };
  /** devcontainers: the devcontainer.json the reconciler read (ConfigMap or git); an inline one is read by render itself. */
  devcontainer?: ResolvedDevcontainer;
  /** The route from a browser (the template's access section, resolved by src/kode/access.ts). */
  access?: KodeAccess;
  /** spec.restore with its source resolved: the init container kode-restore runs first (src/backup/restore-render.ts). */
  restore?: { restore: KodeRestore; backup: TemplateBackup; source: RestoreSource; /** Default restoreRequestId(restore) (an archive's resume has its own). */ requestId?: string; /** Paused, not yet run: the Job `<kode>-restore-<request>` on this claim. */ jobClaim?: string };
  /**
   * The home PVC's dataSource: spec.storage.fromSnapshot when the PVC does not exist yet, else what the live PVC
   * has (dataSource is immutable; the reconciler decides, render only writes it).
   */
  homeDataSource?: PvcDataSource;
}

export interface RenderResult {
  /**
   * Every child, in apply order (what a pod mounts before the pod), each with what the apply step needs. This list
   * is what the operator applies; the named fields below are the same objects, for tests and `kode render`.
   */
  children: DesiredChild[];
  statefulSet: StatefulSet;
  service: Service;
  secret?: Secret;
  pvc?: PersistentVolumeClaim;
  /** With an Envoy sidecar: its bootstrap, its secret files (absent for none) and the NetworkPolicy. */
  envoyConfigMap?: EnvoyConfigMap & { metadata: ChildMeta };
  envoySecret?: EnvoySecret & { metadata: ChildMeta };
  networkPolicy?: (NetworkPolicy | ReturnType<typeof renderKodeNetworkPolicy>) & { metadata: ChildMeta };
  /** The Ingress or HTTPRoute (absent without access, or when an older Kode holds the host and path). */
  route?: DesiredChild;
  /** While paused: the Job that restores spec.restore into the home PVC. */
  restoreJob?: ReturnType<typeof renderRestoreJob>;
  /** devcontainers from git: the ConfigMap <kode>-devcontainer keeping the last good read (render-environment.ts). */
  devcontainerConfigMap?: { apiVersion: "v1"; kind: "ConfigMap"; metadata: ChildMeta; data: Record<string, string> };
  /** Falco's isolate response: the deny-egress NetworkPolicy <kode>-isolate while the status records the isolation. */
  isolationPolicy?: IsolationPolicy & { metadata: ChildMeta };
  warnings: string[];
}

export function renderKode(input: RenderInput): RenderResult {
  const { kode, template } = input;
  const name = kode.metadata.name;
  const namespace = kode.metadata.namespace;
  const names = childNames(name);
  const s = resolveSettings(kode, template.spec);
  const warnings: string[] = [];
  const ide = s.ide;
  if (!ide) warnings.push(`IDE type "${s.type}" is unknown: the pod gets no env contract and TCP probes`);
  else if (!ide.supported) warnings.push(`IDE type "${s.type}" is ${ide.unsupportedReason ?? "not supported"}`);

  const owner = ownerReferences(kode);
  const meta = (childName: string, component: Component, annotations?: Record<string, string>, owned = true): ChildMeta => ({
    name: childName,
    ...(namespace !== undefined && { namespace }),
    labels: childLabels(name, s.type, component),
    ...(annotations && { annotations }),
    ...(owned && owner && { ownerReferences: owner }),
  });
  const templateAnnotation = { [ANNOTATION_TEMPLATE]: templateId(template) };

  // Credentials: a Secret we manage, or a Secret the user owns (existingSecret).
  const generated = input.credentials.generated;
  const credentials = generated
    ? { secretName: names.secret, usernameKey: SECRET_USERNAME_KEY, passwordKey: SECRET_PASSWORD_KEY }
    : {
        secretName: input.credentials.secretName,
        usernameKey: input.credentials.usernameKey,
        passwordKey: input.credentials.passwordKey,
      };
  if (generated && input.credentials.secretName && input.credentials.secretName !== names.secret)
    warnings.push(`credentials are managed by the operator, so the pod reads them from ${names.secret}, not ${input.credentials.secretName}`);
  const secret: Secret | undefined = generated && {
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta(names.secret, "credentials"),
    type: "Opaque",
    data: {
      [SECRET_USERNAME_KEY]: base64(generated.username),
      [SECRET_PASSWORD_KEY]: base64(generated.password),
      ...(generated.rolloutKey !== undefined && { [SECRET_ROLLOUT_KEY]: base64(generated.rolloutKey) }),
    },
  };

  // Storage: an existing claim, our claim, or an emptyDir.
  const storage = s.storage;
  let pvc: PersistentVolumeClaim | undefined;
  let homeVolume: Volume;
  if (storage?.existingVolumeClaim) {
    homeVolume = { name: HOME_VOLUME, persistentVolumeClaim: { claimName: storage.existingVolumeClaim } };
    const ignored = (["storageClassName", "accessModes", "resources", "keepVolume"] as const).filter((k) => storage[k] !== undefined);
    if (ignored.length)
      warnings.push(`storage.existingVolumeClaim ${storage.existingVolumeClaim} is used as is; ${ignored.join(", ")} ignored`);
  } else if (storage?.resources?.requests?.storage) {
    const keep = storage.keepVolume === true;
    pvc = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: meta(names.pvc, "storage", keep ? { ...templateAnnotation, [ANNOTATION_KEEP_VOLUME]: "true" } : templateAnnotation, !keep),
      spec: {
        accessModes: storage.accessModes?.length ? [...storage.accessModes] : [...DEFAULT_ACCESS_MODES],
        ...(storage.storageClassName !== undefined && { storageClassName: storage.storageClassName }),
        resources: { requests: { storage: storage.resources.requests.storage } },
        ...(input.homeDataSource && { dataSource: { ...input.homeDataSource } }),
      },
    };
    homeVolume = { name: HOME_VOLUME, persistentVolumeClaim: { claimName: names.pvc } };
  } else {
    homeVolume = { name: HOME_VOLUME, emptyDir: {} };
    warnings.push(
      storage
        ? `storage declares no size (resources.requests.storage): home ${s.home} is an emptyDir and is lost when the pod restarts`
        : `no storage: home ${s.home} is an emptyDir and is lost when the pod restarts`,
    );
  }

  // Env: IDE contract < template env.
  const ctx: IdeEnvContext = {
    port: s.port,
    home: s.home,
    workspacePath: s.workspacePath,
    puid: s.puid,
    pgid: s.pgid,
    tz: s.tz,
    user: generated?.username ?? kode.spec.user ?? DEFAULT_USER,
    basePath: basePathOf(input.access),
    credentials,
  };
  const envoyAuth = input.envoy?.config.spec.authType;
  const environment = renderEnvironment({
    kode,
    template: template.spec,
    settings: s,
    ctx,
    homeVolumeName: HOME_VOLUME,
    behindEnvoy: !!input.envoy,
    behindAuthProxy: envoyAuth === "basic" || envoyAuth === "oauth2",
    devcontainer: input.devcontainer,
  });
  warnings.push(...environment.warnings);
  const contract = environment.contractEnv ?? ide?.env(ctx) ?? [];
  const templateEnv = template.spec.env ?? [];
  const overridden = new Set(templateEnv.map((e) => e.name));
  for (const e of contract)
    if (overridden.has(e.name)) warnings.push(`template env ${e.name} replaces the ${s.type} contract value`);
  const env = [...contract.filter((e) => !overridden.has(e.name)), ...dedupeLastWins(templateEnv)].map((e) => cloneJson(e));

  const extra = ide?.extraVolumes ?? [];
  const t = template.spec;
  const container: Container = {
    name: IDE_CONTAINER,
    image: environment.image ?? s.image,
    ...(t.imagePullPolicy && { imagePullPolicy: t.imagePullPolicy }),
    ...(t.command?.length ? { command: [...t.command] } : environment.command && { command: environment.command }),
    ...(t.args?.length ? { args: [...t.args] } : environment.args && { args: environment.args }),
    env,
    ...(t.envFrom?.length && { envFrom: cloneJson(t.envFrom) }),
    ports: [{ name: HTTP_PORT_NAME, containerPort: s.port, protocol: "TCP" }, ...environment.extraContainerPorts],
    // linuxserver images run their first-boot init (chown of home, extension installs) before the IDE listens;
    // the startup probe gives that up to 10 minutes without making liveness lenient afterwards.
    startupProbe: probe(underPrefix(ide, ide?.readiness, ctx.basePath ?? "/"), { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 120 }),
    readinessProbe: probe(underPrefix(ide, ide?.readiness, ctx.basePath ?? "/"), { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 }),
    livenessProbe: probe(underPrefix(ide, ide?.liveness, ctx.basePath ?? "/"), { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 }),
    ...(t.resources && (t.resources.limits || t.resources.requests) && { resources: cloneJson(t.resources) }),
    ...((environment.securityContext || t.securityContext) && { securityContext: { ...(environment.securityContext ?? {}), ...cloneJson(t.securityContext ?? {}) } }),
    volumeMounts: [{ name: HOME_VOLUME, mountPath: s.home }, ...extra.map((v) => ({ name: v.volume.name, mountPath: v.mountPath })), ...environment.extraVolumeMounts],
  };

  const pod = podOptions(t, s.pgid);
  // The restore runs before everything else that writes to home (plugins, dotfiles, the IDE).
  const restore = input.restore && renderRestoreInitContainer({ kode, ...input.restore, homeVolumeName: HOME_VOLUME, uid: s.puid, gid: s.pgid });
  const initContainers = [...(restore ? [restore.container] : []), ...environment.initContainers];
  const podSpec: PodSpec = {
    ...(initContainers.length && { initContainers }),
    containers: [container],
    volumes: [homeVolume, ...extra.map((v) => cloneJson(v.volume) as Volume), ...(environment.volumes as Volume[]), ...((restore?.volumes ?? []) as Volume[])],
    securityContext: pod.securityContext,
    enableServiceLinks: false,
    automountServiceAccountToken: pod.automountServiceAccountToken,
    ...(pod.serviceAccountName && { serviceAccountName: pod.serviceAccountName }),
    ...(pod.runtimeClassName && { runtimeClassName: pod.runtimeClassName }),
    ...(pod.priorityClassName && { priorityClassName: pod.priorityClassName }),
    ...(pod.affinity && { affinity: pod.affinity }),
    ...(t.imagePullSecrets?.length && { imagePullSecrets: cloneJson(t.imagePullSecrets) }),
    ...(t.nodeSelector && Object.keys(t.nodeSelector).length && { nodeSelector: { ...t.nodeSelector } }),
    ...(t.tolerations?.length && { tolerations: cloneJson(t.tolerations) }),
  };

  const statefulSet: StatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: meta(names.statefulSet, "ide", templateAnnotation),
    spec: {
      replicas: kode.spec.paused ? 0 : 1,
      serviceName: names.service,
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "RollingUpdate" },
      selector: { matchLabels: selectorLabels(name) },
      template: {
        metadata: {
          labels: { ...childLabels(name, s.type, "ide"), ...falcoPodLabels({ kind: template.kind, name: template.name, spec: t }) },
          annotations: { [ANNOTATION_CONFIG_CHECKSUM]: rolloutVersion(input.rollout, ""), ...(input.restore && { [RESTORE_REQUEST_ANNOTATION]: input.restore.requestId ?? restoreRequestId(input.restore.restore) }) },
        },
        spec: podSpec,
      },
    },
  };

  const service: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(names.service, "ide", templateAnnotation),
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(name),
      ports: [{ name: HTTP_PORT_NAME, port: SERVICE_PORT, targetPort: HTTP_PORT_NAME, protocol: "TCP" }, ...environment.extraServicePorts],
    },
  };

  const kept = environment.keptDevcontainer;
  const devcontainerConfigMap = kept && { apiVersion: "v1" as const, kind: "ConfigMap" as const, metadata: meta(kept.name, "ide", kept.annotations), data: kept.data };
  const r = input.restore;
  const restoreJob = r?.jobClaim ? renderRestoreJob({ kode, restore: r.restore, backup: r.backup, source: r.source, ...(r.requestId && { requestId: r.requestId }), homeVolumeName: HOME_VOLUME, uid: s.puid, gid: s.pgid, claimName: r.jobClaim, labels: childLabels(name, s.type, "restore"), ...(owner && { ownerReferences: owner }) }) : undefined;
  const result: Omit<RenderResult, "children"> = { statefulSet, service, ...(secret && { secret }), ...(pvc && { pvc }), ...(devcontainerConfigMap && { devcontainerConfigMap }), ...(restoreJob && { restoreJob }), warnings };
  if (input.envoy) attachEnvoy(result, input, s.port, s.type, owner, credentials.secretName, environment.toolPorts);
  const isolation = renderIsolation(input, s.port, s.type, owner, environment.toolPorts);
  if (isolation) result.networkPolicy = isolation;
  const route = renderAccess(input, s.type, owner);
  if (route) result.route = route;
  const isolationPolicy = renderIsolationPolicy(kode, childLabels(name, s.type, "security"), selectorLabels(name));
  if (isolationPolicy) result.isolationPolicy = { ...isolationPolicy, metadata: { ...isolationPolicy.metadata, ...(owner && { ownerReferences: owner }) } };
  return { ...result, children: childList(result, input) };
}

/**
 * The template's isolation (networkPolicy.ingressFrom): the NetworkPolicy <kode> admits only its peers, never other
 * Kodes, on Envoy's public port or, without Envoy, the IDE's port. It replaces the sidecar's open policy.
 */
function renderIsolation(input: RenderInput, idePort: number, type: string, owner: OwnerReference[] | undefined, toolPorts: number[]) {
  const peers = input.template.spec.networkPolicy?.ingressFrom;
  if (!peers?.length) return undefined;
  const name = input.kode.metadata.name;
  const policy = renderKodeNetworkPolicy({
    metadata: { name, ...(input.kode.metadata.namespace !== undefined && { namespace: input.kode.metadata.namespace }), labels: childLabels(name, type, input.envoy ? "proxy" : "ide") },
    selectorLabels: selectorLabels(name),
    port: input.envoy ? ENVOY_PUBLIC_PORT : idePort,
    extraPorts: toolPorts.map((p) => (input.envoy ? envoyToolPort(p) : p)),
    ingressFrom: peers,
  });
  return { ...policy, metadata: { ...policy.metadata, ...(owner && { ownerReferences: owner }) } };
}

/** The path prefix the IDE is told about ("/" without path routing). */
const basePathOf = (access: KodeAccess | undefined) => access?.route.path ?? "/";

/** An IDE that serves below the prefix answers its HTTP checks there too. */
export function underPrefix(ide: IdeTypeSpec | undefined, check: ProbeCheck | undefined, basePath: string): ProbeCheck {
  if (!check) return { kind: "tcp" };
  if (check.kind !== "http" || ide?.pathPrefix !== "serve" || basePath === "/") return check;
  return { kind: "http", path: `${basePath}${check.path.replace(/^\//, "")}` };
}

/**
 * The route child: the Ingress or HTTPRoute to the Service, unless an older Kode holds the host and path. With
 * Envoy in front, Envoy strips the prefix; without it an HTTPRoute does (access.ts refuses an Ingress then).
 */
function renderAccess(input: RenderInput, type: string, owner: OwnerReference[] | undefined): DesiredChild | undefined {
  const a = input.access;
  if (!a || a.conflict) return undefined;
  const name = input.kode.metadata.name;
  const target = { kode: name, namespace: input.kode.metadata.namespace ?? "", user: input.kode.spec.user ?? DEFAULT_USER, serviceName: childNames(name).service, servicePort: SERVICE_PORT };
  const child = renderRoute(a.spec, a.route, target, { labels: childLabels(name, type, "access") }, { stripPrefix: a.stripPrefix && !input.envoy });
  const object = child.object as unknown as KubeObject;
  if (input.kode.metadata.namespace === undefined) delete (object.metadata as { namespace?: string }).namespace;
  if (owner) (object.metadata as ChildMeta).ownerReferences = owner;
  return { resource: child.resource, object };
}

/** A kept home: no ownerReference; one made before the provenance mark existed (same labels, the keep-volume
 * annotation, created after this Kode) is taken over. */
function keptHome(input: RenderInput): Pick<DesiredChild, "keep" | "adoptLegacy"> {
  const k = input.kode.metadata;
  return {
    keep: true,
    adoptLegacy: {
      labels: { "app.kubernetes.io/managed-by": MANAGED_BY, [LABEL_KODE_NAME]: k.name },
      annotations: { [ANNOTATION_KEEP_VOLUME]: "true" },
      ...(k.creationTimestamp && { createdNotBefore: k.creationTimestamp }),
    },
  };
}

/** The children in apply order: credentials and storage, the sidecar's files and policy, then Service and workload. */
function childList(r: Omit<RenderResult, "children">, input: RenderInput): DesiredChild[] {
  const obj = (o: unknown) => o as KubeObject;
  const hmac = input.envoy?.hmacGenerated;
  return [
    ...(r.secret ? [{ resource: SECRETS, object: obj(r.secret), ...(input.credentials.createOnly && { createOnly: true }) }] : []),
    ...(r.pvc ? [{ resource: PVCS, object: obj(r.pvc), ...(r.pvc.metadata.annotations?.[ANNOTATION_KEEP_VOLUME] === "true" && keptHome(input)) }] : []),
    ...(r.envoySecret ? [{ resource: SECRETS, object: obj(r.envoySecret), ...(hmac === "create" && { createOnly: true }), ...(hmac === "ifUnchanged" && { ifUnchanged: true }) }] : []),
    ...(r.envoyConfigMap ? [{ resource: CONFIGMAPS, object: obj(r.envoyConfigMap) }] : []),
    ...(r.devcontainerConfigMap ? [{ resource: CONFIGMAPS, object: obj(r.devcontainerConfigMap) }] : []),
    ...(r.networkPolicy ? [{ resource: NETWORK_POLICIES, object: obj(r.networkPolicy) }] : []),
    ...(r.isolationPolicy ? [{ resource: NETWORK_POLICIES, object: obj(r.isolationPolicy) }] : []),
    ...(r.restoreJob ? [{ resource: JOBS, object: obj(r.restoreJob) }] : []),
    { resource: SERVICES, object: obj(r.service) },
    { resource: STATEFULSETS, object: obj(r.statefulSet) },
    ...(r.route ? [r.route] : []),
  ];
}

/** The pod-template annotation: HMAC-SHA256 (hex, 32 characters) of the credentials and the sidecar's inputs. */
export function rolloutVersion(rollout: RenderInput["rollout"], sidecar: string): string {
  if (!rollout) return ROLLOUT_PLACEHOLDER;
  return createHmac("sha256", rollout.key).update(`${rollout.material}\n${sidecar}`).digest("hex").slice(0, 32);
}

/**
 * Put the Envoy sidecar in front of the IDE: Envoy takes the port name "http" the Service targets, the IDE is
 * patched as renderEnvoy says (loopback binding, its own password off, probes through Envoy), and a change of
 * the sidecar's inputs rolls the pod through the checksum annotation. Throws EnvoyRenderError on a bad config.
 */
function attachEnvoy(result: Omit<RenderResult, "children">, input: RenderInput, idePort: number, ideType: string, owner: OwnerReference[] | undefined, credentialsSecretName: string, toolPorts: number[]) {
  const name = input.kode.metadata.name;
  const envoy = renderEnvoy({
    kode: { name, namespace: input.kode.metadata.namespace, user: input.kode.spec.user },
    idePort,
    ideType,
    config: input.envoy!.config,
    credentials: input.envoy!.credentials,
    credentialsSecretName,
    oauth2: input.envoy!.oauth2,
    ...(input.access && input.access.route.path !== "/" && { prefix: { basePath: input.access.route.path, strip: input.access.stripPrefix } }),
    selectorLabels: selectorLabels(name),
    labels: childLabels(name, ideType, "proxy"),
    toolPorts,
  });
  const owned = <T extends { metadata: EnvoyMeta }>(obj: T): T & { metadata: ChildMeta } => ({
    ...obj,
    metadata: { ...obj.metadata, ...(owner && { ownerReferences: owner }) },
  });
  const pod = result.statefulSet.spec.template;
  const ide = pod.spec.containers[0];
  const patch = envoy.idePatch;
  ide.ports = ide.ports.map((p) => (p.name === HTTP_PORT_NAME ? { ...p, name: patch.portName } : p));
  ide.env = [...ide.env.filter((e) => !patch.removeEnv.includes(e.name)), ...patch.env];
  ide.startupProbe = patch.probes.startupProbe;
  ide.readinessProbe = patch.probes.readinessProbe;
  if (patch.probes.livenessProbe) ide.livenessProbe = patch.probes.livenessProbe;
  else delete ide.livenessProbe;
  pod.spec.containers.push(envoy.container as Container);
  pod.spec.volumes.push(...(envoy.volumes as Volume[]));
  pod.metadata.annotations[ANNOTATION_CONFIG_CHECKSUM] = rolloutVersion(input.rollout, envoy.checksumSource);
  result.envoyConfigMap = owned(envoy.configMap);
  if (envoy.secret) result.envoySecret = owned(envoy.secret);
  result.networkPolicy = owned(envoy.networkPolicy);
}

/** The in-cluster URL of a Kode's Service (what status.url shows). */
export const serviceUrl = (kode: string, namespace: string, clusterDomain = "cluster.local"): string =>
  `http://${childNames(kode).service}.${namespace}.svc.${clusterDomain}`;

function ownerReferences(kode: Kode): OwnerReference[] | undefined {
  // Without a uid (e.g. `kode render` on a file) there is nothing to own the children.
  if (!kode.metadata.uid) return undefined;
  return [
    { apiVersion: API_VERSION, kind: "Kode", name: kode.metadata.name, uid: kode.metadata.uid, controller: true, blockOwnerDeletion: true },
  ];
}

function templateId(t: RenderInput["template"]): string {
  return t.kind === "KodeTemplate" && t.namespace ? `${t.kind}/${t.namespace}/${t.name}` : `${t.kind}/${t.name}`;
}

function probe(check: ProbeCheck, timing: { periodSeconds: number; timeoutSeconds: number; failureThreshold: number }): Probe {
  return check.kind === "http"
    ? { httpGet: { path: check.path, port: HTTP_PORT_NAME, scheme: "HTTP" }, ...timing }
    : { tcpSocket: { port: HTTP_PORT_NAME }, ...timing };
}

/** Within the template's own list, a repeated name keeps its last value (what kubelet would do), at its first position. */
function dedupeLastWins(env: EnvVar[]): EnvVar[] {
  const last = new Map(env.map((e) => [e.name, e]));
  const seen = new Set<string>();
  const out: EnvVar[] = [];
  for (const e of env) {
    if (seen.has(e.name)) continue;
    seen.add(e.name);
    out.push(last.get(e.name)!);
  }
  return out;
}


const base64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
