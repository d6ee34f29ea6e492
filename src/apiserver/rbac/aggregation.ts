// ClusterRole aggregation, as the clusterrole-aggregation controller does it: a ClusterRole with an
// aggregationRule gets, as its rules, the rules of every other ClusterRole its selectors match
// (in name order, duplicates dropped), rewritten whenever one of them changes.
import { matchesLabels, selectorFromLabelSelectorObject, type LabelRequirement } from "../selectors.ts";
import type { Store, StoreEvent } from "../store.ts";
import type { KObject } from "../types.ts";
import { RBAC_RESOURCES } from "./authorizer.ts";
import type { PolicyRule } from "./rules.ts";

export class ClusterRoleAggregator {
  private scheduled = false;
  private unsubscribe: () => void;

  constructor(private store: Store) {
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
    this.schedule();
  }

  stop() {
    this.unsubscribe();
  }

  private onEvent(e: StoreEvent) {
    if (e.resource === RBAC_RESOURCES.clusterRoles) this.schedule();
  }

  /** Writes happen after the triggering event has reached every subscriber, so watches see events in order. */
  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.reconcileAll();
    });
  }

  reconcileAll() {
    const roles = this.store.list(RBAC_RESOURCES.clusterRoles);
    for (const role of roles) {
      const rule = role.aggregationRule as { clusterRoleSelectors?: object[] } | undefined;
      if (!rule?.clusterRoleSelectors) continue;
      const rules = aggregatedRules(role, rule.clusterRoleSelectors, roles);
      if (rules === undefined || JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) continue;
      this.store.put(RBAC_RESOURCES.clusterRoles, { ...role, rules }, role);
    }
  }
}

function aggregatedRules(role: KObject, selectorObjects: object[], roles: KObject[]): PolicyRule[] | undefined {
  let selectors: LabelRequirement[][];
  try {
    selectors = selectorObjects.map((s) => selectorFromLabelSelectorObject(s));
  } catch {
    return undefined;
  }
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  const sorted = [...roles].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  for (const other of sorted) {
    if (other.metadata.name === role.metadata.name) continue;
    if (!selectors.some((s) => matchesLabels(s, other.metadata.labels))) continue;
    for (const r of (other.rules as PolicyRule[] | undefined) ?? []) {
      const key = JSON.stringify(r);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(r);
    }
  }
  return out;
}
