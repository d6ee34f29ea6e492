// The Kode reconciler: observe (informer caches) → render (pure) → apply (create or merge patch, skipping
// what already matches) → status (written only when it changes). Level-triggered: it never asks what
// happened, only what should exist now.
import { createHash } from "node:crypto";
import { KODES } from "../api/resources.ts";
import type { EnvoyProxyConfig, Kode, KodeStatus, KodeTemplate } from "../api/types.ts";
import { envoyChildNames } from "../envoy/index.ts";
import { EnvoyRenderError } from "../envoy/render.ts";
import { applyObject } from "../kube/apply.ts";
import { CONFIGMAPS, NETWORK_POLICIES, PVCS, SECRETS, SERVICES, STATEFULSETS } from "../kube/resources.ts";
import type { KubeClient, KubeObject, ResourceRef } from "../kube/types.ts";
import { childNames, renderKode, SECRET_PASSWORD_KEY, SECRET_USERNAME_KEY, serviceUrl, type RenderInput } from "./render.ts";
import { findConfig, resolveEnvoy } from "./resolve-envoy.ts";
import { DEFAULT_USER } from "./settings.ts";
import { deriveStatus, statusEquals, transitions, type ObservedStatefulSet } from "./status.ts";
import { validateKodeInput, type Problem } from "./validate.ts";

export const KODE_FINALIZER = "kode.jacero.io/finalizer";
export const ANNOTATION_RETAINED_FROM = "kode.jacero.io/retained-from";
export const FIELD_MANAGER = "kode-operator";

export interface Cache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
}

type Secret = KubeObject & { data?: Record<string, string> };

export interface KodeDeps {
  client: KubeClient;
  kodes: Cache<Kode>;
  templates: Cache<KodeTemplate>;
  clusterTemplates: Cache<KodeTemplate>;
  secrets: Cache<Secret>;
  statefulSets: Cache<KubeObject>;
  services: Cache<KubeObject>;
  pvcs: Cache<KubeObject>;
  /** The Envoy sidecar's configs and children (ConfigMap <kode>-envoy, NetworkPolicy <kode>). */
  envoyConfigs: Cache<EnvoyProxyConfig>;
  envoyClusterConfigs: Cache<EnvoyProxyConfig>;
  configMaps: Cache<KubeObject>;
  networkPolicies: Cache<KubeObject>;
  events: { event(obj: KubeObject, type: "Normal" | "Warning", reason: string, message: string): unknown };
  now(): string;
  /** A strong random password (only called when a Kode has none yet). */
  generatePassword(): string;
  /**
   * Status this operator wrote that the Kode cache may not show yet (its watch event still in flight), by key.
   * Without it a reconcile right after a status write recomputes from the stale status, writing the same status
   * again and repeating its transition Events.
   */
  writtenStatus?: Map<string, { resourceVersion: string; status: KodeStatus; at: number }>;
  /**
   * Kodes whose last reconcile wrote nothing, with the resourceVersions of everything it read. A resync that
   * finds the same versions has nothing to do: rendering is a pure function of those objects.
   */
  settled?: Map<string, string>;
  log?: { debug?(msg: string, fields?: Record<string, unknown>): void; info?(msg: string, fields?: Record<string, unknown>): void };
}

export function splitKey(key: string): [string | undefined, string] {
  const i = key.indexOf("/");
  return i < 0 ? [undefined, key] : [key.slice(0, i), key.slice(i + 1)];
}

/** The template key a Kode refers to, as indexed by the operator: "<Kind>/<namespace>/<name>". */
export function templateKeyOf(kode: Kode): string {
  const ref = kode.spec?.templateRef ?? { name: "" };
  const kind = ref.kind ?? "KodeTemplate";
  return kind === "KodeClusterTemplate" ? `${kind}//${ref.name}` : `${kind}/${ref.namespace ?? kode.metadata.namespace}/${ref.name}`;
}

interface Resolved {
  template?: KodeTemplate;
  problem?: Problem;
}

function resolveTemplate(deps: KodeDeps, kode: Kode): Resolved {
  const ref = kode.spec.templateRef;
  const kind = ref.kind ?? "KodeTemplate";
  const ns = kode.metadata.namespace!;
  if (kind === "KodeClusterTemplate") {
    const template = deps.clusterTemplates.get(undefined, ref.name);
    if (!template && deps.templates.get(ns, ref.name))
      return {
        problem: {
          reason: "TemplateKindMismatch",
          message: `KodeClusterTemplate "${ref.name}" does not exist, but a KodeTemplate ${ns}/${ref.name} does; set spec.templateRef.kind to KodeTemplate`,
        },
      };
    if (!template) return { problem: { reason: "TemplateNotFound", message: `KodeClusterTemplate "${ref.name}" does not exist; create it or point spec.templateRef at an existing template` } };
    return { template };
  }
  if (kind !== "KodeTemplate") return { problem: { reason: "InvalidTemplateKind", message: `spec.templateRef.kind "${kind}" is not KodeTemplate or KodeClusterTemplate` } };
  if (ref.namespace && ref.namespace !== ns)
    return {
      problem: {
        reason: "TemplateNamespaceForbidden",
        message: `KodeTemplate ${ref.namespace}/${ref.name} is in another namespace; a KodeTemplate is usable only from its own namespace (${ns}). Use a KodeClusterTemplate to share a template across namespaces`,
      },
    };
  const template = deps.templates.get(ns, ref.name);
  if (!template && deps.clusterTemplates.get(undefined, ref.name))
    return {
      problem: {
        reason: "TemplateKindMismatch",
        message: `KodeTemplate ${ns}/${ref.name} does not exist, but a KodeClusterTemplate "${ref.name}" does; set spec.templateRef.kind to KodeClusterTemplate`,
      },
    };
  if (!template) return { problem: { reason: "TemplateNotFound", message: `KodeTemplate ${ns}/${ref.name} does not exist; create it or point spec.templateRef at an existing template` } };
  return { template };
}

const decode = (b64: string | undefined) => (b64 === undefined ? undefined : Buffer.from(b64, "base64").toString());

interface Credentials {
  input: RenderInput["credentials"];
  /** What the pod's credentials come from, hashed into the pod template so a change rolls the pod. */
  checksumSource: string;
  problem?: Problem;
  /** The password was generated on a cache miss: the Secret may only be created with it, never patched. */
  secretCreateOnly?: boolean;
  /** The credentials themselves, for an Envoy sidecar doing basic auth (never logged or rendered into the pod). */
  plain?: { username: string; password: string };
}

/**
 * Our own Secret <kode>-auth as the cache shows it. The cache may lag behind our own create (a watch that dropped or
 * has not delivered yet), so a password generated on a cache miss is only ever written by a create: if the Secret
 * exists after all, the create fails and the reconcile is retried (see reconcileKode), so a stored password is never
 * replaced. This costs nothing on the common path, where a GET to confirm every miss cost a request per new Kode.
 */
function ownSecret(deps: KodeDeps, kode: Kode): Secret | undefined {
  return deps.secrets.get(kode.metadata.namespace, childNames(kode.metadata.name).secret);
}

function resolveCredentials(deps: KodeDeps, kode: Kode, ours: Secret | undefined): Credentials {
  const ns = kode.metadata.namespace!;
  const existing = kode.spec.existingSecret;
  if (existing) {
    const secret = deps.secrets.get(ns, existing);
    const input = { secretName: existing, passwordKey: SECRET_PASSWORD_KEY, usernameKey: secret?.data?.[SECRET_USERNAME_KEY] ? SECRET_USERNAME_KEY : undefined };
    if (!secret)
      return { input, checksumSource: "", problem: { reason: "SecretNotFound", message: `Secret ${ns}/${existing} (spec.existingSecret) does not exist; create it with a "password" key` } };
    if (!secret.data?.[SECRET_PASSWORD_KEY])
      return { input, checksumSource: "", problem: { reason: "SecretMissingPassword", message: `Secret ${ns}/${existing} (spec.existingSecret) has no "password" key; add one` } };
    const plain = { username: decode(secret.data[SECRET_USERNAME_KEY]) ?? kode.spec.user ?? DEFAULT_USER, password: decode(secret.data[SECRET_PASSWORD_KEY])! };
    return { input, checksumSource: JSON.stringify(secret.data), plain };
  }
  const username = kode.spec.user ?? decode(ours?.data?.[SECRET_USERNAME_KEY]) ?? DEFAULT_USER;
  // Never regenerate: a password once generated stays in the Secret we own.
  const stored = kode.spec.password ?? decode(ours?.data?.[SECRET_PASSWORD_KEY]);
  const password = stored ?? deps.generatePassword();
  return {
    // No Secret in the cache: it may still exist (a lagging cache), so create it only, never patch it.
    secretCreateOnly: stored === undefined && !ours,
    input: { secretName: childNames(kode.metadata.name).secret, passwordKey: SECRET_PASSWORD_KEY, usernameKey: SECRET_USERNAME_KEY, generated: { username, password } },
    checksumSource: JSON.stringify([username, password]),
    plain: { username, password },
  };
}

function checksum(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

const WRITTEN_STATUS_TTL_MS = 10_000;

async function writeStatus(deps: KodeDeps, kode: Kode, next: ReturnType<typeof deriveStatus>): Promise<boolean> {
  if (statusEquals(kode.status, next)) return false;
  const written = await deps.client.mergePatch<KubeObject>(KODES, kode.metadata.name, { status: next }, { namespace: kode.metadata.namespace, subresource: "status", fieldManager: FIELD_MANAGER });
  deps.writtenStatus?.set(`${kode.metadata.namespace}/${kode.metadata.name}`, { resourceVersion: written.metadata.resourceVersion ?? "", status: next, at: Date.now() });
  for (const e of transitions(kode.status, next)) deps.events.event(asObject(kode), e.type, e.reason, e.message);
  return true;
}

/** The Kode with the status we last wrote, while the cache has not caught up with that write. */
function withWrittenStatus(deps: KodeDeps, key: string, kode: Kode): Kode {
  const memo = deps.writtenStatus?.get(key);
  if (!memo) return kode;
  if (kode.metadata.resourceVersion === memo.resourceVersion || Date.now() - memo.at > WRITTEN_STATUS_TTL_MS) {
    deps.writtenStatus!.delete(key);
    return kode;
  }
  return { ...kode, status: memo.status };
}

async function ensureFinalizer(deps: KodeDeps, kode: Kode): Promise<boolean> {
  const finalizers = kode.metadata.finalizers ?? [];
  if (finalizers.includes(KODE_FINALIZER)) return false;
  // resourceVersion makes this a compare-and-swap: a concurrent finalizer change gets 409 and a retry.
  await deps.client.mergePatch(KODES, kode.metadata.name, { metadata: { finalizers: [...finalizers, KODE_FINALIZER], resourceVersion: kode.metadata.resourceVersion } }, { namespace: kode.metadata.namespace, fieldManager: FIELD_MANAGER });
  return true;
}

const asObject = (kode: Kode) => kode as unknown as KubeObject;

function ownedBy(obj: KubeObject | undefined, kode: Kode): boolean {
  return !!obj?.metadata.ownerReferences?.some((r) => r.uid === kode.metadata.uid);
}

/** Delete the sidecar's children we own (when the Kode goes, or its template stops naming an Envoy config). */
async function removeEnvoyChildren(deps: KodeDeps, kode: Kode, which: { configMap: boolean; secret: boolean }): Promise<boolean> {
  const ns = kode.metadata.namespace!;
  const names = envoyChildNames(kode.metadata.name);
  const targets: [ResourceRef, string, KubeObject | undefined][] = [];
  if (which.configMap) {
    targets.push([CONFIGMAPS, names.configMap, deps.configMaps.get(ns, names.configMap)]);
    targets.push([NETWORK_POLICIES, names.networkPolicy, deps.networkPolicies.get(ns, names.networkPolicy)]);
  }
  if (which.secret) targets.push([SECRETS, names.secret, deps.secrets.get(ns, names.secret)]);
  let deleted = false;
  for (const [ref, name, obj] of targets)
    if (obj && ownedBy(obj, kode)) deleted = (await deps.client.delete(ref, name, { namespace: ns, preconditions: { uid: obj.metadata.uid } })) || deleted;
  return deleted;
}

/** The resourceVersions of everything a reconcile of this Kode reads from the caches. */
function inputVersions(deps: KodeDeps, kode: Kode): string {
  const ns = kode.metadata.namespace;
  const rv = (o: { metadata: { resourceVersion?: string } } | undefined) => o?.metadata.resourceVersion ?? "-";
  const names = childNames(kode.metadata.name);
  const envoyNames = envoyChildNames(kode.metadata.name);
  const template = resolveTemplate(deps, kode).template;
  const config = template?.spec.envoyProxyRef ? findConfig(deps, template).config : undefined;
  const clientSecret = config?.spec?.oauth2?.clientSecretRef?.name;
  return [
    rv(kode),
    rv(template),
    rv(config),
    ...[kode.spec.existingSecret, names.secret, envoyNames.secret, clientSecret].map((s) => (s ? rv(deps.secrets.get(ns, s)) : "-")),
    rv(deps.statefulSets.get(ns, names.statefulSet)),
    rv(deps.services.get(ns, names.service)),
    rv(deps.pvcs.get(ns, names.pvc)),
    rv(deps.configMaps.get(ns, envoyNames.configMap)),
    rv(deps.networkPolicies.get(ns, envoyNames.networkPolicy)),
  ].join(",");
}

/** Ordered cleanup: the workload first, then its Service and credentials, then storage (unless kept). */
async function finalize(deps: KodeDeps, kode: Kode) {
  const ns = kode.metadata.namespace!;
  const names = childNames(kode.metadata.name);
  if (!kode.metadata.finalizers?.includes(KODE_FINALIZER)) return;
  if (kode.status?.phase !== "Deleting") {
    const status = deriveStatus({ kode, generation: kode.metadata.generation ?? 0, problems: [], deleting: true, now: deps.now(), template: kode.status?.template, type: kode.status?.type });
    await writeStatus(deps, kode, status);
  }
  const del = async (ref: ResourceRef, name: string, obj: KubeObject | undefined) => {
    if (obj && ownedBy(obj, kode)) await deps.client.delete(ref, name, { namespace: ns, preconditions: { uid: obj.metadata.uid } });
  };
  await del(STATEFULSETS, names.statefulSet, deps.statefulSets.get(ns, names.statefulSet));
  await del(SERVICES, names.service, deps.services.get(ns, names.service));
  await del(SECRETS, names.secret, deps.secrets.get(ns, names.secret));
  await removeEnvoyChildren(deps, kode, { configMap: true, secret: true });
  const pvc = deps.pvcs.get(ns, names.pvc);
  const keep = kode.spec.storage?.keepVolume ?? pvc?.metadata.annotations?.["kode.jacero.io/keep-volume"] === "true";
  if (pvc && pvc.metadata.labels?.["kode.jacero.io/name"] === kode.metadata.name && !kode.spec.storage?.existingVolumeClaim) {
    if (keep) {
      const owners = (pvc.metadata.ownerReferences ?? []).filter((r) => r.uid !== kode.metadata.uid);
      await deps.client.mergePatch(PVCS, names.pvc, { metadata: { ownerReferences: owners.length ? owners : null, annotations: { [ANNOTATION_RETAINED_FROM]: `${ns}/${kode.metadata.name}` } } }, { namespace: ns, fieldManager: FIELD_MANAGER });
      deps.events.event(asObject(kode), "Normal", "VolumeKept", `PersistentVolumeClaim ${names.pvc} is kept (keepVolume) and annotated ${ANNOTATION_RETAINED_FROM}`);
    } else await del(PVCS, names.pvc, pvc);
  }
  const finalizers = (kode.metadata.finalizers ?? []).filter((f) => f !== KODE_FINALIZER);
  await deps.client.mergePatch(KODES, kode.metadata.name, { metadata: { finalizers: finalizers.length ? finalizers : null, resourceVersion: kode.metadata.resourceVersion } }, { namespace: ns, fieldManager: FIELD_MANAGER }).catch((e) => {
    if ((e as { code?: number }).code !== 404) throw e;
  });
}

export async function reconcileKode(deps: KodeDeps, key: string): Promise<void> {
  const [ns, name] = splitKey(key);
  const cached = deps.kodes.get(ns, name);
  if (!cached) {
    deps.writtenStatus?.delete(key);
    deps.settled?.delete(key);
    return;
  }
  const kode = withWrittenStatus(deps, key, cached);
  if (kode.metadata.deletionTimestamp) {
    deps.settled?.delete(key);
    return finalize(deps, kode);
  }
  const versions = inputVersions(deps, kode);
  if (deps.settled?.get(key) === versions) return;
  deps.settled?.delete(key);
  if (!(await reconcileInputs(deps, kode))) deps.settled?.set(key, versions);
}

/** One pass over a live Kode; returns whether it wrote anything. */
async function reconcileInputs(deps: KodeDeps, kode: Kode): Promise<boolean> {
  const ns = kode.metadata.namespace;
  const name = kode.metadata.name;
  let wrote = await ensureFinalizer(deps, kode);

  const generation = kode.metadata.generation ?? 1;
  const resolved = resolveTemplate(deps, kode);
  const templateRef = resolved.template && {
    kind: resolved.template.kind,
    name: resolved.template.metadata.name,
    ...(resolved.template.metadata.namespace && { namespace: resolved.template.metadata.namespace }),
  };
  const names = childNames(name);
  const observedSts = () => deps.statefulSets.get(ns, names.statefulSet) as ObservedStatefulSet | undefined;
  const base = { kode, generation, deleting: false, now: deps.now(), template: templateRef, type: resolved.template?.spec.type };

  if (!resolved.template)
    return (await writeStatus(deps, kode, deriveStatus({ ...base, problems: [], templateProblem: resolved.problem, statefulSet: observedSts() }))) || wrote;
  const template = resolved.template;
  const credentials = resolveCredentials(deps, kode, ownSecret(deps, kode));
  const envoy = credentials.problem ? {} : resolveEnvoy(deps, kode, template, credentials.plain);
  const problems = [...validateKodeInput(kode, template.spec), ...(credentials.problem ? [credentials.problem] : []), ...(envoy.problem ? [envoy.problem] : [])];
  // Bad input: report it and leave whatever runs untouched until the input is fixed. A broken proxy config
  // never falls back to a Kode without auth: nothing is rendered until it is fixed.
  const fail = async (list: Problem[]) => (await writeStatus(deps, kode, deriveStatus({ ...base, problems: list, statefulSet: observedSts() }))) || wrote;
  if (problems.length) return fail(problems);

  let rendered: ReturnType<typeof renderKode>;
  try {
    rendered = renderKode({
      kode,
      template: { kind: template.kind, name: template.metadata.name, namespace: template.metadata.namespace, spec: template.spec },
      credentials: credentials.input,
      configChecksum: checksum(credentials.checksumSource),
      envoy: envoy.input,
    });
  } catch (e) {
    if (e instanceof EnvoyRenderError) return fail(e.problems);
    throw e;
  }
  const apply = async (ref: ResourceRef, obj: KubeObject, cache: Cache<KubeObject>) => {
    const result = await applyObject(deps.client, ref, obj, { fieldManager: FIELD_MANAGER, live: cache.get(ns, obj.metadata.name) });
    if (result.action !== "unchanged") wrote = true;
    return result;
  };
  if (rendered.secret && credentials.secretCreateOnly) {
    wrote = true;
    await applyObject(deps.client, SECRETS, rendered.secret as KubeObject, { fieldManager: FIELD_MANAGER, live: undefined, createOnly: true }).catch((e) => {
      if ((e as { code?: number }).code !== 409) throw e;
      throw new Error(`Secret ${ns}/${names.secret} exists but is not in the cache yet; retrying so that its password is kept`);
    });
  } else if (rendered.secret) await apply(SECRETS, rendered.secret as KubeObject, deps.secrets);
  if (rendered.pvc) await apply(PVCS, rendered.pvc as KubeObject, deps.pvcs);
  // A new HMAC key: create the Secret, or patch the one the cache shows without a key (it held basic auth's
  // htpasswd) only at the version seen, so a key that a stale cache does not show yet is never replaced.
  if (rendered.envoySecret && "hmacGenerated" in envoy && envoy.hmacGenerated) {
    wrote = true;
    await applyObject(deps.client, SECRETS, rendered.envoySecret as KubeObject, { fieldManager: FIELD_MANAGER, live: deps.secrets.get(ns, rendered.envoySecret.metadata.name), createOnly: true, ifUnchanged: true }).catch((e) => {
      if ((e as { code?: number }).code !== 409) throw e;
      throw new Error(`Secret ${ns}/${rendered.envoySecret!.metadata.name} is newer than the cache; retrying so that its keys are kept`);
    });
  } else if (rendered.envoySecret) await apply(SECRETS, rendered.envoySecret as KubeObject, deps.secrets);
  if (rendered.envoyConfigMap) await apply(CONFIGMAPS, rendered.envoyConfigMap as KubeObject, deps.configMaps);
  if (rendered.networkPolicy) await apply(NETWORK_POLICIES, rendered.networkPolicy as KubeObject, deps.networkPolicies);
  await apply(SERVICES, rendered.service as KubeObject, deps.services);
  const sts = await apply(STATEFULSETS, rendered.statefulSet as KubeObject, deps.statefulSets);
  if (sts.action === "created") for (const w of rendered.warnings) deps.events.event(asObject(kode), "Warning", "Configuration", w);
  // The pod no longer mounts what a removed (or auth-less) sidecar used: remove it once the StatefulSet is updated.
  if (await removeEnvoyChildren(deps, kode, { configMap: !rendered.envoyConfigMap, secret: !rendered.envoySecret })) wrote = true;

  const status = deriveStatus({
    ...base,
    problems: [],
    statefulSet: sts.object as ObservedStatefulSet,
    serviceUrl: serviceUrl(name, ns!),
    credentialsSecret: credentials.input.generated ? names.secret : credentials.input.secretName,
  });
  return (await writeStatus(deps, kode, status)) || wrote;
}
