// Shared valibot building blocks for the kode.jacero.io/v1alpha1 schemas: names, paths, quantities,
// conditions, storage, and the markers the CRD converter (to-crd.ts) understands.
//
// Rules for schemas in this folder (the converter and the structural lint enforce most of them):
// - every field carries a `description` (kubectl explain shows it);
// - regexes are RE2-compatible (no lookarounds/backreferences, no flags): the API server evaluates them in Go;
// - never `strictObject` (no additionalProperties:false: later fields must fit), never unions other than
//   int-or-string, never recursion;
// - `optional(x, default)` puts the default into the CRD (the API server applies it) unless the schema is
//   wrapped with `runtimeDefault` (then only valibot parsing applies it).
import * as v from "valibot";

/** Schemas whose `default` stays out of the CRD: valibot applies it when parsing, the API server does not. */
export const RUNTIME_ONLY_DEFAULT = new WeakSet<object>();

/** Mark an `optional(schema, default)` so its default is applied by parse* only, not by the API server. */
export function runtimeDefault<T extends object>(schema: T): T {
  RUNTIME_ONLY_DEFAULT.add(schema);
  return schema;
}

/** RFC 1123 DNS subdomain (object names): lowercase alphanumerics, '-' and '.', at most 253 characters. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** RFC 1123 DNS label (namespaces): lowercase alphanumerics and '-', at most 63 characters. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** The Kubernetes resource.Quantity string form (e.g. 1Gi, 500m, 1e3). */
export const QUANTITY = /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;
// A path segment other than "..": starts with a non-dot, or ".x…", or "..x…", or is exactly ".".
const SEGMENT = String.raw`([^/.][^/]*|\.[^/.][^/]*|\.\.[^/]+|\.)`;
/** An absolute path without ".." segments ("/" alone is allowed). */
export const ABSOLUTE_PATH = new RegExp(`^/(${SEGMENT}(/${SEGMENT})*/?)?$`);
/** A relative path: does not start with "/", has no ".." segments and no empty segments. */
export const RELATIVE_PATH = new RegExp(`^${SEGMENT}(/${SEGMENT})*/?$`);
/** A user name usable as a Unix account and in HTTP Basic auth: starts with a letter or '_', then letters,
 * digits, '_', '.', '@' or '-' (no ':' or whitespace). */
export const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.@-]*$/;
/** metav1.Condition type: a CamelCase or qualified-name/CamelCase token. */
export const CONDITION_TYPE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;
/** metav1.Condition reason, or empty (empty is only ever filled in by parsing; see Condition). */
export const CONDITION_REASON = /^([A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?)?$/;
/** RFC 3339 date-time as the API server accepts it (format date-time). */
export const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export const str = (description: string) => v.pipe(v.string(), v.description(description));

/** An object name (DNS subdomain). */
export const objectName = (description: string) =>
  v.pipe(v.string(), v.minLength(1), v.maxLength(253), v.regex(DNS_SUBDOMAIN), v.description(description));

/** A namespace name (DNS label). */
export const namespaceName = (description: string) =>
  v.pipe(v.string(), v.minLength(1), v.maxLength(63), v.regex(DNS_LABEL), v.description(description));

/** An integer (>= min, <= max when given) with a description. */
export const int = (description: string, min = 0, max?: number) =>
  max === undefined
    ? v.pipe(v.number(), v.integer(), v.minValue(min), v.description(description))
    : v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max), v.description(description));

/**
 * A resource.Quantity: an integer or a quantity string (int-or-string in the CRD, with the quantity pattern).
 * Parsing normalises integers to strings so the output type is `string`, as in the Kubernetes API types.
 */
export const quantity = (description: string) =>
  v.pipe(
    v.union([v.pipe(v.number(), v.integer()), v.pipe(v.string(), v.regex(QUANTITY))]),
    v.transform((q): string => String(q)),
    v.description(description),
  );

/** A CEL rule of a CRD schema node (apiextensions.k8s.io/v1 ValidationRule). */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

/**
 * CEL rules of a schema node: x-kubernetes-validations in the CRD, enforced by the API server on every write
 * (valibot parsing does not run them; the CRD lint checks that they compile).
 */
export const celRules = <T>(...rules: CelRule[]) => v.metadata<T, { "x-kubernetes-validations": CelRule[] }>({ "x-kubernetes-validations": rules });

/** A home directory the IDE's home volume can be mounted at (the operator reports the same as InvalidHome). */
export const HOME_RULES: CelRule[] = [
  { rule: "self != '/'", message: "must not be the root directory: the home volume cannot be mounted at /; use a path such as /config" },
  { rule: "!self.contains(':')", message: "must not contain ':', which a volume mount path cannot" },
];

/** A free-form JSON object kept as is (x-kubernetes-preserve-unknown-fields in the CRD). */
export const freeForm = (description: string) => v.pipe(v.record(v.string(), v.unknown()), v.description(description));

/** An array that is a list-type map keyed by `keys` (server-side apply merges entries by key). */
export const listMap = <T extends v.GenericSchema>(item: T, keys: string[], description: string) =>
  v.pipe(
    v.array(item),
    v.metadata<v.InferOutput<T>[], Record<string, unknown>>({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": keys }),
    v.description(description),
  );

/** A metav1.Condition. The CRD requires only type and status; parsing fills reason/message with "". */
export const ConditionSchema = v.pipe(
  v.object({
    type: v.pipe(
      v.string(),
      v.minLength(1),
      v.maxLength(316),
      v.regex(CONDITION_TYPE),
      v.description("Type of the condition in CamelCase, e.g. Ready, Available, Progressing, TemplateResolved."),
    ),
    status: v.pipe(v.picklist(["True", "False", "Unknown"]), v.description("Status of the condition: True, False or Unknown.")),
    reason: runtimeDefault(
      v.optional(
        v.pipe(
          v.string(),
          v.maxLength(1024),
          v.regex(CONDITION_REASON),
          v.description("Programmatic CamelCase identifier of the reason for the last transition, e.g. TemplateNotFound."),
        ),
        "",
      ),
    ),
    message: runtimeDefault(
      v.optional(v.pipe(v.string(), v.maxLength(32768), v.description("Human-readable details about the last transition.")), ""),
    ),
    observedGeneration: v.optional(int("The .metadata.generation the condition was set from.")),
    lastTransitionTime: runtimeDefault(
      v.optional(
        v.pipe(
          v.string(),
          // "" only arises from a missing value (runtime default); the CRD checks format date-time.
          v.check((s) => s === "" || DATE_TIME.test(s), "Invalid date-time: expected RFC 3339"),
          v.metadata({ format: "date-time" }),
          v.description("When the condition last changed status (RFC 3339)."),
        ),
        "",
      ),
    ),
  }),
  v.description("A condition (metav1.Condition) describing one aspect of the object's state."),
);

/** status.conditions: a list-type map keyed by type. */
export const conditions = (description: string) =>
  v.optional(listMap(ConditionSchema, ["type"], description));

export const observedGeneration = () =>
  v.optional(int("The .metadata.generation the controller last acted on."));

export const ACCESS_MODES = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"] as const;

/** Persistent storage of a Kode (also the template's default storage). */
export const StorageSchema = v.pipe(
  v.object({
    accessModes: v.optional(
      v.pipe(
        v.array(v.pipe(v.picklist(ACCESS_MODES), v.description("A PersistentVolume access mode."))),
        v.description("Access modes of the PersistentVolumeClaim (default: ReadWriteOnce)."),
      ),
    ),
    storageClassName: v.optional(
      objectName("StorageClass of the PersistentVolumeClaim. Unset: the cluster's default StorageClass."),
    ),
    resources: v.optional(
      v.pipe(
        v.object({
          requests: v.optional(
            v.pipe(
              v.object({
                storage: v.optional(quantity("Requested size of the volume as a Kubernetes quantity, e.g. 1Gi or 500Mi.")),
              }),
              v.description("Minimum resources the volume must provide."),
            ),
          ),
        }),
        v.description("Resources of the PersistentVolumeClaim. Without storage requests no volume is created unless existingVolumeClaim is set."),
      ),
    ),
    keepVolume: v.optional(
      v.pipe(
        v.boolean(),
        v.description("Keep the PersistentVolumeClaim when the Kode is deleted: it is orphaned (owner reference removed) and annotated instead of deleted."),
      ),
    ),
    existingVolumeClaim: v.optional(
      objectName("Use this existing PersistentVolumeClaim in the Kode's namespace instead of creating one. It is never modified or deleted by the operator."),
    ),
  }),
  v.description("Persistent storage for the home directory."),
);

/** Reference to an EnvoyProxyConfig or EnvoyProxyClusterConfig. */
export const EnvoyProxyRefSchema = v.pipe(
  v.object({
    kind: v.optional(
      v.pipe(
        v.picklist(["EnvoyProxyConfig", "EnvoyProxyClusterConfig"]),
        v.description("Kind of the referenced Envoy configuration: EnvoyProxyConfig (namespaced) or EnvoyProxyClusterConfig (cluster-scoped)."),
      ),
      "EnvoyProxyConfig",
    ),
    name: objectName("Name of the referenced Envoy configuration."),
    namespace: v.optional(
      namespaceName("Namespace of an EnvoyProxyConfig. Unset: the namespace of the object using the template. Ignored for EnvoyProxyClusterConfig."),
    ),
  }),
  v.description("Envoy Proxy sidecar configuration applied to Kodes created from this template."),
);

/** metadata: the API server owns its schema; parsing keeps every field (looseObject). */
export const ObjectMetaSchema = v.looseObject({
  name: v.string(),
  namespace: v.optional(v.string()),
  uid: v.optional(v.string()),
  resourceVersion: v.optional(v.string()),
  generation: v.optional(v.number()),
  creationTimestamp: v.optional(v.string()),
  deletionTimestamp: v.optional(v.string()),
  labels: v.optional(v.record(v.string(), v.string())),
  annotations: v.optional(v.record(v.string(), v.string())),
  finalizers: v.optional(v.array(v.string())),
  ownerReferences: v.optional(
    v.array(
      v.looseObject({
        apiVersion: v.string(),
        kind: v.string(),
        name: v.string(),
        uid: v.string(),
        controller: v.optional(v.boolean()),
        blockOwnerDeletion: v.optional(v.boolean()),
      }),
    ),
  ),
});

// ---------------------------------------------------------------------------------------------------------
// Parsing with field paths

/** One problem found by a parse* helper; `field` uses the API server's notation, e.g. spec.env[0].name. */
export interface FieldIssue {
  field: string;
  message: string;
}

export type ParseResult<T> = { success: true; value: T } | { success: false; issues: FieldIssue[] };

/** Thrown by parse* helpers; `issues` lists every problem with its field path. */
export class SchemaValidationError extends Error {
  constructor(
    readonly kind: string,
    readonly issues: FieldIssue[],
  ) {
    super(`invalid ${kind}: ${formatIssues(issues)}`);
    this.name = "SchemaValidationError";
  }
}

/** "spec.home: must match …; spec.workspace: …" — short enough for a condition message. */
export function formatIssues(issues: FieldIssue[]): string {
  return issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join("; ");
}

function issuePath(issue: v.BaseIssue<unknown>): string {
  let out = "";
  for (const item of issue.path ?? []) {
    const key = (item as { key: unknown }).key;
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string") out += /^[A-Za-z_$@][\w$@-]*$/.test(key) ? (out ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
  }
  return out;
}

function issueMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.type === "regex" && issue.requirement instanceof RegExp) {
    return `Invalid value ${JSON.stringify(issue.input)}: must match the regular expression '${issue.requirement.source}'`;
  }
  if (issue.kind === "schema" && issue.input === undefined) return "Required value";
  return issue.message;
}

export function toFieldIssues(issues: readonly v.BaseIssue<unknown>[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    // A union issue carries one sub-issue list per branch: report the branch that matched the input's type.
    if (issue.type === "union" && issue.issues?.length) {
      const sub = issue.issues.filter((s) => s.kind !== "schema");
      if (sub.length) {
        out.push(...toFieldIssues(sub));
        continue;
      }
    }
    out.push({ field: issuePath(issue), message: issueMessage(issue) });
  }
  return out;
}

/** Build the safeParse and parse pair for a top-level schema. */
export function parsers<S extends v.GenericSchema>(kind: string, schema: S) {
  const safeParse = (obj: unknown): ParseResult<v.InferOutput<S>> => {
    const result = v.safeParse(schema, obj);
    return result.success ? { success: true, value: result.output } : { success: false, issues: toFieldIssues(result.issues) };
  };
  const parse = (obj: unknown): v.InferOutput<S> => {
    const result = safeParse(obj);
    if (!result.success) throw new SchemaValidationError(kind, result.issues);
    return result.value;
  };
  return { safeParse, parse };
}
