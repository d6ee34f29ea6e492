// Apply conflicts and their wording (k8s.io/apimachinery managedfields conflict.go).

import { managerIdentifier, type Operation } from "./managed-fields.ts";
import { compareStrings, goQuote } from "./values.ts";

export interface ApplyConflict {
  /** The other manager's name. */
  manager: string;
  /** The conflicting field as Kubernetes prints it, e.g. `.spec.containers[name="ide"].image`. */
  field: string;
  /** How the other manager owns the field; Update managers are printed with their apiVersion. */
  operation: Operation;
  apiVersion: string;
  subresource?: string;
}

export interface FieldManagerConflictCause {
  type: "FieldManagerConflict";
  message: string;
  field: string;
}

/** `"mgr"`, `"mgr" with subresource "status"`, `"mgr" using v1` (Update managers). */
export function describeManager(c: Omit<ApplyConflict, "field">): string {
  let out = goQuote(c.manager);
  if (c.subresource) out += ` with subresource ${goQuote(c.subresource)}`;
  if (c.operation === "Update") out += ` using ${c.apiVersion}`;
  return out;
}

export function conflictMessage(conflicts: readonly ApplyConflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${describeManager(c)}: ${c.field}`;
  }
  const byManager = new Map<string, { who: string; fields: string[] }>();
  for (const c of conflicts) {
    const id = managerIdentifier(c);
    const group = byManager.get(id) ?? { who: describeManager(c), fields: [] };
    group.fields.push(c.field);
    byManager.set(id, group);
  }
  const lines: string[] = [];
  for (const id of [...byManager.keys()].sort(compareStrings)) {
    const group = byManager.get(id)!;
    lines.push(`conflicts with ${group.who}:`);
    for (const f of group.fields) lines.push(`- ${f}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
}

/** The `details.causes` of the 409 Conflict Status. */
export function conflictCauses(conflicts: readonly ApplyConflict[]): FieldManagerConflictCause[] {
  return conflicts.map((c) => ({
    type: "FieldManagerConflict",
    message: `conflict with ${describeManager(c)}`,
    field: c.field,
  }));
}
