// A thin Kubernetes client on Bun's fetch: JSON in and out, TLS through Bun's `tls` option, one
// keep-alive pool per client (Bun.FetchSession), a token-bucket rate limit, and errors built from the
// server's Status. Watches are NDJSON streams read line by line.
import pkg from "../../package.json" with { type: "json" };
import { KubeError, TransportError, WatchInactivityError, isAbortError, kubeErrorFromResponse } from "./errors.ts";
import type { ClientConfig, Credentials } from "./kubeconfig.ts";
import { TokenBucket } from "./rate-limit.ts";
import type { KubeClient, KubeList, KubeObject, ListOptions, ResourceRef, WatchEvent } from "./types.ts";

export const CLIENT_VERSION: string = pkg.version;
export const DEFAULT_USER_AGENT = `kode-operator/${CLIENT_VERSION}`;

export interface CreateClientOptions {
  userAgent?: string;
  /** Sustained requests per second (default 50; <= 0 disables the limit). */
  qps?: number;
  /** Burst (default 100). */
  burst?: number;
  /** Share a limiter between clients, or inject one with a fake clock. */
  rateLimiter?: TokenBucket;
  /** Called as each request leaves (after the rate limit and the fence check). */
  onRequest?: (method: string, path: string) => void;
  /** Observes every response (metrics: API requests by verb and code). Status 0: no response. */
  onResponse?: (method: string, status: number) => void;
}

export type WatchOptions = ListOptions & {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
  /** End the watch with a WatchInactivityError when no bytes arrive for this long (default: never). */
  inactivityTimeoutMs?: number;
};

export interface Client extends KubeClient {
  readonly config: ClientConfig;
  readonly rateLimiter: TokenBucket;
  watch<T extends KubeObject>(ref: ResourceRef, opts: WatchOptions): AsyncIterable<WatchEvent<T>>;
  /**
   * The same client (connections, rate limit) fenced by `signal`: once it aborts, requests in flight are
   * aborted and no further request is sent (each fails with a FencedError). A leader's writes go through
   * one, so none leaves the process after its lease is lost.
   */
  fenced(signal: AbortSignal): Client;
  /** Close idle keep-alive connections. */
  close(): void;
}

/** A request refused because the client's fence (e.g. leadership) was gone before it was sent. */
export class FencedError extends Error {
  override name = "FencedError";
  constructor(what: string) {
    super(`${what}: not sent, the client is fenced (leadership lost or stopping)`);
  }
}

type FetchInit = RequestInit & { tls?: Credentials["tls"]; timeout?: number | boolean; session?: unknown };

/** "/api/v1" or "/apis/<group>/<version>". */
export function groupVersionPath(ref: Pick<ResourceRef, "group" | "version">): string {
  return ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
}

/** The collection path, namespaced when the resource is and a namespace is given (else all namespaces). */
export function collectionPath(ref: ResourceRef, namespace?: string): string {
  const base = groupVersionPath(ref);
  return ref.namespaced && namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${ref.plural}` : `${base}/${ref.plural}`;
}

export function objectPath(ref: ResourceRef, name: string, namespace?: string, subresource?: string): string {
  if (!name) throw new Error(`${ref.plural}: an object name is required`);
  if (ref.namespaced && !namespace) throw new Error(`${ref.plural} "${name}": a namespace is required for a namespaced resource`);
  return `${collectionPath(ref, namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ""}`;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function createClient(cfg: ClientConfig, opts: CreateClientOptions = {}): Client {
  const userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
  const limiter = opts.rateLimiter ?? new TokenBucket({ qps: opts.qps, burst: opts.burst });
  // One pool per client; per-request `tls` replaces the session's as a whole, so credentials can rotate.
  const FetchSession = (Bun as unknown as { FetchSession?: new (init?: object) => { fetch: typeof fetch; close(): void } }).FetchSession;
  const session = FetchSession ? new FetchSession({}) : undefined;
  const doFetch = (url: string, init: FetchInit) => (session ? session.fetch(url, init as RequestInit) : fetch(url, init as RequestInit));
  const root = build(undefined);
  return root;

  function build(fence: AbortSignal | undefined): Client {

    /** One HTTP exchange; retries once after a 401 with freshly loaded credentials. Throws TransportError. */
    async function send(method: string, path: string, init: { body?: string | Uint8Array; headers?: Record<string, string>; signal?: AbortSignal; stream?: boolean } = {}): Promise<Response> {
      await limiter.take();
      const url = `${cfg.server}${path}`;
      const signal = fence ? (init.signal ? AbortSignal.any([init.signal, fence]) : fence) : init.signal;
      for (let attempt = 0; ; attempt++) {
        const creds = await cfg.credentials();
        // Checked last before the request leaves: the rate limiter and credentials may have waited.
        if (fence?.aborted) throw new FencedError(`${method} ${path}`);
        const headers: Record<string, string> = { accept: "application/json", "user-agent": userAgent, ...creds.headers, ...init.headers };
        const req: FetchInit = { method, headers, body: init.body as any, signal };
        if (creds.tls && Object.keys(creds.tls).length && url.startsWith("https:")) req.tls = creds.tls;
        // Bun's fetch has a 5-minute idle timeout by default; watches keep their own inactivity timer.
        if (init.stream) req.timeout = false;
        let res: Response;
        opts.onRequest?.(method, path);
        try {
          res = await doFetch(url, req);
        } catch (e) {
          if (fence?.aborted && !init.signal?.aborted) throw new FencedError(`${method} ${path}`);
          if (isAbortError(e) || init.signal?.aborted) throw e;
          opts.onResponse?.(method, 0);
          throw new TransportError(`${method} ${url}`, e);
        }
        opts.onResponse?.(method, res.status);
        if (res.status === 401 && attempt === 0 && cfg.source !== "static") {
          await res.body?.cancel().catch(() => {});
          cfg.invalidate();
          continue;
        }
        return res;
      }
    }

    async function json<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
      const res = await send(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": contentType } });
      if (!res.ok) throw await kubeErrorFromResponse(res, `${method} ${path}`);
      return (await res.json()) as T;
    }

    const client: Client = {
      server: cfg.server,
      config: cfg,
      rateLimiter: limiter,

      async get<T extends KubeObject>(ref: ResourceRef, name: string, namespace?: string): Promise<T | undefined> {
        try {
          return await json<T>("GET", objectPath(ref, name, namespace));
        } catch (e) {
          if (e instanceof KubeError && e.code === 404) return undefined;
          throw e;
        }
      },

      async list<T extends KubeObject>(ref: ResourceRef, o: ListOptions = {}): Promise<KubeList<T>> {
        const q = query({ labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, continue: o.continue, resourceVersion: o.resourceVersion });
        const list = await json<KubeList<T>>("GET", `${collectionPath(ref, o.namespace)}${q}`);
        list.items ??= [];
        list.metadata ??= { resourceVersion: "" };
        return list;
      },

      async create<T extends KubeObject>(ref: ResourceRef, obj: T, o: { fieldManager?: string; dryRun?: boolean } = {}): Promise<T> {
        if (ref.namespaced && !obj.metadata?.namespace) throw new Error(`${ref.plural} "${obj.metadata?.name ?? ""}": metadata.namespace is required to create a namespaced object`);
        const q = query({ fieldManager: o.fieldManager, dryRun: o.dryRun ? "All" : undefined });
        return json<T>("POST", `${collectionPath(ref, obj.metadata.namespace)}${q}`, obj);
      },

      async mergePatch<T extends KubeObject>(ref: ResourceRef, name: string, patch: unknown, o: { namespace?: string; subresource?: "status"; fieldManager?: string } = {}): Promise<T> {
        const q = query({ fieldManager: o.fieldManager });
        return json<T>("PATCH", `${objectPath(ref, name, o.namespace, o.subresource)}${q}`, patch, "application/merge-patch+json");
      },

      async delete(ref, name, o = {}): Promise<boolean> {
        const body: Record<string, unknown> = { kind: "DeleteOptions", apiVersion: "v1" };
        if (o.propagationPolicy) body.propagationPolicy = o.propagationPolicy;
        if (o.preconditions) body.preconditions = o.preconditions;
        try {
          await json("DELETE", objectPath(ref, name, o.namespace), body);
          return true;
        } catch (e) {
          if (e instanceof KubeError && e.code === 404) return false;
          throw e;
        }
      },

      watch<T extends KubeObject>(ref: ResourceRef, o: WatchOptions): AsyncIterable<WatchEvent<T>> {
        return watchStream<T>(send, ref, o);
      },

      async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
        if (body === undefined) return send(method, path, { headers });
        if (typeof body === "string" || body instanceof Uint8Array) return send(method, path, { body, headers });
        const h = { "content-type": "application/json", ...headers };
        return send(method, path, { body: JSON.stringify(body), headers: h });
      },

      fenced(signal: AbortSignal): Client {
        return build(fence ? AbortSignal.any([fence, signal]) : signal);
      },

      close() {
        if (!fence) session?.close();
      },
    };
    return client;
  }
}

type Send = (method: string, path: string, init: { signal?: AbortSignal; stream?: boolean }) => Promise<Response>;

async function* watchStream<T extends KubeObject>(send: Send, ref: ResourceRef, o: WatchOptions): AsyncGenerator<WatchEvent<T>> {
  const q = query({
    watch: "true",
    allowWatchBookmarks: o.allowWatchBookmarks ? "true" : undefined,
    resourceVersion: o.resourceVersion,
    timeoutSeconds: o.timeoutSeconds,
    labelSelector: o.labelSelector,
    fieldSelector: o.fieldSelector,
  });
  const path = `${collectionPath(ref, o.namespace)}${q}`;
  if (o.signal?.aborted) return;
  // Our own controller: aborted by the caller's signal, by the inactivity timer, or when iteration stops early.
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  let inactive = false;
  let timer: Timer | undefined;
  const arm = () => {
    if (!o.inactivityTimeoutMs) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      inactive = true;
      ac.abort();
    }, o.inactivityTimeoutMs);
  };
  let reader: { cancel(): Promise<void> } | undefined;
  try {
    arm();
    let res: Response;
    try {
      res = await send("GET", path, { signal: ac.signal, stream: true });
    } catch (e) {
      if (inactive) throw new WatchInactivityError(o.inactivityTimeoutMs!);
      if (o.signal?.aborted) return;
      throw e;
    }
    if (!res.ok) throw await kubeErrorFromResponse(res, `GET ${path}`);
    if (!res.body) return;
    const body = res.body.getReader();
    reader = body;
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      let chunk: Awaited<ReturnType<typeof body.read>>;
      try {
        chunk = await body.read();
      } catch (e) {
        if (inactive) throw new WatchInactivityError(o.inactivityTimeoutMs!);
        if (o.signal?.aborted) return;
        throw new TransportError(`GET ${path} (watch stream)`, e);
      }
      if (chunk.done) break;
      arm();
      buffer += decoder.decode(chunk.value, { stream: true });
      // One pass over the chunk's lines; the unfinished rest is kept (cutting the buffer after each line
      // copied the remainder once per event: quadratic in the events a chunk carries).
      let start = 0;
      let nl: number;
      while ((nl = buffer.indexOf("\n", start)) >= 0) {
        const line = buffer.slice(start, nl).trim();
        start = nl + 1;
        if (line) yield parseEvent<T>(line, path);
      }
      buffer = start ? buffer.slice(start) : buffer;
    }
    const rest = (buffer + decoder.decode()).trim();
    if (rest) yield parseEvent<T>(rest, path);
    if (inactive) throw new WatchInactivityError(o.inactivityTimeoutMs!);
  } finally {
    if (timer) clearTimeout(timer);
    o.signal?.removeEventListener("abort", onAbort);
    if (!ac.signal.aborted) ac.abort();
    reader?.cancel().catch(() => {});
  }
}

function parseEvent<T>(line: string, path: string): WatchEvent<T> {
  try {
    return JSON.parse(line) as WatchEvent<T>;
  } catch {
    throw new TransportError(`GET ${path} (watch stream)`, new Error(`malformed watch event: ${line.slice(0, 200)}`));
  }
}

/** `inner` fenced by `signal` (see Client.fenced); any other KubeClient is checked before each call. */
export function fencedClient(inner: KubeClient, signal: AbortSignal): KubeClient {
  const own = (inner as Partial<Client>).fenced;
  if (typeof own === "function") return own.call(inner, signal);
  const check = (what: string) => {
    if (signal.aborted) throw new FencedError(what);
  };
  return {
    server: inner.server,
    get: async (ref, name, ns) => (check(`GET ${ref.plural}`), inner.get(ref, name, ns)),
    list: async (ref, o) => (check(`LIST ${ref.plural}`), inner.list(ref, o)),
    create: async (ref, obj, o) => (check(`POST ${ref.plural}`), inner.create(ref, obj, o)),
    mergePatch: async (ref, name, patch, o) => (check(`PATCH ${ref.plural}`), inner.mergePatch(ref, name, patch, o)),
    delete: async (ref, name, o) => (check(`DELETE ${ref.plural}`), inner.delete(ref, name, o)),
    watch: (ref, o) =>
      (async function* () {
        check(`WATCH ${ref.plural}`);
        yield* inner.watch(ref, { ...o, signal: o.signal ? AbortSignal.any([o.signal, signal]) : signal });
      })(),
    request: async (method, path, body, headers) => (check(`${method} ${path}`), inner.request(method, path, body, headers)),
  };
}
