// Validation of custom resources against their OpenAPI v3 schema, mirroring kube-openapi's
// validate package and apiextensions' mapping of its errors to field errors (Kubernetes 1.33).
import type { FieldCause, JSONSchemaProps } from "../types";
import { formatChecker } from "./formats";
import { goBadValue, goFloat, goJSON, goNumber, goQuote, isPlainObject } from "./go-format";
import { validateListTypes } from "./list-type";

type ErrorCode =
  | "type" | "required" | "tooLong" | "tooShort" | "pattern" | "enum" | "multipleOf" | "maximum" | "minimum"
  | "unique" | "maxItems" | "minItems" | "tooFewProperties" | "tooManyProperties" | "forbiddenProperty"
  | "multipleOfMustBePositive";

/** An errors.Validation from kube-openapi: carries the JSON path (`name`) it is about. */
interface SchemaError {
  code: ErrorCode;
  name: string;
  message: string;
  value?: unknown;
  /** The limit, for tooLong / maxItems / tooManyProperties. */
  limit?: number;
  /** The allowed values, for enum. */
  values?: unknown[];
}

/** Errors kube-openapi raises as plain errors (oneOf, anyOf…): the apiserver reports them at field `<nil>`. */
interface PlainError {
  code: "plain";
  message: string;
}

type OpenAPIError = SchemaError | PlainError;

interface Result {
  errors: OpenAPIError[];
  /** How much of the schema matched: picks the "closest" failing branch of anyOf/oneOf. */
  matchCount: number;
}

const IN = "body";

/**
 * Validates a custom resource (already pruned and defaulted) against its schema.
 * x-kubernetes-validations (CEL) rules are not evaluated.
 */
export function validateAgainstSchema(obj: unknown, schema: JSONSchemaProps, unchanged?: (property: string) => boolean): FieldCause[] {
  // Validation is a pure function of (value, schema): a top-level property equal to the one an object already
  // passed with under this same schema passes again, so it is not walked (a status write skips the spec).
  const skip = unchanged && !(schema.anyOf || schema.oneOf || schema.allOf || schema.not) ? unchanged : undefined;
  const causes = toFieldCauses(validateNode(obj, schema, "", skip), undefined);
  if (isPlainObject(obj)) causes.push(...validateListTypes(obj, schema, skip));
  return causes;
}

/** Validates a value at a field path, as the apiserver does for schema defaults (`…default`). */
export function validateValueAt(value: unknown, schema: JSONSchemaProps, fieldPath: string): FieldCause[] {
  return toFieldCauses(validateNode(value, schema, ""), fieldPath);
}

function newResult(): Result {
  return { errors: [], matchCount: 0 };
}

function addErrors(result: Result, ...errors: OpenAPIError[]): void {
  for (const error of errors) {
    if (!result.errors.some((known) => known.message === error.message)) result.errors.push(error);
  }
}

function merge(result: Result, other: Result | undefined): void {
  if (!other) return;
  addErrors(result, ...other.errors);
  result.matchCount += other.matchCount;
}

function failed(error: OpenAPIError): Result {
  return { errors: [error], matchCount: 0 };
}

function schemaTypes(schema: JSONSchemaProps): string[] {
  if (schema["x-kubernetes-int-or-string"]) return ["integer", "string"];
  return schema.type ? [schema.type] : [];
}

/** Formats other than the string formats apiextensions supports are stripped before validation. */
function effectiveFormat(schema: JSONSchemaProps): string | undefined {
  return formatChecker(schema.format) ? schema.format : undefined;
}

function validateNode(data: unknown, schema: JSONSchemaProps, path: string, skip?: (property: string) => boolean): Result {
  const result = newResult();
  const format = effectiveFormat(schema);
  const checkType = schemaTypes(schema).length > 0 || format !== undefined;
  if (data === null || data === undefined) {
    if (checkType) merge(result, validateType(null, schema, path));
    merge(result, validateEnum(null, schema, path));
    return result;
  }
  // Each check counts one match whether or not it applies (kube-openapi's validator list); the order is theirs.
  const step = (r: Result | undefined) => {
    merge(result, r);
    result.matchCount++;
  };
  if (checkType) step(validateType(data, schema, path));
  step(schema.anyOf || schema.oneOf || schema.allOf || schema.not ? validateComposition(data, schema, path) : NO_COMPOSITION);
  if (typeof data === "string") {
    step(validateString(data, schema, path));
    if (format) step(validateFormat(data, format, path));
  }
  if (typeof data === "number") step(validateNumber(data, schema, path));
  if (Array.isArray(data)) step(validateArray(data, schema, path));
  step(validateEnum(data, schema, path));
  if (isPlainObject(data)) step(validateObject(data, schema, path, skip));
  result.matchCount++;
  return result;
}

/** The type and format names kube-openapi infers for a decoded JSON value. */
function jsonTypeOf(data: unknown): { type: string; format: string } {
  if (typeof data === "boolean") return { type: "boolean", format: "" };
  if (typeof data === "string") return { type: "string", format: "" };
  if (typeof data === "number") {
    return Number.isInteger(data) ? { type: "integer", format: "int64" } : { type: "number", format: "float64" };
  }
  if (Array.isArray(data)) return { type: "array", format: "" };
  return { type: "object", format: "" };
}

function invalidType(path: string, typeName: string, actual: string): SchemaError {
  return {
    code: "type",
    name: path,
    value: actual,
    message: `${path} in ${IN} must be of type ${typeName}: ${goQuote(actual)}`,
  };
}

function validateType(data: unknown, schema: JSONSchemaProps, path: string): Result | undefined {
  const types = schemaTypes(schema);
  const format = effectiveFormat(schema);
  if (data === null) {
    if (types.length > 0 && !schema.nullable) return failed(invalidType(path, types.join(","), "null"));
    return undefined;
  }
  const actual = jsonTypeOf(data);
  const isIntFloat = actual.type === "integer" && types.includes("number");
  const isStringOrArray = typeof data === "string" || Array.isArray(data);
  if (!isStringOrArray && format && !(types.includes(actual.type) || actual.format === format || isIntFloat)) {
    return failed(invalidType(path, format, actual.format));
  }
  if (!(types.includes("number") || types.includes("integer")) && format && isStringOrArray) return undefined;
  if (!(types.includes(actual.type) || isIntFloat)) return failed(invalidType(path, types.join(","), actual.type));
  return undefined;
}

function validateFormat(data: string, format: string, path: string): Result | undefined {
  if (formatChecker(format)?.(data)) return undefined;
  return failed(invalidType(path, format, data));
}

const patternCache = new Map<string, RegExp | Error>();

function compilePattern(pattern: string): RegExp | Error {
  let compiled = patternCache.get(pattern);
  if (!compiled) {
    try {
      compiled = new RegExp(pattern, "u");
    } catch {
      try {
        compiled = new RegExp(pattern);
      } catch (error) {
        compiled = error instanceof Error ? error : new Error(String(error));
      }
    }
    patternCache.set(pattern, compiled);
  }
  return compiled;
}

function validateString(data: string, schema: JSONSchemaProps, path: string): Result | undefined {
  const length = [...data].length;
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    return failed({
      code: "tooLong", name: path, value: data, limit: schema.maxLength,
      message: `${path} in ${IN} should be at most ${schema.maxLength} chars long`,
    });
  }
  if (schema.minLength !== undefined && length < schema.minLength) {
    return failed({
      code: "tooShort", name: path, value: data,
      message: `${path} in ${IN} should be at least ${schema.minLength} chars long`,
    });
  }
  if (schema.pattern) {
    const regex = compilePattern(schema.pattern);
    if (regex instanceof Error) {
      return failed({
        code: "pattern", name: path, value: data,
        message: `${path} in ${IN} should match '${schema.pattern}, but pattern is invalid: ${regex.message}'`,
      });
    }
    if (!regex.test(data)) {
      return failed({ code: "pattern", name: path, value: data, message: `${path} in ${IN} should match '${schema.pattern}'` });
    }
  }
  return undefined;
}

/** swag.IsFloat64AJSONInteger: integral up to a relative error of 1e-9. */
function isJSONInteger(f: number): boolean {
  if (!Number.isFinite(f)) return false;
  if (Number.isInteger(f)) return true;
  const rounded = Math.round(f);
  if (rounded === 0) return false;
  return Math.abs(f - rounded) / (Math.abs(f) + Math.abs(rounded)) < 1e-9;
}

function boundaryTypeError(prefix: string, path: string): PlainError {
  return { code: "plain", message: `${prefix} value must be of type integer (default format) in ${path}` };
}

function validateNumber(data: number, schema: JSONSchemaProps, path: string): Result {
  const result = newResult();
  const integerSchema = schema.type === "integer" && !schema["x-kubernetes-int-or-string"];
  const integralData = Number.isInteger(data);
  // kube-openapi checks that the value and each bound fit the schema's type before comparing.
  const fitsType = (n: number) => !integerSchema || Number.isInteger(n);
  if (!fitsType(data)) addErrors(result, boundaryTypeError("Checked", path));

  if (schema.multipleOf !== undefined) {
    const factor = schema.multipleOf;
    const error = fitsType(factor) && integralData
      ? multipleOfInteger(path, data, Math.trunc(factor))
      : multipleOfFloat(path, data, factor);
    if (!fitsType(factor)) addErrors(result, boundaryTypeError("MultipleOf", path));
    if (error) addErrors(result, error);
  }
  if (schema.minimum !== undefined) {
    const bound = schema.minimum;
    if (!fitsType(bound)) addErrors(result, boundaryTypeError("Minimum boundary", path));
    const error = fitsType(bound) && integralData
      ? compareMinimum(path, data, Math.trunc(bound), goNumber(Math.trunc(bound)), schema.exclusiveMinimum)
      : compareMinimum(path, data, bound, goFloat(bound), schema.exclusiveMinimum);
    if (error) addErrors(result, error);
  }
  if (schema.maximum !== undefined) {
    const bound = schema.maximum;
    if (!fitsType(bound)) addErrors(result, boundaryTypeError("Maximum boundary", path));
    const error = fitsType(bound) && integralData
      ? compareMaximum(path, data, Math.trunc(bound), goNumber(Math.trunc(bound)), schema.exclusiveMaximum)
      : compareMaximum(path, data, bound, goFloat(bound), schema.exclusiveMaximum);
    if (error) addErrors(result, error);
  }
  result.matchCount++;
  return result;
}

function multipleOfInteger(path: string, data: number, factor: number): SchemaError | undefined {
  if (factor <= 0) return mustBePositive(path, factor, goNumber(factor));
  if (data % factor === 0) return undefined;
  return {
    code: "multipleOf", name: path, value: data,
    message: `${path} in ${IN} should be a multiple of ${goNumber(factor)}`,
  };
}

function multipleOfFloat(path: string, data: number, factor: number): SchemaError | undefined {
  if (factor <= 0) return mustBePositive(path, factor, goFloat(factor));
  const multiple = factor < 1 ? (1 / factor) * data : data / factor;
  if (isJSONInteger(multiple)) return undefined;
  return {
    code: "multipleOf", name: path, value: data,
    message: `${path} in ${IN} should be a multiple of ${goFloat(factor)}`,
  };
}

function mustBePositive(path: string, factor: number, printed: string): SchemaError {
  return {
    code: "multipleOfMustBePositive", name: path, value: factor,
    message: `factor MultipleOf declared for ${path} must be positive: ${printed}`,
  };
}

function compareMinimum(
  path: string, data: number, bound: number, printed: string, exclusive: boolean | undefined,
): SchemaError | undefined {
  if (exclusive ? data > bound : data >= bound) return undefined;
  const relation = exclusive ? "greater than" : "greater than or equal to";
  return { code: "minimum", name: path, value: data, message: `${path} in ${IN} should be ${relation} ${printed}` };
}

function compareMaximum(
  path: string, data: number, bound: number, printed: string, exclusive: boolean | undefined,
): SchemaError | undefined {
  if (exclusive ? data < bound : data <= bound) return undefined;
  const relation = exclusive ? "less than" : "less than or equal to";
  return { code: "maximum", name: path, value: data, message: `${path} in ${IN} should be ${relation} ${printed}` };
}

function validateArray(data: unknown[], schema: JSONSchemaProps, path: string): Result {
  const result = newResult();
  if (schema.items) {
    const items = schema.items;
    data.forEach((item, i) => merge(result, validateNode(item, items, `${path}[${i}]`)));
  }
  const size = data.length;
  if (schema.minItems !== undefined && size < schema.minItems) {
    addErrors(result, {
      code: "minItems", name: path, value: size,
      message: `${path} in ${IN} should have at least ${schema.minItems} items`,
    });
  }
  if (schema.maxItems !== undefined && size > schema.maxItems) {
    addErrors(result, {
      code: "maxItems", name: path, value: size, limit: schema.maxItems,
      message: `${path} in ${IN} should have at most ${schema.maxItems} items`,
    });
  }
  if (schema.uniqueItems && hasDuplicates(data)) {
    addErrors(result, { code: "unique", name: path, message: `${path} in ${IN} shouldn't contain duplicates` });
  }
  result.matchCount++;
  return result;
}

function hasDuplicates(items: unknown[]): boolean {
  const seen = new Set<string>();
  for (const item of items) {
    const key = typeof item === "string" ? `s${item}` : goJSON(item);
    if (seen.has(key)) return true;
    seen.add(key);
  }
  return false;
}

function validateEnum(data: unknown, schema: JSONSchemaProps, path: string): Result | undefined {
  const allowed = schema.enum;
  if (!allowed || allowed.length === 0) return undefined;
  // kube-openapi never matches a null value, even against a null enum entry.
  if (data !== null && data !== undefined && (isScalar(data) ? allowed.includes(data) : allowed.some((value) => jsonEqual(value, data)))) return undefined;
  return failed({
    code: "enum", name: path, value: data ?? null, values: allowed,
    message: `${path} in ${IN} should be one of ${goJSON(allowed)}`,
  });
}

/** A string, finite number or boolean equals an enum entry exactly when it is the same primitive. */
const isScalar = (v: unknown): v is string | number | boolean => typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));

function jsonEqual(a: unknown, b: unknown): boolean {
  return goJSON(a) === goJSON(b);
}

/** `skip`: properties whose values are not walked (their presence still counts). */
function validateObject(data: Record<string, unknown>, schema: JSONSchemaProps, path: string, skip?: (property: string) => boolean): Result {
  const result = newResult();
  const keys = Object.keys(data).sort();
  const properties = schema.properties ?? {};
  if (schema.minProperties !== undefined && keys.length < schema.minProperties) {
    addErrors(result, {
      code: "tooFewProperties", name: path, value: keys.length,
      message: `${path} in ${IN} should have at least ${schema.minProperties} properties`,
    });
  }
  if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) {
    addErrors(result, {
      code: "tooManyProperties", name: path, value: keys.length, limit: schema.maxProperties,
      message: `${path} in ${IN} should have at most ${schema.maxProperties} properties`,
    });
  }
  if (schema.additionalProperties === false) {
    for (const key of keys) {
      if (key in properties) continue;
      addErrors(result, {
        code: "forbiddenProperty", name: path, value: key,
        message: `${path}.${key} in ${IN} is a forbidden property`,
      });
    }
  } else if (typeof schema.additionalProperties === "object") {
    const additional = schema.additionalProperties;
    for (const key of keys) {
      if (!(key in properties) && !skip?.(key)) merge(result, validateNode(data[key], additional, `${path}.${key}`));
    }
  }
  for (const name of Object.keys(properties).sort()) {
    const property = properties[name];
    if (property && name in data && !skip?.(name)) merge(result, validateNode(data[name], property, path ? `${path}.${name}` : name));
  }
  for (const name of schema.required ?? []) {
    if (!(name in data)) {
      addErrors(result, { code: "required", name: `${path}.${name}`, message: `${path}.${name} in ${IN} is required` });
    }
  }
  return result;
}

/** What validateComposition returns for a schema without anyOf, oneOf, allOf or not (read-only). */
const NO_COMPOSITION: Result = { errors: [], matchCount: 1 };

function validateComposition(data: unknown, schema: JSONSchemaProps, path: string): Result {
  const result = newResult();
  if (schema.anyOf?.length) {
    let bestFailure: Result | undefined;
    let success: Result | undefined;
    for (const branch of schema.anyOf) {
      const branchResult = validateNode(data, branch, path);
      if (branchResult.errors.length === 0) {
        success = branchResult;
        bestFailure = undefined;
        break;
      }
      if (!bestFailure || branchResult.matchCount > bestFailure.matchCount) bestFailure = branchResult;
    }
    if (!success) addErrors(result, { code: "plain", message: `${goQuote(path)} must validate at least one schema (anyOf)` });
    merge(result, bestFailure ?? success);
  }
  if (schema.oneOf?.length) {
    let bestFailure: Result | undefined;
    let firstSuccess: Result | undefined;
    let validCount = 0;
    for (const branch of schema.oneOf) {
      const branchResult = validateNode(data, branch, path);
      if (branchResult.errors.length === 0) {
        validCount++;
        bestFailure = undefined;
        firstSuccess ??= branchResult;
        continue;
      }
      if (validCount === 0 && (!bestFailure || branchResult.matchCount > bestFailure.matchCount)) {
        bestFailure = branchResult;
      }
    }
    if (validCount !== 1) {
      const detail = validCount === 0 ? "Found none valid" : `Found ${validCount} valid alternatives`;
      addErrors(result, { code: "plain", message: `${goQuote(path)} must validate one and only one schema (oneOf). ${detail}` });
      merge(result, bestFailure);
    } else {
      merge(result, firstSuccess);
    }
  }
  if (schema.allOf?.length) {
    let validCount = 0;
    for (const branch of schema.allOf) {
      const branchResult = validateNode(data, branch, path);
      if (branchResult.errors.length === 0) validCount++;
      merge(result, branchResult);
    }
    if (validCount !== schema.allOf.length) {
      const detail = validCount === 0 ? ". None validated" : "";
      addErrors(result, { code: "plain", message: `${goQuote(path)} must validate all the schemas (allOf)${detail}` });
    }
  }
  if (schema.not && validateNode(data, schema.not, path).errors.length === 0) {
    addErrors(result, { code: "plain", message: `${goQuote(path)} must not validate the schema (not)` });
  }
  result.matchCount++;
  return result;
}

/** apiextensions' kubeOpenAPIResultToFieldErrors. `base` is the field path validation started at. */
function toFieldCauses(result: Result, base: string | undefined): FieldCause[] {
  return result.errors.map((error): FieldCause => {
    if (error.code === "plain") {
      return { reason: "FieldValueInvalid", field: base ?? "<nil>", message: `Invalid value: "": ${error.message}` };
    }
    const name = error.name.startsWith(".") ? error.name.slice(1) : error.name;
    const field = name && name !== "." ? (base ? `${base}.${name}` : name) : (base ?? "<nil>");
    const shown = error.value === undefined ? "" : error.value;
    switch (error.code) {
      case "required":
        return { reason: "FieldValueRequired", field, message: "Required value" };
      case "enum": {
        const supported = (error.values ?? []).map((v) => goQuote(typeof v === "string" ? v : goJSON(v)));
        const detail = supported.length > 0 ? `: supported values: ${supported.join(", ")}` : "";
        return { reason: "FieldValueNotSupported", field, message: `Unsupported value: ${goBadValue(shown)}${detail}` };
      }
      case "tooLong":
        return { reason: "FieldValueTooLong", field, message: `Too long: may not be more than ${error.limit ?? -1} bytes` };
      case "maxItems":
      case "tooManyProperties":
        return {
          reason: "FieldValueTooMany", field,
          message: `Too many: ${goBadValue(shown)}: must have at most ${error.limit ?? -1} items`,
        };
      case "type":
        return { reason: "FieldValueTypeInvalid", field, message: `Invalid value: ${goBadValue(shown)}: ${error.message}` };
      default:
        return { reason: "FieldValueInvalid", field, message: `Invalid value: ${goBadValue(shown)}: ${error.message}` };
    }
  });
}
