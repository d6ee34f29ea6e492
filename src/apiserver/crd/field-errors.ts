// Builders for apimachinery's field.Error kinds, with their exact message bodies.
import type { FieldCause } from "../types";
import { goBadValue, goQuote } from "./go-format";

export function required(field: string, detail = ""): FieldCause {
  return { reason: "FieldValueRequired", field, message: withDetail("Required value", detail) };
}

export function forbidden(field: string, detail: string): FieldCause {
  return { reason: "FieldValueForbidden", field, message: withDetail("Forbidden", detail) };
}

export function invalid(field: string, value: unknown, detail: string): FieldCause {
  return { reason: "FieldValueInvalid", field, message: withDetail(`Invalid value: ${goBadValue(value)}`, detail) };
}

export function notSupported(field: string, value: unknown, supported: string[]): FieldCause {
  const detail = supported.length > 0 ? `supported values: ${supported.map(goQuote).join(", ")}` : "";
  return { reason: "FieldValueNotSupported", field, message: withDetail(`Unsupported value: ${goBadValue(value)}`, detail) };
}

function withDetail(body: string, detail: string): string {
  return detail ? `${body}: ${detail}` : body;
}

/** `field: body`, the string field.Error.Error() returns (and sorts by in structural checks). */
export function causeText(cause: FieldCause): string {
  return `${cause.field}: ${cause.message}`;
}
