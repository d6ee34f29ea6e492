// Decodes the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) that client-go sends (kubectl 1.32+ for
// its `create` generators, helm for DeleteOptions) into the object the JSON API would carry. The envelope's
// TypeMeta names the kind; its message comes from protobuf/messages.json, a table of every stable built-in
// message (field number, JSON name, type) generated from k8s.io/api and k8s.io/apimachinery (protobuf/generate.ts).
//
// The Go marshaller writes every non-pointer field, zero or not, so a zero scalar is dropped as JSON's omitempty
// would, unless the table marks the field "z" (a pointer, or no omitempty in JSON).

import { isWrapper, messageOfKind, messageTable, SPECIAL, type FieldRow } from "./protobuf/table.ts";

/** Malformed protobuf (the real server's 400), or `unsupportedKind`: well-formed but of a kind we have no table for. */
export class ProtobufDecodeError extends Error {
  override name = "ProtobufDecodeError";
  constructor(
    message: string,
    readonly unsupportedKind = false,
  ) {
    super(message);
  }
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

  /** A varint as a Number: plain arithmetic for the usual short ones, BigInt beyond 7 bytes (2^49). */
  readNumber(): number {
    const start = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7 && this.pos < this.bytes.length; i++) {
      const byte = this.bytes[this.pos++];
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    this.pos = start;
    return Number(BigInt.asIntN(64, this.readVarint()));
  }

  readTag(): { fieldNumber: number; wireType: number } {
    const offset = this.pos;
    const tag = this.readNumber();
    const fieldNumber = Math.floor(tag / 8);
    if (fieldNumber <= 0 || fieldNumber > 0x1fffffff) {
      throw new ProtobufDecodeError(`invalid field number ${fieldNumber} at offset ${offset}`);
    }
    return { fieldNumber, wireType: tag % 8 };
  }

  readLengthDelimited(): Uint8Array {
    const offset = this.pos;
    const length = this.readNumber();
    const remaining = this.bytes.length - this.pos;
    if (length < 0 || length > remaining) {
      throw new ProtobufDecodeError(
        `length ${length} at offset ${offset} runs past the end of the message (${remaining} bytes left)`,
      );
    }
    const start = this.pos;
    this.pos += length;
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

  readFixed(count: number): Uint8Array {
    const start = this.pos;
    this.skipBytes(count);
    return this.bytes.subarray(start, start + count);
  }

  private skipBytes(count: number): void {
    if (this.pos + count > this.bytes.length) {
      throw new ProtobufDecodeError(`truncated ${count}-byte fixed field at offset ${this.pos}`);
    }
    this.pos += count;
  }
}

// ---- decoding -----------------------------------------------------------------------------------------------

const utf8 = new TextDecoder(); // invalid UTF-8 becomes U+FFFD, as Go's JSON encoder would print it

const VARINT_TYPES = new Set(["bool", "int32", "int64", "uint32", "uint64"]);

function wireTypeOf(type: string): number {
  if (VARINT_TYPES.has(type)) return WIRE_VARINT;
  if (type === "double") return WIRE_FIXED64;
  if (type === "float") return WIRE_FIXED32;
  return WIRE_LENGTH_DELIMITED;
}

interface CompiledMessage {
  rows: FieldRow[];
  byNumber: Map<number, number>; // field number → index in rows
}
const compiled = new Map<string, CompiledMessage>();

function compiledMessage(message: string, path: string): CompiledMessage {
  let found = compiled.get(message);
  if (!found) {
    const rows = messageTable().messages[message];
    if (!rows) throw new ProtobufDecodeError(`field ${path || "(root)"}: message ${message} is not in this server's table`);
    found = { rows, byNumber: new Map(rows.map((row, index) => [row[0], index])) };
    compiled.set(message, found);
  }
  return found;
}

function rowsOf(message: string, path: string): FieldRow[] {
  return compiledMessage(message, path).rows;
}

/** One message as JSON shows it, fields in Go's struct order, zero scalars dropped unless kept ("z"). */
function decodeMessage(bytes: Uint8Array, message: string, path: string): Record<string, unknown> {
  const { rows, byNumber } = compiledMessage(message, path);
  const values: unknown[] = new Array(rows.length);
  const reader = new ProtoReader(bytes);
  while (!reader.done()) {
    const { fieldNumber, wireType } = reader.readTag();
    const index = byNumber.get(fieldNumber);
    if (index === undefined) {
      reader.skip(wireType); // a field newer than the table: the Go decoder skips it too
      continue;
    }
    const [, name, type, flags] = rows[index];
    const fieldPath = path ? `${path}.${name || type.slice(type.lastIndexOf(".") + 1)}` : name;
    if (type.startsWith("map:")) {
      expectWireType(wireType, WIRE_LENGTH_DELIMITED, fieldPath);
      const [key, value] = decodeMapEntry(reader.readLengthDelimited(), type.slice(4), fieldPath);
      const map = (values[index] ??= {}) as Record<string, unknown>;
      map[key] = value;
    } else if (flags.includes("r")) {
      const list = (values[index] ??= []) as unknown[];
      if (wireType === WIRE_LENGTH_DELIMITED && wireTypeOf(type) !== WIRE_LENGTH_DELIMITED) {
        const packed = new ProtoReader(reader.readLengthDelimited());
        while (!packed.done()) list.push(decodeValue(packed, type, fieldPath));
      } else {
        expectWireType(wireType, wireTypeOf(type), fieldPath);
        list.push(decodeValue(reader, type, fieldPath));
      }
    } else {
      expectWireType(wireType, wireTypeOf(type), fieldPath);
      values[index] = decodeValue(reader, type, fieldPath);
    }
  }
  const out: Record<string, unknown> = {};
  for (let index = 0; index < rows.length; index++) {
    const value = values[index];
    const [, name, , flags] = rows[index];
    if (value === undefined || (!flags.includes("z") && isZero(value))) continue;
    if (name === "" && value && typeof value === "object") Object.assign(out, value);
    else out[name] = value;
  }
  return out;
}

function expectWireType(actual: number, expected: number, path: string): void {
  if (actual !== expected) throw new ProtobufDecodeError(`field ${path} has wire type ${actual}, expected ${expected}`);
}

function isZero(value: unknown): boolean {
  return value === "" || value === 0 || value === false;
}

const FIXED_VIEW = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function decodeValue(reader: ProtoReader, type: string, path: string): unknown {
  switch (type) {
    case "bool":
      return reader.readNumber() !== 0;
    case "int32":
      return reader.readNumber() | 0;
    case "int64":
      return reader.readNumber();
    case "uint32":
      return reader.readNumber() >>> 0;
    case "uint64":
      return Number(reader.readVarint());
    case "double":
      return FIXED_VIEW(reader.readFixed(8)).getFloat64(0, true);
    case "float":
      return FIXED_VIEW(reader.readFixed(4)).getFloat32(0, true);
    case "string":
      return utf8.decode(reader.readLengthDelimited());
    case "bytes":
      return Buffer.from(reader.readLengthDelimited()).toString("base64");
  }
  const bytes = reader.readLengthDelimited();
  switch (type) {
    case SPECIAL.time:
      return decodeTime(bytes, path, false);
    case SPECIAL.microTime:
      return decodeTime(bytes, path, true);
    case SPECIAL.duration:
      return goDuration(scalarField(bytes, 1, path));
    case SPECIAL.quantity:
      return utf8.decode(stringField(bytes, 1, path));
    case SPECIAL.intOrString:
      return decodeIntOrString(bytes, path);
    case SPECIAL.fieldsV1:
      return decodeJsonBytes(stringField(bytes, 1, path), path) ?? {};
    case SPECIAL.rawExtension:
      return decodeRawExtension(stringField(bytes, 1, path), path);
  }
  if (isWrapper(type)) {
    const items: string[] = [];
    const inner = new ProtoReader(bytes);
    while (!inner.done()) {
      const { fieldNumber, wireType } = inner.readTag();
      if (fieldNumber === 1 && wireType === WIRE_LENGTH_DELIMITED) items.push(utf8.decode(inner.readLengthDelimited()));
      else inner.skip(wireType);
    }
    return items;
  }
  return decodeMessage(bytes, type, path);
}

function decodeMapEntry(bytes: Uint8Array, valueType: string, path: string): [string, unknown] {
  const reader = new ProtoReader(bytes);
  let key = "";
  let value: unknown;
  while (!reader.done()) {
    const { fieldNumber, wireType } = reader.readTag();
    if (fieldNumber === 1) {
      expectWireType(wireType, WIRE_LENGTH_DELIMITED, `${path} key`);
      key = utf8.decode(reader.readLengthDelimited());
    } else if (fieldNumber === 2) {
      expectWireType(wireType, wireTypeOf(valueType), `${path}[${key}]`);
      value = decodeValue(reader, valueType, `${path}[${key}]`);
    } else {
      reader.skip(wireType);
    }
  }
  // A missing value is the proto default: "" for strings and bytes alike, 0 and false, or an empty message.
  if (value === undefined) value = defaultOf(valueType);
  return [key, value];
}

function defaultOf(type: string): unknown {
  if (type === "string" || type === "bytes" || type === SPECIAL.quantity) return "";
  if (type === "bool") return false;
  if (wireTypeOf(type) !== WIRE_LENGTH_DELIMITED) return 0;
  if (isWrapper(type)) return [];
  return {};
}

/** The raw bytes of a length-delimited field of a small message (e.g. Quantity.string), or empty. */
function stringField(bytes: Uint8Array, number: number, path: string): Uint8Array {
  const reader = new ProtoReader(bytes);
  let found: Uint8Array = new Uint8Array();
  while (!reader.done()) {
    const { fieldNumber, wireType } = reader.readTag();
    if (fieldNumber === number) {
      expectWireType(wireType, WIRE_LENGTH_DELIMITED, path);
      found = reader.readLengthDelimited();
    } else reader.skip(wireType);
  }
  return found;
}

function scalarField(bytes: Uint8Array, number: number, path: string): bigint {
  const reader = new ProtoReader(bytes);
  let found = 0n;
  while (!reader.done()) {
    const { fieldNumber, wireType } = reader.readTag();
    if (fieldNumber === number) {
      expectWireType(wireType, WIRE_VARINT, path);
      found = BigInt.asIntN(64, reader.readVarint());
    } else reader.skip(wireType);
  }
  return found;
}

/** meta/v1 Time (whole seconds) and MicroTime (microseconds), RFC 3339 in UTC as Go prints them. */
function decodeTime(bytes: Uint8Array, path: string, micro: boolean): string | undefined {
  if (bytes.length === 0) return undefined; // the zero time: JSON null, i.e. unset
  const seconds = scalarField(bytes, 1, path);
  const nanos = Number(scalarField(bytes, 2, path));
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999 || date.getUTCFullYear() < 1) {
    throw new ProtobufDecodeError(`field ${path} holds an out-of-range time`);
  }
  const base = date.toISOString().slice(0, 19);
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, "0")}Z` : `${base}Z`;
}

/** time.Duration.String(): "1h2m3.5s", "150ms", "0s". */
export function goDuration(nanos: bigint): string {
  if (nanos === 0n) return "0s";
  const sign = nanos < 0n ? "-" : "";
  let n = nanos < 0n ? -nanos : nanos;
  if (n < 1000000000n) {
    const [unit, size] = n < 1000n ? ["ns", 1n] : n < 1000000n ? ["µs", 1000n] : ["ms", 1000000n];
    return `${sign}${fraction(n, size)}${unit}`;
  }
  const hours = n / 3600000000000n;
  n %= 3600000000000n;
  const minutes = n / 60000000000n;
  n %= 60000000000n;
  let text = `${fraction(n, 1000000000n)}s`;
  if (hours > 0n) text = `${hours}h${minutes}m${text}`;
  else if (minutes > 0n) text = `${minutes}m${text}`;
  return sign + text;
}

function fraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(digits, "0").replace(/0+$/, "")}`;
}

function decodeIntOrString(bytes: Uint8Array, path: string): number | string {
  const type = scalarField(bytes, 1, path);
  if (type === 1n) return utf8.decode(stringField(bytes, 3, path));
  return Number(BigInt.asIntN(32, scalarField(bytes, 2, path)));
}

function decodeJsonBytes(raw: Uint8Array, path: string): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(utf8.decode(raw));
  } catch {
    throw new ProtobufDecodeError(`field ${path} does not hold valid JSON`);
  }
}

/** runtime.RawExtension holds JSON, or (from a protobuf client) a nested envelope. */
function decodeRawExtension(raw: Uint8Array, path: string): unknown {
  if (raw.length === 0) return undefined;
  if (hasMagic(raw)) return decodeKubernetesProtobuf(raw);
  return decodeJsonBytes(raw, path);
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
      const typeMeta = reader.readLengthDelimited();
      apiVersion = utf8.decode(stringField(typeMeta, 1, "typeMeta.apiVersion"));
      kind = utf8.decode(stringField(typeMeta, 2, "typeMeta.kind"));
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

  const message = messageOfKind(apiVersion, kind);
  if (!message) {
    throw new ProtobufDecodeError(
      `this server has no protobuf table for kind "${kind}" in version "${apiVersion}"; send it as application/json`,
      true,
    );
  }
  try {
    const object = decodeMessage(raw, message, "");
    const hasMetadata = rowsOf(message, "").some((row) => row[1] === "metadata");
    return { kind, apiVersion, ...object, ...(hasMetadata ? { metadata: object.metadata ?? {} } : {}) };
  } catch (error) {
    throw new ProtobufDecodeError(`cannot decode protobuf ${apiVersion}, Kind=${kind}: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
