// The contract of the operator's runtime: a small Kubernetes client and what is built on it.
// The runtime knows nothing about Kodes.

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
    [k: string]: unknown;
  };
  [field: string]: unknown;
};

/** Identifies a resource collection: group ("" for core), version, plural, and whether it is namespaced. */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchEvent<T = KubeObject> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

export interface KubeList<T = KubeObject> {
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

/** A Status returned by the API server, as an Error. */
export interface KubeErrorShape extends Error {
  code: number;
  reason: string;
  /** Seconds from Retry-After, when the server sent one. */
  retryAfterSeconds?: number;
}

export interface KubeClient {
  /** Base URL of the API server. */
  readonly server: string;
  get<T extends KubeObject>(ref: ResourceRef, name: string, namespace?: string): Promise<T | undefined>;
  list<T extends KubeObject>(ref: ResourceRef, opts?: ListOptions): Promise<KubeList<T>>;
  create<T extends KubeObject>(ref: ResourceRef, obj: T, opts?: { fieldManager?: string; dryRun?: boolean }): Promise<T>;
  /** JSON merge patch (RFC 7386). `subresource: "status"` patches status. */
  mergePatch<T extends KubeObject>(
    ref: ResourceRef,
    name: string,
    patch: unknown,
    opts?: { namespace?: string; subresource?: "status"; fieldManager?: string },
  ): Promise<T>;
  /** Returns false when the object was already gone. */
  delete(ref: ResourceRef, name: string, opts?: { namespace?: string; propagationPolicy?: "Background" | "Foreground" | "Orphan"; preconditions?: { uid?: string; resourceVersion?: string } }): Promise<boolean>;
  /** One watch request; iterate its events; ends when the server closes or the signal aborts. */
  watch<T extends KubeObject>(
    ref: ResourceRef,
    opts: ListOptions & {
      allowWatchBookmarks?: boolean;
      timeoutSeconds?: number;
      signal?: AbortSignal;
      /** End with a WatchInactivityError (errors.ts) when no bytes arrive for this long; default never. */
      inactivityTimeoutMs?: number;
    },
  ): AsyncIterable<WatchEvent<T>>;
  /** Raw request for anything else (path relative to the server, e.g. /api/v1/namespaces/x/events). */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
}
