// Shared shapes of the embedded API server. Everything here is plain data.

/** A Kubernetes object as stored and served: plain JSON. */
export type KObject = {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
};

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  fieldsType: "FieldsV1";
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

/** One reason a write is invalid, in the shape of metav1.StatusCause. */
export interface FieldCause {
  reason:
    | "FieldValueInvalid"
    | "FieldValueTypeInvalid"
    | "FieldValueRequired"
    | "FieldValueNotSupported"
    | "FieldValueTooLong"
    | "FieldValueTooMany"
    | "FieldValueDuplicate"
    | "FieldValueForbidden"
    | "FieldValueNotFound";
  /** e.g. `Invalid value: 0: spec.size in body should be greater than or equal to 1` */
  message: string;
  /** e.g. `spec.size`, `spec.items[2].name` */
  field: string;
}

/** A column of Table output. `jsonPath` uses the Kubernetes JSONPath dialect (`.spec.size`). */
export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath?: string;
  /** Computed cell for built-ins whose column no JSONPath expresses (e.g. the number of keys in `data`). */
  value?: (obj: KObject, now: number) => unknown;
  description?: string;
  priority?: number;
  format?: string;
}

/** OpenAPI v3 schema as a CRD carries it (apiextensions.k8s.io/v1 JSONSchemaProps). */
export interface JSONSchemaProps {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  format?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  oneOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  allOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
  "x-kubernetes-validations"?: { rule: string; message?: string }[];
  [extension: string]: unknown;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** Everything the server knows about one served resource (built-in or from a CRD). */
export interface ResourceType {
  group: string; // "" for the core group
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: { status?: boolean; scale?: ScaleSubresource; proxy?: boolean };
  /** Table columns after Name. A resource without any gets Age. */
  columns: PrinterColumn[];
  /** Custom resources: the structural schema for prune/default/validate. */
  schema?: JSONSchemaProps;
  /** Name of the CRD that registered this resource, if any. */
  crd?: string;
  /** Extra field-selector labels besides metadata.name/metadata.namespace. */
  fieldLabels?: Record<string, (obj: KObject) => string | undefined>;
  /** Built-ins accept strategic merge patch; custom resources answer 415. */
  strategicMerge: boolean;
  /** Custom resources reject PUT without metadata.resourceVersion. */
  allowUnconditionalUpdate: boolean;
  /** DELETE replies with the object instead of a Success Status. */
  deleteReturnsObject?: boolean;
  /** Per-kind defaulting/normalisation run on every write before validation (e.g. Secret stringData). */
  prepare?: (obj: KObject, old: KObject | undefined) => void;
  /** Per-kind validation beyond the schema. */
  validate?: (obj: KObject, old: KObject | undefined) => FieldCause[];
  /** Dotted paths of metav1.MicroTime fields: the real server rejects anything but six fractional digits. */
  microTimeFields?: string[];
  /** Whether metadata.generation is maintained (CRs and most workload kinds). */
  generation: boolean;
  /** A second API view over another resource's storage (events.k8s.io Events are core Events underneath). */
  view?: StorageView;
}

export interface StorageView {
  storageGroup: string;
  storagePlural: string;
  toStorage(obj: KObject): KObject;
  fromStorage(obj: KObject): KObject;
}

export const CORE = "";

export function groupVersion(t: Pick<ResourceType, "group" | "version">): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** Storage is shared by every version (and view) of a resource: "<group>/<plural>". */
export function storageKey(type: ResourceType): string {
  return type.view ? `${type.view.storageGroup}/${type.view.storagePlural}` : `${type.group}/${type.plural}`;
}
