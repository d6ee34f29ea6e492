// Pausing a Kode from code (the idle and max-run-time pauses, Falco, the archive flow): spec.paused=true and who
// and why in one merge patch, at the resourceVersion read, so it never races a deletion or another change. The
// Kode reconciler does the rest (StatefulSet to 0, phase Paused); nothing is deleted.
import { KODES } from "../api/resources.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import { ANNOTATION_PAUSE_REASON, ANNOTATION_PAUSED_BY } from "./policy.ts";

export interface PauseRequest {
  /** Who pauses: user, operator, falco, … (annotation kode.jacero.io/paused-by). */
  by: string;
  /** Why: idle, max-run-time, security, archive, … (annotation kode.jacero.io/pause-reason). */
  reason: string;
  fieldManager?: string;
}

export type PauseOutcome =
  | { paused: true; alreadyPaused: boolean; kode: KubeObject }
  | { paused: false; reason: "NotFound" | "BeingDeleted"; message: string };

const code = (e: unknown) => (e as { code?: number }).code;

/**
 * Pause the Kode ns/name. A Kode that is being deleted is not paused (the deletion removes its workload anyway,
 * and a kept volume stays): the outcome says so and the caller reports it. An already paused Kode keeps who
 * paused it first.
 */
export async function pauseKode(client: KubeClient, namespace: string, name: string, req: PauseRequest): Promise<PauseOutcome> {
  for (let attempt = 0; ; attempt++) {
    const kode = await client.get<KubeObject & { spec?: { paused?: boolean } }>(KODES, name, namespace);
    if (!kode) return { paused: false, reason: "NotFound", message: `Kode ${namespace}/${name} does not exist` };
    if (kode.metadata.deletionTimestamp)
      return { paused: false, reason: "BeingDeleted", message: `Kode ${namespace}/${name} is being deleted; it is not paused (its workload is removed by the deletion, kept volumes stay)` };
    if (kode.spec?.paused === true) return { paused: true, alreadyPaused: true, kode };
    try {
      const patched = await client.mergePatch<KubeObject>(
        KODES,
        name,
        {
          metadata: { resourceVersion: kode.metadata.resourceVersion, annotations: { [ANNOTATION_PAUSED_BY]: req.by, [ANNOTATION_PAUSE_REASON]: req.reason } },
          spec: { paused: true },
        },
        { namespace, fieldManager: req.fieldManager ?? "kode-operator" },
      );
      return { paused: true, alreadyPaused: false, kode: patched };
    } catch (e) {
      // Changed between the read and the patch: read again (a few times; the change may be the deletion).
      if (code(e) === 409 && attempt < 3) continue;
      if (code(e) === 404) return { paused: false, reason: "NotFound", message: `Kode ${namespace}/${name} does not exist` };
      throw e;
    }
  }
}
