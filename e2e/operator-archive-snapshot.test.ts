// The archive with VolumeSnapshots: the template asks for them and the kind is served (the fixture CRDs installed
// before the operator starts), so after the real restic backup and verification the operator takes an owned
// VolumeSnapshot of the home claim, and deletes the claim only once the test (standing in for the snapshot
// controller) sets its status.readyToUse. The order is read from the writes the API server stored.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KODES } from "../src/api/resources.ts";
import { HAVE_TOOLS, localPodRunner, startS3, type S3Server } from "../src/backup/testing.ts";
import { VOLUME_SNAPSHOTS } from "../src/backup/volume-snapshot.ts";
import { createClient } from "../src/kube/client.ts";
import { loadClientConfig } from "../src/kube/kubeconfig.ts";
import { createLogger } from "../src/kube/logger.ts";
import { SECRETS } from "../src/kube/resources.ts";
import { startOperator, type RunningOperator } from "../src/operator/operator.ts";
import { condition, createKode, createSecret, createTemplate, eventually, getKode, startE2E, waitEvent, waitGone, waitRunning, type E2E, type Obj } from "./operator-harness.ts";
import { installVolumeSnapshotCrds } from "./support/volume-snapshots.ts";

setDefaultTimeout(120_000);
const NS = "default";
const PVCS = { group: "", version: "v1", plural: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true };

describe.skipIf(!HAVE_TOOLS)("archive with a VolumeSnapshot first", () => {
  let env: E2E;
  let s3: S3Server;
  let op: RunningOperator;
  const claims: Record<string, string> = {};
  const warnings: string[] = [];
  let clockOffsetMs = 0;
  const homes = mkdtempSync(join(tmpdir(), "kode-homes-"));

  beforeAll(async () => {
    s3 = await startS3();
    env = await startE2E({ startOperator: false });
    await installVolumeSnapshotCrds(env.client);
    env.server.hooks.jobRunner = localPodRunner({ readSecret: async (ns, name) => (await env.client.get<Obj>(SECRETS, name, ns))?.data, claims });
    const client = createClient(await loadClientConfig({ kubeconfig: env.operatorKubeconfig }), { userAgent: "kode-operator/archive-snapshot-e2e", qps: 0 });
    op = startOperator({ client, logger: createLogger("json", "warn", { write: (l) => warnings.push(l) }), resyncMs: 2_000, now: () => Date.now() + clockOffsetMs, archiveRecheckMs: 300 });
    await op.ready;
    await createSecret(env.client, "s3-creds", NS, { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" });
    await createSecret(env.client, "s3-ca", NS, { "ca.crt": await Bun.file(s3.caFile).text() });
  }, 120_000);
  afterAll(async () => {
    await op?.stop();
    await env?.stop();
    await s3?.stop();
  });

  test("verified → VolumeSnapshot of the claim → readyToUse → only then the claim is deleted; counted in keep", async () => {
    await createTemplate(env.client, "snaparch", NS, {
      type: "code-server",
      image: "linuxserver/code-server:latest",
      storage: { resources: { requests: { storage: "1Gi" } } },
      backup: { s3: { endpoint: s3.endpoint, bucket: "backups", prefix: "kodes", credentialsSecretRef: { name: "s3-creds" }, caSecretRef: { name: "s3-ca" } }, retention: { keepLast: 5 } },
      volumeSnapshots: { className: "csi-snap", keep: 2 },
      lifecycle: { archiveAfter: "1m" },
    });
    const dir = join(homes, "ivy-home");
    mkdirSync(join(dir, "workspace"), { recursive: true });
    writeFileSync(join(dir, "workspace/main.py"), "print('hello')\n");
    claims["ivy-home"] = dir;
    const kode = await createKode(env.client, "ivy", NS, { templateRef: { name: "snaparch" } });
    await waitRunning(env.client, NS, "ivy");
    // Two on-demand snapshots first: with keep 2, the archive's one must push the oldest out.
    for (const v of ["one", "two"]) {
      await env.client.mergePatch(KODES, "ivy", { metadata: { annotations: { "kode.jacero.io/snapshot-now": v } } }, { namespace: NS });
      await eventually(`snapshot ${v}`, async () => ((await getKode(env.client, NS, "ivy"))?.status?.volumeSnapshots?.items?.length ?? 0) >= (v === "one" ? 1 : 2) || undefined);
      await Bun.sleep(1_100); // creationTimestamps a second apart: the order of age is unambiguous
    }
    const onDemand = ((await env.client.list<Obj>(VOLUME_SNAPSHOTS, { namespace: NS })).items as Obj[]).map((s) => s.metadata.name).sort();
    expect(onDemand).toHaveLength(2);

    const timeline: string[] = [];
    const unsubscribe = env.server.state.store.subscribe((e) => {
      const o = e.object as Obj;
      if (e.resource.endsWith("persistentvolumeclaims") && o.metadata.name === "ivy-home" && (e.type === "DELETED" || o.metadata.deletionTimestamp)) timeline.push("claim deleted");
      if (e.resource.endsWith("volumesnapshots") && e.type === "ADDED" && o.metadata.name.startsWith("ivy-archive-")) timeline.push("snapshot created");
      if (e.resource.endsWith("volumesnapshots") && o.metadata.name.startsWith("ivy-archive-") && o.status?.readyToUse === true) timeline.push("snapshot ready");
      if (e.resource.endsWith("kodes") && o.metadata.name === "ivy" && o.status?.archive) timeline.push(`archive ${o.status.archive.phase}`);
    });
    try {
      await env.client.mergePatch(KODES, "ivy", { spec: { paused: true } }, { namespace: NS });
      await eventually("Paused", async () => ((await getKode(env.client, NS, "ivy"))?.status?.phase === "Paused") || undefined);
      clockOffsetMs = 2 * 60_000;
      // Verified, the snapshot taken and recorded; the claim waits for readyToUse.
      const held = await eventually("the archive's VolumeSnapshot", async () => {
        const k = await getKode(env.client, NS, "ivy");
        return k?.status?.archive?.volumeSnapshot ? k : undefined;
      }, 90_000);
      const name: string = held.status.archive.volumeSnapshot;
      expect(name).toMatch(/^ivy-archive-[0-9a-f]{10}$/);
      const snap = (await env.client.get<Obj>(VOLUME_SNAPSHOTS, name, NS))!;
      expect(snap.spec).toEqual({ volumeSnapshotClassName: "csi-snap", source: { persistentVolumeClaimName: "ivy-home" } });
      expect(snap.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "Kode", name: "ivy", uid: kode.metadata.uid, controller: true })]);
      expect(snap.metadata.annotations?.["kode.jacero.io/snapshot-reason"]).toBe("before-archive");
      await Bun.sleep(1_500);
      const waiting = (await getKode(env.client, NS, "ivy"))!;
      expect(waiting.status.archive.phase).toBe("Verified");
      expect(condition(waiting, "Archived")).toMatchObject({ status: "False", reason: "Verified", message: `snapshot ${waiting.status.archive.snapshot} verified; VolumeSnapshot ${name} of ivy-home is to be readyToUse before the volume is deleted` });
      expect(await env.client.get(PVCS, "ivy-home", NS)).toBeDefined();
      expect(timeline).not.toContain("claim deleted");
      // keep 2: the oldest on-demand snapshot went, the archive's one counts.
      const left = await eventually("keep 2", async () => {
        const names = ((await env.client.list<Obj>(VOLUME_SNAPSHOTS, { namespace: NS })).items as Obj[]).filter((s) => !s.metadata.deletionTimestamp).map((s) => s.metadata.name);
        return names.length === 2 ? names.sort() : undefined;
      });
      expect(left).toHaveLength(2);
      expect(left).toContain(name);
      // The snapshot controller's part.
      await env.client.mergePatch(VOLUME_SNAPSHOTS, name, { status: { readyToUse: true, creationTime: "2026-12-02T00:05:00Z", restoreSize: "1Gi" } }, { namespace: NS, subresource: "status" });
      const k = await eventually("Archived", async () => {
        const k = await getKode(env.client, NS, "ivy");
        return k?.status?.phase === "Archived" ? k : undefined;
      }, 60_000);
      expect(k.status.archive).toMatchObject({ phase: "Archived", volume: "ivy-home", volumeSnapshot: name });
      expect(k.status.archive.volumeSnapshotNote).toBeUndefined();
      await waitGone(env.client, PVCS, NS, "ivy-home");
      await waitEvent(env.client, NS, "ivy", "Normal", "VolumeSnapshotTaken");
      const dedup = timeline.filter((t, i) => t !== timeline[i - 1]);
      const at = (what: string) => dedup.indexOf(what);
      expect(at("archive Verified")).toBeGreaterThanOrEqual(0);
      expect(at("snapshot created")).toBeGreaterThan(at("archive Verified"));
      expect(at("snapshot ready")).toBeGreaterThan(at("snapshot created"));
      expect(at("claim deleted")).toBeGreaterThan(at("snapshot ready"));
      expect(at("archive Archived")).toBeGreaterThan(at("claim deleted"));
      // The snapshot outlives the claim (it is the Kode's, not the claim's).
      expect(await env.client.get(VOLUME_SNAPSHOTS, name, NS)).toBeDefined();
    } catch (e) {
      console.log("DEBUG", warnings.slice(-5), timeline);
      throw e;
    } finally {
      unsubscribe();
    }
  });
});
