// Resolves what a Kode's Envoy sidecar needs: the config its template names (with the namespace rules), the
// credentials basic auth turns into htpasswd, the OAuth2 client secret, and the cookie HMAC key (generated
// once, then read back from the sidecar's Secret so sessions survive reconciles).
import { randomBytes } from "node:crypto";
import type { EnvoyProxyConfig, Kode, KodeTemplate } from "../api/types.ts";
import { envoyChildNames } from "../envoy/index.ts";
import { HMAC_SECRET_KEY, readSdsSecretValue } from "../envoy/render.ts";
import { validateEnvoyConfig } from "../envoy/validate.ts";
import type { Cache } from "../kube/cache.ts";
import { isControlledBy } from "../kube/children.ts";
import type { KubeObject } from "../kube/types.ts";
import type { RenderInput } from "./render.ts";
import type { Problem } from "./validate.ts";
import { discoveryKey, needsDiscovery, withDiscovered, type DiscoveryEntry } from "../envoy/oidc.ts";
import { oidcCa } from "../envoy/reconcile.ts";

type Secret = KubeObject & { data?: Record<string, string> };

export interface EnvoyDeps {
  envoyConfigs: Cache<EnvoyProxyConfig>;
  envoyClusterConfigs: Cache<EnvoyProxyConfig>;
  secrets: Cache<Secret>;
  /** OpenID discovery results by issuer (src/envoy/oidc.ts), read without I/O. */
  oidc?: Cache<DiscoveryEntry>;
}

export interface ResolvedEnvoy {
  input?: NonNullable<RenderInput["envoy"]>;
  problem?: Problem;
  /** The HMAC key was generated now (none in the cached sidecar Secret): the Secret may only be created with it
   * ("create"), or patched at the version the cache shows ("ifUnchanged"), so a key the cache does not show yet is
   * never replaced. */
  hmacGenerated?: "create" | "ifUnchanged";
  /** "<Kind>/<namespace>/<name>" of the config, for indexing Kodes by config. */
  configKey?: string;
  /** The issuer's discovery has not answered yet: wait (its result re-queues the Kode), write nothing. */
  pending?: string;
}

const decode = (b64: string | undefined) => (b64 === undefined ? undefined : Buffer.from(b64, "base64").toString());

/** "<Kind>/<namespace>/<name>" of the config a template names (namespace empty for cluster configs). */
export function envoyConfigKeyOf(template: KodeTemplate): string | undefined {
  const ref = template.spec?.envoyProxyRef;
  if (!ref) return undefined;
  const kind = ref.kind ?? "EnvoyProxyConfig";
  return kind === "EnvoyProxyClusterConfig" ? `${kind}//${ref.name}` : `${kind}/${ref.namespace ?? template.metadata.namespace ?? ""}/${ref.name}`;
}

export function findConfig(deps: EnvoyDeps, template: KodeTemplate): { config?: EnvoyProxyConfig; problem?: Problem } {
  const ref = template.spec.envoyProxyRef!;
  const kind = ref.kind ?? "EnvoyProxyConfig";
  if (kind === "EnvoyProxyClusterConfig") {
    const config = deps.envoyClusterConfigs.get(undefined, ref.name);
    return config ? { config } : { problem: { reason: "EnvoyConfigNotFound", message: `EnvoyProxyClusterConfig "${ref.name}" (named by the template's envoyProxyRef) does not exist; create it or fix the reference` } };
  }
  const templateNs = template.metadata.namespace;
  const ns = ref.namespace ?? templateNs;
  if (!templateNs || ns !== templateNs)
    return {
      problem: {
        reason: "EnvoyConfigNamespaceForbidden",
        message: templateNs
          ? `EnvoyProxyConfig ${ns}/${ref.name} is in another namespace; a template can use an EnvoyProxyConfig of its own namespace (${templateNs}) or an EnvoyProxyClusterConfig`
          : `KodeClusterTemplate ${template.metadata.name} names a namespaced EnvoyProxyConfig; a cluster template can only use an EnvoyProxyClusterConfig`,
      },
    };
  const config = deps.envoyConfigs.get(ns, ref.name);
  return config ? { config } : { problem: { reason: "EnvoyConfigNotFound", message: `EnvoyProxyConfig ${ns}/${ref.name} (named by the template's envoyProxyRef) does not exist; create it or fix the reference` } };
}

export function resolveEnvoy(
  deps: EnvoyDeps,
  kode: Kode,
  template: KodeTemplate,
  credentials: { username: string; password: string } | undefined,
): ResolvedEnvoy {
  if (!template.spec.envoyProxyRef) return {};
  const configKey = envoyConfigKeyOf(template);
  const found = findConfig(deps, template);
  if (!found.config) return { problem: found.problem, configKey };
  const config = found.config;
  let spec = config.spec ?? {};
  const ns = kode.metadata.namespace;
  const envoyConfig = { kind: config.kind, name: config.metadata.name, namespace: config.metadata.namespace, spec };
  const authType = spec.authType ?? "none";

  let oauth2: { clientSecret: string; hmacSecret: string } | undefined;
  let hmacGenerated: ResolvedEnvoy["hmacGenerated"];
  if (authType === "oauth2") {
    const ref = spec.oauth2?.clientSecretRef;
    const clientSecret = ref ? decode(deps.secrets.get(ns, ref.name)?.data?.[ref.key ?? "client-secret"]) : undefined;
    const problems = validateEnvoyConfig(spec, { clientSecretFound: clientSecret !== undefined, kodeUser: kode.spec.user });
    if (problems.length) return { problem: problems[0], configKey };
    // Only a Secret this Kode controls is read: a key in anybody else's Secret of that name is not ours to use.
    const cached = deps.secrets.get(ns, envoyChildNames(kode.metadata.name).secret);
    const sidecarSecret = cached && kode.metadata.uid && isControlledBy(cached, { uid: kode.metadata.uid }) ? cached : undefined;
    const kept = readSdsSecretValue(decode(sidecarSecret?.data?.[HMAC_SECRET_KEY]));
    if (kept === undefined) hmacGenerated = sidecarSecret ? "ifUnchanged" : "create";
    // An issuer named without endpoints: the discovered ones, or no sidecar at all (never a route without auth).
    const ca = oidcCa(config, deps.secrets);
    if (ca.problem) return { problem: ca.problem, configKey };
    const o = spec.oauth2!;
    if (needsDiscovery(o)) {
      const entry = deps.oidc?.get(undefined, discoveryKey(o.issuer, ca.ca));
      if (!entry) return { pending: `discovery of ${o.issuer}`, configKey };
      if (!entry.result.ok) return { problem: { reason: entry.result.reason, message: entry.result.message }, configKey };
      spec = { ...spec, oauth2: withDiscovered(o, entry.result.discovered) };
      envoyConfig.spec = spec;
    }
    oauth2 = { clientSecret: clientSecret!, hmacSecret: kept ?? randomBytes(32).toString("base64"), ...(ca.ca && { ca: ca.ca }) };
  } else {
    const problems = validateEnvoyConfig(spec, { kodeUser: kode.spec.user, basicUsername: credentials?.username });
    if (problems.length) return { problem: problems[0], configKey };
  }
  return {
    configKey,
    hmacGenerated,
    input: { config: envoyConfig, credentials: authType === "basic" ? credentials : undefined, oauth2, ...(hmacGenerated && { hmacGenerated }) },
  };
}
