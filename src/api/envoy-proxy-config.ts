// EnvoyProxyConfig (namespaced) and EnvoyProxyClusterConfig (cluster-scoped): the Envoy sidecar settings.
import * as v from "valibot";
import { API_VERSION } from "./types.ts";
import { ObjectMetaSchema, conditions, freeForm, int, objectName, observedGeneration, parsers, quantity, str } from "./common.ts";

export const AUTH_TYPES = ["none", "basic", "oauth2", "ext_authz"] as const;

/** An Envoy duration in JSON form: seconds with up to nine decimals and an "s", e.g. 0.25s or 30s. */
const ENVOY_DURATION = /^[0-9]+(\.[0-9]{1,9})?s$/;
const HTTP_URL = /^https?:\/\/[^\s/?#]+([/?#][^\s]*)?$/;
const URL_PATH = /^\/[^\s?#]*$/;
/** host:port where host is a DNS name, an IPv4 address or a bracketed IPv6 address. */
const HOST_PORT = /^([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$/;

const url = (description: string) => v.pipe(v.string(), v.regex(HTTP_URL), v.description(description));
const urlPath = (description: string) => v.pipe(v.string(), v.regex(URL_PATH), v.description(description));

export const EnvoyOAuth2Schema = v.pipe(
  v.object({
    issuer: v.optional(
      url("OpenID Connect issuer: must equal the `iss` claim of the tokens, e.g. https://keycloak.example.com/realms/dev (Keycloak ≥ 17 has no /auth prefix)."),
    ),
    authorizationEndpoint: v.optional(
      url("Unset: read from the issuer's /.well-known/openid-configuration by the operator. Where browsers are sent to log in, e.g. https://keycloak.example.com/realms/dev/protocol/openid-connect/auth."),
    ),
    tokenEndpoint: v.optional(
      url("Unset: read from the issuer's discovery document. Where Envoy exchanges the authorization code for tokens, e.g. https://keycloak.example.com/realms/dev/protocol/openid-connect/token. May be an in-cluster URL; https is verified against the image's system CA bundle."),
    ),
    jwksUri: v.optional(
      url("Keys that verify the tokens' signatures. Unset: jwks_uri of the issuer's discovery document (when authorizationEndpoint or tokenEndpoint is unset too), else <issuer>/protocol/openid-connect/certs (Keycloak's layout)."),
    ),
    caSecretRef: v.optional(
      v.pipe(
        v.object({
          name: objectName("Name of the Secret holding the CA certificate (PEM)."),
          namespace: v.optional(
            objectName("Namespace of that Secret. Unset: the EnvoyProxyConfig's own namespace (required for an EnvoyProxyClusterConfig)."),
          ),
          key: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Key of the PEM in that Secret. Unset: ca.crt."))),
        }),
        v.description("A private CA that signs the identity provider's certificate: trusted by the operator's discovery and by Envoy (instead of the image's CA bundle)."),
      ),
    ),
    clientId: v.optional(v.pipe(v.string(), v.minLength(1), v.description("OAuth2 client id registered at the identity provider."))),
    clientSecretRef: v.optional(
      v.pipe(
        v.object({
          name: objectName("Name of the Secret holding the client secret, in the namespace of each Kode that uses this configuration."),
          key: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Key of the client secret in that Secret. Unset: client-secret."))),
        }),
        v.description("The OAuth2 client secret: a Secret in the Kode's namespace. It reaches Envoy only as a mounted file, never in the pod spec or the bootstrap."),
      ),
    ),
    scopes: v.optional(
      v.pipe(v.array(str("An OAuth2 scope.")), v.description("Scopes requested at login. Unset: openid, profile, email.")),
    ),
    redirectPath: v.optional(urlPath("Path of the OAuth2 callback on the Kode's own host (no query). Unset: /oauth2/callback.")),
    signoutPath: v.optional(urlPath("Path that clears the session cookies. Unset: /oauth2/signout.")),
    userClaim: v.optional(
      v.pipe(v.string(), v.minLength(1), v.description("Token claim compared with the Kode's spec.user; only that user passes. A dotted name is a nested claim (a.b reads {a: {b}}), unless it contains '://'. Unset: preferred_username.")),
    ),
    groupsClaim: v.optional(
      v.pipe(v.string(), v.minLength(1), v.description("Token claim holding the user's groups (a list of strings). A dotted name is a nested claim, e.g. Keycloak's realm_access.roles or resource_access.<client>.roles (unless it contains '://'). Unset: groups.")),
    ),
    allowedGroups: v.optional(
      v.pipe(
        v.array(v.pipe(v.string(), v.minLength(1), v.description("A group name exactly as it appears in the groups claim (Keycloak's full group path looks like /team)."))),
        v.description("Members of these groups may also use the Kode, besides its owner (spec.user). Everyone else gets 403."),
      ),
    ),
  }),
  v.description("OpenID Connect login (authType oauth2), with Keycloak as the reference identity provider. The token is verified against the issuer's keys and only spec.user (or members of allowedGroups) pass."),
);

export const EnvoyExtAuthzSchema = v.pipe(
  v.object({
    grpc: v.optional(
      v.pipe(
        v.object({
          address: v.pipe(v.string(), v.regex(HOST_PORT), v.description("host:port of the gRPC authorization service, e.g. opa.opa-system.svc.cluster.local:9191 (opa-envoy-plugin).")),
          authority: v.optional(str("The :authority sent to the authorization service. Unset: the cluster name.")),
        }),
        v.description("A gRPC authorization service (envoy.service.auth.v3.Authorization over HTTP/2), e.g. opa-envoy-plugin. Set grpc or http, not both."),
      ),
    ),
    http: v.optional(
      v.pipe(
        v.object({
          uri: url("Base URL of the HTTP authorization service, e.g. http://authz.auth.svc.cluster.local:8080. It receives the original method, path and headers and allows with a 2xx."),
          pathPrefix: v.optional(urlPath("Prefix added to the original path when calling the service, e.g. /verify.")),
        }),
        v.description("An HTTP authorization service. Set grpc or http, not both."),
      ),
    ),
    timeout: v.optional(v.pipe(v.string(), v.regex(ENVOY_DURATION), v.description("How long Envoy waits for a decision, e.g. 0.5s. Unset: 0.25s."))),
    failureModeAllow: v.optional(
      v.pipe(v.boolean(), v.description("Let requests through when the authorization service fails or times out. Unset: false (fail closed: 403).")),
    ),
    withRequestBody: v.optional(
      v.pipe(
        v.object({
          maxRequestBytes: int("Most body bytes buffered and sent to the authorization service.", 1, 2 ** 32 - 1),
          allowPartialMessage: v.optional(
            v.pipe(v.boolean(), v.description("Send the first maxRequestBytes of a larger body instead of answering 413.")),
          ),
        }),
        v.description("Send the request body to the authorization service."),
      ),
    ),
  }),
  v.description("An external authorizer in front of the IDE (Envoy's ext_authz filter), after the built-in authentication. Its cluster is generated."),
);

const quantities = (description: string) =>
  v.optional(v.pipe(v.record(v.string(), quantity("A Kubernetes quantity, e.g. 100m or 128Mi.")), v.description(description)));

export const EnvoyProxyConfigSpecSchema = v.pipe(
  v.object({
    image: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1),
        v.description("Envoy image of the sidecar (Envoy ≥ 1.30; ≥ 1.32 recommended). Unset: the operator's pinned default Envoy image."),
      ),
    ),
    authType: v.optional(
      v.pipe(
        v.picklist(AUTH_TYPES),
        v.description(
          "Authentication in front of the IDE: none (default), basic (HTTP Basic auth with the Kode's user and password; the IDE's own password is turned off), oauth2 (OpenID Connect, see oauth2) or ext_authz (an alias of none that requires an external authorizer: extAuthz or an ext_authz entry in httpFilters).",
        ),
      ),
    ),
    oauth2: v.optional(EnvoyOAuth2Schema),
    extAuthz: v.optional(EnvoyExtAuthzSchema),
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
        v.description("HTTP filters inserted in order after the built-in authentication and before the router filter (snake_case as in the Envoy docs)."),
      ),
    ),
    clusters: v.optional(
      v.pipe(
        v.array(freeForm("An Envoy Cluster as in the Envoy documentation (name, connect_timeout, type, load_assignment, …).")),
        v.description("Extra Envoy clusters the filters refer to, e.g. an external authorization service."),
      ),
    ),
    resources: v.optional(
      v.pipe(
        v.object({
          limits: quantities("Maximum compute resources of the Envoy container, e.g. memory: 256Mi."),
          requests: quantities("Compute resources the scheduler reserves for the Envoy container, e.g. cpu: 50m, memory: 64Mi."),
        }),
        v.description("Compute resources of the Envoy sidecar. Unset: requests cpu 50m, memory 64Mi; limit memory 256Mi."),
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
