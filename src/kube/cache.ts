// What reconcilers read: an informer cache seen as get-by-name, plus the key helpers of the work queues.
import type { KubeObject } from "./types.ts";

/** A read-only view of an informer cache. */
export interface Cache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
}

/** A cache that also answers "which objects have this controller" (the informer's controller index). */
export interface ChildCache<T extends KubeObject = KubeObject> extends Cache<T> {
  controlledBy(uid: string): T[];
}

/** "<namespace>/<name>", or "<name>" for a cluster-scoped object. */
export const objectKey = (o: { metadata: { name: string; namespace?: string } }): string =>
  o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;

/** The inverse of objectKey. */
export function splitKey(key: string): [string | undefined, string] {
  const i = key.indexOf("/");
  return i < 0 ? [undefined, key] : [key.slice(0, i), key.slice(i + 1)];
}
