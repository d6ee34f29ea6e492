// The kode.jacero.io/v1alpha1 valibot schemas and parse helpers (one module per kind; this is the index).
export * from "./common.ts";
export * from "./kode.ts";
export * from "./template.ts";
export * from "./envoy-proxy-config.ts";
