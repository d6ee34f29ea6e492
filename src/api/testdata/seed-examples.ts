// The YAML examples of the upstream README (seed), with apiVersion kode.jacero.io/v1alpha1 and, where the
// seed has none, metadata.namespace default for namespaced kinds. Used by the schema and API server tests.
import { YAML } from "bun";

const KODE = `
apiVersion: kode.jacero.io/v1alpha1
kind: Kode
metadata:
  name: my-kode-instance
  namespace: default
spec:
  templateRef:
    kind: KodeTemplate
    name: my-kode-template
  user: myuser
  password: mypassword
  home: /home/myuser
  workspace: my-workspace
  storage:
    accessModes:
      - ReadWriteOnce
    storageClassName: my-storage-class
    resources:
      requests:
        storage: 1Gi
`;

const KODE_TEMPLATE = `
apiVersion: kode.jacero.io/v1alpha1
kind: KodeTemplate
metadata:
  name: my-kode-template
  namespace: default
spec:
  type: code-server
  image: linuxserver/code-server:latest
  tz: UTC
  defaultHome: /config
  defaultWorkspace: workspace
  envoyProxyRef:
    name: my-envoy-proxy-template
    namespace: default
`;

const KODE_CLUSTER_TEMPLATE = `
apiVersion: kode.jacero.io/v1alpha1
kind: KodeClusterTemplate
metadata:
  name: my-kode-cluster-template
spec:
  type: webtop
  image: linuxserver/webtop:ubuntu-mate
  tz: UTC
  defaultHome: /config
  defaultWorkspace: workspace
`;

/** The seed's EnvoyProxyConfig (ext_authz to OPA through raw httpFilters and clusters). */
export const ENVOY_PROXY_CONFIG = `
apiVersion: kode.jacero.io/v1alpha1
kind: EnvoyProxyConfig
metadata:
  labels:
    app.kubernetes.io/name: kode-operator
    app.kubernetes.io/managed-by: kustomize
  name: my-envoy-proxy-template
  namespace: default
spec:
  image: envoyproxy/envoy:v1.30-latest
  httpFilters:
    - name: envoy.filters.http.ext_authz
      typed_config:
        '@type': type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
        with_request_body:
          max_request_bytes: 8192
          allow_partial_message: true
        failure_mode_allow: false
        grpc_service:
          envoy_grpc:
            cluster_name: ext_authz-opa-service1
          timeout: 0.250s
        transport_api_version: V3
  clusters:
    - name: ext_authz-opa-service1
      connect_timeout: 0.250s
      lb_policy: round_robin
      type: strict_dns
      load_assignment:
        cluster_name: ext_authz-opa-service1
        endpoints:
          - lb_endpoints:
              - endpoint:
                  address:
                    socket_address:
                      address: opa.default.svc.cluster.local
                      port_value: 8181
`;

const SCENARIO_1_TEMPLATE = `
apiVersion: kode.jacero.io/v1alpha1
kind: KodeTemplate
metadata:
  name: code-server-template
  namespace: default
spec:
  type: code-server
  image: linuxserver/code-server:latest
  defaultHome: /config
  defaultWorkspace: workspace
`;

const SCENARIO_1_KODE = `
apiVersion: kode.jacero.io/v1alpha1
kind: Kode
metadata:
  name: my-code-server
  namespace: default
spec:
  templateRef:
    kind: KodeTemplate
    name: code-server-template
  user: devuser
  password: devpassword
  workspace: my-project
`;

const SCENARIO_2_PROXY = `
apiVersion: kode.jacero.io/v1alpha1
kind: EnvoyProxyClusterConfig
metadata:
  name: basic-auth-proxy
spec:
  authType: basic
`;

const SCENARIO_2_TEMPLATE = `
apiVersion: kode.jacero.io/v1alpha1
kind: KodeTemplate
metadata:
  name: secure-code-server-template
  namespace: default
spec:
  type: code-server
  image: linuxserver/code-server:latest
  envoyProxyRef:
    kind: EnvoyProxyClusterConfig
    name: basic-auth-proxy
  defaultHome: /config
  defaultWorkspace: workspace
`;

const SCENARIO_2_KODE = `
apiVersion: kode.jacero.io/v1alpha1
kind: Kode
metadata:
  name: secure-code-server
  namespace: default
spec:
  templateRef:
    kind: KodeTemplate
    name: secure-code-server-template
  user: devuser # Sent to the Envoy Proxy Basic Auth
  password: devpassword # Sent to the Envoy Proxy Basic Auth
  workspace: my-secure-project
`;

export interface SeedExample {
  title: string;
  object: any;
}

/** Fresh copies of every seed example. */
export function seedExamples(): SeedExample[] {
  return [
    ["Kode", KODE],
    ["KodeTemplate", KODE_TEMPLATE],
    ["KodeClusterTemplate", KODE_CLUSTER_TEMPLATE],
    ["EnvoyProxyConfig", ENVOY_PROXY_CONFIG],
    ["Scenario 1: KodeTemplate", SCENARIO_1_TEMPLATE],
    ["Scenario 1: Kode", SCENARIO_1_KODE],
    ["Scenario 2: EnvoyProxyClusterConfig", SCENARIO_2_PROXY],
    ["Scenario 2: KodeTemplate", SCENARIO_2_TEMPLATE],
    ["Scenario 2: Kode", SCENARIO_2_KODE],
  ].map(([title, yaml]) => ({ title: title!, object: YAML.parse(yaml!) }));
}

export const PLURALS: Record<string, string> = {
  Kode: "kodes",
  KodeTemplate: "kodetemplates",
  KodeClusterTemplate: "kodeclustertemplates",
  EnvoyProxyConfig: "envoyproxyconfigs",
  EnvoyProxyClusterConfig: "envoyproxyclusterconfigs",
};

/** The collection URL of an object's resource. */
export function collectionPath(obj: { kind: string; metadata: { namespace?: string } }): string {
  const ns = obj.metadata.namespace ? `/namespaces/${obj.metadata.namespace}` : "";
  return `/apis/kode.jacero.io/v1alpha1${ns}/${PLURALS[obj.kind]}`;
}
