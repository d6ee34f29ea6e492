// The Envoy sidecar (pure part): render, validation of EnvoyProxyConfig specs, htpasswd helpers.
// The proto validator (validate-proto.ts) and the test helpers (testing.ts) are deliberately NOT re-exported:
// they load protobufjs and Envoy's protos (devDependencies) and belong to tests only.
export * from "./htpasswd.ts";
export * from "./render.ts";
export * from "./validate.ts";
