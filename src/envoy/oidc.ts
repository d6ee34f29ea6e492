// OpenID Connect discovery: an oauth2 config that names only its issuer gets its authorization, token and JWKS
// endpoints from <issuer>/.well-known/openid-configuration. This is I/O, so it lives here and runs from the config
// reconciler with a bounded timeout; results are kept in memory by issuer (and CA) and re-fetched periodically so a
// key rotation or a moved endpoint is seen. Renders read the results through a cache-shaped view (recorded like any
// other read), so they stay pure; a result that changes notifies the operator, which re-queues the Kodes using it.
import type { EnvoyOAuth2Spec } from "../api/types.ts";

export interface Discovered {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  /** Key ids of the JWKS (or "#<n>" for keys without one), sorted: a rotation changes them. */
  keyIds: string[];
}

export type DiscoveryResult = { ok: true; discovered: Discovered } | { ok: false; reason: string; message: string };

export interface DiscoverOptions {
  /** PEM of a private CA the issuer's certificate chains to. */
  ca?: string;
  timeoutMs?: number;
}

const trimSlash = (s: string) => s.replace(/\/+$/, "");

async function getJson(url: string, opts: DiscoverOptions, what: string): Promise<{ ok: true; body: unknown } | { ok: false; reason: string; message: string }> {
  let res: Response;
  try {
    res = await fetch(url, {
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
      headers: { accept: "application/json" },
      redirect: "error",
      ...(opts.ca && { tls: { ca: opts.ca } }),
    } as RequestInit);
  } catch (e) {
    const err = e as Error;
    const why = err.name === "TimeoutError" ? `no answer within ${opts.timeoutMs ?? 5000} ms` : err.message;
    return { ok: false, reason: "IssuerUnreachable", message: `GET ${url} (${what}) failed: ${why}` };
  }
  if (!res.ok) {
    await res.body?.cancel();
    return { ok: false, reason: "IssuerUnreachable", message: `GET ${url} (${what}) answered HTTP ${res.status} ${res.statusText}`.trim() };
  }
  try {
    return { ok: true, body: await res.json() };
  } catch {
    return { ok: false, reason: "IssuerInvalid", message: `GET ${url} (${what}) did not return JSON` };
  }
}

const httpsOrHttp = (u: unknown): u is string => {
  if (typeof u !== "string") return false;
  try {
    const p = new URL(u).protocol;
    return p === "https:" || p === "http:";
  } catch {
    return false;
  }
};

/** Read the discovery document and the JWKS, and check that they describe this issuer and hold keys. */
export async function discover(issuer: string, opts: DiscoverOptions = {}): Promise<DiscoveryResult> {
  const url = `${trimSlash(issuer)}/.well-known/openid-configuration`;
  const doc = await getJson(url, opts, "discovery");
  if (!doc.ok) return doc;
  const d = doc.body as Record<string, unknown>;
  if (typeof d !== "object" || d === null) return { ok: false, reason: "IssuerInvalid", message: `${url} is not a JSON object` };
  if (d.issuer !== issuer)
    return {
      ok: false,
      reason: "IssuerMismatch",
      message: `${url} names issuer ${JSON.stringify(d.issuer)}, not ${JSON.stringify(issuer)}; tokens would carry that iss and be refused. Set spec.oauth2.issuer to exactly the issuer's value`,
    };
  const missing = (["authorization_endpoint", "token_endpoint", "jwks_uri"] as const).filter((k) => !httpsOrHttp(d[k]));
  if (missing.length) return { ok: false, reason: "IssuerInvalid", message: `${url} has no valid ${missing.join(", ")}; set them in spec.oauth2 instead` };
  const jwks = await getJson(d.jwks_uri as string, opts, "JWKS");
  if (!jwks.ok) return jwks;
  const keys = (jwks.body as { keys?: unknown })?.keys;
  const sigKeys = Array.isArray(keys) ? keys.filter((k) => typeof k === "object" && k !== null && (k as { use?: string }).use !== "enc") : [];
  if (!sigKeys.length) return { ok: false, reason: "IssuerInvalid", message: `${d.jwks_uri} (JWKS) holds no signing keys; no token could be verified` };
  return {
    ok: true,
    discovered: {
      authorizationEndpoint: d.authorization_endpoint as string,
      tokenEndpoint: d.token_endpoint as string,
      jwksUri: d.jwks_uri as string,
      keyIds: sigKeys.map((k, i) => String((k as { kid?: string }).kid ?? `#${i}`)).sort(),
    },
  };
}

/** Whether a config's oauth2 block needs discovery (an endpoint left unset). */
export const needsDiscovery = (o: EnvoyOAuth2Spec | undefined): o is EnvoyOAuth2Spec & { issuer: string } =>
  !!o?.issuer && (!o.authorizationEndpoint || !o.tokenEndpoint);

/** The oauth2 block with the discovered endpoints where the config leaves them unset. Pure. */
export function withDiscovered(o: EnvoyOAuth2Spec, d: Discovered): EnvoyOAuth2Spec {
  return { ...o, authorizationEndpoint: o.authorizationEndpoint ?? d.authorizationEndpoint, tokenEndpoint: o.tokenEndpoint ?? d.tokenEndpoint, jwksUri: o.jwksUri ?? d.jwksUri };
}

/** One cache entry, in the shape the read recorder versions: resourceVersion changes with the result. */
export interface DiscoveryEntry {
  metadata: { name: string; resourceVersion: string };
  result: DiscoveryResult;
  fetchedAt: number;
}

export interface OidcCacheOptions {
  /** Re-fetch a good result this often (key rotation; default 10 minutes). */
  refreshMs?: number;
  timeoutMs?: number;
  /** First retry after a failure (default 2 s), doubled per failure up to maxBackoffMs (default 5 minutes). */
  backoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
  /** A result for this key changed (first result, a failure, a recovery, new keys or endpoints). */
  onChange?: (key: string) => void;
}

/** The cache key: the issuer and, when there is one, the CA (a public certificate, not a secret). */
export const discoveryKey = (issuer: string, ca?: string) => (ca ? `${issuer}\u0000${Bun.hash(ca).toString(16)}` : issuer);

/** Discovery results by issuer, fetched on demand with backoff and refreshed periodically. */
export class OidcDiscoveryCache {
  private readonly entries = new Map<string, DiscoveryEntry & { failures: number; due: number }>();
  private readonly inflight = new Map<string, Promise<DiscoveryEntry>>();
  private version = 0;

  constructor(private readonly opts: OidcCacheOptions = {}) {}

  /** Cache view for renders (no I/O). */
  get(_namespace: string | undefined, key: string): DiscoveryEntry | undefined {
    return this.entries.get(key);
  }

  /** When the entry should be fetched again (ms from now; 0 = now). */
  dueIn(key: string): number {
    const e = this.entries.get(key);
    return e ? Math.max(0, e.due - this.now()) : 0;
  }

  /** The entry, fetched now when it is missing or due. Never throws; concurrent calls share one fetch. */
  async ensure(issuer: string, ca?: string): Promise<DiscoveryEntry> {
    const key = discoveryKey(issuer, ca);
    const e = this.entries.get(key);
    if (e && e.due > this.now()) return e;
    const running = this.inflight.get(key);
    if (running) return running;
    const p = this.fetch(key, issuer, ca).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private now() {
    return (this.opts.now ?? Date.now)();
  }

  private async fetch(key: string, issuer: string, ca?: string): Promise<DiscoveryEntry> {
    const result = await discover(issuer, { ca, timeoutMs: this.opts.timeoutMs });
    const old = this.entries.get(key);
    const failures = result.ok ? 0 : (old?.failures ?? 0) + 1;
    const wait = result.ok
      ? (this.opts.refreshMs ?? 600_000)
      : Math.min((this.opts.backoffMs ?? 2000) * 2 ** (failures - 1), this.opts.maxBackoffMs ?? 300_000);
    const changed = !old || JSON.stringify(old.result) !== JSON.stringify(result);
    const entry = {
      metadata: { name: key, resourceVersion: changed ? String(++this.version) : old.metadata.resourceVersion },
      result,
      fetchedAt: this.now(),
      failures,
      due: this.now() + wait,
    };
    this.entries.set(key, entry);
    if (changed) this.opts.onChange?.(key);
    return entry;
  }
}
