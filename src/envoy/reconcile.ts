// EnvoyProxyConfig / EnvoyProxyClusterConfig status: whether the config is usable, with a Warning Event on
// the config when it turns invalid (each affected Kode reports the same problem on itself).
import { ENVOY_PROXY_CLUSTER_CONFIGS, ENVOY_PROXY_CONFIGS } from "../api/resources.ts";
import { nextCondition } from "../api/conditions.ts";
import type { Condition, EnvoyProxyConfig } from "../api/types.ts";
import type { Cache } from "../kube/cache.ts";
import { replaceStatus } from "../kube/status.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import type { ReconcileResult } from "../kube/queue.ts";
import { discoveryKey, needsDiscovery, type OidcDiscoveryCache } from "./oidc.ts";
import { validateEnvoyConfig, type Problem } from "./validate.ts";

export interface EnvoyConfigDeps {
  client: KubeClient;
  envoyConfigs: Cache<EnvoyProxyConfig>;
  envoyClusterConfigs: Cache<EnvoyProxyConfig>;
  events: { event(obj: KubeObject, type: "Normal" | "Warning", reason: string, message: string): unknown };
  now(): string;
  /** OpenID discovery results (oauth2 configs that name only their issuer); absent: no discovery. */
  oidc?: OidcDiscoveryCache;
  /** Where caSecretRef is read from. */
  secrets?: Cache<KubeObject & { data?: Record<string, string> }>;
}

/** The private CA of an oauth2 config (PEM), or the problem finding it. */
export function oidcCa(config: EnvoyProxyConfig, secrets: EnvoyConfigDeps["secrets"]): { ca?: string; problem?: Problem } {
  const ref = config.spec?.oauth2?.caSecretRef;
  if (!ref) return {};
  const ns = ref.namespace ?? config.metadata.namespace;
  const key = ref.key ?? "ca.crt";
  if (!ns) return { problem: { reason: "InvalidCASecretRef", message: "spec.oauth2.caSecretRef of an EnvoyProxyClusterConfig needs a namespace" } };
  const data = secrets?.get(ns, ref.name)?.data?.[key];
  if (data === undefined) return { problem: { reason: "SecretNotFound", message: `Secret ${ns}/${ref.name} (spec.oauth2.caSecretRef) does not exist or has no key "${key}"; create it with the CA certificate (PEM)` } };
  return { ca: Buffer.from(data, "base64").toString() };
}

/** "<Kind>/<namespace>/<name>" (namespace empty for cluster configs). */
export function envoyConfigKey(c: EnvoyProxyConfig): string {
  return `${c.kind}/${c.metadata.namespace ?? ""}/${c.metadata.name}`;
}

export function deriveEnvoyConfigStatus(c: EnvoyProxyConfig, now: string, discovery?: { problem?: Problem; note?: string }): NonNullable<EnvoyProxyConfig["status"]> {
  const problems = [...validateEnvoyConfig(c.spec ?? {}), ...(discovery?.problem ? [discovery.problem] : [])];
  const [status, reason, message]: [Condition["status"], string, string] = problems.length
    ? ["False", problems[0].reason, problems.map((p) => p.message).join("; ")]
    : ["True", "Valid", `authType ${c.spec?.authType ?? "none"}${discovery?.note ? `; ${discovery.note}` : ""}`];
  const ready = nextCondition("Ready", { status, reason, message }, c.status?.conditions, c.metadata.generation, now);
  return { conditions: [ready], ...(c.metadata.generation !== undefined && { observedGeneration: c.metadata.generation }) };
}

/**
 * Discovery for an oauth2 config that leaves endpoints unset: bounded by the cache's timeout, retried with backoff
 * while it fails, refreshed while it works (the result says when to look again).
 */
async function discoverFor(deps: EnvoyConfigDeps, config: EnvoyProxyConfig): Promise<{ problem?: Problem; note?: string; againMs?: number }> {
  const o = config.spec?.oauth2;
  if ((config.spec?.authType ?? "none") !== "oauth2" || !needsDiscovery(o) || !deps.oidc) return {};
  const ca = oidcCa(config, deps.secrets);
  if (ca.problem) return { problem: ca.problem };
  const entry = await deps.oidc.ensure(o.issuer, ca.ca);
  const againMs = Math.max(1000, deps.oidc.dueIn(discoveryKey(o.issuer, ca.ca)));
  if (!entry.result.ok) return { problem: { reason: entry.result.reason, message: `${entry.result.message}; Kodes using this config get no route until it works (retried automatically)` }, againMs };
  return { note: `endpoints discovered from ${o.issuer} (${entry.result.discovered.keyIds.length} signing keys)`, againMs };
}

export async function reconcileEnvoyConfig(deps: EnvoyConfigDeps, key: string): Promise<ReconcileResult> {
  const [kind, namespace, name] = key.split("/");
  const cluster = kind === "EnvoyProxyClusterConfig";
  const config = cluster ? deps.envoyClusterConfigs.get(undefined, name) : deps.envoyConfigs.get(namespace, name);
  if (!config || config.metadata.deletionTimestamp) return;
  const discovery = await discoverFor(deps, config);
  const again = discovery.againMs === undefined ? undefined : { requeueAfterMs: discovery.againMs };
  const next = deriveEnvoyConfigStatus(config, deps.now(), discovery);
  const written = await replaceStatus(deps.client, cluster ? ENVOY_PROXY_CLUSTER_CONFIGS : ENVOY_PROXY_CONFIGS, config as unknown as KubeObject & { status?: typeof next }, next, {
    fieldManager: "kode-operator",
  });
  if (!written) return again;
  const was = config.status?.conditions?.find((c) => c.type === "Ready");
  const ready = next.conditions![0];
  if (ready.status === "False" && (was?.status !== "False" || was.reason !== ready.reason))
    deps.events.event(config as unknown as KubeObject, "Warning", ready.reason, ready.message);
  return again;
}
