// CustomResourceDefinition defaulting and validation on create (apiextensions v1 defaults, the v1 to
// internal conversion, and validation.ValidateCustomResourceDefinition), with the real field paths.
import type { FieldCause, JSONSchemaProps, KObject } from "../types";
import { forbidden, invalid, notSupported, required } from "./field-errors";
import { GoSyntax, goJSON, goQuote, isPlainObject } from "./go-format";
import { validateSchemaDefinition } from "./structural";

type Json = Record<string, unknown>;

const PRINTER_COLUMN_TYPES = ["boolean", "date", "integer", "number", "string"];
const PRINTER_COLUMN_FORMATS = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"];
const API_APPROVAL_ANNOTATION = "api-approved.kubernetes.io";

/** The defaults kube-apiserver applies to an apiextensions.k8s.io/v1 CRD when it is written. */
export function crdDefaults(crd: KObject): void {
  const spec = ensureRecord(crd, "spec");
  const names = ensureRecord(spec, "names");
  const kind = typeof names.kind === "string" ? names.kind : "";
  if (!names.singular) names.singular = kind.toLowerCase();
  if (!names.listKind && kind) names.listKind = `${kind}List`;
  if (!isPlainObject(spec.conversion)) spec.conversion = { strategy: "None" };
  const service = record(record(record(spec.conversion).webhook).clientConfig).service;
  if (isPlainObject(service) && service.port === undefined) service.port = 443;
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  for (const version of versions) {
    if (!isPlainObject(version)) continue;
    // served and storage are plain bools in the Go type: always present once stored.
    version.served = version.served === true;
    version.storage = version.storage === true;
  }
  const status = ensureRecord(crd, "status");
  if (!Array.isArray(status.storedVersions) || status.storedVersions.length === 0) {
    const storage = versions.find((v) => isPlainObject(v) && v.storage === true);
    if (isPlainObject(storage)) status.storedVersions = [storage.name];
  }
}

/** The 422 causes kube-apiserver returns when creating this CRD; empty when it is valid. */
export function validateCustomResourceDefinition(crd: KObject): FieldCause[] {
  const spec = record(crd.spec);
  return [
    ...validateMetadataName(crd, spec),
    ...validateSpec(spec),
    ...validateStoredVersions(versionsOf(spec)),
    ...validateAPIApproval(crd, spec),
    ...(spec.preserveUnknownFields === true
      ? [invalid("spec.preserveUnknownFields", true, "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead")]
      : []),
  ];
}

function record(value: unknown): Json {
  return isPlainObject(value) ? value : {};
}

function ensureRecord(parent: Json, key: string): Json {
  if (!isPlainObject(parent[key])) parent[key] = {};
  return parent[key] as Json;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function versionsOf(spec: Json): Json[] | undefined {
  return Array.isArray(spec.versions) ? spec.versions.map(record) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Name checks shared with the rest of Kubernetes (apimachinery util/validation)

export function dns1123SubdomainErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 253) errors.push("must be no more than 253 characters");
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(value)) {
    errors.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  }
  return errors;
}

export function dns1035LabelErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push("must be no more than 63 characters");
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value)) {
    errors.push("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
  }
  return errors;
}

function validateMetadataName(crd: KObject, spec: Json): FieldCause[] {
  const name = text(crd.metadata?.name);
  if (!name) return [required("metadata.name", "name or generateName is required")];
  const names = record(spec.names);
  const messages = dns1123SubdomainErrors(name);
  if (name !== `${text(names.plural)}.${text(spec.group)}`) messages.push('must be spec.names.plural+"."+spec.group');
  return messages.map((message) => invalid("metadata.name", name, message));
}

// ---------------------------------------------------------------------------------------------
// spec

/** Per-version fields that are identical in every version move to the top level, as the v1 to internal conversion does. */
function liftedWhenIdentical(versions: Json[], field: string, emptyValue: unknown): { lifted: boolean; value: unknown } {
  if (versions.length === 0) return { lifted: false, value: undefined };
  const normalise = (v: unknown) => goJSON(v ?? emptyValue);
  const first = normalise(versions[0]?.[field]);
  const lifted = versions.every((v) => normalise(v[field]) === first);
  return { lifted, value: lifted ? versions[0]?.[field] : undefined };
}

function validateSpec(spec: Json): FieldCause[] {
  const causes: FieldCause[] = [];
  const group = text(spec.group);
  if (!group) causes.push(required("spec.group"));
  else if (dns1123SubdomainErrors(group).length > 0) causes.push(invalid("spec.group", group, dns1123SubdomainErrors(group).join(",")));
  else if (group.split(".").length < 2) causes.push(invalid("spec.group", group, "should be a domain with at least one dot"));

  const scope = text(spec.scope);
  if (!scope) causes.push(required("spec.scope"));
  else if (scope !== "Cluster" && scope !== "Namespaced") causes.push(notSupported("spec.scope", scope, ["Cluster", "Namespaced"]));

  const versions = versionsOf(spec) ?? [];
  const schema = liftedWhenIdentical(versions, "schema", null);
  const subresources = liftedWhenIdentical(versions, "subresources", null);
  const columns = liftedWhenIdentical(versions, "additionalPrinterColumns", []);

  if (!isPlainObject(record(schema.value).openAPIV3Schema)) {
    versions.forEach((version, i) => {
      if (!isPlainObject(record(version.schema).openAPIV3Schema)) {
        causes.push(required(`spec.versions[${i}].schema.openAPIV3Schema`, "schemas are required"));
      }
    });
  }

  const seen = new Set<string>();
  let unique = true;
  let storageCount = 0;
  versions.forEach((version, i) => {
    const name = text(version.name);
    if (version.storage === true) storageCount++;
    if (seen.has(name)) unique = false;
    seen.add(name);
    const nameErrors = dns1035LabelErrors(name);
    if (nameErrors.length > 0) causes.push(invalid(`spec.versions[${i}].name`, name, nameErrors.join(",")));
    const path = `spec.versions[${i}]`;
    if (!version.deprecated && typeof version.deprecationWarning === "string") {
      causes.push(invalid(`${path}.deprecationWarning`, version.deprecationWarning, "can only be set for deprecated versions"));
    }
    if (!schema.lifted) causes.push(...validateSchemaOf(version.schema, `${path}.schema`));
    if (!subresources.lifted) causes.push(...validateSubresources(version.subresources, `${path}.subresources`));
    if (!columns.lifted) causes.push(...validateColumns(version.additionalPrinterColumns, `${path}.additionalPrinterColumns`));
  });
  const versionsValue = new GoSyntax(goVersions(spec.versions, { schema: schema.lifted, subresources: subresources.lifted, columns: columns.lifted }));
  if (!unique) causes.push(invalid("spec.versions", versionsValue, "must contain unique version names"));
  if (storageCount !== 1) causes.push(invalid("spec.versions", versionsValue, "must have exactly one version marked as storage version"));
  // The internal type still has the deprecated spec.version, set from versions[0].
  const firstName = text(versions[0]?.name);
  if (firstName && dns1035LabelErrors(firstName).length > 0) {
    causes.push(invalid("spec.version", firstName, dns1035LabelErrors(firstName).join(",")));
  }

  causes.push(...validateNames(record(spec.names)));
  if (schema.lifted) causes.push(...validateSchemaOf(schema.value, "spec.validation"));
  if (subresources.lifted) causes.push(...validateSubresources(subresources.value, "spec.subresources"));
  if (columns.lifted) causes.push(...validateColumns(columns.value, "spec.additionalPrinterColumns"));
  causes.push(...validateConversion(spec.conversion));
  return causes;
}

function validateSchemaOf(validation: unknown, path: string): FieldCause[] {
  const schema = record(validation).openAPIV3Schema;
  return isPlainObject(schema) ? validateSchemaDefinition(schema as JSONSchemaProps, path) : [];
}

function validateNames(names: Json): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const field of ["plural", "singular", "kind", "listKind"]) {
    if (!text(names[field])) causes.push(required(`spec.names.${field}`));
  }
  const label = (field: string, value: string, prefix = "") => {
    const errors = dns1035LabelErrors(prefix ? value.toLowerCase() : value);
    if (value && errors.length > 0) causes.push(invalid(`spec.names.${field}`, value, prefix + errors.join(",")));
  };
  const mixedCase = "may have mixed case, but should otherwise match: ";
  label("plural", text(names.plural));
  label("singular", text(names.singular));
  label("kind", text(names.kind), mixedCase);
  label("listKind", text(names.listKind), mixedCase);
  const shortNames = Array.isArray(names.shortNames) ? names.shortNames : [];
  shortNames.forEach((shortName, i) => {
    const errors = dns1035LabelErrors(text(shortName));
    if (errors.length > 0) causes.push(invalid(`spec.names.shortNames[${i}]`, text(shortName), errors.join(",")));
  });
  if (text(names.kind) && names.kind === names.listKind) {
    causes.push(invalid("spec.names.listKind", text(names.listKind), "kind and listKind may not be the same"));
  }
  const categories = Array.isArray(names.categories) ? names.categories : [];
  categories.forEach((category, i) => {
    const errors = dns1035LabelErrors(text(category));
    if (errors.length > 0) causes.push(invalid(`spec.names.categories[${i}]`, text(category), errors.join(",")));
  });
  return causes;
}

function validateColumns(value: unknown, path: string): FieldCause[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry, i) => validateColumn(record(entry), `${path}[${i}]`));
}

function validateColumn(column: Json, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!text(column.name)) causes.push(required(`${path}.name`));
  const type = text(column.type);
  const typeDetail = `must be one of ${PRINTER_COLUMN_TYPES.join(",")}`;
  if (!type) causes.push(required(`${path}.type`, typeDetail));
  else if (!PRINTER_COLUMN_TYPES.includes(type)) causes.push(invalid(`${path}.type`, type, typeDetail));
  const format = text(column.format);
  if (format && !PRINTER_COLUMN_FORMATS.includes(format)) {
    causes.push(invalid(`${path}.format`, format, `must be one of ${PRINTER_COLUMN_FORMATS.join(",")}`));
  }
  // The internal type names the field JSONPath, and that is the path the apiserver reports.
  const jsonPath = text(column.jsonPath);
  if (!jsonPath) causes.push(required(`${path}.JSONPath`));
  else causes.push(...validateSimpleJSONPath(jsonPath, `${path}.JSONPath`));
  return causes;
}

function validateSimpleJSONPath(path: string, field: string): FieldCause[] {
  if (!path.startsWith(".")) return [invalid(field, path, "must be a simple json path starting with .")];
  return [];
}

function validateSubresources(value: unknown, path: string): FieldCause[] {
  const scale = record(value).scale;
  if (!isPlainObject(scale)) return [];
  const causes: FieldCause[] = [];
  const checkPath = (field: string, prefixes: string[], detail: string, isRequired: boolean) => {
    const fieldPath = `${path}.scale.${field}`;
    const jsonPath = text(scale[field]);
    if (!jsonPath) {
      if (isRequired) causes.push(required(fieldPath));
      return;
    }
    const pathErrors = validateSimpleJSONPath(jsonPath, fieldPath);
    if (pathErrors.length > 0) causes.push(...pathErrors);
    else if (!prefixes.some((prefix) => jsonPath.startsWith(prefix))) causes.push(invalid(fieldPath, jsonPath, detail));
  };
  checkPath("specReplicasPath", [".spec."], "should be a json path under .spec", true);
  checkPath("statusReplicasPath", [".status."], "should be a json path under .status", true);
  checkPath("labelSelectorPath", [".spec.", ".status."], "should be a json path under either .spec or .status", false);
  return causes;
}

function validateConversion(value: unknown): FieldCause[] {
  if (!isPlainObject(value)) return [];
  const strategy = text(value.strategy);
  if (!strategy) return [required("spec.conversion.strategy")];
  if (strategy !== "None" && strategy !== "Webhook") {
    return [notSupported("spec.conversion.strategy", strategy, ["None", "Webhook"])];
  }
  const clientConfig = record(value.webhook).clientConfig;
  if (strategy === "Webhook") {
    if (!isPlainObject(clientConfig)) {
      return [required("spec.conversion.webhookClientConfig", "required when strategy is set to Webhook")];
    }
    if ((clientConfig.url === undefined) === (clientConfig.service === undefined)) {
      return [required("spec.conversion.webhookClientConfig", "exactly one of url or service is required")];
    }
    return [];
  }
  return isPlainObject(clientConfig)
    ? [forbidden("spec.conversion.webhookClientConfig", "should not be set when strategy is not set to Webhook")]
    : [];
}

// ---------------------------------------------------------------------------------------------
// status and annotations

/** On create the apiserver resets status and records the first storage version as stored. */
function validateStoredVersions(versions: Json[] | undefined): FieldCause[] {
  const storage = (versions ?? []).find((v) => v.storage === true);
  if (!storage) return [invalid("status.storedVersions", new GoSyntax("[]string(nil)"), "must have at least one stored version")];
  const stored = [text(storage.name)];
  const storedValue = new GoSyntax(`[]string{${stored.map(goQuote).join(", ")}}`);
  return (versions ?? [])
    .filter((v) => v.storage === true && !stored.includes(text(v.name)))
    .map((v) => invalid("status.storedVersions", storedValue, `must have the storage version ${text(v.name)}`));
}

function validateAPIApproval(crd: KObject, spec: Json): FieldCause[] {
  const group = text(spec.group);
  const isProtected = ["k8s.io", "kubernetes.io"].some((g) => group === g || group.endsWith(`.${g}`));
  if (!isProtected) return [];
  const field = `metadata.annotations[${API_APPROVAL_ANNOTATION}]`;
  const annotation = crd.metadata?.annotations?.[API_APPROVAL_ANNOTATION] ?? "";
  if (!annotation) {
    return [required(field, `protected groups must have approval annotation ${goQuote(API_APPROVAL_ANNOTATION)}, see https://github.com/kubernetes/enhancements/pull/1111`)];
  }
  if (annotation.startsWith("unapproved")) return [];
  try {
    const url = new URL(annotation);
    if (url.host && url.protocol) return [];
  } catch {
    // not a URL: invalid below
  }
  return [invalid(field, annotation, `protected groups must have approval annotation ${goQuote(API_APPROVAL_ANNOTATION)} with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111`)];
}

// ---------------------------------------------------------------------------------------------

/**
 * %#v of the internal []CustomResourceDefinitionVersion. Fields lifted to the top level are nil there;
 * Go prints other pointers as addresses, for which we print a fixed one.
 */
function goVersions(value: unknown, lifted: { schema: boolean; subresources: boolean; columns: boolean }): string {
  const type = "apiextensions.CustomResourceDefinitionVersion";
  if (!Array.isArray(value)) return `[]${type}(nil)`;
  const pointer = (present: boolean, t: string) => (present ? `(*${t})(0xc000000000)` : `(*${t})(nil)`);
  const slice = (present: boolean, t: string) => (present ? `[]${t}{…}` : `[]${t}(nil)`);
  const items = value.map((entry) => {
    const v = record(entry);
    const fields = [
      `Name:${goQuote(text(v.name))}`,
      `Served:${v.served === true}`,
      `Storage:${v.storage === true}`,
      `Deprecated:${v.deprecated === true}`,
      `DeprecationWarning:${pointer(typeof v.deprecationWarning === "string", "string")}`,
      `Schema:${pointer(!lifted.schema && isPlainObject(v.schema), "apiextensions.CustomResourceValidation")}`,
      `Subresources:${pointer(!lifted.subresources && isPlainObject(v.subresources), "apiextensions.CustomResourceSubresources")}`,
      `AdditionalPrinterColumns:${slice(!lifted.columns && Array.isArray(v.additionalPrinterColumns), "apiextensions.CustomResourceColumnDefinition")}`,
      `SelectableFields:${slice(Array.isArray(v.selectableFields), "apiextensions.SelectableField")}`,
    ];
    return `${type}{${fields.join(", ")}}`;
  });
  return `[]${type}{${items.join(", ")}}`;
}
