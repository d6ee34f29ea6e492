// Kubernetes Status errors with the real apiserver's wording (apimachinery pkg/api/errors).
import type { FieldCause } from "./types.ts";

export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: Record<string, unknown>;
  code: number;
}

/** Thrown anywhere in request handling; the router turns it into a Status response. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  status(): StatusBody {
    const body: StatusBody = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) body.details = this.details;
    return body;
  }
}

/** "configmaps" for core, "widgets.example.com" for a group. */
export function qualifiedResource(group: string, plural: string): string {
  return group ? `${plural}.${group}` : plural;
}

export const notFound = (group: string, plural: string, name: string) =>
  new ApiError(404, "NotFound", `${qualifiedResource(group, plural)} "${name}" not found`, {
    name,
    group,
    kind: plural,
  });

export const alreadyExists = (group: string, plural: string, name: string) =>
  new ApiError(409, "AlreadyExists", `${qualifiedResource(group, plural)} "${name}" already exists`, {
    name,
    group,
    kind: plural,
  });

export const conflict = (group: string, plural: string, name: string, why = "the object has been modified; please apply your changes to the latest version and try again") =>
  new ApiError(409, "Conflict", `Operation cannot be fulfilled on ${qualifiedResource(group, plural)} "${name}": ${why}`, {
    name,
    group,
    kind: plural,
  });

export const badRequest = (message: string) => new ApiError(400, "BadRequest", message);

export const methodNotAllowed = (verb: string, group: string, plural: string) =>
  new ApiError(405, "MethodNotAllowed", `${verb} is not supported on resources of kind "${qualifiedResource(group, plural)}"`, {
    group,
    kind: plural,
  });

export const unsupportedMediaType = (accepted: string[]) =>
  new ApiError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
  );

export const expired = (message: string) => new ApiError(410, "Expired", message);

export const internalError = (message: string) =>
  new ApiError(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ message }] });

/** 422 with details.causes, message `<Kind>.<group> "<name>" is invalid: <field>: <detail>` (several: `[a, b]`). */
export function invalid(kind: string, group: string, name: string, causes: FieldCause[]): ApiError {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const joined = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  const qualified = group ? `${kind}.${group}` : kind;
  return new ApiError(422, "Invalid", `${qualified} "${name}" is invalid: ${joined}`, {
    name,
    group,
    kind,
    causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
  });
}

export function successStatus(details: Record<string, unknown>): StatusBody {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details, code: 200 };
}

export const cause = (reason: FieldCause["reason"], field: string, message: string): FieldCause => ({
  reason,
  field,
  message,
});

/** `Invalid value: "x": detail` as field.Invalid prints values. */
export function invalidValue(field: string, value: unknown, detail: string): FieldCause {
  return cause("FieldValueInvalid", field, `Invalid value: ${formatValue(value)}: ${detail}`);
}

export function formatValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return "null";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
