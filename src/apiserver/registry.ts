// Which resources are served, by group/version/plural. Built-ins are fixed; CRDs come and go.
import { builtinResourceTypes } from "./builtins.ts";
import type { ResourceType } from "./types.ts";

export { storageKey } from "./types.ts";

export class ResourceRegistry {
  private byPath = new Map<string, ResourceType>();
  private byCrd = new Map<string, ResourceType[]>();
  /** Bumped on every change, so discovery and OpenAPI documents can be cached. */
  generation = 0;

  constructor() {
    for (const t of builtinResourceTypes()) this.add(t);
  }

  private add(t: ResourceType) {
    this.byPath.set(`${t.group}/${t.version}/${t.plural}`, t);
    this.generation++;
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  /** The preferred (first registered) version of a group/kind, used by owner references and GC. */
  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    for (const t of this.byPath.values()) if (t.group === group && t.version === version && t.kind === kind) return t;
    return undefined;
  }

  all(): ResourceType[] {
    return [...this.byPath.values()];
  }

  /** Replace the resources a CRD serves (one per served version). */
  setCrdTypes(crdName: string, types: ResourceType[]) {
    this.removeCrdTypes(crdName);
    this.byCrd.set(crdName, types);
    for (const t of types) this.add(t);
  }

  removeCrdTypes(crdName: string) {
    for (const t of this.byCrd.get(crdName) ?? []) this.byPath.delete(`${t.group}/${t.version}/${t.plural}`);
    if (this.byCrd.delete(crdName)) this.generation++;
  }

  crdTypes(crdName: string): ResourceType[] {
    return this.byCrd.get(crdName) ?? [];
  }

  /** Groups with their versions in preference order: core first, then built-in groups, then CRD groups. */
  groups(): { group: string; versions: string[] }[] {
    const out = new Map<string, string[]>();
    for (const t of this.byPath.values()) {
      const versions = out.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      out.set(t.group, versions);
    }
    return [...out].map(([group, versions]) => ({ group, versions: sortVersions(versions) }));
  }
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v2 > v1 > v1beta2 > v1beta1 > v1alpha1). */
export function sortVersions(versions: string[]): string[] {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const stability = m[2] === undefined ? 3 : m[2] === "beta" ? 2 : 1;
    return [stability, Number(m[1]), Number(m[3] ?? 0)];
  };
  return [...versions].sort((a, b) => {
    const [sa, ma, na] = rank(a);
    const [sb, mb, nb] = rank(b);
    return sb - sa || mb - ma || nb - na || a.localeCompare(b);
  });
}
