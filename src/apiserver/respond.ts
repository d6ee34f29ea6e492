// Response helpers and content negotiation.
import { ApiError } from "./errors.ts";
import type { FaultRule } from "./hooks.ts";

export const JSON_TYPE = "application/json";
const JSON_HEADERS: Record<string, string> = { "content-type": JSON_TYPE };
export const TABLE_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io";

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": JSON_TYPE, ...headers } });
}

export function errorResponse(err: ApiError): Response {
  return jsonResponse(err.status(), err.code, err.headers);
}

/** `Warning: 299 - "<text>"` headers, one per warning, as the apiserver sends them. */
export function warningHeaders(warnings: string[]): Headers | Record<string, string> {
  if (warnings.length === 0) return JSON_HEADERS;
  const h = new Headers({ "content-type": JSON_TYPE });
  for (const w of warnings) h.append("warning", `299 - ${JSON.stringify(w)}`);
  return h;
}

export function wantsTable(accept: string | null): boolean {
  if (!accept) return false;
  return accept.split(",").some((part) => /as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}

/** 406 when the client accepts nothing we can produce (we always answer JSON). */
export function checkAcceptable(accept: string | null) {
  if (!accept) return;
  const ok = accept.split(",").some((part) => {
    const media = part.split(";")[0].trim();
    return media === "*/*" || media === "application/*" || media === JSON_TYPE || media === "application/yaml" || media === "";
  });
  if (!ok)
    throw new ApiError(406, "NotAcceptable", `only the following media types are accepted: application/json, application/yaml`);
}

const FAULT_REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  410: "Expired",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** The Status response of an injected fault. */
export function faultResponse(rule: FaultRule): Response {
  const code = rule.status!;
  const headers: Record<string, string> = {};
  const details: Record<string, unknown> = {};
  if (rule.retryAfterSeconds !== undefined) {
    headers["retry-after"] = String(rule.retryAfterSeconds);
    details.retryAfterSeconds = rule.retryAfterSeconds;
  }
  const message = rule.message ?? `injected fault: ${code}`;
  return errorResponse(new ApiError(code, FAULT_REASONS[code] ?? "Unknown", message, details, headers));
}
