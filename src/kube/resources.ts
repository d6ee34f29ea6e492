// Built-in resources the operator reads and writes.
import type { ResourceRef } from "./types.ts";

const core = (plural: string, kind: string, namespaced = true): ResourceRef => ({ group: "", version: "v1", plural, kind, namespaced });

export const NAMESPACES = core("namespaces", "Namespace", false);
export const SECRETS = core("secrets", "Secret");
export const SERVICES = core("services", "Service");
export const PVCS = core("persistentvolumeclaims", "PersistentVolumeClaim");
export const PODS = core("pods", "Pod");
export const EVENTS = core("events", "Event");
export const STATEFULSETS: ResourceRef = { group: "apps", version: "v1", plural: "statefulsets", kind: "StatefulSet", namespaced: true };
export const LEASES: ResourceRef = { group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", namespaced: true };
export const NETWORK_POLICIES: ResourceRef = { group: "networking.k8s.io", version: "v1", plural: "networkpolicies", kind: "NetworkPolicy", namespaced: true };

export function apiVersionOf(ref: ResourceRef): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}
export const CONFIGMAPS = core("configmaps", "ConfigMap");
