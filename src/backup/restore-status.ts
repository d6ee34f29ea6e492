// status.restore and the Restored condition, from what the pod's `kode-restore` init container left in its
// termination message (parseResult), or from the problem that kept the restore from being rendered. Pure: the
// previous status supplies what an unchanged request already recorded, so pod restarts (the script then skips:
// the marker holds the id) neither rewrite status nor repeat Events.
import type * as v from "valibot";
import type { RestoreStatusSchema } from "../api/backup.ts";
import type { ConditionSpec } from "../api/conditions.ts";
import type { Kode } from "../api/types.ts";
import { parseResult } from "./scripts.ts";
import { RESTORE_CONTAINER, RESTORE_REQUEST_ANNOTATION, restoreOf, restoreRequestId, type RestoreProblem, type RestoreRequest, type RestoreSource } from "./restore-render.ts";

export type RestoreStatus = v.InferOutput<typeof RestoreStatusSchema>;
export const RESTORED_CONDITION = "Restored";

type Terminated = { exitCode?: number; message?: string; finishedAt?: string };
type ContainerStatus = { name: string; state?: { terminated?: Terminated }; lastState?: { terminated?: Terminated } };
/** The parts of a pod (the IDE's, or a restore Job's) this reads. */
export interface RestorePod {
  metadata?: { annotations?: Record<string, string> };
  spec?: { initContainers?: { name: string; env?: { name: string; value?: string }[] }[]; containers?: { name: string; env?: { name: string; value?: string }[] }[] };
  status?: { initContainerStatuses?: ContainerStatus[]; containerStatuses?: ContainerStatus[] };
}

export interface RestoreOutcome {
  status?: RestoreStatus;
  condition?: ConditionSpec;
  event?: { type: "Normal" | "Warning"; reason: string; message: string };
}

export const oldRestoreOf = (kode: Kode): RestoreStatus | undefined => (kode.status as { restore?: RestoreStatus } | undefined)?.restore;

/**
 * Whether the current spec.restore has run (succeeded, or the script failed): status.restore is about it and says
 * when it was restored, or the Restored condition says the run failed (an error from a missing source is no run).
 */
export function restoreRan(kode: Kode, request?: RestoreRequest): boolean {
  const restore = request?.restore ?? restoreOf(kode);
  const old = oldRestoreOf(kode);
  if (!restore || old?.request !== (request?.id ?? restoreRequestId(restore))) return false;
  const reason = kode.status?.conditions?.find((c) => c.type === RESTORED_CONDITION)?.reason;
  return !!old.restoredAt || (!!old.error && reason === "RestoreFailed");
}

/** The termination of the restore container of this pod, when it ran for `requestId`. */
function terminationFor(pod: RestorePod | undefined, requestId: string): Terminated | undefined {
  const specs = [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])];
  const ran = pod?.metadata?.annotations?.[RESTORE_REQUEST_ANNOTATION] ?? specs.find((c) => c.name === RESTORE_CONTAINER)?.env?.find((e) => e.name === "KODE_RESTORE_ID")?.value;
  if (ran !== requestId) return undefined;
  const statuses = [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])];
  const s = statuses.find((c) => c.name === RESTORE_CONTAINER);
  return s?.state?.terminated ?? s?.lastState?.terminated;
}

const keptText = (kept: number, dir: unknown) => (kept > 0 ? `; ${kept} file${kept === 1 ? "" : "s"} it would have replaced kept aside under ~/${String(dir)}` : "");

/**
 * What status.restore says now. `source`/`problem` come from resolveRestoreSource; `pod` is the Kode's own pod,
 * `pods` those of the restore Job (while paused).
 */
export function restoreOutcome(kode: Kode, input: { source?: RestoreSource; problem?: RestoreProblem; pod?: RestorePod; pods?: RestorePod[]; request?: RestoreRequest }): RestoreOutcome {
  const restore = input.request?.restore ?? restoreOf(kode);
  const old = oldRestoreOf(kode);
  if (!restore) return { ...(old && { status: old }) };
  const request = input.request?.id ?? restoreRequestId(restore);
  const fromKode = restore.from?.kode && restore.from.kode !== kode.metadata.name ? restore.from.kode : undefined;
  const same = old?.request === request;
  if (input.problem) {
    const status: RestoreStatus = { request, ...(fromKode && { fromKode }), error: input.problem.message };
    const changed = !same || old?.error !== status.error;
    return { status, condition: { status: "False", reason: input.problem.reason, message: `${input.problem.message}; the IDE starts without the restore` }, ...(changed && { event: { type: "Warning", reason: input.problem.reason, message: input.problem.message } }) };
  }
  const t = (input.pods ?? [input.pod]).map((p) => terminationFor(p, request)).find((x) => x);
  if (!t) {
    if (restoreRan(kode, input.request)) return { status: old, condition: conditionOf(old!) };
    return { status: { request, ...(fromKode && { fromKode }) }, condition: { status: "Unknown", reason: "RestorePending", message: `waiting for the ${RESTORE_CONTAINER} init container to restore snapshot ${restore.snapshot}` } };
  }
  const result = parseResult(t.message);
  if (!result.ok) {
    const status: RestoreStatus = { request, ...(fromKode && { fromKode }), error: result.error };
    const changed = !same || old?.error !== result.error;
    return { status, condition: conditionOf(status), ...(changed && { event: { type: "Warning", reason: "RestoreFailed", message: `restore of snapshot ${restore.snapshot} failed, nothing in home was changed: ${result.error}` } }) };
  }
  // Restored by an earlier pod of this request (the marker says so): what status recorded stands.
  if (result.skipped) {
    if (same && old?.restoredAt) return { status: old, condition: conditionOf(old) };
    const status: RestoreStatus = { request, ...(fromKode && { fromKode }), ...(t.finishedAt && { restoredAt: t.finishedAt }) };
    return { status, condition: conditionOf(status) };
  }
  const status: RestoreStatus = {
    request,
    ...(typeof result.snapshot === "string" && { snapshot: result.snapshot }),
    ...(fromKode && { fromKode }),
    ...(t.finishedAt && { restoredAt: t.finishedAt }),
    kept: typeof result.keptAside === "number" ? result.keptAside : 0,
  };
  const changed = !same || old?.restoredAt !== status.restoredAt || old?.snapshot !== status.snapshot || !!old?.error;
  const message = `restored snapshot ${status.snapshot}${fromKode ? ` of Kode ${fromKode}` : ""} (${String(result.restored ?? "?")} files)${keptText(status.kept ?? 0, result.keptAsideDir)}`;
  return { status, condition: conditionOf(status), ...(changed && { event: { type: "Normal", reason: "RestoreSucceeded", message } }) };
}

function conditionOf(s: RestoreStatus): ConditionSpec {
  if (s.error) return { status: "False", reason: "RestoreFailed", message: `${s.error}; nothing in home was changed, the IDE runs anyway (change spec.restore or restart the pod to try again)` };
  return { status: "True", reason: "Restored", message: `restored snapshot ${s.snapshot ?? "(earlier)"}${s.fromKode ? ` of Kode ${s.fromKode}` : ""}${keptText(s.kept ?? 0, ".kode-restore-kept/")}${s.restoredAt ? ` at ${s.restoredAt}` : ""}` };
}
