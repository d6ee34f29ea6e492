// The OpenAPI v2 document in protobuf (gnostic openapi_v2.Document), the only form client-go asks for.
// Covers what this server's documents hold: info, paths with get/put/post/delete/patch operations (query
// parameters, a 200 response, vendor extensions) and definitions (ref, type, format, description, required,
// properties, items, additionalProperties, allOf, vendor extensions). Vendor extension values travel as YAML
// text; JSON is YAML, so they are written as JSON.
type Json = Record<string, any>;

/** One growable buffer per message; a finished inner message is copied into its parent once. */
class Writer {
  private buf = new Uint8Array(64);
  private pos = 0;

  private reserve(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  private varint(value: number): void {
    this.reserve(10);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  private bytes(field: number, data: Uint8Array): void {
    this.varint(field * 8 + 2);
    this.varint(data.length);
    this.reserve(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  string(field: number, value: string | undefined): this {
    if (value !== undefined && value !== "") this.bytes(field, utf8.encode(value));
    return this;
  }

  strings(field: number, values: string[] | undefined): this {
    for (const value of values ?? []) this.bytes(field, utf8.encode(value));
    return this;
  }

  bool(field: number, value: boolean | undefined): this {
    if (value) {
      this.varint(field * 8);
      this.varint(1);
    }
    return this;
  }

  message(field: number, inner: Writer): this {
    this.bytes(field, inner.buf.subarray(0, inner.pos));
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

const utf8 = new TextEncoder();

/** NamedAny{name, Any{yaml}} for every "x-" key of `object`. */
function vendorExtensions(w: Writer, field: number, object: Json): void {
  for (const [key, value] of Object.entries(object)) {
    if (!key.startsWith("x-")) continue;
    w.message(field, new Writer().string(1, key).message(2, new Writer().string(2, JSON.stringify(value))));
  }
}

function schema(s: Json): Writer {
  const w = new Writer().string(1, s.$ref).string(2, s.format).string(3, s.title).string(4, s.description);
  w.strings(19, s.required);
  if (s.additionalProperties !== undefined) {
    const item = typeof s.additionalProperties === "boolean"
      ? new Writer().bool(2, s.additionalProperties)
      : new Writer().message(1, schema(s.additionalProperties));
    w.message(21, item);
  }
  if (s.type !== undefined) w.message(22, new Writer().strings(1, Array.isArray(s.type) ? s.type : [s.type]));
  if (s.items !== undefined) w.message(23, new Writer().message(1, schema(s.items)));
  for (const part of s.allOf ?? []) w.message(24, schema(part));
  if (s.properties) {
    const properties = new Writer();
    for (const [name, value] of Object.entries(s.properties)) properties.message(1, new Writer().string(1, name).message(2, schema(value as Json)));
    w.message(25, properties);
  }
  vendorExtensions(w, 31, s);
  return w;
}

function operation(op: Json): Writer {
  const w = new Writer().string(3, op.description).string(5, op.operationId);
  for (const p of op.parameters ?? []) {
    // ParametersItem{Parameter{NonBodyParameter{QueryParameterSubSchema{required, in, description, name, type, unique_items}}}}
    const query = new Writer().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name).string(6, p.type).bool(20, p.uniqueItems);
    w.message(8, new Writer().message(1, new Writer().message(2, new Writer().message(3, query))));
  }
  const responses = new Writer();
  for (const [code, response] of Object.entries(op.responses ?? {})) {
    const value = new Writer().message(1, new Writer().string(1, (response as Json).description));
    responses.message(1, new Writer().string(1, code).message(2, value));
  }
  w.message(9, responses);
  vendorExtensions(w, 13, op);
  return w;
}

const VERB_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, patch: 8 };

export function encodeOpenApiV2(doc: Json): Uint8Array {
  const w = new Writer().string(1, doc.swagger);
  w.message(2, new Writer().string(1, doc.info?.title).string(2, doc.info?.version));
  const paths = new Writer();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const pathItem = new Writer();
    for (const [verb, op] of Object.entries(item as Json)) {
      const field = VERB_FIELDS[verb];
      if (field) pathItem.message(field, operation(op as Json));
    }
    paths.message(2, new Writer().string(1, path).message(2, pathItem));
  }
  w.message(8, paths);
  const definitions = new Writer();
  for (const [name, value] of Object.entries(doc.definitions ?? {})) {
    definitions.message(1, new Writer().string(1, name).message(2, schema(value as Json)));
  }
  w.message(9, definitions);
  return w.finish();
}
