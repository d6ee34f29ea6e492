// The pause response: the Kode is paused by the lifecycle's own mechanism (spec.paused; the StatefulSet scales to
// zero, the home volume stays), marked as paused by Falco for a security reason. Never deletes anything.
import { KODES } from "../api/resources.ts";
import type { KubeClient } from "../kube/types.ts";

export const ANNOTATION_PAUSED_BY = "kode.jacero.io/paused-by";
export const ANNOTATION_PAUSE_REASON = "kode.jacero.io/pause-reason";

/** Pause a Kode because of a Falco alert: spec.paused=true with paused-by falco and pause-reason security. */
export async function pauseForSecurity(client: KubeClient, kode: { namespace: string; name: string }, fieldManager: string): Promise<void> {
  await client.mergePatch(
    KODES,
    kode.name,
    { metadata: { annotations: { [ANNOTATION_PAUSED_BY]: "falco", [ANNOTATION_PAUSE_REASON]: "security" } }, spec: { paused: true } },
    { namespace: kode.namespace, fieldManager },
  );
}
