// Merging an applied configuration into the live object, and pruning what an applier stopped applying.
// Results share unchanged subtrees with their inputs; inputs are never mutated.

import { itemElement, withMetadataLists, type FieldSet, type ListType, type ListTypeOf } from "./fieldset.ts";
import { isEmptyObject, isPlainObject } from "./values.ts";

type GranularList = Exclude<ListType, { type: "atomic" }>;

/** typed.Merge: objects merge key by key, granular lists item by item, everything else is replaced. */
export function mergeApplied(live: unknown, applied: unknown, listTypeOf: ListTypeOf): unknown {
  const lists = withMetadataLists(listTypeOf);
  const path: string[] = [];

  const merge = (l: unknown, r: unknown): unknown => {
    if (r === undefined) return l;
    if (l === undefined) return r;
    if (isPlainObject(l) && isPlainObject(r)) {
      if (isEmptyObject(l) && isEmptyObject(r)) return r;
      const out: Record<string, unknown> = {};
      for (const key in l) {
        path.push(key);
        out[key] = merge(l[key], r[key]);
        path.pop();
      }
      for (const key in r) if (!(key in out) && r[key] !== undefined) out[key] = r[key];
      return out;
    }
    if (Array.isArray(l) && Array.isArray(r)) {
      const listType = lists(path.slice());
      if (listType.type === "atomic" || (l.length === 0 && r.length === 0)) return r;
      return mergeList(l, r, listType);
    }
    return r;
  };

  // Keeps the live order for items the configuration does not mention, and the configuration's
  // order for the items it does (the interleaving typed.Merge produces).
  const mergeList = (l: unknown[], r: unknown[], listType: GranularList): unknown[] => {
    const lEls = l.map((item, i) => itemElement(item, listType, i)!);
    const rEls = r.map((item, i) => itemElement(item, listType, i)!);
    const lByEl = new Map<string, unknown>();
    lEls.forEach((el, i) => lByEl.has(el) || lByEl.set(el, l[i]));
    const rByEl = new Map<string, unknown>();
    rEls.forEach((el, i) => rByEl.has(el) || rByEl.set(el, r[i]));
    const shared = rEls.filter((el) => lByEl.has(el));
    let nextShared = 0;
    const merged = new Set<string>();
    const out: unknown[] = [];
    const emit = (el: string) => {
      merged.add(el);
      out.push(merge(lByEl.get(el), rByEl.get(el)));
      if (shared[nextShared] === el) nextShared++;
    };
    let li = 0;
    let ri = 0;
    while (li < lEls.length || ri < rEls.length) {
      if (li < lEls.length && ri < rEls.length) {
        if (lEls[li] === rEls[ri]) {
          if (!merged.has(rEls[ri]!)) emit(rEls[ri]!);
          li++;
          ri++;
          continue;
        }
        if (rByEl.has(lEls[li]!) && nextShared < shared.length && shared[nextShared] !== lEls[li]) {
          li++;
          continue;
        }
      }
      if (li < lEls.length) {
        const el = lEls[li]!;
        if (!rByEl.has(el)) {
          out.push(l[li]);
          li++;
          continue;
        }
        if (merged.has(el)) li++;
      }
      if (ri < rEls.length) {
        const el = rEls[ri]!;
        if (!merged.has(el)) emit(el);
        ri++;
      }
    }
    return out;
  };

  return merge(live, applied);
}

/**
 * Removes what the applier owned last time (`last`) and nobody owns now (`owned`, every manager's set
 * including the applier's new one). A named field survives while anyone owns it or anything under it;
 * a list item survives only while someone owns the item itself.
 */
export function pruneUnowned(
  obj: Record<string, unknown>,
  last: FieldSet,
  owned: FieldSet,
  listTypeOf: ListTypeOf,
  keepTopLevel: ReadonlySet<string>,
): Record<string, unknown> {
  const lists = withMetadataLists(listTypeOf);
  const path: string[] = [];

  const pruneObject = (o: Record<string, unknown>, lastNode: FieldSet, ownedNode: FieldSet | undefined) => {
    let out: Record<string, unknown> | undefined;
    for (const [el, lastChild] of lastNode.children) {
      if (!el.startsWith("f:")) continue;
      const key = el.slice(2);
      if (o[key] === undefined) continue;
      if (path.length === 0 && keepTopLevel.has(key)) continue;
      const ownedChild = ownedNode?.children.get(el);
      if (!ownedChild) {
        out ??= { ...o };
        delete out[key];
        continue;
      }
      if (lastChild.children.size === 0) continue;
      path.push(key);
      const pruned = pruneValue(o[key], lastChild, ownedChild);
      path.pop();
      if (pruned !== o[key]) (out ??= { ...o })[key] = pruned;
    }
    return out ?? o;
  };

  const pruneList = (items: unknown[], lastNode: FieldSet, ownedNode: FieldSet | undefined) => {
    const listType = lists(path.slice());
    if (listType.type === "atomic") return items;
    let changed = false;
    const out: unknown[] = [];
    items.forEach((item, i) => {
      const el = itemElement(item, listType, i)!;
      const lastChild = lastNode.children.get(el);
      if (!lastChild) return out.push(item);
      const ownedChild = ownedNode?.children.get(el);
      if (lastChild.member && !ownedChild?.member) {
        changed = true;
        return;
      }
      const pruned = lastChild.children.size > 0 ? pruneValue(item, lastChild, ownedChild) : item;
      if (pruned !== item) changed = true;
      out.push(pruned);
    });
    return changed ? out : items;
  };

  // A container emptied by pruning becomes null, as the real server leaves it.
  const pruneValue = (v: unknown, lastNode: FieldSet, ownedNode: FieldSet | undefined): unknown => {
    if (isPlainObject(v)) {
      const out = pruneObject(v, lastNode, ownedNode);
      return out !== v && isEmptyObject(out) ? null : out;
    }
    if (Array.isArray(v)) {
      const out = pruneList(v, lastNode, ownedNode);
      return out !== v && out.length === 0 ? null : out;
    }
    return v;
  };

  return pruneObject(obj, last, owned);
}
