// How server-side apply treats each list of a resource: atomic, set, or map keyed by fields.
// Custom resources declare it in their schema (x-kubernetes-list-type); built-ins use their
// strategic-merge patch keys.
import { listMergeKey } from "./patch/merge-keys.ts";
import type { ListTypeOf } from "./ssa/index.ts";
import type { JSONSchemaProps, ResourceType } from "./types.ts";
import { groupVersion } from "./types.ts";

const cache = new WeakMap<ResourceType, ListTypeOf>();

function schemaAt(schema: JSONSchemaProps | undefined, path: string[]): JSONSchemaProps | undefined {
  let node = schema;
  for (const field of path) {
    if (!node) return undefined;
    if (node.type === "array") node = node.items;
    if (!node) return undefined;
    node = node.properties?.[field] ?? (typeof node.additionalProperties === "object" ? node.additionalProperties : undefined);
  }
  return node;
}

/** ObjectMeta's lists behave the same for every kind. */
function metadataList(path: string[]): ReturnType<ListTypeOf> {
  if (path.length === 2 && path[1] === "finalizers") return { type: "set" };
  if (path.length === 2 && path[1] === "ownerReferences") return { type: "map", keys: ["uid"] };
  return { type: "atomic" };
}

function fromSchema(schema: JSONSchemaProps | undefined): ListTypeOf {
  return (path) => {
    if (path[0] === "metadata") return metadataList(path);
    const node = schemaAt(schema, path);
    const listType = node?.["x-kubernetes-list-type"];
    if (listType === "map") return { type: "map", keys: node?.["x-kubernetes-list-map-keys"] ?? [] };
    if (listType === "set") return { type: "set" };
    return { type: "atomic" };
  };
}

function fromMergeKeys(type: ResourceType): ListTypeOf {
  const kindKey = `${groupVersion(type)}/${type.kind}`;
  return (path) => {
    const merge = listMergeKey(kindKey, path);
    if (!merge) return { type: "atomic" };
    return merge.key ? { type: "map", keys: [merge.key] } : { type: "set" };
  };
}

export function listTypeOf(type: ResourceType): ListTypeOf {
  let fn = cache.get(type);
  if (!fn) cache.set(type, (fn = type.strategicMerge ? fromMergeKeys(type) : fromSchema(type.schema)));
  return fn;
}
