// While a Kode is paused its pod does not run, so a spec.restore runs as a Job `<kode>-restore-<request>`: the
// same container as the init container (same script, env, mounts, uid), the home PVC free to mount because the
// StatefulSet is at 0. One try (backoffLimit 0): a failure is reported and the restore is tried again by the
// init container when the Kode resumes, or at once when spec.restore changes. The Job is a child of the Kode
// while its result is not yet in status.restore, then pruned.
import type { Kode } from "../api/types.ts";
import { renderRestoreInitContainer, RESTORE_REQUEST_ANNOTATION, restoreRequestId, type RestoreContainerInput } from "./restore-render.ts";

export const JOBS = { group: "batch", version: "v1", plural: "jobs", kind: "Job", namespaced: true } as const;

export const restoreJobName = (kode: string, request: string) => `${kode.slice(0, 46)}-restore-${request.slice(0, 8)}`;

export interface RestoreJobInput extends RestoreContainerInput {
  /** The home PVC's claim name. */
  claimName: string;
  labels: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller: boolean; blockOwnerDeletion: boolean }[];
}

export function renderRestoreJob(input: RestoreJobInput) {
  const { container, volumes } = renderRestoreInitContainer(input);
  const k: Kode["metadata"] = input.kode.metadata;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: restoreJobName(k.name, input.requestId ?? restoreRequestId(input.restore)),
      ...(k.namespace !== undefined && { namespace: k.namespace }),
      labels: { ...input.labels },
      ...(input.ownerReferences && { ownerReferences: input.ownerReferences }),
    },
    spec: {
      backoffLimit: 0,
      // The operator reads the result within seconds; the hour only bounds what a stopped operator leaves behind.
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: { ...input.labels }, annotations: { [RESTORE_REQUEST_ANNOTATION]: input.requestId ?? restoreRequestId(input.restore) } },
        spec: {
          restartPolicy: "Never",
          containers: [container],
          volumes: [{ name: input.homeVolumeName, persistentVolumeClaim: { claimName: input.claimName } }, ...volumes],
          securityContext: { fsGroup: input.gid, fsGroupChangePolicy: "OnRootMismatch", seccompProfile: { type: "RuntimeDefault" } },
          automountServiceAccountToken: false,
          enableServiceLinks: false,
        },
      },
    },
  };
}
