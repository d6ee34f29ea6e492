// ResourceRefs of the kode.jacero.io kinds.
import type { ResourceRef } from "../kube/types.ts";
import { GROUP, VERSION } from "./types.ts";

const ref = (plural: string, kind: string, namespaced: boolean): ResourceRef => ({ group: GROUP, version: VERSION, plural, kind, namespaced });

export const KODES = ref("kodes", "Kode", true);
export const KODE_TEMPLATES = ref("kodetemplates", "KodeTemplate", true);
export const KODE_CLUSTER_TEMPLATES = ref("kodeclustertemplates", "KodeClusterTemplate", false);
export const ENVOY_PROXY_CONFIGS = ref("envoyproxyconfigs", "EnvoyProxyConfig", true);
export const ENVOY_PROXY_CLUSTER_CONFIGS = ref("envoyproxyclusterconfigs", "EnvoyProxyClusterConfig", false);
