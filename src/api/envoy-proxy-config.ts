// EnvoyProxyConfig (namespaced) and EnvoyProxyClusterConfig (cluster-scoped): the Envoy sidecar settings.
import * as v from "valibot";
import { API_VERSION } from "./types.ts";
import { ObjectMetaSchema, conditions, freeForm, observedGeneration, parsers } from "./common.ts";

export const AUTH_TYPES = ["none", "basic", "oauth2", "ext_authz"] as const;

export const EnvoyProxyConfigSpecSchema = v.pipe(
  v.object({
    image: v.optional(
      v.pipe(v.string(), v.minLength(1), v.description("Envoy image of the sidecar. Unset: the operator's default Envoy image.")),
    ),
    authType: v.optional(
      v.pipe(
        v.picklist(AUTH_TYPES),
        v.description(
          "Authentication in front of the IDE: none, basic (HTTP Basic auth with the Kode's credentials), oauth2 or ext_authz (configured through httpFilters/clusters).",
        ),
      ),
    ),
    httpFilters: v.optional(
      v.pipe(
        v.array(
          v.pipe(
            v.object({
              name: v.pipe(v.string(), v.minLength(1), v.description("Filter name, e.g. envoy.filters.http.ext_authz.")),
              typed_config: v.optional(
                freeForm("The filter's typed_config exactly as in the Envoy documentation, including '@type'."),
              ),
            }),
            v.description("An Envoy HTTP filter."),
          ),
        ),
        v.description("HTTP filters inserted in order before the router filter (snake_case as in the Envoy docs)."),
      ),
    ),
    clusters: v.optional(
      v.pipe(
        v.array(freeForm("An Envoy Cluster as in the Envoy documentation (name, connect_timeout, type, load_assignment, …).")),
        v.description("Extra Envoy clusters the filters refer to, e.g. an external authorization service."),
      ),
    ),
  }),
  v.description("Desired Envoy Proxy sidecar configuration."),
);

export const EnvoyProxyConfigStatusSchema = v.pipe(
  v.object({
    conditions: conditions("Conditions of the configuration, e.g. Ready."),
    observedGeneration: observedGeneration(),
  }),
  v.description("Observed state of the configuration."),
);

export const EnvoyProxyConfigSchema = v.object({
  apiVersion: v.literal(API_VERSION),
  kind: v.picklist(["EnvoyProxyConfig", "EnvoyProxyClusterConfig"]),
  metadata: ObjectMetaSchema,
  spec: EnvoyProxyConfigSpecSchema,
  status: v.optional(EnvoyProxyConfigStatusSchema),
});

export const ENVOY_PROXY_CONFIG_DESCRIPTION =
  "EnvoyProxyConfig is a namespaced Envoy Proxy sidecar configuration (authentication and HTTP filters) that templates refer to.";
export const ENVOY_PROXY_CLUSTER_CONFIG_DESCRIPTION =
  "EnvoyProxyClusterConfig is a cluster-scoped Envoy Proxy sidecar configuration (authentication and HTTP filters) that templates in any namespace refer to.";

const envoyParsers = parsers("EnvoyProxyConfig", EnvoyProxyConfigSchema);
/** Validate and default an EnvoyProxyConfig or EnvoyProxyClusterConfig; throws SchemaValidationError. */
export const parseEnvoyProxyConfig = envoyParsers.parse;
export const safeParseEnvoyProxyConfig = envoyParsers.safeParse;
export const parseEnvoyProxyClusterConfig = envoyParsers.parse;
export const safeParseEnvoyProxyClusterConfig = envoyParsers.safeParse;
