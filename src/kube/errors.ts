// Errors of the Kubernetes client: a KubeError carries the API server's Status (code, reason, message),
// a TransportError wraps what went wrong below HTTP (refused connection, TLS verification, reset).
import type { KubeErrorShape } from "./types.ts";

/** The Status object the API server sends with every failure. */
export interface StatusBody {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; retryAfterSeconds?: number; causes?: { type?: string; message?: string; field?: string }[] };
}

/** The API server answered with a failure Status (or a non-2xx response without one). */
export class KubeError extends Error implements KubeErrorShape {
  override readonly name = "KubeError";
  readonly code: number;
  readonly reason: string;
  readonly retryAfterSeconds?: number;
  /** The Status body, when the server sent one. */
  readonly status?: StatusBody;
  /** The request that failed, e.g. "PATCH /api/v1/namespaces/default/configmaps/x". */
  readonly request?: string;

  constructor(code: number, reason: string, message: string, extra: { retryAfterSeconds?: number; status?: StatusBody; request?: string } = {}) {
    super(message);
    this.code = code;
    this.reason = reason;
    if (extra.retryAfterSeconds !== undefined) this.retryAfterSeconds = extra.retryAfterSeconds;
    if (extra.status) this.status = extra.status;
    if (extra.request) this.request = extra.request;
  }

  /** From a Status object, e.g. the object of a watch ERROR event. */
  static fromStatus(status: StatusBody, httpCode?: number, extra: { retryAfterSeconds?: number; request?: string } = {}): KubeError {
    const code = typeof status.code === "number" && status.code > 0 ? status.code : (httpCode ?? 500);
    const reason = status.reason || reasonForCode(code);
    const message = status.message || `${reason} (HTTP ${code})`;
    const retryAfterSeconds = extra.retryAfterSeconds ?? status.details?.retryAfterSeconds;
    return new KubeError(code, reason, message, { retryAfterSeconds, status, request: extra.request });
  }
}

/** Build a KubeError from a failed response; consumes the body. */
export async function kubeErrorFromResponse(res: Response, request?: string): Promise<KubeError> {
  const text = await res.text().catch(() => "");
  const retryAfterSeconds = parseRetryAfter(res.headers.get("retry-after"));
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {}
  if (body && typeof body === "object" && (body as StatusBody).kind === "Status")
    return KubeError.fromStatus(body as StatusBody, res.status, { retryAfterSeconds, request });
  const reason = reasonForCode(res.status);
  const snippet = text.trim().slice(0, 300);
  const message = `${request ? `${request}: ` : ""}HTTP ${res.status} ${res.statusText || reason}${snippet ? `: ${snippet}` : ""}`;
  return new KubeError(res.status, reason, message, { retryAfterSeconds, request });
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Expired",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

export function reasonForCode(code: number): string {
  return REASONS[code] ?? "Unknown";
}

/** The request never got an HTTP answer: connection refused or reset, TLS verification failed, DNS. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  /** The underlying error's code, e.g. ECONNREFUSED, UNABLE_TO_VERIFY_LEAF_SIGNATURE. */
  readonly code?: string;
  constructor(request: string, cause: unknown) {
    const c = cause as { message?: string; code?: string };
    super(`${request}: ${c?.message ?? String(cause)}${c?.code && !String(c.message).includes(c.code) ? ` (${c.code})` : ""}`, { cause });
    if (c?.code) this.code = c.code;
  }
}

/** A watch delivered no bytes for longer than its inactivity timeout; the caller should re-watch. */
export class WatchInactivityError extends Error {
  override readonly name = "WatchInactivityError";
  constructor(readonly timeoutMs: number) {
    super(`watch received nothing for ${timeoutMs} ms`);
  }
}

export const isKubeError = (e: unknown): e is KubeError => e instanceof KubeError;
export const isNotFound = (e: unknown) => isKubeError(e) && e.code === 404;
export const isConflict = (e: unknown) => isKubeError(e) && e.code === 409;
export const isAlreadyExists = (e: unknown) => isKubeError(e) && e.code === 409 && e.reason === "AlreadyExists";
export const isGone = (e: unknown) => isKubeError(e) && e.code === 410;
export const isInvalid = (e: unknown) => isKubeError(e) && e.code === 422;
/** Worth retrying later: throttling, server-side trouble, or no HTTP answer at all. */
export const isTransient = (e: unknown) =>
  e instanceof TransportError || e instanceof WatchInactivityError || (isKubeError(e) && (e.code === 429 || e.code >= 500));
export const isAbortError = (e: unknown) => (e as { name?: string })?.name === "AbortError";
