// Legacy and aggregated discovery documents, built from the registry.
import type { ResourceRegistry } from "./registry.ts";
import type { ResourceType } from "./types.ts";

export type AggregatedVersion = "v2" | "v2beta1";

export const aggregatedType = (version: AggregatedVersion) => `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;

/**
 * The aggregated discovery version the client asked for, from the first Accept entry that names one we serve
 * (client-go 1.30+ lists v2 then v2beta1; 1.26-1.29 accept only v2beta1), or undefined for legacy discovery.
 */
export function wantsAggregated(accept: string | null): AggregatedVersion | undefined {
  for (const range of (accept ?? "").split(",")) {
    const params = new Map(
      range
        .split(";")
        .slice(1)
        .map((p) => p.trim().split("=") as [string, string]),
    );
    const version = params.get("v");
    if (params.get("g") === "apidiscovery.k8s.io" && params.get("as") === "APIGroupDiscoveryList" && (version === "v2" || version === "v2beta1"))
      return version;
  }
  return undefined;
}

function subresourceVerbs(sub: string): string[] {
  if (sub === "proxy") return ["create", "delete", "get", "patch", "update"];
  if (sub === "log") return ["get"];
  if (sub === "exec" || sub === "attach" || sub === "portforward") return ["create", "get"];
  return ["get", "patch", "update"];
}

const OPTIONS_KINDS: Record<string, string> = { exec: "PodExecOptions", attach: "PodAttachOptions", portforward: "PodPortForwardOptions" };

function subresourceKind(t: ResourceType, sub: string) {
  if (sub === "scale") return { group: "autoscaling", version: "v1", kind: "Scale" };
  return { group: t.group, version: t.version, kind: OPTIONS_KINDS[sub] ?? t.kind };
}

function subresourcesOf(t: ResourceType): string[] {
  const out: string[] = [];
  if (t.subresources.status) out.push("status");
  if (t.subresources.scale) out.push("scale");
  if (t.subresources.proxy) out.push("proxy");
  if (t.group === "" && t.kind === "Namespace") out.push("finalize");
  if (t.group === "" && t.kind === "Pod") out.push("attach", "exec", "log", "portforward");
  return out;
}

export function apiVersions(hostPort: string) {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: hostPort }],
  };
}

export function apiGroupList(registry: ResourceRegistry) {
  const groups = registry
    .groups()
    .filter((g) => g.group !== "")
    .map(({ group, versions }) => ({
      name: group,
      versions: versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${group}/${versions[0]}`, version: versions[0] },
    }));
  return { kind: "APIGroupList", apiVersion: "v1", groups };
}

export function apiResourceList(registry: ResourceRegistry, group: string, version: string) {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (!types.length) return undefined;
  const resources: unknown[] = [];
  for (const t of types) {
    const main: Record<string, unknown> = {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
    };
    if (t.shortNames.length) main.shortNames = t.shortNames;
    if (t.categories.length) main.categories = t.categories;
    resources.push(main);
    for (const sub of subresourcesOf(t))
      resources.push({
        name: `${t.plural}/${sub}`,
        singularName: "",
        namespaced: t.namespaced,
        ...(sub === "scale" ? subresourceKind(t, sub) : { kind: subresourceKind(t, sub).kind }),
        verbs: subresourceVerbs(sub),
      });
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources };
}

function aggregatedResource(t: ResourceType) {
  const r: Record<string, unknown> = {
    resource: t.plural,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? "Namespaced" : "Cluster",
    singularResource: t.singular,
    verbs: t.verbs,
  };
  if (t.shortNames.length) r.shortNames = t.shortNames;
  if (t.categories.length) r.categories = t.categories;
  const subs = subresourcesOf(t);
  if (subs.length)
    r.subresources = subs.map((sub) => ({
      subresource: sub,
      responseKind: subresourceKind(t, sub),
      verbs: subresourceVerbs(sub),
    }));
  return r;
}

/** `/api` (core only) or `/apis` (every other group) in the aggregated format (v2 and v2beta1 have the same shape). */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean, discoveryVersion: AggregatedVersion = "v2") {
  const all = registry.all();
  const items = registry
    .groups()
    .filter((g) => (g.group === "") === core)
    .map(({ group, versions }) => ({
      metadata: { name: group, creationTimestamp: null },
      versions: versions.map((version) => ({
        version,
        freshness: "Current",
        resources: all.filter((t) => t.group === group && t.version === version).map(aggregatedResource),
      })),
    }));
  return { kind: "APIGroupDiscoveryList", apiVersion: `apidiscovery.k8s.io/${discoveryVersion}`, metadata: {}, items };
}
