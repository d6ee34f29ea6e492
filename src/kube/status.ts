// Writing a status: exactly what the kind derived, replacing what is there (keys no longer derived are removed),
// and nothing at all when the live status already says the same (semantic equality, key order aside).
import { jsonEqual, mergePatchBetween } from "./merge-patch.ts";
import type { KubeClient, KubeObject, ResourceRef } from "./types.ts";

/**
 * Write `next` as the status of `obj` through the status subresource: a merge patch from the live status to
 * `next`, so removed keys are nulled. Returns the written object, or undefined when nothing differed.
 * `equal` may loosen the comparison (e.g. condition order); it defaults to deep equality.
 */
export async function replaceStatus<S extends object>(
  client: KubeClient,
  ref: ResourceRef,
  obj: KubeObject & { status?: S },
  next: S,
  opts: { fieldManager: string; equal?: (a: S | undefined, b: S) => boolean },
): Promise<KubeObject | undefined> {
  const live = (obj.status ?? {}) as Record<string, unknown>;
  if (opts.equal ? opts.equal(obj.status, next) : jsonEqual(live, next)) return undefined;
  const patch = { status: mergePatchBetween(live, next as Record<string, unknown>) };
  return client.mergePatch<KubeObject>(ref, obj.metadata.name, patch, { namespace: obj.metadata.namespace, subresource: "status", fieldManager: opts.fieldManager });
}
