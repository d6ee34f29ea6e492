// Test support: the VolumeSnapshot CRDs (e2e/fixtures/volume-snapshot-crds.yaml) installed into an API server, as the
// snapshot controller's installation does on a real cluster, and waited for until the kind is served.
import { YAML } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeClient, KubeObject, ResourceRef } from "../../src/kube/types.ts";

export const VOLUME_SNAPSHOT_CRDS_FILE = join(import.meta.dir, "..", "fixtures", "volume-snapshot-crds.yaml");
const CRDS: ResourceRef = { group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false };

export const volumeSnapshotCrds = (): KubeObject[] => (YAML.parse(readFileSync(VOLUME_SNAPSHOT_CRDS_FILE, "utf8")) as KubeObject[]).filter(Boolean);

export async function installVolumeSnapshotCrds(client: KubeClient): Promise<void> {
  for (const crd of volumeSnapshotCrds()) await client.create(CRDS, crd);
  for (let i = 0; i < 200; i++) {
    const res = await client.request("GET", "/apis/snapshot.storage.k8s.io/v1");
    if (res.ok && ((await res.json()) as { resources: unknown[] }).resources.length >= 2) return;
    await Bun.sleep(25);
  }
  throw new Error("snapshot.storage.k8s.io/v1 is not served");
}
