// EnvoyProxyConfig / EnvoyProxyClusterConfig status: whether the config is usable, with a Warning Event on
// the config when it turns invalid (each affected Kode reports the same problem on itself).
import { ENVOY_PROXY_CLUSTER_CONFIGS, ENVOY_PROXY_CONFIGS } from "../api/resources.ts";
import { nextCondition } from "../api/conditions.ts";
import type { Condition, EnvoyProxyConfig } from "../api/types.ts";
import type { Cache } from "../kube/cache.ts";
import { replaceStatus } from "../kube/status.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import { validateEnvoyConfig } from "./validate.ts";

export interface EnvoyConfigDeps {
  client: KubeClient;
  envoyConfigs: Cache<EnvoyProxyConfig>;
  envoyClusterConfigs: Cache<EnvoyProxyConfig>;
  events: { event(obj: KubeObject, type: "Normal" | "Warning", reason: string, message: string): unknown };
  now(): string;
}

/** "<Kind>/<namespace>/<name>" (namespace empty for cluster configs). */
export function envoyConfigKey(c: EnvoyProxyConfig): string {
  return `${c.kind}/${c.metadata.namespace ?? ""}/${c.metadata.name}`;
}

export function deriveEnvoyConfigStatus(c: EnvoyProxyConfig, now: string): NonNullable<EnvoyProxyConfig["status"]> {
  const problems = validateEnvoyConfig(c.spec ?? {});
  const [status, reason, message]: [Condition["status"], string, string] = problems.length
    ? ["False", problems[0].reason, problems.map((p) => p.message).join("; ")]
    : ["True", "Valid", `authType ${c.spec?.authType ?? "none"}`];
  const ready = nextCondition("Ready", { status, reason, message }, c.status?.conditions, c.metadata.generation, now);
  return { conditions: [ready], ...(c.metadata.generation !== undefined && { observedGeneration: c.metadata.generation }) };
}

export async function reconcileEnvoyConfig(deps: EnvoyConfigDeps, key: string): Promise<void> {
  const [kind, namespace, name] = key.split("/");
  const cluster = kind === "EnvoyProxyClusterConfig";
  const config = cluster ? deps.envoyClusterConfigs.get(undefined, name) : deps.envoyConfigs.get(namespace, name);
  if (!config || config.metadata.deletionTimestamp) return;
  const next = deriveEnvoyConfigStatus(config, deps.now());
  const written = await replaceStatus(deps.client, cluster ? ENVOY_PROXY_CLUSTER_CONFIGS : ENVOY_PROXY_CONFIGS, config as unknown as KubeObject & { status?: typeof next }, next, {
    fieldManager: "kode-operator",
  });
  if (!written) return;
  const was = config.status?.conditions?.find((c) => c.type === "Ready");
  const ready = next.conditions![0];
  if (ready.status === "False" && (was?.status !== "False" || was.reason !== ready.reason))
    deps.events.event(config as unknown as KubeObject, "Warning", ready.reason, ready.message);
}
