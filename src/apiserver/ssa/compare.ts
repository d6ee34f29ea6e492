// What changed between two versions of an object, as field sets (typed.Compare):
// `added` holds every path that appears (objects and list items included), `removed` every path that
// disappears, `modified` the leaves (scalars, atomic lists, empty objects) whose value changed.

import { emptySet, fieldElement, itemElement, leaf, withMetadataLists, type FieldSet, type ListTypeOf } from "./fieldset.ts";
import { deepEqual, isEmptyObject, isPlainObject } from "./values.ts";

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

interface Diff {
  added?: FieldSet;
  modified?: FieldSet;
  removed?: FieldSet;
}

export function isSame(c: Comparison): boolean {
  return c.added.children.size === 0 && c.modified.children.size === 0 && c.removed.children.size === 0;
}

/** `old` undefined means the object is being created. metadata.managedFields is never compared. */
export function compareObjects(old: unknown, updated: unknown, listTypeOf: ListTypeOf): Comparison {
  const lists = withMetadataLists(listTypeOf);
  const path: string[] = [];

  const diffValue = (l: unknown, r: unknown): Diff | undefined => {
    if (l === r) return undefined;
    const lMap = l === undefined || isPlainObject(l);
    const rMap = r === undefined || isPlainObject(r);
    if (lMap && rMap) {
      const lo = l as Record<string, unknown> | undefined;
      const ro = r as Record<string, unknown> | undefined;
      if ((!lo || isEmptyObject(lo)) && (!ro || isEmptyObject(ro))) return diffLeaf(l, r);
      return markPresence(diffObject(lo, ro), l, r);
    }
    const lList = l === undefined || Array.isArray(l);
    const rList = r === undefined || Array.isArray(r);
    if (lList && rList) {
      const la = l as unknown[] | undefined;
      const ra = r as unknown[] | undefined;
      const listType = lists(path.slice());
      if (listType.type === "atomic" || (!la?.length && !ra?.length)) return diffLeaf(l, r);
      return markPresence(diffList(la ?? [], ra ?? [], listType), l, r);
    }
    return diffLeaf(l, r);
  };

  const diffObject = (l: Record<string, unknown> | undefined, r: Record<string, unknown> | undefined): Diff => {
    const out: Diff = {};
    const skipManagedFields = path.length === 1 && path[0] === "metadata";
    if (l) {
      for (const key in l) {
        if (skipManagedFields && key === "managedFields") continue;
        const lv = l[key];
        const rv = r ? r[key] : undefined;
        if (lv === undefined && rv === undefined) continue;
        path.push(key);
        attach(out, fieldElement(key), diffValue(lv, rv));
        path.pop();
      }
    }
    if (r) {
      for (const key in r) {
        if ((l && l[key] !== undefined) || r[key] === undefined) continue;
        if (skipManagedFields && key === "managedFields") continue;
        path.push(key);
        attach(out, fieldElement(key), diffValue(undefined, r[key]));
        path.pop();
      }
    }
    return out;
  };

  const diffList = (l: unknown[], r: unknown[], listType: Exclude<ReturnType<ListTypeOf>, { type: "atomic" }>): Diff => {
    const out: Diff = {};
    const lItems = indexItems(l, listType);
    const rItems = indexItems(r, listType);
    for (const [el, lv] of lItems) {
      const rv = rItems.get(el);
      if (lv.length > 1 || (rv && rv.length > 1)) {
        // Duplicated keys cannot be compared field by field; the item changes as a whole.
        if (!rv) attach(out, el, { removed: leaf() });
        else if (!deepEqual(lv, rv)) attach(out, el, { modified: leaf() });
        continue;
      }
      attach(out, el, diffValue(lv[0], rv ? rv[0] : undefined));
    }
    for (const [el, rv] of rItems) {
      if (lItems.has(el)) continue;
      attach(out, el, rv.length > 1 ? { added: leaf() } : diffValue(undefined, rv[0]));
    }
    return out;
  };

  const root = diffValue(old ?? {}, updated) ?? {};
  // The root path is never a member.
  const strip = (s: FieldSet | undefined): FieldSet => (s ? { member: false, children: s.children } : emptySet());
  return { added: strip(root.added), modified: strip(root.modified), removed: strip(root.removed) };
}

function indexItems(items: unknown[], listType: Exclude<ReturnType<ListTypeOf>, { type: "atomic" }>) {
  const out = new Map<string, unknown[]>();
  items.forEach((item, i) => {
    const el = itemElement(item, listType, i)!;
    const seen = out.get(el);
    if (seen) seen.push(item);
    else out.set(el, [item]);
  });
  return out;
}

function diffLeaf(l: unknown, r: unknown): Diff | undefined {
  if (l === undefined) return { added: leaf() };
  if (r === undefined) return { removed: leaf() };
  return deepEqual(l, r) ? undefined : { modified: leaf() };
}

/** A container that appears or disappears is itself added or removed, besides its contents. */
function markPresence(d: Diff, l: unknown, r: unknown): Diff | undefined {
  if (l === undefined) d.added = { member: true, children: d.added?.children ?? new Map() };
  if (r === undefined) d.removed = { member: true, children: d.removed?.children ?? new Map() };
  return d.added || d.modified || d.removed ? d : undefined;
}

function attach(parent: Diff, el: string, child: Diff | undefined): void {
  if (!child) return;
  if (child.added) (parent.added ??= emptySet()).children.set(el, child.added);
  if (child.modified) (parent.modified ??= emptySet()).children.set(el, child.modified);
  if (child.removed) (parent.removed ??= emptySet()).children.set(el, child.removed);
}
