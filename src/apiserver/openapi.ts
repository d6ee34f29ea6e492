// OpenAPI v3 (one document per group-version) and v2 (one document): the paths of every served kind, with its
// PATCH operation and fieldValidation parameter (kubectl's server-side validation check), the all-namespaces
// list paths of namespaced kinds, and schemas for `kubectl explain`: a CRD's own schema, or for built-ins the
// definitions from the message table (openapi/builtin-schemas.ts). Documents are built on first request and
// kept until the set of served types changes.
// No strategic-merge request bodies are declared: kubectl would then try to build SMP from schemas.
import { builtinDefinitions, type Flavor } from "./openapi/builtin-schemas.ts";
import { encodeOpenApiV2 } from "./openapi/v2-protobuf.ts";
import { messageOfKind } from "./protobuf/table.ts";
import type { ResourceRegistry } from "./registry.ts";
import { groupVersion, type ResourceType } from "./types.ts";

const QUERY_PARAM_NAMES = ["fieldValidation", "fieldManager", "dryRun", "force"];
const queryParams = (flavor: Flavor) =>
  QUERY_PARAM_NAMES.map((name) => {
    const type = name === "force" ? "boolean" : "string";
    return flavor === "v2" ? { name, in: "query", type, uniqueItems: true } : { name, in: "query", schema: { type, uniqueItems: true } };
  });

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** A custom resource's definition name: the group reversed, as kube-apiserver names it. */
function crdSchemaName(t: ResourceType): string {
  const reversed = t.group ? t.group.split(".").reverse().join(".") : "io.k8s.api.core";
  return `${reversed}.${t.version}.${t.kind}`;
}

/** The built-in message of a kind the table knows and that has no schema of its own. */
function builtinMessage(t: ResourceType): string | undefined {
  return t.schema || t.crd ? undefined : messageOfKind(groupVersion(t), t.kind);
}

function paths(t: ResourceType, flavor: Flavor): Record<string, unknown> {
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const parameters = queryParams(flavor);
  const op = (verb: string, suffix = "") => ({
    operationId: `${verb}${t.kind}${suffix}`,
    "x-kubernetes-action": verb,
    "x-kubernetes-group-version-kind": gvk,
    parameters,
    responses: { "200": { description: "OK" } },
  });
  const root = `/${gvPath(t.group, t.version)}`;
  const base = `${root}${t.namespaced ? "/namespaces/{namespace}" : ""}/${t.plural}`;
  const out: Record<string, unknown> = {
    [`${base}/{name}`]: { get: op("get"), put: op("put"), patch: op("patch"), delete: op("delete") },
    [base]: { get: op("list"), post: op("post") },
  };
  if (t.namespaced) out[`${root}/${t.plural}`] = { get: op("list", "ForAllNamespaces") };
  return out;
}

function definitions(types: ResourceType[], flavor: Flavor): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const roots: string[] = [];
  const extensions = new Map<string, Record<string, unknown>>();
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const message = builtinMessage(t);
    if (message) {
      roots.push(message);
      const known = (extensions.get(message)?.["x-kubernetes-group-version-kind"] as unknown[] | undefined) ?? [];
      extensions.set(message, { "x-kubernetes-group-version-kind": [...known, gvk] });
      continue;
    }
    const schema = t.schema ? { ...t.schema } : { type: "object", "x-kubernetes-preserve-unknown-fields": true };
    out[crdSchemaName(t)] = { ...schema, "x-kubernetes-group-version-kind": [gvk] };
  }
  return { ...builtinDefinitions(roots, flavor, extensions), ...out };
}

function v3Document(types: ResourceType[]) {
  const allPaths = Object.assign({}, ...types.map((t) => paths(t, "v3")));
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: "v1.32.0" }, paths: allPaths, components: { schemas: definitions(types, "v3") } };
}

function v2Document(types: ResourceType[]) {
  const allPaths = Object.assign({}, ...types.map((t) => paths(t, "v2")));
  return { swagger: "2.0", info: OPENAPI_V2_INFO, paths: allPaths, definitions: definitions(types, "v2") };
}

/** What a document depends on; its hash changes when a served type or a CRD schema does. */
function fingerprint(types: ResourceType[]): string {
  const parts = types.map((t) => [t.group, t.version, t.kind, t.plural, t.namespaced, t.schema ?? null]);
  return Bun.hash(JSON.stringify(parts)).toString(16).toUpperCase().padStart(16, "0");
}

export class OpenApiDocs {
  private cacheGeneration = -1;
  private byGv = new Map<string, { types: ResourceType[]; hash: string; body?: string }>();
  private v2?: { json: string; protobuf?: Uint8Array };

  constructor(private registry: ResourceRegistry) {}

  private refresh() {
    if (this.cacheGeneration === this.registry.generation) return;
    const grouped = new Map<string, ResourceType[]>();
    for (const t of this.registry.all()) {
      const key = gvPath(t.group, t.version);
      grouped.set(key, [...(grouped.get(key) ?? []), t]);
    }
    const previous = this.byGv;
    this.byGv = new Map();
    for (const [key, types] of grouped) {
      const hash = fingerprint(types);
      const old = previous.get(key);
      this.byGv.set(key, old?.hash === hash ? old : { types, hash });
    }
    this.v2 = undefined;
    this.cacheGeneration = this.registry.generation;
  }

  root() {
    this.refresh();
    const out: Record<string, unknown> = {};
    for (const [key, { hash }] of this.byGv) out[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    return { paths: out };
  }

  /** The document for "api/v1" or "apis/<group>/<version>". */
  groupVersion(key: string): string | undefined {
    this.refresh();
    const entry = this.byGv.get(key);
    if (!entry) return undefined;
    entry.body ??= JSON.stringify(v3Document(entry.types));
    return entry.body;
  }

  /** `/openapi/v2`: protobuf when the client accepts it (client-go asks only for that), JSON otherwise. */
  v2Response(accept: string | null): Response {
    this.refresh();
    this.v2 ??= { json: JSON.stringify(v2Document(this.registry.all())) };
    if (accept && OPENAPI_V2_PROTOBUF_ACCEPT.test(accept)) {
      this.v2.protobuf ??= encodeOpenApiV2(JSON.parse(this.v2.json));
      return new Response(this.v2.protobuf, { headers: { "content-type": OPENAPI_V2_PROTOBUF } });
    }
    return new Response(this.v2.json, { headers: { "content-type": "application/json" } });
  }
}

// kubectl ≤1.27 (client-side validation, explain) and the 1.28+ patch path fetch /openapi/v2, in protobuf
// (gnostic openapi_v2.Document) first. Clients ask with the "@v1.0" (deprecated) or ".v1.0" spelling;
// kube-openapi always answers with ".v1.0", which, unlike "@", Go's mime.ParseMediaType accepts.
const OPENAPI_V2_PROTOBUF_ACCEPT = /application\/com\.github\.proto-openapi\.spec\.v2[@.]v1\.0\+protobuf/;
export const OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
const OPENAPI_V2_INFO = { title: "Kubernetes", version: "v1.32.0" };

