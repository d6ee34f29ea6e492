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

/**
 * The review APIs: create-only resources that store nothing (answered by rbac/reviews.ts before the
 * router), listed in discovery as kube-apiserver lists them.
 */
export interface CreateOnlyResource {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export const CREATE_ONLY_RESOURCES: CreateOnlyResource[] = [
  { group: "authentication.k8s.io", version: "v1", plural: "selfsubjectreviews", kind: "SelfSubjectReview", namespaced: false },
  { group: "authentication.k8s.io", version: "v1", plural: "tokenreviews", kind: "TokenReview", namespaced: false },
  { group: "authorization.k8s.io", version: "v1", plural: "localsubjectaccessreviews", kind: "LocalSubjectAccessReview", namespaced: true },
  { group: "authorization.k8s.io", version: "v1", plural: "selfsubjectaccessreviews", kind: "SelfSubjectAccessReview", namespaced: false },
  { group: "authorization.k8s.io", version: "v1", plural: "selfsubjectrulesreviews", kind: "SelfSubjectRulesReview", namespaced: false },
  { group: "authorization.k8s.io", version: "v1", plural: "subjectaccessreviews", kind: "SubjectAccessReview", namespaced: false },
];

/** The create-only resource a request path names (`.../<plural>` of a review API), if any. */
export function createOnlyResourceOf(path: string): CreateOnlyResource | undefined {
  if (!path.startsWith("/apis/")) return undefined;
  const segs = path.split("/").filter(Boolean);
  if (segs[0] !== "apis") return undefined;
  const plural = segs.length === 4 ? segs[3] : segs.length === 6 && segs[3] === "namespaces" ? segs[5] : undefined;
  return CREATE_ONLY_RESOURCES.find(
    (r) => r.group === segs[1] && r.version === segs[2] && r.plural === plural && (segs.length === 6) === r.namespaced,
  );
}

const createOnlyIn = (group: string, version: string) => CREATE_ONLY_RESOURCES.filter((r) => r.group === group && r.version === version);

function subresourceVerbs(sub: string): string[] {
  if (sub === "token") return ["create"];
  if (sub === "proxy") return ["create", "delete", "get", "patch", "update"];
  if (sub === "log") return ["get"];
  if (sub === "exec" || sub === "attach" || sub === "portforward") return ["create", "get"];
  return ["get", "patch", "update"];
}

const OPTIONS_KINDS: Record<string, string> = { exec: "PodExecOptions", attach: "PodAttachOptions", portforward: "PodPortForwardOptions" };

function subresourceKind(t: ResourceType, sub: string) {
  if (sub === "scale") return { group: "autoscaling", version: "v1", kind: "Scale" };
  if (sub === "token") return { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" };
  return { group: t.group, version: t.version, kind: OPTIONS_KINDS[sub] ?? t.kind };
}

function subresourcesOf(t: ResourceType): string[] {
  const out: string[] = [];
  if (t.subresources.status) out.push("status");
  if (t.subresources.scale) out.push("scale");
  if (t.subresources.proxy) out.push("proxy");
  if (t.group === "" && t.kind === "Namespace") out.push("finalize");
  if (t.group === "" && t.kind === "Pod") out.push("attach", "exec", "log", "portforward");
  if (t.group === "" && t.kind === "ServiceAccount") out.push("token");
  return out;
}

export function apiVersions(hostPort: string) {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: hostPort }],
  };
}

/** The registry's groups and the review API groups, in preference order. */
function servedGroups(registry: ResourceRegistry): { group: string; versions: string[] }[] {
  const groups = registry.groups();
  for (const r of CREATE_ONLY_RESOURCES) {
    const g = groups.find((x) => x.group === r.group);
    if (!g) groups.push({ group: r.group, versions: [r.version] });
    else if (!g.versions.includes(r.version)) g.versions.push(r.version);
  }
  return groups;
}

export function apiGroupList(registry: ResourceRegistry) {
  const groups = servedGroups(registry)
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
  const createOnly = createOnlyIn(group, version);
  if (!types.length && !createOnly.length) return undefined;
  const resources: unknown[] = createOnly.map((r) => ({
    name: r.plural,
    singularName: r.kind.toLowerCase(),
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: ["create"],
  }));
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
        ...(sub === "scale" || sub === "token" ? subresourceKind(t, sub) : { kind: subresourceKind(t, sub).kind }),
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
  const items = servedGroups(registry)
    .filter((g) => (g.group === "") === core)
    .map(({ group, versions }) => ({
      metadata: { name: group, creationTimestamp: null },
      versions: versions.map((version) => ({
        version,
        freshness: "Current",
        resources: [
          ...createOnlyIn(group, version).map((r) => ({
            resource: r.plural,
            responseKind: { group: r.group, version: r.version, kind: r.kind },
            scope: r.namespaced ? "Namespaced" : "Cluster",
            singularResource: r.kind.toLowerCase(),
            verbs: ["create"],
          })),
          ...all.filter((t) => t.group === group && t.version === version).map(aggregatedResource),
        ].sort((a, b) => String(a.resource).localeCompare(String(b.resource))),
      })),
    }));
  return { kind: "APIGroupDiscoveryList", apiVersion: `apidiscovery.k8s.io/${discoveryVersion}`, metadata: {}, items };
}
