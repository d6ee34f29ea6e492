// What reconcilers read: an informer cache seen as get-by-name, plus the key helpers of the work queues.
import type { KubeObject } from "./types.ts";

/** A read-only view of an informer cache. */
export interface Cache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  /**
   * What of an object a reader depends on, for the read recorder (default: its resourceVersion). A reader that
   * uses only an object's identity and spec gives specVersion: writes to its status then leave the reads
   * unchanged.
   */
  versionOf?(obj: T): string;
}

/** Identity and spec: uid and generation (the resourceVersion when the kind keeps no generation). */
export const specVersion = (o: { metadata: { uid?: string; generation?: number; resourceVersion?: string } }): string =>
  o.metadata.generation === undefined ? (o.metadata.resourceVersion ?? "?") : `${o.metadata.uid ?? ""}/g${o.metadata.generation}`;

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
