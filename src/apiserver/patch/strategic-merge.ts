// Strategic merge patch for built-in kinds, following k8s.io/apimachinery/pkg/util/strategicpatch as the
// apiserver runs it (merge parallel lists, ignore nulls that match nothing).
// Error kinds follow the apiserver's mapping: malformed → 400, failed → 422. The apiserver answers 500 with the
// same message for the errors it does not classify (missing merge key, unknown $patch value); those are "failed" here.

import { listMergeKey, isReplacedMap } from "./merge-keys.ts";
import { PatchError, cloneJson, isJsonObject, setMember, type JsonObject } from "./merge-patch.ts";

export { PatchError };

const PATCH_DIRECTIVE = "$patch";
const RETAIN_KEYS_DIRECTIVE = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST_PREFIX = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER_PREFIX = "$setElementOrder";

interface PatchContext {
  kindKey: string;
}

/**
 * Applies a strategic merge patch to a copy of `original`. `kindKey` is `<group>/<version>/<Kind>`
 * (`v1/<Kind>` for the core group) and selects which lists merge by key (see merge-keys.ts).
 */
export function applyStrategicMergePatch(original: unknown, patch: unknown, kindKey: string): unknown {
  // Go decodes a `null` body into an empty patch map.
  if (patch === null) return cloneJson(original);
  if (!isJsonObject(patch)) {
    throw new PatchError("malformed", `json: cannot unmarshal ${goTypeName(patch)} into Go value of type map[string]interface {}`);
  }
  const base = isJsonObject(original) ? cloneJson(original) : {};
  return mergeMap(base, cloneJson(patch), [], { kindKey });
}

function goTypeName(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return "object";
  return typeof value;
}

/** Formats a value the way Go's `%v` prints decoded JSON, for error messages that match the apiserver's. */
function goFormat(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (Array.isArray(value)) return `[${value.map(goFormat).join(" ")}]`;
  if (isJsonObject(value)) {
    const members = Object.keys(value).sort().map((key) => `${key}:${goFormat(value[key])}`);
    return `map[${members.join(" ")}]`;
  }
  return String(value);
}

function failed(message: string): PatchError {
  return new PatchError("failed", message);
}

function noMergeKey(item: unknown, mergeKey: string): PatchError {
  return failed(`map: ${goFormat(item)} does not contain declared merge key: ${mergeKey}`);
}

function isDirectiveKey(key: string): boolean {
  return (
    key === PATCH_DIRECTIVE ||
    key === RETAIN_KEYS_DIRECTIVE ||
    key.startsWith(`${DELETE_FROM_PRIMITIVE_LIST_PREFIX}/`) ||
    key.startsWith(`${SET_ELEMENT_ORDER_PREFIX}/`)
  );
}

/**
 * A patch value as it lands in the object when there is nothing to merge it with: maps carrying `$patch`
 * vanish (as in Go), other directive keys and null members are dropped (Go leaves them for the typed decode to drop).
 * Returns undefined when the value itself vanishes.
 */
function cleanPatchValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(cleanPatchValue).filter((item) => item !== undefined);
  }
  if (!isJsonObject(value)) return value;
  if (Object.hasOwn(value, PATCH_DIRECTIVE)) return undefined;
  const result: JsonObject = {};
  for (const [key, member] of Object.entries(value)) {
    if (member === null || isDirectiveKey(key)) continue;
    const cleaned = cleanPatchValue(member);
    if (cleaned !== undefined) setMember(result, key, cleaned);
  }
  return result;
}

function setCleaned(target: JsonObject, key: string, patchValue: unknown): void {
  const cleaned = cleanPatchValue(patchValue);
  if (cleaned === undefined) delete target[key];
  else setMember(target, key, cleaned);
}

/** The part after `<prefix>/` in a directive key such as `$setElementOrder/containers`. */
function directiveField(key: string, prefix: string, formatError: string): string {
  const slash = key.indexOf("/");
  if (slash < 0 || key.slice(0, slash) !== prefix) throw new PatchError("malformed", formatError);
  return key.slice(slash + 1);
}

type JsonKind = "object" | "array" | "string" | "number" | "boolean" | "null";

function jsonKind(value: unknown): JsonKind {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value as JsonKind;
}

function mergeMap(original: JsonObject, patch: JsonObject, path: string[], ctx: PatchContext): JsonObject {
  if (Object.hasOwn(patch, PATCH_DIRECTIVE)) return applyMapDirective(patch);
  applyRetainKeys(original, patch);
  mergeOrderedLists(original, patch, path, ctx);

  for (const [patchKey, patchValue] of Object.entries(patch)) {
    const isDeleteList = patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX);
    const key = isDeleteList
      ? directiveField(patchKey, DELETE_FROM_PRIMITIVE_LIST_PREFIX, "invalid patch format of primitive list")
      : patchKey;

    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const originalValue = Object.hasOwn(original, key) ? original[key] : undefined;
    if (originalValue === undefined || jsonKind(originalValue) !== jsonKind(patchValue)) {
      if (!isDeleteList) setCleaned(original, key, patchValue);
      continue;
    }
    const fieldPath = [...path, key];
    if (isJsonObject(originalValue) && isReplacedMap(ctx.kindKey, fieldPath)) {
      setCleaned(original, key, patchValue);
    } else if (isJsonObject(originalValue)) {
      setMember(original, key, mergeMap(originalValue, patchValue as JsonObject, fieldPath, ctx));
    } else if (Array.isArray(originalValue)) {
      setMember(original, key, mergeListField(originalValue, patchValue as unknown[], fieldPath, isDeleteList, ctx));
    } else {
      setMember(original, key, patchValue);
    }
  }
  return original;
}

function applyMapDirective(patch: JsonObject): JsonObject {
  const directive = patch[PATCH_DIRECTIVE];
  if (directive === "replace") {
    const replacement = { ...patch };
    delete replacement[PATCH_DIRECTIVE];
    return cleanPatchValue(replacement) as JsonObject;
  }
  if (directive === "delete") return {};
  throw failed(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(patch)}`);
}

/** `$retainKeys`: members of `original` missing from the list are cleared; the patch may only set listed keys. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const retainKeys = patch[RETAIN_KEYS_DIRECTIVE];
  delete patch[RETAIN_KEYS_DIRECTIVE];
  if (!Array.isArray(retainKeys)) throw new PatchError("malformed", "invalid patch format of retainKeys");
  const retained = new Set(retainKeys);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) || key.startsWith(SET_ELEMENT_ORDER_PREFIX)) {
      continue;
    }
    if (!retained.has(key)) throw new PatchError("malformed", "invalid patch format of retainKeys");
  }
  for (const key of Object.keys(original)) {
    if (!retained.has(key)) delete original[key];
  }
}

function asList(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw failed(`expected a []interface {}, but received a ${goTypeName(value)}`);
  return value;
}

/**
 * `$setElementOrder/<field>`: merges `<field>` (removing it from the patch) and orders the result:
 * listed items in the directive's order, server-only items kept near their old neighbours.
 */
function mergeOrderedLists(original: JsonObject, patch: JsonObject, path: string[], ctx: PatchContext): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    const order = patch[directiveKey];
    delete patch[directiveKey];
    const orderList = asList(order);
    const field = directiveField(directiveKey, SET_ELEMENT_ORDER_PREFIX, "invalid patch format of setElementOrder list");
    const originalList = Object.hasOwn(original, field) ? asList(original[field]) : undefined;
    const patchList = Object.hasOwn(patch, field) ? asList(patch[field]) : undefined;
    const fieldPath = [...path, field];
    const mergeKey = listMergeKey(ctx.kindKey, fieldPath)?.key;
    checkPatchFollowsOrder(patchList ?? [], orderList, mergeKey);

    let merged: unknown[];
    if (originalList !== undefined && patchList !== undefined) {
      merged = mergeListField(originalList, patchList, fieldPath, false, ctx);
    } else if (originalList !== undefined) {
      merged = originalList;
    } else if (patchList !== undefined) {
      merged = cleanPatchValue(patchList) as unknown[];
    } else {
      continue;
    }
    if (merged.length > 0) {
      const isMapList = elementKind(originalList ?? [], patchList ?? []) === "object";
      const { inList, notInList } = partitionByPresence(merged, orderList, mergeKey);
      merged = orderMergedList(inList, notInList, orderList, originalList ?? [], mergeKey, isMapList);
    }
    setMember(original, field, merged);
    delete patch[field];
  }
}

/** The patch list's items (deletions aside) must appear in the `$setElementOrder` list, in the same relative order. */
function checkPatchFollowsOrder(patchList: unknown[], orderList: unknown[], mergeKey: string | undefined): void {
  if (patchList.length === 0 || orderList.length === 0) return;
  const items = mergeKey === undefined ? patchList : patchList.filter((item) => !isDeleteItem(item));
  let orderIndex = 0;
  for (const item of items) {
    if (isJsonObject(item) && Object.hasOwn(item, PATCH_DIRECTIVE)) continue;
    while (orderIndex < orderList.length && !sameMergeKey(item, orderList[orderIndex], mergeKey)) orderIndex++;
    if (orderIndex >= orderList.length) {
      throw failed(`The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER_PREFIX} list:\n${goFormat(orderList)}\n`);
    }
    orderIndex++;
  }
}

function isDeleteItem(item: unknown): boolean {
  if (!isJsonObject(item)) throw failed(`expected a map[string]interface {}, but received a ${goTypeName(item)}`);
  return item[PATCH_DIRECTIVE] === "delete";
}

function sameMergeKey(left: unknown, right: unknown, mergeKey: string | undefined): boolean {
  if (mergeKey === undefined) return left === right;
  return mergeKeyValue(left, mergeKey) === mergeKeyValue(right, mergeKey);
}

function mergeKeyValue(item: unknown, mergeKey: string): unknown {
  if (!isJsonObject(item)) throw failed(`expected a map[string]interface {}, but received a ${goTypeName(item)}`);
  if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
  return item[mergeKey];
}

/** Merges a list field; lists without a merge strategy are replaced, `$deleteFromPrimitiveList` lists subtract. */
function mergeListField(
  original: unknown[],
  patch: unknown[],
  path: string[],
  isDeleteList: boolean,
  ctx: PatchContext,
): unknown[] {
  const strategy = listMergeKey(ctx.kindKey, path);
  if (strategy === undefined && !isDeleteList) return cleanPatchValue(patch) as unknown[];
  return mergeList(original, patch, strategy?.key, isDeleteList, path, ctx);
}

/** The one kind shared by every item of the lists; like Go, only a leading list item counts as a list of lists. */
function elementKind(...lists: unknown[][]): JsonKind | undefined {
  let kind: JsonKind | undefined;
  for (const item of lists.flat()) {
    const itemKind = jsonKind(item);
    if (kind === undefined && itemKind === "array") throw failed("lists of lists are not supported");
    if (kind !== undefined && kind !== itemKind) {
      throw failed(`list element types are not identical: ${goFormat(lists)}`);
    }
    kind = itemKind;
  }
  return kind;
}

function mergeList(
  original: unknown[],
  patch: unknown[],
  mergeKey: string | undefined,
  isDeleteList: boolean,
  path: string[],
  ctx: PatchContext,
): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);

  let base = original;
  let patchItems = patch;
  let merged: unknown[];
  if (kind !== "object") {
    if (isDeleteList) {
      const toDelete = new Set(patch);
      return original.filter((item) => !toDelete.has(item));
    }
    merged = [...new Set([...original, ...patch])];
  } else {
    if (mergeKey === undefined) throw failed(`cannot merge lists without merge key for ${path.join(".")}`);
    ({ base, patchItems } = applyListItemDirectives(original, patch, mergeKey));
    merged = mergeItemsByKey(base, patchItems, mergeKey, path, ctx);
  }
  const { inList, notInList } = partitionByPresence(merged, patchItems, kind === "object" ? mergeKey : undefined);
  return orderMergedList(inList, notInList, patchItems, base, kind === "object" ? mergeKey : undefined, kind === "object");
}

/**
 * Handles list items carrying `$patch`: `delete` removes the original items with that key,
 * `replace` makes the other patch items the whole list; `merge` is rejected as in Go.
 */
function applyListItemDirectives(
  original: unknown[],
  patch: unknown[],
  mergeKey: string,
): { base: unknown[]; patchItems: unknown[] } {
  let base = original;
  let replace = false;
  const plainItems: unknown[] = [];
  for (const item of patch as JsonObject[]) {
    if (!Object.hasOwn(item, PATCH_DIRECTIVE)) {
      plainItems.push(item);
      continue;
    }
    const directive = item[PATCH_DIRECTIVE];
    if (directive === "delete") {
      if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
      base = withoutMatchingItems(base, mergeKey, item[mergeKey]);
    } else if (directive === "replace") {
      replace = true;
    } else if (directive === "merge") {
      throw failed("merging lists cannot yet be specified in the patch");
    } else {
      throw failed(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(item)}`);
    }
  }
  if (replace) return { base: cleanPatchValue(plainItems) as unknown[], patchItems: [] };
  return { base, patchItems: plainItems };
}

function withoutMatchingItems(list: unknown[], mergeKey: string, value: unknown): unknown[] {
  return list.filter((item) => findByMergeKey([item], mergeKey, value) < 0);
}

/** Index of the first map whose merge key equals `value`; every item must be a map. */
function findByMergeKey(list: unknown[], mergeKey: string, value: unknown): number {
  return list.findIndex((item, index) => {
    if (!isJsonObject(item)) throw failed(`value for key ${index} is not a map`);
    return Object.hasOwn(item, mergeKey) && item[mergeKey] === value;
  });
}

function mergeItemsByKey(
  original: unknown[],
  patch: unknown[],
  mergeKey: string,
  path: string[],
  ctx: PatchContext,
): unknown[] {
  const result = [...original];
  for (const item of patch as JsonObject[]) {
    if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    const index = findByMergeKey(result, mergeKey, item[mergeKey]);
    if (index >= 0) {
      result[index] = mergeMap(result[index] as JsonObject, item, path, ctx);
    } else {
      result.push(cleanPatchValue(item));
    }
  }
  return result;
}

function partitionByPresence(
  items: unknown[],
  reference: unknown[],
  mergeKey: string | undefined,
): { inList: unknown[]; notInList: unknown[] } {
  const inList: unknown[] = [];
  const notInList: unknown[] = [];
  for (const item of items) {
    const present =
      mergeKey === undefined
        ? reference.includes(item)
        : findByMergeKey(reference, mergeKey, mergeKeyValue(item, mergeKey)) >= 0;
    (present ? inList : notInList).push(item);
  }
  return { inList, notInList };
}

function positionIn(list: unknown[], item: unknown, mergeKey: string | undefined): number {
  if (mergeKey === undefined) return list.indexOf(item);
  const key = isJsonObject(item) ? item[mergeKey] : undefined;
  return list.findIndex((candidate) => isJsonObject(candidate) && candidate[mergeKey] === key);
}

function sortByPosition(items: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const rank = (item: unknown) => {
    const position = positionIn(order, item, mergeKey);
    return position < 0 ? Number.POSITIVE_INFINITY : position;
  };
  return items
    .map((item, index) => ({ item, index, rank: rank(item) }))
    .sort((a, b) => (a.rank === b.rank ? a.index - b.index : a.rank - b.rank))
    .map((entry) => entry.item);
}

/**
 * Orders a merged list as strategicpatch does: patch items in patch order, server-only items in their old
 * order, interleaved so a server-only item goes before a patch item only when it came before it in the
 * old list. New items (absent from the old list) therefore land before the remaining server-only items.
 */
function orderMergedList(
  patchItems: unknown[],
  serverOnlyItems: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string | undefined,
  isMapList: boolean,
): unknown[] {
  if (isMapList && mergeKey !== undefined) {
    for (const item of [...patchItems, ...patchOrder, ...serverOnlyItems, ...serverOrder]) mergeKeyValue(item, mergeKey);
  }
  const fromPatch = sortByPosition(patchItems, patchOrder, mergeKey);
  const serverOnly = sortByPosition(serverOnlyItems, serverOrder, mergeKey);
  const result: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < fromPatch.length) {
    if (j >= fromPatch.length) {
      result.push(serverOnly[i++]);
    } else if (i >= serverOnly.length) {
      result.push(fromPatch[j++]);
    } else {
      const left = positionIn(serverOrder, serverOnly[i], mergeKey);
      const right = positionIn(serverOrder, fromPatch[j], mergeKey);
      if (left >= 0 && right >= 0 && left < right) result.push(serverOnly[i++]);
      else result.push(fromPatch[j++]);
    }
  }
  return result;
}
