// Minimal OpenAPI v3: enough for kubectl apply/create/replace/edit to find each kind's PATCH
// operation and its fieldValidation parameter, plus CRD schemas for `kubectl explain`.
// No strategic-merge request bodies are declared: kubectl would then try to build SMP from schemas.
import type { ResourceRegistry } from "./registry.ts";
import type { ResourceType } from "./types.ts";

const QUERY_PARAMS = ["fieldValidation", "fieldManager", "dryRun", "force"].map((name) => ({
  name,
  in: "query",
  schema: { type: name === "force" ? "boolean" : "string" },
}));

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function schemaName(t: ResourceType): string {
  const reversed = t.group ? t.group.split(".").reverse().join(".") : "io.k8s.api.core";
  return `${reversed}.${t.version}.${t.kind}`;
}

function document(types: ResourceType[]) {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const base = `/${gvPath(t.group, t.version)}${t.namespaced ? "/namespaces/{namespace}" : ""}/${t.plural}`;
    const op = (verb: string) => ({
      operationId: `${verb}${t.kind}`,
      "x-kubernetes-action": verb,
      "x-kubernetes-group-version-kind": gvk,
      parameters: QUERY_PARAMS,
      responses: { "200": { description: "OK" } },
    });
    paths[`${base}/{name}`] = { get: op("get"), put: op("put"), patch: op("patch"), delete: op("delete") };
    paths[base] = { get: op("list"), post: op("post") };
    const schema = t.schema ? { ...t.schema } : { type: "object", "x-kubernetes-preserve-unknown-fields": true };
    schemas[schemaName(t)] = { ...schema, "x-kubernetes-group-version-kind": [gvk] };
  }
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: "v1.32.0" }, paths, components: { schemas } };
}

export class OpenApiDocs {
  private cacheGeneration = -1;
  private docs = new Map<string, { body: string; hash: string }>();

  constructor(private registry: ResourceRegistry) {}

  private refresh() {
    if (this.cacheGeneration === this.registry.generation) return;
    this.docs.clear();
    const byGv = new Map<string, ResourceType[]>();
    for (const t of this.registry.all()) {
      const key = gvPath(t.group, t.version);
      byGv.set(key, [...(byGv.get(key) ?? []), t]);
    }
    for (const [key, types] of byGv) {
      const body = JSON.stringify(document(types));
      this.docs.set(key, { body, hash: Bun.hash(body).toString(16).toUpperCase().padStart(16, "0") });
    }
    this.cacheGeneration = this.registry.generation;
  }

  root() {
    this.refresh();
    const paths: Record<string, unknown> = {};
    for (const [key, { hash }] of this.docs) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    return { paths };
  }

  /** The document for "api/v1" or "apis/<group>/<version>". */
  groupVersion(key: string): string | undefined {
    this.refresh();
    return this.docs.get(key)?.body;
  }
}

// ---- OpenAPI v2 -----------------------------------------------------------------------------------------------
// kubectl ≤1.27 (client-side validation, `apply`) and the 1.28+ patch path still fetch /openapi/v2, in protobuf
// (gnostic openapi_v2.Document) first. A 404 there is fatal for kubectl 1.27's `apply`/`create -f`. We serve a
// document with no paths or definitions: clients then find no schema for any kind and skip client-side checks,
// leaving validation to the server (fieldValidation), as they do for CRDs without schemas.

// Clients ask with the "@v1.0" (deprecated) or ".v1.0" spelling; kube-openapi always answers with ".v1.0", which,
// unlike "@", Go's mime.ParseMediaType accepts.
const OPENAPI_V2_PROTOBUF_ACCEPT = /application\/com\.github\.proto-openapi\.spec\.v2[@.]v1\.0\+protobuf/;
export const OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
const OPENAPI_V2_INFO = { title: "Kubernetes", version: "v1.32.0" };

function protoBytesField(field: number, bytes: Uint8Array): number[] {
  const out = [(field << 3) | 2];
  let n = bytes.length;
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n, ...bytes);
  return out;
}

/** `/openapi/v2`: protobuf when the client accepts it (client-go asks only for that), JSON otherwise. */
export function openApiV2(accept: string | null): Response {
  if (accept && OPENAPI_V2_PROTOBUF_ACCEPT.test(accept)) {
    const text = (s: string) => new TextEncoder().encode(s);
    // Document{1: swagger, 2: Info{1: title, 2: version}}
    const info = [...protoBytesField(1, text(OPENAPI_V2_INFO.title)), ...protoBytesField(2, text(OPENAPI_V2_INFO.version))];
    const doc = new Uint8Array([...protoBytesField(1, text("2.0")), ...protoBytesField(2, new Uint8Array(info))]);
    return new Response(doc, { headers: { "content-type": OPENAPI_V2_PROTOBUF } });
  }
  return new Response(JSON.stringify({ swagger: "2.0", info: OPENAPI_V2_INFO, paths: {}, definitions: {} }), {
    headers: { "content-type": "application/json" },
  });
}
