// A Falco alert on a Kode: the SecurityAlert condition (status True, reason the response taken, the rule, priority,
// alert time and pod in the message) stays until acknowledged. Acknowledging: the annotation
// kode.jacero.io/security-ack set to an RFC 3339 time at or after the condition's lastTransitionTime (e.g.
// `kubectl annotate kode x kode.jacero.io/security-ack=$(date -u +%FT%TZ) --overwrite`); the condition turns False
// (reason Acknowledged) and an isolation ends with it. A later alert makes it True again. The reconciler carries the
// condition from the previous status (carrySecurityAlert), so its status replacement never loses it.
import type { Condition } from "../api/types.ts";
import type { FalcoAlert } from "./webhook.ts";

export const SECURITY_ALERT = "SecurityAlert";
export const ANNOTATION_SECURITY_ACK = "kode.jacero.io/security-ack";
export type FalcoResponse = "record" | "isolate" | "pause";
/** The condition's reason: which response was taken. */
export const RESPONSE_REASONS: Record<FalcoResponse, string> = { record: "Recorded", isolate: "Isolated", pause: "Paused" };

const iso = (ms: number) => new Date(ms).toISOString();

/** Whether the ack annotation covers a condition that turned True at `since`. */
export function acknowledged(annotations: Record<string, string> | undefined, since: string | undefined): boolean {
  const ack = annotations?.[ANNOTATION_SECURITY_ACK];
  if (!ack || !since) return false;
  const at = Date.parse(ack);
  return !Number.isNaN(at) && at >= Date.parse(since);
}

/** The SecurityAlert condition to keep in the next status (undefined: the Kode never had an alert). */
export function carrySecurityAlert(previous: Condition[] | undefined, annotations: Record<string, string> | undefined, now: string): Condition | undefined {
  const c = previous?.find((p) => p.type === SECURITY_ALERT);
  if (!c) return undefined;
  if (c.status !== "True" || !acknowledged(annotations, c.lastTransitionTime)) return { ...c };
  return {
    ...c,
    status: "False",
    reason: "Acknowledged",
    message: `acknowledged (${ANNOTATION_SECURITY_ACK}=${annotations![ANNOTATION_SECURITY_ACK]}); the last alert: ${c.message}`,
    lastTransitionTime: now,
  };
}

/** Whether the Kode is isolated: an unacknowledged SecurityAlert whose response was isolate. */
export function isIsolated(kode: { metadata: { annotations?: Record<string, string> }; status?: { conditions?: Condition[] } }): boolean {
  const c = kode.status?.conditions?.find((p) => p.type === SECURITY_ALERT);
  return !!c && c.status === "True" && c.reason === RESPONSE_REASONS.isolate && !acknowledged(kode.metadata.annotations, c.lastTransitionTime);
}

/**
 * The condition after an alert. An active (unacknowledged) alert keeps its lastTransitionTime and its isolation:
 * a later alert under a milder response never lifts it.
 */
export function alertCondition(previous: Condition[] | undefined, annotations: Record<string, string> | undefined, alert: FalcoAlert, response: FalcoResponse, generation: number | undefined, now: string): Condition {
  const prev = previous?.find((p) => p.type === SECURITY_ALERT);
  const active = prev?.status === "True" && !acknowledged(annotations, prev.lastTransitionTime);
  const reason = active && prev.reason === RESPONSE_REASONS.isolate ? prev.reason : RESPONSE_REASONS[response];
  const node = alert.hostname ? ` on node ${alert.hostname}` : "";
  const what =
    reason === RESPONSE_REASONS.isolate
      ? "; egress is denied (NetworkPolicy <kode>-isolate) until acknowledged"
      : reason === RESPONSE_REASONS.pause
        ? "; the Kode is paused (pause-reason security)"
        : "";
  return {
    type: SECURITY_ALERT,
    status: "True",
    reason,
    message: `Falco rule "${alert.rule}" (priority ${alert.priority}) at ${iso(alert.time)} in pod ${alert.pod}${node}${what}; acknowledge with the annotation ${ANNOTATION_SECURITY_ACK}=<time>`,
    ...(generation !== undefined && { observedGeneration: generation }),
    lastTransitionTime: active && prev.lastTransitionTime ? prev.lastTransitionTime : now,
  };
}

/**
 * The alert the webhook took for this Kode ("<namespace>/<name>") and the status does not show yet; forgotten once it
 * does. The webhook never writes status itself: the reconciler, one pass per Kode at a time, writes it with the rest
 * of the status, so neither write can undo the other.
 */
export function pendingSecurityAlert(pending: Map<string, Condition> | undefined, key: string, kode: { status?: { conditions?: Condition[] } }): Condition | undefined {
  const alert = pending?.get(key);
  if (!alert) return undefined;
  const live = kode.status?.conditions?.find((c) => c.type === SECURITY_ALERT);
  if (live && live.status === alert.status && live.reason === alert.reason && live.message === alert.message && live.lastTransitionTime === alert.lastTransitionTime) {
    pending!.delete(key);
    return undefined;
  }
  return alert;
}

/** The Kode with this SecurityAlert condition in its status (for the render's isolation). */
export function withSecurityAlert<K extends { status?: { conditions?: Condition[] } }>(kode: K, alert: Condition): K {
  return { ...kode, status: { ...kode.status, conditions: [...(kode.status?.conditions ?? []).filter((c) => c.type !== SECURITY_ALERT), alert] } };
}

/** The Warning Event's message: what fired, where, and what was done (never Falco's output line). */
export const alertEventMessage = (alert: FalcoAlert, response: FalcoResponse) =>
  `Falco rule "${alert.rule}" (priority ${alert.priority}) fired at ${iso(alert.time)} in pod ${alert.pod}${alert.hostname ? ` on node ${alert.hostname}` : ""}; response: ${response}`;
