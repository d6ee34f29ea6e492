// Decodes the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) that kubectl's `create secret|configmap|
// namespace|serviceaccount|deployment` generators POST, into the object the JSON API would carry.
// Field numbers follow k8s.io/api and k8s.io/apimachinery generated.proto.
//
// The Go marshaller writes every non-pointer field, zero or not, so zero scalars are dropped here as JSON's
// `omitempty` would; fields marked keepZero are pointers or lack omitempty in JSON and keep their zero value.

export class ProtobufDecodeError extends Error {
  override name = "ProtobufDecodeError";
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

class ProtoReader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  done(): boolean {
    return this.pos >= this.bytes.length;
  }

  readVarint(): bigint {
    const start = this.pos;
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.bytes.length) throw new ProtobufDecodeError(`truncated varint at offset ${start}`);
      const byte = this.bytes[this.pos++];
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, value);
    }
    throw new ProtobufDecodeError(`varint longer than 10 bytes at offset ${start}`);
  }

  readTag(): { fieldNumber: number; wireType: number } {
    const offset = this.pos;
    const tag = this.readVarint();
    const fieldNumber = Number(tag >> 3n);
    if (fieldNumber === 0 || tag >> 3n > 0x1fffffffn) {
      throw new ProtobufDecodeError(`invalid field number ${tag >> 3n} at offset ${offset}`);
    }
    return { fieldNumber, wireType: Number(tag & 7n) };
  }

  readLengthDelimited(): Uint8Array {
    const offset = this.pos;
    const length = this.readVarint();
    const remaining = this.bytes.length - this.pos;
    if (length > BigInt(remaining)) {
      throw new ProtobufDecodeError(
        `length ${length} at offset ${offset} runs past the end of the message (${remaining} bytes left)`,
      );
    }
    const start = this.pos;
    this.pos += Number(length);
    return this.bytes.subarray(start, this.pos);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.readVarint();
        return;
      case WIRE_FIXED64:
        return this.skipBytes(8);
      case WIRE_LENGTH_DELIMITED:
        this.readLengthDelimited();
        return;
      case WIRE_FIXED32:
        return this.skipBytes(4);
      default:
        throw new ProtobufDecodeError(`unsupported wire type ${wireType} at offset ${this.pos}`);
    }
  }

  private skipBytes(count: number): void {
    if (this.pos + count > this.bytes.length) {
      throw new ProtobufDecodeError(`truncated ${count}-byte fixed field at offset ${this.pos}`);
    }
    this.pos += count;
  }
}

// ---- field tables -------------------------------------------------------------------------------------------

/** string/bytes/bool/int are proto scalars; the rest are Kubernetes messages with a special JSON form. */
type ScalarType = "string" | "bytes" | "bool" | "int" | "time" | "quantity" | "intOrString" | "fieldsV1";
type FieldType = ScalarType | { message: Schema } | { map: "string" | "bytes" | "quantity" };
interface Field {
  name: string;
  type: FieldType;
  repeated?: true;
  keepZero?: true;
}
type Schema = Record<number, Field>;

const str = (name: string): Field => ({ name, type: "string" });
const int = (name: string): Field => ({ name, type: "int" });
const bool = (name: string): Field => ({ name, type: "bool" });
const strings = (name: string): Field => ({ name, type: "string", repeated: true });
const message = (name: string, schema: Schema): Field => ({ name, type: { message: schema } });
const messages = (name: string, schema: Schema): Field => ({ name, type: { message: schema }, repeated: true });
const map = (name: string, values: "string" | "bytes" | "quantity"): Field => ({ name, type: { map: values } });
const keepZero = (field: Field): Field => ({ ...field, keepZero: true });

const ownerReference: Schema = {
  1: keepZero(str("kind")),
  3: keepZero(str("name")),
  4: keepZero(str("uid")),
  5: keepZero(str("apiVersion")),
  6: keepZero(bool("controller")),
  7: keepZero(bool("blockOwnerDeletion")),
};

const managedFieldsEntry: Schema = {
  1: str("manager"),
  2: str("operation"),
  3: str("apiVersion"),
  4: { name: "time", type: "time" },
  6: str("fieldsType"),
  7: { name: "fieldsV1", type: "fieldsV1" },
  8: str("subresource"),
};

const objectMeta: Schema = {
  1: str("name"),
  2: str("generateName"),
  3: str("namespace"),
  4: str("selfLink"),
  5: str("uid"),
  6: str("resourceVersion"),
  7: int("generation"),
  8: { name: "creationTimestamp", type: "time" },
  9: { name: "deletionTimestamp", type: "time" },
  10: keepZero(int("deletionGracePeriodSeconds")),
  11: map("labels", "string"),
  12: map("annotations", "string"),
  13: messages("ownerReferences", ownerReference),
  14: strings("finalizers"),
  17: messages("managedFields", managedFieldsEntry),
};

const localObjectReference: Schema = { 1: str("name") };

const objectReference: Schema = {
  1: str("kind"),
  2: str("namespace"),
  3: str("name"),
  4: str("uid"),
  5: str("apiVersion"),
  6: str("resourceVersion"),
  7: str("fieldPath"),
};

const secret: Schema = {
  1: message("metadata", objectMeta),
  2: map("data", "bytes"),
  3: str("type"),
  4: map("stringData", "string"),
  5: keepZero(bool("immutable")),
};

const configMap: Schema = {
  1: message("metadata", objectMeta),
  2: map("data", "string"),
  3: map("binaryData", "bytes"),
  4: keepZero(bool("immutable")),
};

const namespace: Schema = {
  1: message("metadata", objectMeta),
  2: message("spec", { 1: strings("finalizers") }),
  3: message("status", {
    1: str("phase"),
    2: messages("conditions", {
      1: keepZero(str("type")),
      2: keepZero(str("status")),
      4: { name: "lastTransitionTime", type: "time" },
      5: str("reason"),
      6: str("message"),
    }),
  }),
};

const serviceAccount: Schema = {
  1: message("metadata", objectMeta),
  2: messages("secrets", objectReference),
  3: messages("imagePullSecrets", localObjectReference),
  4: keepZero(bool("automountServiceAccountToken")),
};

// Deployment: what `kubectl create deployment` sends plus the commonly used pod fields; others are skipped.
const labelSelector: Schema = {
  1: map("matchLabels", "string"),
  2: messages("matchExpressions", { 1: keepZero(str("key")), 2: keepZero(str("operator")), 3: strings("values") }),
};

const container: Schema = {
  1: keepZero(str("name")),
  2: str("image"),
  3: strings("command"),
  4: strings("args"),
  5: str("workingDir"),
  6: messages("ports", {
    1: str("name"),
    2: int("hostPort"),
    3: keepZero(int("containerPort")),
    4: str("protocol"),
    5: str("hostIP"),
  }),
  7: messages("env", { 1: keepZero(str("name")), 2: str("value") }),
  8: message("resources", { 1: map("limits", "quantity"), 2: map("requests", "quantity") }),
  13: str("terminationMessagePath"),
  14: str("imagePullPolicy"),
  16: bool("stdin"),
  17: bool("stdinOnce"),
  18: bool("tty"),
  20: str("terminationMessagePolicy"),
};

const podSpec: Schema = {
  2: messages("containers", container),
  3: str("restartPolicy"),
  4: keepZero(int("terminationGracePeriodSeconds")),
  5: keepZero(int("activeDeadlineSeconds")),
  6: str("dnsPolicy"),
  7: map("nodeSelector", "string"),
  8: str("serviceAccountName"),
  9: str("serviceAccount"),
  10: str("nodeName"),
  11: bool("hostNetwork"),
  12: bool("hostPID"),
  13: bool("hostIPC"),
  15: messages("imagePullSecrets", localObjectReference),
  16: str("hostname"),
  17: str("subdomain"),
  19: str("schedulerName"),
  20: messages("initContainers", container),
  21: keepZero(bool("automountServiceAccountToken")),
  24: str("priorityClassName"),
  25: keepZero(int("priority")),
  30: keepZero(bool("enableServiceLinks")),
};

const deployment: Schema = {
  1: message("metadata", objectMeta),
  2: message("spec", {
    1: keepZero(int("replicas")),
    2: message("selector", labelSelector),
    3: message("template", { 1: message("metadata", objectMeta), 2: message("spec", podSpec) }),
    4: message("strategy", {
      1: str("type"),
      2: message("rollingUpdate", {
        1: { name: "maxUnavailable", type: "intOrString" },
        2: { name: "maxSurge", type: "intOrString" },
      }),
    }),
    5: int("minReadySeconds"),
    6: keepZero(int("revisionHistoryLimit")),
    7: bool("paused"),
    9: keepZero(int("progressDeadlineSeconds")),
  }),
  3: message("status", {
    1: int("observedGeneration"),
    2: int("replicas"),
    3: int("updatedReplicas"),
    4: int("availableReplicas"),
    5: int("unavailableReplicas"),
    7: int("readyReplicas"),
    8: keepZero(int("collisionCount")),
    9: keepZero(int("terminatingReplicas")),
  }),
};

// `kubectl auth can-i` posts this (k8s.io/api/authorization/v1 generated.proto); selector attributes are skipped.
const selfSubjectAccessReview: Schema = {
  1: message("metadata", objectMeta),
  2: message("spec", {
    1: message("resourceAttributes", {
      1: str("namespace"),
      2: str("verb"),
      3: str("group"),
      4: str("version"),
      5: str("resource"),
      6: str("subresource"),
      7: str("name"),
    }),
    2: message("nonResourceAttributes", { 1: str("path"), 2: str("verb") }),
  }),
};

// The other review kinds and TokenRequest (k8s.io/api authorization/v1 and authentication/v1 generated.proto).
const subjectAccessReview: Schema = {
  1: message("metadata", objectMeta),
  2: message("spec", { ...(selfSubjectAccessReview[2].type as { message: Schema }).message, 3: str("user"), 4: strings("groups"), 6: str("uid") }),
};
const selfSubjectRulesReview: Schema = { 1: message("metadata", objectMeta), 2: message("spec", { 1: str("namespace") }) };
const selfSubjectReview: Schema = { 1: message("metadata", objectMeta) };
const tokenRequest: Schema = {
  1: message("metadata", objectMeta),
  2: message("spec", {
    1: strings("audiences"),
    3: message("boundObjectRef", { 1: str("kind"), 2: str("apiVersion"), 3: str("name"), 4: str("uid") }),
    4: int("expirationSeconds"),
  }),
};

const schemasByGroupVersionKind: Record<string, Schema> = {
  "v1/Secret": secret,
  "v1/ConfigMap": configMap,
  "v1/Namespace": namespace,
  "v1/ServiceAccount": serviceAccount,
  "apps/v1/Deployment": deployment,
  "authorization.k8s.io/v1/SelfSubjectAccessReview": selfSubjectAccessReview,
  "authorization.k8s.io/v1/SubjectAccessReview": subjectAccessReview,
  "authorization.k8s.io/v1/LocalSubjectAccessReview": subjectAccessReview,
  "authorization.k8s.io/v1/SelfSubjectRulesReview": selfSubjectRulesReview,
  "authentication.k8s.io/v1/SelfSubjectReview": selfSubjectReview,
  "authentication.k8s.io/v1beta1/SelfSubjectReview": selfSubjectReview,
  "authentication.k8s.io/v1alpha1/SelfSubjectReview": selfSubjectReview,
  "authentication.k8s.io/v1/TokenRequest": tokenRequest,
};

// ---- decoding -----------------------------------------------------------------------------------------------

const utf8 = new TextDecoder(); // invalid UTF-8 becomes U+FFFD, as Go's JSON encoder would print it

function expectedWireType(type: FieldType): number {
  return type === "bool" || type === "int" ? WIRE_VARINT : WIRE_LENGTH_DELIMITED;
}

function decodeMessage(bytes: Uint8Array, schema: Schema, path: string): Record<string, unknown> {
  const reader = new ProtoReader(bytes);
  const out: Record<string, unknown> = {};
  while (!reader.done()) {
    const { fieldNumber, wireType } = reader.readTag();
    const field = schema[fieldNumber];
    if (!field) {
      reader.skip(wireType);
      continue;
    }
    const fieldPath = path ? `${path}.${field.name}` : field.name;
    if (wireType !== expectedWireType(field.type)) {
      throw new ProtobufDecodeError(`field ${fieldPath} has wire type ${wireType}, expected ${expectedWireType(field.type)}`);
    }
    const value = decodeField(reader, field.type, fieldPath);
    if (typeof field.type === "object" && "map" in field.type) {
      const [key, entry] = value as [string, unknown];
      const target = (out[field.name] ??= {}) as Record<string, unknown>;
      target[key] = entry;
    } else if (field.repeated) {
      ((out[field.name] ??= []) as unknown[]).push(value);
    } else {
      out[field.name] = value;
    }
  }
  for (const field of Object.values(schema)) {
    if (field.name in out && !field.keepZero && isZero(out[field.name])) delete out[field.name];
  }
  return out;
}

function isZero(value: unknown): boolean {
  return value === undefined || value === "" || value === 0 || value === false;
}

function decodeField(reader: ProtoReader, type: FieldType, path: string): unknown {
  switch (type) {
    case "bool":
      return reader.readVarint() !== 0n;
    case "int":
      return Number(BigInt.asIntN(64, reader.readVarint()));
    case "string":
      return utf8.decode(reader.readLengthDelimited());
    case "bytes":
      return Buffer.from(reader.readLengthDelimited()).toString("base64");
    case "time":
      return decodeTime(reader.readLengthDelimited(), path);
    case "quantity":
      return decodeMessage(reader.readLengthDelimited(), { 1: keepZero(str("string")) }, path).string ?? "";
    case "intOrString":
      return decodeIntOrString(reader.readLengthDelimited(), path);
    case "fieldsV1":
      return decodeFieldsV1(reader.readLengthDelimited(), path);
  }
  if ("message" in type) return decodeMessage(reader.readLengthDelimited(), type.message, path);
  return decodeMapEntry(reader.readLengthDelimited(), type.map, path);
}

function decodeMapEntry(bytes: Uint8Array, valueType: "string" | "bytes" | "quantity", path: string): [string, unknown] {
  const entry = decodeMessage(bytes, { 1: keepZero(str("key")), 2: keepZero({ name: "value", type: valueType }) }, path);
  const key = (entry.key as string | undefined) ?? "";
  // A missing value is the proto default, which JSON shows as "" for strings and empty bytes alike.
  return [key, entry.value ?? ""];
}

/** meta/v1 Time: an empty message is the zero time (unset); otherwise whole seconds in RFC 3339, as JSON has it. */
function decodeTime(bytes: Uint8Array, path: string): string | undefined {
  if (bytes.length === 0) return undefined;
  const { seconds } = decodeMessage(bytes, { 1: keepZero(int("seconds")), 2: int("nanos") }, path);
  const date = new Date(Number(seconds ?? 0) * 1000);
  if (Number.isNaN(date.getTime())) throw new ProtobufDecodeError(`field ${path} holds an out-of-range time`);
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function decodeIntOrString(bytes: Uint8Array, path: string): number | string {
  const decoded = decodeMessage(bytes, { 1: int("type"), 2: int("intVal"), 3: str("strVal") }, path);
  return decoded.type === 1 ? ((decoded.strVal as string | undefined) ?? "") : ((decoded.intVal as number) ?? 0);
}

function decodeFieldsV1(bytes: Uint8Array, path: string): unknown {
  const raw = decodeMessage(bytes, { 1: keepZero(str("raw")) }, path).raw as string | undefined;
  if (raw === undefined || raw === "") return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new ProtobufDecodeError(`field ${path} does not hold valid JSON`);
  }
}

function hasMagic(body: Uint8Array): boolean {
  return body.length >= MAGIC.length && MAGIC.every((byte, i) => body[i] === byte);
}

/** Reads the runtime.Unknown envelope that follows the magic prefix. */
function decodeEnvelope(data: Uint8Array): { apiVersion: string; kind: string; raw: Uint8Array } {
  const reader = new ProtoReader(data);
  let apiVersion = "";
  let kind = "";
  let raw: Uint8Array = new Uint8Array();
  while (!reader.done()) {
    const { fieldNumber, wireType } = reader.readTag();
    if (fieldNumber === 1 && wireType === WIRE_LENGTH_DELIMITED) {
      const typeMeta = decodeMessage(reader.readLengthDelimited(), { 1: str("apiVersion"), 2: str("kind") }, "typeMeta");
      apiVersion = (typeMeta.apiVersion as string | undefined) ?? "";
      kind = (typeMeta.kind as string | undefined) ?? "";
    } else if (fieldNumber === 2 && wireType === WIRE_LENGTH_DELIMITED) {
      raw = reader.readLengthDelimited();
    } else {
      reader.skip(wireType); // contentEncoding and contentType: kubectl leaves them empty
    }
  }
  return { apiVersion, kind, raw };
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` request body into the object as the JSON API carries it.
 * Throws ProtobufDecodeError for a bad prefix, malformed protobuf, or a kind this server cannot decode.
 */
export function decodeKubernetesProtobuf(body: Uint8Array): Record<string, unknown> {
  if (body.length === 0) throw new ProtobufDecodeError("empty data");
  if (!hasMagic(body)) {
    throw new ProtobufDecodeError(
      `provided data does not appear to be a protobuf message, expected prefix [${MAGIC.join(" ")}]`,
    );
  }
  if (body.length === MAGIC.length) throw new ProtobufDecodeError("empty body");

  let envelope: ReturnType<typeof decodeEnvelope>;
  try {
    envelope = decodeEnvelope(body.subarray(MAGIC.length));
  } catch (error) {
    throw new ProtobufDecodeError(`cannot decode the protobuf envelope (runtime.Unknown): ${messageOf(error)}`);
  }
  const { apiVersion, kind, raw } = envelope;
  if (!kind) throw new ProtobufDecodeError("Object 'Kind' is missing in the protobuf envelope");
  if (!apiVersion) throw new ProtobufDecodeError(`Object 'apiVersion' is missing in the protobuf envelope of kind "${kind}"`);

  const schema = schemasByGroupVersionKind[`${apiVersion}/${kind}`];
  if (!schema) {
    throw new ProtobufDecodeError(
      `cannot decode protobuf for kind "${kind}" in version "${apiVersion}": this server decodes protobuf only for ` +
        `${Object.keys(schemasByGroupVersionKind).join(", ")}; send it as application/json`,
    );
  }
  try {
    const object = decodeMessage(raw, schema, "");
    return { apiVersion, kind, ...object, metadata: object.metadata ?? {} };
  } catch (error) {
    throw new ProtobufDecodeError(`cannot decode protobuf ${apiVersion}, Kind=${kind}: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
