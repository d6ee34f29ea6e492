// A minimal protobuf writer for tests: builds messages field by field, with field numbers written out by hand
// from k8s.io/api's generated.proto, so the decoder's table is checked against an independent reading.
export type Bytes = number[];
const encoder = new TextEncoder();

export function varint(value: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: Bytes = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
}
const tag = (field: number, wireType: number): Bytes => varint((field << 3) | wireType);
const bytesOf = (value: string | Bytes): Bytes => (typeof value === "string" ? [...encoder.encode(value)] : value);

/** A length-delimited field: a string, bytes or an embedded message. */
export const len = (field: number, value: string | Bytes): Bytes => {
  const body = bytesOf(value);
  return [...tag(field, 2), ...varint(body.length), ...body];
};
/** A varint field: bool, int32, int64. */
export const num = (field: number, value: number | bigint | boolean): Bytes => [
  ...tag(field, 0),
  ...varint(typeof value === "boolean" ? Number(value) : value),
];
export const double = (field: number, value: number): Bytes => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value, true);
  return [...tag(field, 1), ...bytes];
};
/** A map entry: key 1, value 2. */
export const entry = (field: number, key: string, value: Bytes): Bytes => len(field, [...len(1, key), ...value]);

const MAGIC = [0x6b, 0x38, 0x73, 0x00];
/** "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, contentEncoding "", contentType ""}. */
export function envelope(apiVersion: string, kind: string, raw: Bytes): Uint8Array {
  return Uint8Array.from([...MAGIC, ...len(1, [...len(1, apiVersion), ...len(2, kind)]), ...len(2, raw), ...len(3, ""), ...len(4, "")]);
}
