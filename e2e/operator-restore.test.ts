// Restore and VolumeSnapshots against the embedded API server, with the operator running as its ServiceAccount
// under the shipped RBAC: the kode-restore init container, status.restore from the pod's termination message
// (what kubelet writes; the simulated kubelet runs no containers, so the tests write it), the sources a restore
// cannot use, snapshot-now with keep, fromSnapshot as the PVC's dataSource, and a cluster without the kind.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { KODES } from "../src/api/resources.ts";
import { BACKUP_OF_UID_LABEL, passwordSecretName } from "../src/backup/config.ts";
import { restoreRequestId } from "../src/backup/restore-render.ts";
import { JOBS } from "../src/backup/restore-job.ts";
import { snapshotName, snapshotRequestId, VOLUME_SNAPSHOTS } from "../src/backup/volume-snapshot.ts";
import { installVolumeSnapshotCrds } from "./support/volume-snapshots.ts";
import { startApiServer, type ApiServer } from "../src/apiserver/server.ts";
import { createClient, type Client } from "../src/kube/client.ts";
import { loadClientConfig } from "../src/kube/kubeconfig.ts";
import { PODS, PVCS, SECRETS, STATEFULSETS } from "../src/kube/resources.ts";
import { startOperator, type RunningOperator } from "../src/operator/operator.ts";
import { buildCrds } from "../src/api/crds.ts";
import { applyObject } from "../src/kube/apply.ts";
import type { KubeObject } from "../src/kube/types.ts";
import { mkdtempSync } from "node:fs";
import { findKubectlBinaries } from "./kubectl-harness.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { condition, createKode, createNamespace, createSecret, createTemplate, eventually, getKode, isRunning, kodeEvents, startE2E, waitEvent, waitFailed, waitKode, type E2E, type Obj } from "./operator-harness.ts";

setDefaultTimeout(120_000);
const NS = "restore";
const S3 = { endpoint: "https://s3.backup.svc:9000", bucket: "backups", prefix: "kodes", credentialsSecretRef: { name: "s3-creds" } };
const TEMPLATE = { type: "code-server", image: "linuxserver/code-server:latest", backup: { s3: S3 }, volumeSnapshots: { className: "csi-snap", keep: 2 } };
const STORAGE = { resources: { requests: { storage: "1Gi" } } };

let env: E2E;
/** The last version of a Job the test client saw while it existed (it is pruned quickly). */
function trackJob(name: string): () => Obj | undefined {
  let last: Obj | undefined;
  const timer = setInterval(async () => {
    const j = await env.client.get<Obj>(JOBS, name, NS).catch(() => undefined);
    if (j) last = j;
  }, 10);
  return () => {
    clearInterval(timer);
    return last;
  };
}
let op: RunningOperator;
/** The distinct statuses of a Kode the test client saw (polled), to show what a write changed. */
function watchStatuses(name: string): () => unknown[] {
  const seen: unknown[] = [];
  const timer = setInterval(async () => {
    const k = await getKode(env.client, NS, name).catch(() => undefined);
    if (k && JSON.stringify(k.status) !== JSON.stringify(seen.at(-1))) seen.push(structuredClone(k.status));
  }, 20);
  return () => {
    clearInterval(timer);
    return seen;
  };
}
/** The top-level status fields (and conditions by type) that differ between successive statuses. */
function statusChanges(statuses: unknown[]): string[] {
  const out: string[] = [];
  const flat = (s: Record<string, unknown>) => {
    const m: Record<string, string> = {};
    for (const [k, v] of Object.entries(s ?? {})) {
      if (k === "conditions") for (const c of v as { type: string }[]) m[`condition ${c.type}`] = JSON.stringify(c);
      else m[k] = JSON.stringify(v);
    }
    return m;
  };
  for (let i = 1; i < statuses.length; i++) {
    const a = flat(statuses[i - 1] as Record<string, unknown>);
    const b = flat(statuses[i] as Record<string, unknown>);
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (a[k] !== b[k]) out.push(`${k}: ${a[k]} -> ${b[k]}`);
  }
  return out;
}

const annotate = (name: string, value: string) => env.client.mergePatch(KODES, name, { metadata: { annotations: { "kode.jacero.io/snapshot-now": value } } }, { namespace: NS });
const initNames = async (kode: string) => ((await env.client.get<Obj>(STATEFULSETS, kode, NS))?.spec.template.spec.initContainers ?? []).map((c: { name: string }) => c.name);
const restoreContainer = async (kode: string) => ((await env.client.get<Obj>(STATEFULSETS, kode, NS))!.spec.template.spec.initContainers ?? []).find((c: { name: string }) => c.name === "kode-restore");
/**
 * What the backup side records once a backup Job of the Kode succeeded (the simulated kubelet runs no restic): the
 * operator made the repository password Secret itself (the template has backup), the status names the snapshot.
 */
async function backedUp(kode: string, uid: string, snapshot: string) {
  const secret = await eventually("the operator's repository password Secret", () => env.client.get<Obj>(SECRETS, passwordSecretName(kode, uid), NS));
  expect(secret.metadata.labels?.[BACKUP_OF_UID_LABEL]).toBe(uid);
  await env.client.mergePatch(KODES, kode, { status: { backup: { lastTime: "2026-12-01T03:00:00Z", lastSuccessfulTime: "2026-12-01T03:00:00Z", lastSnapshot: snapshot } } }, { namespace: NS, subresource: "status" });
}
/** What kubelet writes once the pod's kode-restore container (with this spec) ran and left `message`. */
async function restoreRan(kode: string, message: string) {
  const pod = await eventually("a pod with the kode-restore container", async () => {
    const p = await env.client.get<Obj>(PODS, `${kode}-0`, NS);
    return p?.spec.initContainers?.[0]?.name === "kode-restore" ? p : undefined;
  });
  const names: string[] = pod.spec.initContainers.map((c: { name: string }) => c.name);
  await env.client.mergePatch(PODS, `${kode}-0`, {
    status: { initContainerStatuses: names.map((name) => ({ name, ready: true, restartCount: 0, image: "x", imageID: "", state: { terminated: { exitCode: 0, reason: "Completed", message: name === "kode-restore" ? message : "", startedAt: "2026-12-02T00:00:00Z", finishedAt: "2026-12-02T00:01:00Z" } } })) },
  }, { namespace: NS, subresource: "status" });
}

beforeAll(async () => {
  env = await startE2E({ startOperator: false });
  await createNamespace(env.client, NS);
  await installVolumeSnapshotCrds(env.client);
  const client = createClient(await loadClientConfig({ kubeconfig: env.operatorKubeconfig }), { userAgent: "kode-operator-restore/1", qps: 0 });
  // No activity polling: its first reading would be a status write at a time of its own (tested in e2e/lifecycle-*).
  op = startOperator({ client, activity: { intervalMs: 0 } });
  await op.ready;
  await createSecret(env.client, "s3-creds", NS, { AWS_ACCESS_KEY_ID: "id", AWS_SECRET_ACCESS_KEY: "key" });
  await createTemplate(env.client, "t", NS, TEMPLATE);
  await createTemplate(env.client, "no-backup", NS, { type: "code-server", image: "linuxserver/code-server:latest" });
});
afterAll(async () => {
  await op?.stop();
  await env?.stop();
});

describe("restore", () => {
  test("no backups yet (the password Secret alone is none): a reason and a Warning Event, the IDE starts; once a backup succeeded the restore runs first and is reported", async () => {
    const created = await createKode(env.client, "k1", NS, { templateRef: { name: "t" }, storage: STORAGE, restore: { snapshot: "latest", paths: ["workspace"] } });
    const k = await waitKode(env.client, NS, "k1", "Restored=False", (k) => condition(k, "Restored")?.status === "False" && isRunning(k));
    const noBackups = "this Kode has no backups to restore yet (its status.backup.lastSnapshot is unset); back it up first (kubectl annotate kode k1 kode.jacero.io/backup-now=1)";
    expect(condition(k, "Restored")).toMatchObject({ reason: "RestoreSourceMissing", message: `${noBackups}; the IDE starts without the restore` });
    expect(k.status.restore).toEqual({ request: restoreRequestId({ snapshot: "latest", paths: ["workspace"] }), error: noBackups });
    await waitEvent(env.client, NS, "k1", "Warning", "RestoreSourceMissing");
    expect(await initNames("k1")).toEqual([]);

    // The password Secret exists (the backup step made it) and still no restore is rendered.
    expect(await env.client.get(SECRETS, passwordSecretName("k1", created.metadata.uid!), NS)).toBeDefined();
    expect(await initNames("k1")).toEqual([]);
    await backedUp("k1", created.metadata.uid!, "1a2b3c4d");
    await eventually("kode-restore in the pod template", async () => (await initNames("k1"))[0] === "kode-restore");
    const c = await restoreContainer("k1");
    const envOf = Object.fromEntries(c.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [e.name, e.value ?? e.valueFrom]));
    expect(envOf.RESTIC_REPOSITORY).toBe(`s3:https://s3.backup.svc:9000/backups/kodes/${NS}/k1-${created.metadata.uid}`);
    expect(envOf.RESTIC_PASSWORD).toEqual({ secretKeyRef: { name: passwordSecretName("k1", created.metadata.uid!), key: "password", optional: true } });
    expect(envOf.KODE_PATHS).toBe("workspace");
    expect(envOf.KODE_RESTORE_ID).toBe(restoreRequestId({ snapshot: "latest", paths: ["workspace"] }));
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, capabilities: { drop: ["ALL"] }, allowPrivilegeEscalation: false });

    await restoreRan("k1", JSON.stringify({ ok: true, snapshot: "1a2b3c4d", time: "2026-12-01T03:00:00Z", restored: 12, keptAside: 2, keptAsideDir: ".kode-restore-kept/20261202T000100Z", paths: ["workspace"], restoreId: envOf.KODE_RESTORE_ID }));
    const done = await waitKode(env.client, NS, "k1", "Restored=True", (k) => condition(k, "Restored")?.status === "True");
    expect(done.status.restore).toEqual({ request: envOf.KODE_RESTORE_ID, snapshot: "1a2b3c4d", restoredAt: "2026-12-02T00:01:00Z", kept: 2 });
    expect(condition(done, "Restored")!.message).toBe("restored snapshot 1a2b3c4d; 2 files it would have replaced kept aside under ~/.kode-restore-kept/ at 2026-12-02T00:01:00Z");
    const ev = await waitEvent(env.client, NS, "k1", "Normal", "RestoreSucceeded");
    expect(ev.message).toBe("restored snapshot 1a2b3c4d (12 files); 2 files it would have replaced kept aside under ~/.kode-restore-kept/20261202T000100Z");
    // Settled: the operator writes nothing more for this Kode (the pod restarting with the marker would skip).
    // The Kode's own start-up may still be finishing after Restored=True: wait until the operator's status writes
    // stop, then a label change must not cause any.
    const writes = () => env.server.hooks.count({ userAgent: "kode-operator-restore/1", verb: "patch", resource: "kodes/status" });
    await waitKode(env.client, NS, "k1", "Running", isRunning);
    for (let last = -1, i = 0; writes() !== last && i < 20; i++) {
      last = writes();
      await Bun.sleep(1000);
    }
    const before = writes();
    const seen = watchStatuses("k1");
    await env.client.mergePatch(KODES, "k1", { metadata: { labels: { touched: "1" } } }, { namespace: NS });
    await Bun.sleep(1000);
    const statuses = seen();
    expect({ writes: writes() - before, changes: statusChanges(statuses) }).toEqual({ writes: 0, changes: [] });
  });

  test.skipIf(!findKubectlBinaries().length)("kubectl: the snapshots a user can pick, the backup columns, the restore status", async () => {
    if (!env.kubectl) throw new Error("kubectl was found but the harness did not start it");
    await env.client.mergePatch(KODES, "k1", { status: { backup: { lastSuccessfulTime: "2026-12-01T03:00:00Z", lastSnapshot: "1a2b3c4d", snapshots: [{ id: "1a2b3c4d", time: "2026-12-01T03:00:00Z", bytes: 2048, files: 12 }, { id: "0f0e0d0c", time: "2026-11-30T03:00:00Z", bytes: 1024, files: 10 }] } } }, { namespace: NS, subresource: "status" });
    const list = await env.kubectl.run(["get", "kode", "k1", "-n", NS, "-o", "jsonpath={range .status.backup.snapshots[*]}{.id}{\"\\t\"}{.time}{\"\\t\"}{.bytes}{\"\\t\"}{.files}{\"\\n\"}{end}"]);
    expect(list.stderr).toBe("");
    expect(list.stdout).toBe("1a2b3c4d\t2026-12-01T03:00:00Z\t2048\t12\n0f0e0d0c\t2026-11-30T03:00:00Z\t1024\t10\n");
    const wide = await env.kubectl.run(["get", "kode", "k1", "-n", NS, "-o", "wide"]);
    expect(wide.stdout.split("\n")[0]).toMatch(/LAST-BACKUP\s+SNAPSHOT\s+AGE$/);
    expect(wide.stdout.split("\n")[1]).toContain("1a2b3c4d");
    const restore = await env.kubectl.run(["get", "kode", "k1", "-n", NS, "-o", "jsonpath={.status.restore.snapshot} {.status.restore.kept}"]);
    expect(restore.stdout).toBe("1a2b3c4d 2");
  });

  test("an unknown snapshot id: the script's error as the reason and a Warning Event; the PVC and the IDE stay", async () => {
    const created = await createKode(env.client, "k2", NS, { templateRef: { name: "t" }, storage: STORAGE, restore: { snapshot: "deadbeef" } });
    await backedUp("k2", created.metadata.uid!, "0f0e0d0c");
    await eventually("kode-restore", async () => (await initNames("k2"))[0] === "kode-restore");
    await restoreRan("k2", JSON.stringify({ ok: false, error: "no snapshot deadbeef of restore/k2 in the repository" }));
    const k = await waitKode(env.client, NS, "k2", "RestoreFailed", (k) => condition(k, "Restored")?.reason === "RestoreFailed");
    expect(k.status.restore).toEqual({ request: restoreRequestId({ snapshot: "deadbeef" }), error: "no snapshot deadbeef of restore/k2 in the repository" });
    const ev = await waitEvent(env.client, NS, "k2", "Warning", "RestoreFailed");
    expect(ev.message).toBe("restore of snapshot deadbeef failed, nothing in home was changed: no snapshot deadbeef of restore/k2 in the repository");
    expect(await env.client.get(PVCS, "k2-home", NS)).toBeDefined();
    expect(condition(k, "Ready")!.status).toBe("True");
  });

  test("from: a Kode that does not exist, a Kode with no backups, one with backups; a namespace cannot be named", async () => {
    await createKode(env.client, "k3", NS, { templateRef: { name: "t" }, storage: STORAGE, restore: { snapshot: "latest", from: { kode: "ghost" } } });
    const missing = await waitKode(env.client, NS, "k3", "RestoreSourceMissing", (k) => condition(k, "Restored")?.reason === "RestoreSourceMissing");
    expect(missing.status.restore.error).toBe(`spec.restore.from.kode: there is no Kode ${NS}/ghost; name a Kode of this namespace that has backups (its status.backup.lastSnapshot is set)`);

    const src = await createKode(env.client, "src", NS, { templateRef: { name: "t" }, storage: STORAGE });
    await createKode(env.client, "k4", NS, { templateRef: { name: "t" }, storage: STORAGE, restore: { snapshot: "latest", from: { kode: "src" } } });
    const none = await waitKode(env.client, NS, "k4", "RestoreSourceMissing", (k) => condition(k, "Restored")?.reason === "RestoreSourceMissing" && isRunning(k));
    expect(none.status.restore.error).toBe(`spec.restore.from.kode: Kode ${NS}/src has no backups yet (its status.backup.lastSnapshot is unset); back it up first (kubectl annotate kode src kode.jacero.io/backup-now=1)`);
    // src's status.backup names its repository and password Secret before any backup: still no source.
    const repo = `s3:https://s3.backup.svc:9000/backups/kodes/${NS}/src-${src.metadata.uid}`;
    await eventually("src's status.backup.repository", async () => (await getKode(env.client, NS, "src"))?.status?.backup?.repository === repo);
    expect(await initNames("k4")).toEqual([]);
    await waitEvent(env.client, NS, "k4", "Warning", "RestoreSourceMissing");

    // src gets backed up (what the backup side writes): k4 restores from src's repository with src's password.
    await backedUp("src", src.metadata.uid!, "99aa88bb");
    await eventually("k4's kode-restore", async () => (await initNames("k4"))[0] === "kode-restore");
    const c = await restoreContainer("k4");
    const envOf = Object.fromEntries(c.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [e.name, e.value ?? e.valueFrom]));
    expect(envOf.RESTIC_REPOSITORY).toBe(repo);
    expect(envOf.KODE_FROM_HOST).toBe(`${NS}/src`);
    expect(envOf.RESTIC_PASSWORD).toEqual({ secretKeyRef: { name: passwordSecretName("src", src.metadata.uid!), key: "password", optional: true } });
    // The backup side's status.backup on src is not lost by the operator's own status writes.
    await eventually("src Running with its status.backup", async () => {
      const s = await getKode(env.client, NS, "src");
      return isRunning(s!) && s!.status.backup?.repository === repo;
    });

    // from has only a name: a namespace given anyway is pruned by the schema, the source stays in this namespace.
    await createKode(env.client, "k5", NS, { templateRef: { name: "t" }, restore: { snapshot: "latest", from: { kode: "src", namespace: "other" } } });
    expect((await getKode(env.client, NS, "k5"))!.spec.restore.from).toEqual({ kode: "src" });
  });

  test("paused: a Job runs the restore with the same container, its result goes into status, then the Job is pruned", async () => {
    const created = await createKode(env.client, "p1", NS, { templateRef: { name: "t" }, storage: STORAGE });
    await waitKode(env.client, NS, "p1", "Running", isRunning);
    await backedUp("p1", created.metadata.uid!, "77aa66bb");
    await env.client.mergePatch(KODES, "p1", { spec: { paused: true } }, { namespace: NS });
    await waitKode(env.client, NS, "p1", "Paused", (k) => k.status?.phase === "Paused");
    const request = restoreRequestId({ snapshot: "latest" });
    const seen = trackJob(`p1-restore-${request.slice(0, 8)}`);
    await env.client.mergePatch(KODES, "p1", { spec: { restore: { snapshot: "latest" } } }, { namespace: NS });
    // The simulated kubelet completes the Job's pod at once and, running no container, leaves no termination message.
    const k = await waitKode(env.client, NS, "p1", "RestoreFailed", (k) => condition(k, "Restored")?.reason === "RestoreFailed");
    expect(k.status.restore).toEqual({ request, error: "the container left no result (killed before it finished?)" });
    await waitEvent(env.client, NS, "p1", "Warning", "RestoreFailed");
    await eventually("the Job pruned", async () => !(await env.client.get(JOBS, `p1-restore-${request.slice(0, 8)}`, NS)));
    const job = seen();
    expect(job).toBeDefined();
    expect(job!.spec.backoffLimit).toBe(0);
    const pod = job!.spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.containers.map((c: { name: string }) => c.name)).toEqual(["kode-restore"]);
    expect(pod.volumes[0]).toEqual({ name: "home", persistentVolumeClaim: { claimName: "p1-home" } });
    expect(pod.containers[0].env.find((e: { name: string }) => e.name === "KODE_RESTORE_ID").value).toBe(request);
    expect(pod.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
    expect(await env.client.get(PVCS, "p1-home", NS)).toBeDefined();
  });

  test("spec.restore on a template without backups: BackupNotConfigured", async () => {
    await createKode(env.client, "k6", NS, { templateRef: { name: "no-backup" }, restore: { snapshot: "latest" } });
    const k = await waitKode(env.client, NS, "k6", "BackupNotConfigured", (k) => condition(k, "Restored")?.reason === "BackupNotConfigured" && isRunning(k));
    expect(condition(k, "Restored")!.message).toBe("spec.restore needs backups, but the Kode's template has no backup section (backup.s3); the IDE starts without the restore");
  });
});

describe("VolumeSnapshots", () => {
  test("snapshot-now: owned, labelled, the template's class, at most keep (oldest first), listed in status", async () => {
    await createKode(env.client, "v1", NS, { templateRef: { name: "t" }, storage: STORAGE });
    await waitKode(env.client, NS, "v1", "Running", isRunning);
    // A user's own snapshot of the same PVC is never counted nor removed.
    await env.client.create(VOLUME_SNAPSHOTS, { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: "mine", namespace: NS }, spec: { source: { persistentVolumeClaimName: "v1-home" } } } as KubeObject);
    const names: string[] = [];
    for (const value of ["a", "b", "c"]) {
      await annotate("v1", value);
      const name = snapshotName("v1", snapshotRequestId(value));
      names.push(name);
      await eventually(`VolumeSnapshot ${name}`, () => env.client.get(VOLUME_SNAPSHOTS, name, NS));
      await Bun.sleep(1100); // creationTimestamp has whole seconds: the order of the three is then unambiguous
    }
    const first = names[0]!;
    await eventually("the oldest removed", async () => !(await env.client.get(VOLUME_SNAPSHOTS, first, NS)));
    const vs = (await env.client.get<Obj>(VOLUME_SNAPSHOTS, names[2]!, NS))!;
    expect(vs.spec).toEqual({ volumeSnapshotClassName: "csi-snap", source: { persistentVolumeClaimName: "v1-home" } });
    expect(vs.metadata.ownerReferences).toEqual([{ apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", name: "v1", uid: (await getKode(env.client, NS, "v1"))!.metadata.uid!, controller: true, blockOwnerDeletion: true }]);
    expect(vs.metadata.labels).toMatchObject({ "kode.jacero.io/name": "v1", "app.kubernetes.io/component": "snapshot", "app.kubernetes.io/managed-by": "kode-operator" });
    expect(await env.client.get(VOLUME_SNAPSHOTS, "mine", NS)).toBeDefined();
    // The snapshot controller says it is ready.
    await env.client.mergePatch(VOLUME_SNAPSHOTS, names[2]!, { status: { readyToUse: true, creationTime: "2026-12-02T00:05:00Z", restoreSize: "1Gi" } }, { namespace: NS, subresource: "status" });
    const k = await waitKode(env.client, NS, "v1", "VolumeSnapshots=True", (k) => condition(k, "VolumeSnapshots")?.status === "True");
    expect(k.status.volumeSnapshots.items.map((i: { name: string }) => i.name)).toEqual([names[2], names[1]]);
    expect(k.status.volumeSnapshots.items[0]).toEqual({ name: names[2], readyToUse: true, creationTime: "2026-12-02T00:05:00Z", restoreSize: "1Gi" });
    expect(k.status.volumeSnapshots.lastRequest).toBe(snapshotRequestId("c"));
    const events = await kodeEvents(env.client, NS, "v1");
    expect(events.filter((e) => e.reason === "VolumeSnapshotTaken").length).toBe(3);
    expect(events.filter((e) => e.reason === "VolumeSnapshotRemoved").map((e) => e.message)).toEqual([`VolumeSnapshot ${first} was removed: the Kode keeps at most 2`]);
    if (findKubectlBinaries().length) {
      const vs = await env.kubectl!.run(["get", "volumesnapshots", "-n", NS, "-l", "kode.jacero.io/name=v1"]);
      expect(vs.stdout.split("\n")[0]).toMatch(/^NAME\s+READYTOUSE\s+SOURCEPVC\s+SOURCESNAPSHOTCONTENT\s+RESTORESIZE\s+SNAPSHOTCLASS\s+SNAPSHOTCONTENT\s+CREATIONTIME\s+AGE$/);
      expect(vs.stdout).toContain(names[2]);
    }
  });

  test("fromSnapshot: the new PVC's dataSource; a missing snapshot is bad input; an existing PVC is never changed", async () => {
    await createKode(env.client, "v2", NS, { templateRef: { name: "t" }, storage: { ...STORAGE, fromSnapshot: "mine" } });
    const pvc = await eventually("v2-home", () => env.client.get<Obj>(PVCS, "v2-home", NS));
    expect(pvc.spec.dataSource).toEqual({ apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "mine" });
    await waitKode(env.client, NS, "v2", "Running", isRunning);

    await createKode(env.client, "v3", NS, { templateRef: { name: "t" }, storage: { ...STORAGE, fromSnapshot: "nope" } });
    const failed = await waitFailed(env.client, NS, "v3", "VolumeSnapshotNotFound");
    expect(condition(failed, "Ready")!.message).toBe(`spec.storage.fromSnapshot: there is no VolumeSnapshot ${NS}/nope; name an existing one (kubectl get volumesnapshots -n ${NS}) or remove the field`);
    await waitEvent(env.client, NS, "v3", "Warning", "VolumeSnapshotNotFound");
    expect(await env.client.get(PVCS, "v3-home", NS)).toBeUndefined();
    // The snapshot appears: v3 is looked at again then (the resync is 10 minutes away) and its volume comes from it.
    await env.client.create(VOLUME_SNAPSHOTS, { apiVersion: "snapshot.storage.k8s.io/v1", kind: "VolumeSnapshot", metadata: { name: "nope", namespace: NS }, spec: { source: { persistentVolumeClaimName: "v1-home" } } } as KubeObject);
    const late = await eventually("v3-home", () => env.client.get<Obj>(PVCS, "v3-home", NS), 15_000);
    expect(late.spec.dataSource).toEqual({ apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "nope" });

    // The PVC of v1 exists: fromSnapshot is ignored with a reason, the PVC keeps its (absent) dataSource.
    await env.client.mergePatch(KODES, "v1", { spec: { storage: { fromSnapshot: "mine" } } }, { namespace: NS });
    const ignored = await waitKode(env.client, NS, "v1", "FromSnapshotIgnored", (k) => condition(k, "VolumeSnapshots")?.reason === "FromSnapshotIgnored");
    expect(condition(ignored, "VolumeSnapshots")!.message).toBe("spec.storage.fromSnapshot mine is ignored: the PVC v1-home exists already (a volume's data source is set only when it is created)");
    await waitEvent(env.client, NS, "v1", "Warning", "FromSnapshotIgnored");
    expect((await env.client.get<Obj>(PVCS, "v1-home", NS))!.spec.dataSource).toBeUndefined();
    expect(condition(ignored, "Ready")!.status).toBe("True");
  });

  test("snapshot-now without a PVC: a reason and a Warning Event, nothing created", async () => {
    await createKode(env.client, "v4", NS, { templateRef: { name: "t" } });
    await waitKode(env.client, NS, "v4", "Running", isRunning);
    await annotate("v4", "now");
    const k = await waitKode(env.client, NS, "v4", "NoVolumeToSnapshot", (k) => condition(k, "VolumeSnapshots")?.reason === "NoVolumeToSnapshot");
    expect(condition(k, "VolumeSnapshots")!.message).toBe("kode.jacero.io/snapshot-now: home is not a PVC (the storage has no size), so there is no volume to snapshot");
    await waitEvent(env.client, NS, "v4", "Warning", "NoVolumeToSnapshot");
    expect((await env.client.list(VOLUME_SNAPSHOTS, { namespace: NS, labelSelector: "kode.jacero.io/name=v4" })).items).toEqual([]);
  });
});

describe("a cluster without the VolumeSnapshot kind", () => {
  let api: ApiServer;
  let client: Client;
  let operator: RunningOperator;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "kode-no-snapshots-"));
    api = await startApiServer({ simulateKubelet: true, kubeletDelayMs: 20, kubeconfigPath: join(dir, "kubeconfig") });
    client = createClient(await loadClientConfig({ kubeconfig: api.kubeconfigPath }), { qps: 0 });
    for (const crd of buildCrds()) await applyObject(client, { group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false }, crd as unknown as KubeObject, { fieldManager: "t" });
    await eventually("kode API", async () => (await client.request("GET", "/apis/kode.jacero.io/v1alpha1")).ok);
    operator = startOperator({ client });
    await operator.ready;
    await createNamespace(client, NS);
    await createTemplate(client, "t", NS, TEMPLATE);
  });
  afterAll(async () => {
    await operator?.stop();
    await api?.stop();
  });

  test("snapshot-now and fromSnapshot get VolumeSnapshotsUnavailable; the operator keeps running", async () => {
    await createKode(client, "n1", NS, { templateRef: { name: "t" }, storage: STORAGE });
    await waitKode(client, NS, "n1", "Running", isRunning);
    await client.mergePatch(KODES, "n1", { metadata: { annotations: { "kode.jacero.io/snapshot-now": "1" } } }, { namespace: NS });
    const k = await waitKode(client, NS, "n1", "VolumeSnapshotsUnavailable", (k) => condition(k, "VolumeSnapshots")?.reason === "VolumeSnapshotsUnavailable");
    expect(condition(k, "VolumeSnapshots")!.message).toBe("kode.jacero.io/snapshot-now: the cluster has no snapshot.storage.k8s.io/v1 VolumeSnapshot kind: install the snapshot controller's CRDs (and a CSI driver that snapshots), then restart the operator");
    expect(condition(k, "Ready")!.status).toBe("True");
    await createKode(client, "n2", NS, { templateRef: { name: "t" }, storage: { ...STORAGE, fromSnapshot: "x" } });
    const failed = await waitFailed(client, NS, "n2", "VolumeSnapshotsUnavailable");
    expect(condition(failed, "Ready")!.message).toContain("spec.storage.fromSnapshot: the cluster has no snapshot.storage.k8s.io/v1 VolumeSnapshot kind");
    await createKode(client, "n3", NS, { templateRef: { name: "t" } });
    await waitKode(client, NS, "n3", "Running", isRunning);
  });
});
