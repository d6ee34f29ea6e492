// A set of field paths (structured-merge-diff's fieldpath.Set) and its FieldsV1 wire form.
//
// A FieldSet is a tree. Each edge is one serialized path element, exactly as FieldsV1 spells it:
//   `f:<name>`            a field of an object
//   `k:{"name":"x"}`      an item of an associative list, by its key fields (sorted, Go JSON)
//   `v:<json>`            an item of a set list, by its value
//   `i:<n>`               an item by index (only when an item lacks its keys)
// `member` says the path ending at that node is itself in the set (FieldsV1's `.` or `{}`).
// Sets are never mutated after they are built, so subtrees may be shared between sets.

import { compareStrings, compareValues, goJson, goValueString, isEmptyObject, isPlainObject } from "./values.ts";

export type ListType = { type: "atomic" } | { type: "set" } | { type: "map"; keys: string[] };
/** List semantics of the list at `path` (field names only, no indices). */
export type ListTypeOf = (path: string[]) => ListType;

export interface FieldSet {
  member: boolean;
  children: Map<string, FieldSet>;
}

const NO_CHILDREN: ReadonlyMap<string, FieldSet> = new Map();

export function emptySet(): FieldSet {
  return { member: false, children: new Map() };
}

export function leaf(): FieldSet {
  return { member: true, children: NO_CHILDREN as Map<string, FieldSet> };
}

export function isEmpty(s: FieldSet | undefined): boolean {
  return !s || (!s.member && s.children.size === 0);
}

// ---------------------------------------------------------------------------------------------
// Path elements

export function fieldElement(name: string): string {
  return `f:${name}`;
}

/** The path element naming `item` inside a granular list, or undefined for atomic lists. */
export function itemElement(item: unknown, listType: ListType, index: number): string | undefined {
  if (listType.type === "set") return `v:${goJson(item)}`;
  if (listType.type !== "map") return undefined;
  if (!isPlainObject(item)) return `i:${index}`;
  const key: Record<string, unknown> = {};
  let found = false;
  for (const k of listType.keys) {
    if (item[k] !== undefined) {
      key[k] = item[k];
      found = true;
    }
  }
  return found ? `k:${goJson(key)}` : `i:${index}`;
}

function elementKind(el: string): number {
  switch (el.charCodeAt(0)) {
    case 102: // f
      return 0;
    case 107: // k
      return 1;
    case 118: // v
      return 2;
    default:
      return 3; // i
  }
}

function compareKeyLists(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = Object.keys(a).sort(compareStrings);
  const kb = Object.keys(b).sort(compareStrings);
  for (let i = 0; i < ka.length && i < kb.length; i++) {
    const c = compareStrings(ka[i]!, kb[i]!) || compareValues(a[ka[i]!], b[kb[i]!]);
    if (c !== 0) return c;
  }
  return ka.length - kb.length;
}

function parseElementValue(el: string): unknown {
  try {
    return JSON.parse(el.slice(2));
  } catch {
    return el.slice(2);
  }
}

/** One element as Kubernetes prints it in conflict messages: `.name`, `[name="x"]`, `[="v"]`, `[3]`. */
export function formatElement(el: string): string {
  switch (elementKind(el)) {
    case 0:
      return `.${el.slice(2)}`;
    case 1: {
      const key = parseElementValue(el) as Record<string, unknown>;
      const parts = Object.keys(key)
        .sort(compareStrings)
        .map((k) => `${k}=${goValueString(key[k])}`);
      return `[${parts.join(",")}]`;
    }
    case 2:
      return `[=${goValueString(parseElementValue(el))}]`;
    default:
      return `[${el.slice(2)}]`;
  }
}

export function formatPath(path: readonly string[]): string {
  return path.map(formatElement).join("");
}

// ---------------------------------------------------------------------------------------------
// Set algebra (pure; results may share subtrees with the inputs)

export function union(a: FieldSet, b: FieldSet): FieldSet {
  if (isEmpty(a)) return b;
  if (isEmpty(b)) return a;
  const children = new Map(a.children);
  for (const [el, bc] of b.children) {
    const ac = children.get(el);
    children.set(el, ac ? union(ac, bc) : bc);
  }
  return { member: a.member || b.member, children };
}

/** Paths of `a` not in `b` (member by member, as fieldpath.Set.Difference). */
export function difference(a: FieldSet, b: FieldSet): FieldSet {
  if (isEmpty(b) || isEmpty(a)) return a;
  let children: Map<string, FieldSet> | undefined;
  for (const [el, bc] of b.children) {
    const ac = a.children.get(el);
    if (!ac) continue;
    const d = difference(ac, bc);
    if (d === ac) continue;
    children ??= new Map(a.children);
    if (isEmpty(d)) children.delete(el);
    else children.set(el, d);
  }
  const member = a.member && !b.member;
  if (!children && member === a.member) return a;
  return { member, children: children ?? a.children };
}

export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  const out = emptySet();
  out.member = a.member && b.member;
  const [small, large] = a.children.size <= b.children.size ? [a, b] : [b, a];
  for (const [el, sc] of small.children) {
    const lc = large.children.get(el);
    if (!lc) continue;
    const i = intersection(sc, lc);
    if (!isEmpty(i)) out.children.set(el, i);
  }
  return out;
}

/** Whether `path` is a member of the set. */
export function has(s: FieldSet, path: readonly string[]): boolean {
  let node: FieldSet | undefined = s;
  for (const el of path) {
    node = node.children.get(el);
    if (!node) return false;
  }
  return node.member && path.length > 0;
}

export function setOfPaths(paths: readonly (readonly string[])[]): FieldSet {
  let out = emptySet();
  for (const p of paths) {
    let node = leaf();
    for (let i = p.length - 1; i >= 0; i--) node = { member: false, children: new Map([[p[i]!, node]]) };
    out = union(out, node);
  }
  return out;
}

/** Member paths in the order fieldpath.Set.Iterate yields them: a node's leaves first, then its subtrees. */
export function memberPaths(s: FieldSet): string[][] {
  const out: string[][] = [];
  const walk = (node: FieldSet, prefix: string[]) => {
    const els = sortElements([...node.children.keys()]);
    for (const el of els) if (node.children.get(el)!.member) out.push([...prefix, el]);
    for (const el of els) {
      const child = node.children.get(el)!;
      if (child.children.size > 0) walk(child, [...prefix, el]);
    }
  };
  walk(s, []);
  return out;
}

// ---------------------------------------------------------------------------------------------
// FieldsV1

/** Elements in FieldsV1 order (structured-merge-diff's PathElement order: fields, keys, values, indices); parses each k:/v: element once rather than on every comparison. */
export function sortElements(els: string[]): string[] {
  if (els.length < 2) return els;
  if (els.every((el) => el.charCodeAt(0) === 102)) return els.sort(compareStrings);
  const decorated = els.map((el) => ({ el, kind: elementKind(el), value: el.charCodeAt(0) === 102 ? undefined : parseElementValue(el) }));
  decorated.sort((a, b) => {
    if (a.kind !== b.kind) return a.kind - b.kind;
    if (a.kind === 0) return compareStrings(a.el, b.el);
    if (a.kind === 1) return compareKeyLists(a.value as Record<string, unknown>, b.value as Record<string, unknown>);
    if (a.kind === 2) return compareValues(a.value, b.value);
    return Number(a.el.slice(2)) - Number(b.el.slice(2));
  });
  return decorated.map((d) => d.el);
}

export function toFieldsV1(s: FieldSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const els = sortElements([...s.children.keys()]);
  for (const el of els) {
    const child = s.children.get(el)!;
    if (child.children.size === 0) {
      out[el] = {};
      continue;
    }
    const inner: Record<string, unknown> = child.member ? { ".": {} } : {};
    Object.assign(inner, toFieldsV1(child));
    out[el] = inner;
  }
  return out;
}

/** Decodes FieldsV1; unknown element kinds are skipped, as the real decoder does. */
export function fromFieldsV1(fields: unknown): FieldSet {
  const out = emptySet();
  if (!isPlainObject(fields)) return out;
  for (const el in fields) {
    if (el === "." || !/^[fkvi]:/.test(el)) continue;
    const value = fields[el];
    if (!isPlainObject(value) || isEmptyObject(value)) {
      out.children.set(el, leaf());
      continue;
    }
    const child = fromFieldsV1(value);
    child.member = "." in value;
    if (!isEmpty(child)) out.children.set(el, child);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The set of fields an object sets (typed.ToFieldSet): what an applier owns after applying it.

/** List semantics the caller cannot know: ObjectMeta's own lists. */
export function withMetadataLists(listTypeOf: ListTypeOf): ListTypeOf {
  return (path) => {
    if (path.length === 2 && path[0] === "metadata") {
      if (path[1] === "finalizers") return { type: "set" };
      if (path[1] === "ownerReferences") return { type: "map", keys: ["uid"] };
      if (path[1] === "managedFields") return { type: "atomic" };
    }
    return listTypeOf(path);
  };
}

export function fieldSetOf(obj: unknown, listTypeOf: ListTypeOf): FieldSet {
  const lists = withMetadataLists(listTypeOf);
  const path: string[] = [];
  const ofValue = (v: unknown): FieldSet => {
    if (isPlainObject(v)) return ofObject(v);
    if (Array.isArray(v)) return ofList(v);
    return leaf();
  };
  const ofObject = (o: Record<string, unknown>): FieldSet => {
    const out = emptySet();
    for (const key in o) {
      const v = o[key];
      if (v === undefined) continue;
      if (path.length === 1 && path[0] === "metadata" && key === "managedFields") continue;
      path.push(key);
      const child = ofValue(v);
      path.pop();
      // An explicit null or {} is owned as a value of its own.
      if (v === null || (isPlainObject(v) && isEmptyObject(v))) child.member = true;
      if (!isEmpty(child)) out.children.set(fieldElement(key), child);
    }
    return out;
  };
  const ofList = (items: unknown[]): FieldSet => {
    const listType = lists(path.slice());
    if (listType.type === "atomic") return leaf();
    const out = emptySet();
    items.forEach((item, i) => {
      const el = itemElement(item, listType, i)!;
      if (out.children.has(el)) {
        out.children.set(el, leaf()); // duplicates are owned as a whole, not field by field
        return;
      }
      const child = ofValue(item);
      child.member = true;
      out.children.set(el, child);
    });
    return out;
  };
  return isPlainObject(obj) ? ofObject(obj) : emptySet();
}
