// The VolumeSnapshot CRD fixture on the embedded API server: the kind exists only once installed, and it
// validates as the snapshotter's CRDs do; the archive flow's takeVolumeSnapshot against it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApiServer, type ApiServer } from "../apiserver/server.ts";
import type { Kode } from "../api/types.ts";
import { createClient, type Client } from "../kube/client.ts";
import { loadClientConfig } from "../kube/kubeconfig.ts";
import type { KubeObject } from "../kube/types.ts";
import { takeVolumeSnapshot, VOLUME_SNAPSHOT_CLASSES, VOLUME_SNAPSHOTS, volumeSnapshotState } from "./volume-snapshot.ts";
import { installVolumeSnapshotCrds } from "../../e2e/support/volume-snapshots.ts";

let api: ApiServer;
let client: Client;
beforeAll(async () => {
  api = await startApiServer({ kubeconfigPath: join(mkdtempSync(join(tmpdir(), "kode-vs-")), "kubeconfig") });
  client = createClient(await loadClientConfig({ kubeconfig: api.kubeconfigPath }), { qps: 0 });
});
afterAll(async () => {
  await api?.stop();
});

const snap = (name: string, source: Record<string, string>, extra: Record<string, unknown> = {}) =>
  ({ apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name, namespace: "default" }, spec: { source, ...extra } }) as KubeObject;
const code = (p: Promise<unknown>) => p.then(() => 0, (e) => (e as { code: number }).code);

describe("VolumeSnapshot CRDs", () => {
  test("not served before they are installed (as on a cluster without the snapshot controller)", async () => {
    expect((await client.request("GET", "/apis/snapshot.storage.k8s.io/v1")).status).toBe(404);
    expect(await code(client.list(VOLUME_SNAPSHOTS, { namespace: "default" }))).toBe(404);
  });

  test("installed: served, and validated like the real ones", async () => {
    await installVolumeSnapshotCrds(client);
    expect(await code(client.create(VOLUME_SNAPSHOTS, snap("ok", { persistentVolumeClaimName: "data" }, { volumeSnapshotClassName: "csi" })))).toBe(0);
    expect(await code(client.create(VOLUME_SNAPSHOTS, snap("both", { persistentVolumeClaimName: "data", volumeSnapshotContentName: "c" })))).toBe(422);
    expect(await code(client.create(VOLUME_SNAPSHOTS, snap("none", {})))).toBe(422);
    expect(await code(client.mergePatch(VOLUME_SNAPSHOTS, "ok", { spec: { source: { persistentVolumeClaimName: "other" } } }, { namespace: "default" }))).toBe(422);
    const cls = { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshotClass", metadata: { name: "csi" }, driver: "hostpath.csi.k8s.io", deletionPolicy: "Delete" } as KubeObject;
    expect(await code(client.create(VOLUME_SNAPSHOT_CLASSES, cls))).toBe(0);
    expect(await code(client.create(VOLUME_SNAPSHOT_CLASSES, { ...cls, metadata: { name: "bad" }, deletionPolicy: "Keep" } as KubeObject))).toBe(422);
  });

  test("takeVolumeSnapshot (before an archive): owned by the Kode, its class, pending until the controller says ready", async () => {
    const kode = { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name: "k", namespace: "default", uid: "u-1" }, spec: { templateRef: { name: "t" } } } as Kode;
    const s = await takeVolumeSnapshot(client, { kode, type: "code-server", pvcName: "k-home", className: "csi", now: "2026-12-02T00:00:00Z" });
    expect(s.metadata.name).toMatch(/^k-archive-[0-9a-f]{10}$/);
    expect(s.metadata.annotations).toEqual({ "kode.jacero.io/snapshot-reason": "before-archive" });
    expect(s.spec).toEqual({ volumeSnapshotClassName: "csi", source: { persistentVolumeClaimName: "k-home" } });
    expect(s.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Kode", uid: "u-1", controller: true });
    expect(volumeSnapshotState(s)).toEqual({ state: "pending" });
    expect(volumeSnapshotState({ ...s, status: { readyToUse: true } })).toEqual({ state: "ready" });
    expect(volumeSnapshotState({ ...s, status: { error: { message: "driver refused" } } })).toEqual({ state: "failed", message: "driver refused" });
  });
});
