// Status helpers every kind shares: the next value of a condition, and how a status is compared.
import type { Condition } from "./types.ts";

export type ConditionSpec = { status: Condition["status"]; reason: string; message: string };

/** The condition as it should be now: lastTransitionTime is kept while its status does not change. */
export function nextCondition(type: string, c: ConditionSpec, previous: Condition[] | undefined, generation: number | undefined, now: string): Condition {
  const prev = previous?.find((p) => p.type === type);
  return {
    type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    ...(generation !== undefined && { observedGeneration: generation }),
    lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
  };
}

/** A status with its conditions in type order, so that equality does not depend on their order. */
export function withSortedConditions<S extends { conditions?: Condition[] }>(s: S | undefined): Record<string, unknown> {
  if (!s) return {};
  return s.conditions ? { ...s, conditions: [...s.conditions].sort((x, y) => (x.type < y.type ? -1 : x.type > y.type ? 1 : 0)) } : { ...s };
}
