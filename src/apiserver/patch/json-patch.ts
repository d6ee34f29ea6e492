// JSON patch (RFC 6902) as kube-apiserver applies it (it uses evanphx/json-patch v4).
// Where that library departs from the RFC in ways kubectl users can observe, we follow the library:
// `replace` of a missing object member adds it, negative array indices count from the end,
// `add` at the root path "" fails, and `test` of a missing member against null passes.
// Error messages follow the library's wording, since the apiserver passes them on.

import { PatchError, cloneJson, deepEqualJson, isJsonObject, setMember, type JsonObject } from "./merge-patch.ts";

export { PatchError };

export const MAX_JSON_PATCH_OPERATIONS = 10000;

type OpName = "add" | "remove" | "replace" | "move" | "copy" | "test";

interface Operation {
  op: OpName;
  path: string;
  from?: string;
  value?: unknown;
}

type Container = JsonObject | unknown[];

const OPS_WITH_VALUE: ReadonlySet<string> = new Set(["add", "replace", "test"]);
const OPS_WITH_FROM: ReadonlySet<string> = new Set(["move", "copy"]);
const KNOWN_OPS: ReadonlySet<string> = new Set(["add", "remove", "replace", "move", "copy", "test"]);

/** Applies an RFC 6902 patch to a copy of `doc`; all operations succeed or the input is left as it was. */
export function applyJsonPatch(doc: unknown, operations: unknown): unknown {
  const ops = decodeOperations(operations);
  const root = { doc: cloneJson(doc) };
  for (const op of ops) applyOperation(root, op);
  return root.doc;
}

function jsonTypeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? "object" : typeof value;
}

function decodeOperations(operations: unknown): Operation[] {
  if (!Array.isArray(operations)) {
    throw new PatchError("malformed", `json: cannot unmarshal ${jsonTypeName(operations)} into Go value of type jsonpatch.Patch`);
  }
  if (operations.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(
      "tooLarge",
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${operations.length}`,
    );
  }
  return operations.map(decodeOperation);
}

function decodeOperation(raw: unknown): Operation {
  if (!isJsonObject(raw)) {
    throw new PatchError("malformed", `json: cannot unmarshal ${jsonTypeName(raw)} into Go value of type jsonpatch.Operation`);
  }
  const op = raw.op;
  if (typeof op !== "string" || !KNOWN_OPS.has(op)) {
    throw new PatchError("malformed", `Unexpected kind: ${typeof op === "string" ? op : "unknown"}`);
  }
  // move and copy read `from` before `path`, so a patch missing both reports `from`.
  const from = OPS_WITH_FROM.has(op) ? decodeStringField(raw, "from", op) : undefined;
  const operation: Operation = { op: op as OpName, path: decodeStringField(raw, "path", op) };
  if (from !== undefined) operation.from = from;
  if (OPS_WITH_VALUE.has(op)) {
    if (!Object.hasOwn(raw, "value")) {
      throw new PatchError("malformed", `${op} operation, missing value field: missing value`);
    }
    operation.value = raw.value;
  }
  return operation;
}

function decodeStringField(raw: JsonObject, field: "path" | "from", op: string): string {
  const value = raw[field];
  if (value === undefined || value === null) {
    // The library words this differently per operation.
    const cause = field === "from" ? "operation, missing from field: " : ["add", "remove", "copy"].includes(op) ? "" : "operation missing path field: ";
    throw new PatchError("malformed", `${op} operation failed to decode ${field}: ${cause}missing value`);
  }
  if (typeof value !== "string") {
    throw new PatchError("malformed", `${op} operation failed to decode ${field}: json: cannot unmarshal ${jsonTypeName(value)} into Go value of type string`);
  }
  return value;
}

function failed(message: string): PatchError {
  return new PatchError("failed", message);
}

/** RFC 6901: "~1" becomes "/" before "~0" becomes "~". */
function decodeToken(token: string): string {
  return token.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** Finds the container that holds the last token of `path`, or undefined when a step is missing. */
function findParent(root: { doc: unknown }, path: string): { parent: Container; key: string } | undefined {
  if (!path.startsWith("/")) return undefined;
  const tokens = path.slice(1).split("/").map(decodeToken);
  const key = tokens.pop() as string;
  let current: unknown = root.doc;
  for (const token of tokens) {
    if (!Array.isArray(current) && !isJsonObject(current)) return undefined;
    current = getMember(current, token);
  }
  if (!Array.isArray(current) && !isJsonObject(current)) return undefined;
  return { parent: current, key };
}

/** Parses an array index the way Go's strconv.Atoi does (sign allowed, leading zeros allowed). */
function parseIndex(token: string): number | undefined {
  if (!/^[+-]?\d+$/.test(token)) return undefined;
  const index = Number(token);
  return Number.isSafeInteger(index) ? index : undefined;
}

/** An existing element's index, negative indices counting from the end; undefined when out of bounds. */
function existingIndex(array: unknown[], token: string): number | undefined {
  const index = parseIndex(token);
  if (index === undefined) return undefined;
  const resolved = index < 0 ? index + array.length : index;
  return resolved >= 0 && resolved < array.length ? resolved : undefined;
}

function getMember(container: Container, key: string): unknown {
  if (Array.isArray(container)) {
    const index = existingIndex(container, key);
    return index === undefined ? undefined : container[index];
  }
  return Object.hasOwn(container, key) ? container[key] : undefined;
}

function hasMember(container: Container, key: string): boolean {
  return Array.isArray(container) ? existingIndex(container, key) !== undefined : Object.hasOwn(container, key);
}

function addMember(container: Container, key: string, value: unknown, path: string): void {
  if (!Array.isArray(container)) {
    setMember(container, key, value);
    return;
  }
  if (key === "-") {
    container.push(value);
    return;
  }
  const index = parseIndex(key);
  if (index === undefined) throw failed(`error in add for path: '${path}': value was not a proper array index: '${key}'`);
  const size = container.length + 1;
  if (index >= size || index < -size) {
    throw failed(`error in add for path: '${path}': Unable to access invalid index: ${index}: invalid index referenced`);
  }
  container.splice(index < 0 ? index + size : index, 0, value);
}

function removeMember(container: Container, key: string, context: string): void {
  if (Array.isArray(container)) {
    const index = existingIndex(container, key);
    if (index === undefined) throw failed(`${context}: Unable to access invalid index: ${key}: invalid index referenced`);
    container.splice(index, 1);
    return;
  }
  if (!Object.hasOwn(container, key)) throw failed(`${context}: Unable to remove nonexistent key: ${key}: missing value`);
  delete container[key];
}

function applyOperation(root: { doc: unknown }, op: Operation): void {
  switch (op.op) {
    case "add":
      return add(root, op.path, cloneJson(op.value));
    case "remove":
      return remove(root, op.path);
    case "replace":
      return replace(root, op.path, cloneJson(op.value));
    case "move":
      return move(root, op.from as string, op.path);
    case "copy":
      return copy(root, op.from as string, op.path);
    case "test":
      return test(root, op.path, op.value);
  }
}

function add(root: { doc: unknown }, path: string, value: unknown): void {
  const target = findParent(root, path);
  if (!target) throw failed(`add operation does not apply: doc is missing path: "${path}": missing value`);
  addMember(target.parent, target.key, value, path);
}

function remove(root: { doc: unknown }, path: string): void {
  const target = findParent(root, path);
  if (!target) throw failed(`remove operation does not apply: doc is missing path: "${path}": missing value`);
  removeMember(target.parent, target.key, `error in remove for path: '${path}'`);
}

function replace(root: { doc: unknown }, path: string, value: unknown): void {
  if (path === "") {
    if (!Array.isArray(value) && !isJsonObject(value)) {
      throw failed("replace operation value must be object or array: missing value");
    }
    root.doc = value;
    return;
  }
  const target = findParent(root, path);
  if (!target) throw failed(`replace operation does not apply: doc is missing path: ${path}: missing value`);
  const { parent, key } = target;
  if (Array.isArray(parent)) {
    const index = existingIndex(parent, key);
    if (index === undefined) throw failed(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    parent[index] = value;
  } else {
    setMember(parent, key, value);
  }
}

function move(root: { doc: unknown }, from: string, path: string): void {
  const source = findParent(root, from);
  if (!source) throw failed(`move operation does not apply: doc is missing from path: ${from}: missing value`);
  const value = getMember(source.parent, source.key);
  removeMember(source.parent, source.key, `error in move for path: '${source.key}'`);
  const target = findParent(root, path);
  if (!target) throw failed(`move operation does not apply: doc is missing destination path: ${path}: missing value`);
  addMember(target.parent, target.key, value, path);
}

function copy(root: { doc: unknown }, from: string, path: string): void {
  const source = findParent(root, from);
  if (!source || !hasMember(source.parent, source.key)) {
    throw failed(`copy operation does not apply: doc is missing from path: ${from}: missing value`);
  }
  const value = cloneJson(getMember(source.parent, source.key));
  const target = findParent(root, path);
  if (!target) throw failed(`copy operation does not apply: doc is missing destination path: ${path}: missing value`);
  addMember(target.parent, target.key, value, path);
}

function test(root: { doc: unknown }, path: string, expected: unknown): void {
  const testFailed = () => failed(`testing value ${path} failed: test failed`);
  if (path === "") {
    if (!deepEqualJson(root.doc, expected)) throw testFailed();
    return;
  }
  const target = findParent(root, path);
  if (!target) throw failed(`test operation does not apply: is missing path: ${path}: missing value`);
  const { parent, key } = target;
  if (Array.isArray(parent) && existingIndex(parent, key) === undefined) {
    throw failed(`error in test for path: '${path}': Unable to access invalid index: ${key}: invalid index referenced`);
  }
  if (!hasMember(parent, key)) {
    if (expected === null) return;
    throw testFailed();
  }
  if (!deepEqualJson(getMember(parent, key), expected)) throw testFailed();
}
