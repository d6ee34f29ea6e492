// The pause response: the lifecycle's own pause (src/lifecycle/pause.ts: spec.paused=true, the StatefulSet scales to
// zero, every other child and the home volume stay), marked as paused by Falco for a security reason. A Kode
// already paused keeps who paused it first; one being deleted is not paused. Never deletes anything.
import { pauseKode, type PauseOutcome } from "../lifecycle/pause.ts";
import type { KubeClient } from "../kube/types.ts";

export const PAUSED_BY = "falco";
export const PAUSE_REASON = "security";

/** Pause a Kode because of a Falco alert: paused-by falco, pause-reason security. */
export function pauseForSecurity(client: KubeClient, kode: { namespace: string; name: string }, fieldManager: string): Promise<PauseOutcome> {
  return pauseKode(client, kode.namespace, kode.name, { by: PAUSED_BY, reason: PAUSE_REASON, fieldManager });
}
