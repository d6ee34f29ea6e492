// Backups end to end: the operator (in process, with the shipped RBAC) against the embedded API server, whose
// simulated kubelet hands each data Job's pod to a stand-in that runs the pod's exact command with Debian's restic
// against s3rver over HTTPS (env from the Secrets the pod names, the claim a local folder). What is checked is what
// a user and an admin see: the CronJob and Job specs, status.backup, the BackedUp condition, Events, metrics, the
// password Secret, and the repository in S3.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KODE_TEMPLATES, KODES } from "../src/api/resources.ts";
import { CRONJOBS, JOBS, passwordSecretName } from "../src/backup/config.ts";
import { HAVE_TOOLS, localPodRunner, startS3, type S3Server } from "../src/backup/testing.ts";
import { createClient } from "../src/kube/client.ts";
import { loadClientConfig } from "../src/kube/kubeconfig.ts";
import { createLogger } from "../src/kube/logger.ts";
import { PODS, SECRETS } from "../src/kube/resources.ts";
import { startOperator, type RunningOperator } from "../src/operator/operator.ts";
import { condition, createKode, createSecret, createTemplate, eventually, getKode, kodeEvents, startE2E, waitEvent, waitGone, waitRunning, type E2E, type Obj } from "./operator-harness.ts";

setDefaultTimeout(120_000);
const NS = "default";
const UA = "kode-operator/backup-e2e";

describe.skipIf(!HAVE_TOOLS)("operator backups with restic and S3 over HTTPS", () => {
  let env: E2E;
  let s3: S3Server;
  let op: RunningOperator;
  const claims: Record<string, string> = {};
  const runs: string[] = [];
  const warnings: string[] = [];
  const jobsRun: Obj[] = [];
  /** Added to the operator's clock (the archive delay is at least a minute). */
  let clockOffsetMs = 0;
  /** Run before a Job's pod, by the Job's name prefix (e.g. to change the volume before a verification). */
  const beforeRun = new Map<string, () => void>();
  const homes = mkdtempSync(join(tmpdir(), "kode-homes-"));
  const home = (claim: string) => {
    const dir = join(homes, claim);
    mkdirSync(join(dir, "workspace"), { recursive: true });
    writeFileSync(join(dir, "workspace/main.py"), "print('hello')\n");
    claims[claim] = dir;
    return dir;
  };
  const backupTemplate = (extra: Record<string, unknown> = {}, s3extra: Record<string, unknown> = {}) => ({
    type: "code-server",
    image: "linuxserver/code-server:latest",
    storage: { resources: { requests: { storage: "1Gi" } } },
    backup: { s3: { endpoint: s3.endpoint, bucket: "backups", prefix: "kodes", credentialsSecretRef: { name: "s3-creds" }, caSecretRef: { name: "s3-ca" }, ...s3extra }, retention: { keepLast: 5 }, ...extra },
  });
  const annotate = (name: string, value: string) => env.client.mergePatch(KODES, name, { metadata: { annotations: { "kode.jacero.io/backup-now": value } } }, { namespace: NS });
  const waitKodePhase = (name: string, phase: string, ms = 60_000) =>
    eventually(`Kode ${name} ${phase}`, async () => {
      const k = await getKode(env.client, NS, name);
      return k?.status?.phase === phase ? k : undefined;
    }, ms);
  const backupStatus = async (name: string) => (await getKode(env.client, NS, name))?.status?.backup;

  beforeAll(async () => {
    s3 = await startS3(["backups"]);
    env = await startE2E({ startOperator: false });
    env.server.hooks.jobRunner = localPodRunner({
      readSecret: async (ns, name) => (await env.client.get<Obj>(SECRETS, name, ns))?.data,
      claims,
      onRun: (job) => {
        runs.push(job.metadata.name);
        jobsRun.push(job);
        for (const [prefix, fn] of beforeRun) if (job.metadata.name.startsWith(prefix)) fn();
      },
    });
    const client = createClient(await loadClientConfig({ kubeconfig: env.operatorKubeconfig }), { userAgent: UA, qps: 0 });
    op = startOperator({ client, logger: createLogger("json", "warn", { write: (l) => warnings.push(l) }), resyncMs: 2_000, now: () => Date.now() + clockOffsetMs, archiveRecheckMs: 300, activity: { intervalMs: 0 } });
    await op.ready;
    await createSecret(env.client, "s3-creds", NS, { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" });
    await createSecret(env.client, "s3-ca", NS, { "ca.crt": await Bun.file(s3.caFile).text() });
    await createTemplate(env.client, "bk", NS, backupTemplate({ schedule: "0 3 * * *" }));
  }, 120_000);
  afterAll(async () => {
    await op?.stop();
    await env?.stop();
    await s3?.stop();
  });

  test("a scheduled Kode: CronJob and password Secret; backup-now runs the real script; status, condition, Events, metrics; the Job goes", async () => {
    const dir = home("alice-home");
    const kode = await createKode(env.client, "alice", NS, { templateRef: { name: "bk" } });
    const uid = kode.metadata.uid!;
    await waitRunning(env.client, NS, "alice");
    const cron = await eventually("the CronJob", () => env.client.get<Obj>(CRONJOBS, "alice-backup", NS));
    expect(cron.spec.schedule).toBe("0 3 * * *");
    expect(cron.spec.concurrencyPolicy).toBe("Forbid");
    expect(cron.spec.suspend).toBe(false);
    expect(cron.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "Kode", name: "alice", uid, controller: true })]);
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(pod.containers[0].volumeMounts[0]).toEqual({ name: "home", mountPath: "/data", readOnly: true });
    expect(pod.volumes[0]).toEqual({ name: "home", persistentVolumeClaim: { claimName: "alice-home", readOnly: true } });
    // ReadWriteOnce and the IDE runs: on the IDE pod's node.
    expect(pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: { "app.kubernetes.io/instance": "alice", "kode.jacero.io/name": "alice" } }, topologyKey: "kubernetes.io/hostname" },
    ]);
    const env0 = Object.fromEntries(pod.containers[0].env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [e.name, e.value ?? e.valueFrom]));
    expect(env0.RESTIC_PASSWORD).toEqual({ secretKeyRef: { name: passwordSecretName("alice", uid), key: "password" } });
    expect(env0.AWS_SECRET_ACCESS_KEY).toEqual({ secretKeyRef: { name: "s3-creds", key: "AWS_SECRET_ACCESS_KEY" } });
    expect(env0.RESTIC_REPOSITORY).toBe(`s3:${s3.endpoint}/backups/kodes/${NS}/alice-${uid}`);
    expect(env0.KODE_FORGET_ARGS).toBe("--keep-last 5");

    const secret = await env.client.get<Obj>(SECRETS, passwordSecretName("alice", uid), NS);
    expect(secret!.metadata.ownerReferences).toBeUndefined();
    expect(secret!.metadata.labels).toMatchObject({ "kode.jacero.io/backup-of": "alice", "kode.jacero.io/backup-of-uid": uid });
    expect(Buffer.from(secret!.data!.password!, "base64").length).toBeGreaterThanOrEqual(32);
    let k = await getKode(env.client, NS, "alice");
    expect(condition(k, "BackedUp")).toMatchObject({ status: "False", reason: "NoBackupYet" });
    expect(k!.status.backup).toEqual({ repository: `s3:${s3.endpoint}/backups/kodes/${NS}/alice-${uid}`, passwordSecret: passwordSecretName("alice", uid) });

    await annotate("alice", "first");
    k = await eventually("the first backup in status", async () => ((await backupStatus("alice"))?.lastSnapshot ? getKode(env.client, NS, "alice") : undefined), 60_000);
    const b = k!.status.backup;
    expect(b.lastError).toBeUndefined();
    expect(b.lastSnapshot).toMatch(/^[0-9a-f]{8}$/);
    expect(b.handledBackupNow).toBe("first");
    expect(b.snapshots).toHaveLength(1);
    expect(b.snapshots[0]).toMatchObject({ id: b.lastSnapshot, bytes: 15 });
    expect(b.bytes).toBeGreaterThan(0);
    expect(condition(k, "BackedUp")).toMatchObject({ status: "True", reason: "BackedUp" });
    await waitEvent(env.client, NS, "alice", "Normal", "BackupSucceeded");
    expect(existsSync(join(s3.dataDir, "backups", "kodes", NS, `alice-${uid}`))).toBe(true);
    // The result is in status: the Job and its pod are removed.
    const jobName = runs.at(-1)!;
    await waitGone(env.client, JOBS, NS, jobName);
    expect(op.metrics.expose()).toMatch(/^kode_backup_jobs_total\{kind="backup",result="success"\} 1$/m);
    expect(op.metrics.expose()).toMatch(/^kode_backup_duration_seconds_count\{kind="backup",result="success"\} 1$/m);

    // A second value, after a change: a second snapshot, newest first; the same value again starts nothing.
    writeFileSync(join(dir, "workspace/notes.md"), "notes\n");
    await annotate("alice", "second");
    const b2 = await eventually("the second backup", async () => {
      const s = await backupStatus("alice");
      return s?.handledBackupNow === "second" ? s : undefined;
    });
    expect(b2.snapshots).toHaveLength(2);
    expect(b2.snapshots[0].id).toBe(b2.lastSnapshot);
    expect(b2.snapshots[0].bytes).toBe(15 + 6);
    expect(runs.length).toBe(2);

    // Steady state: nothing written over several resyncs.
    await waitGone(env.client, JOBS, NS, runs.at(-1)!);
    // The Job's removal is seen a reconcile later: the window opens once a whole second went by without a write.
    await eventually("the operator's writes to stop", async () => {
      env.server.hooks.resetCounters();
      await Bun.sleep(1_000);
      return env.server.hooks.requests({ userAgent: UA, writesOnly: true }).length === 0;
    }, 20_000);
    env.server.hooks.resetCounters();
    await Bun.sleep(4_500);
    expect(env.server.hooks.requests({ userAgent: UA, writesOnly: true })).toEqual([]);
    expect(runs.length).toBe(2);
  });

  test("bad input: a schedule that is not cron, missing S3 keys, retention 0; a reason and a Warning Event, no Job", async () => {
    home("bob-home");
    await createKode(env.client, "bob", NS, { templateRef: { name: "bk" }, backup: { schedule: "every night" } });
    await waitRunning(env.client, NS, "bob");
    const k = await eventually("BackedUp=False InvalidBackupSchedule", async () => {
      const k = await getKode(env.client, NS, "bob");
      return condition(k, "BackedUp")?.reason === "InvalidBackupSchedule" ? k : undefined;
    });
    expect(condition(k, "BackedUp")!.message).toContain('"every night"');
    expect(condition(k, "Ready")!.status).toBe("True");
    await waitEvent(env.client, NS, "bob", "Warning", "InvalidBackupSchedule");
    expect(await env.client.get(CRONJOBS, "bob-backup", NS)).toBeUndefined();

    // retention 0 is refused by the schema.
    const refused = await createTemplate(env.client, "zero", NS, backupTemplate({ retention: { keepLast: 0 } })).catch((e) => e);
    expect((refused as { code?: number }).code).toBe(422);

    // Missing key in the platform's Secret: no CronJob, and backup-now starts no Job.
    await createSecret(env.client, "s3-partial", NS, { AWS_ACCESS_KEY_ID: "S3RVER" });
    await createTemplate(env.client, "partial", NS, backupTemplate({ schedule: "0 3 * * *" }, { credentialsSecretRef: { name: "s3-partial" } }));
    home("carol-home");
    await createKode(env.client, "carol", NS, { templateRef: { name: "partial" } });
    await waitRunning(env.client, NS, "carol");
    const c = await eventually("BackupCredentialsMissing", async () => {
      const k = await getKode(env.client, NS, "carol");
      return condition(k, "BackedUp")?.reason === "BackupCredentialsMissing" ? k : undefined;
    });
    expect(condition(c, "BackedUp")!.message).toContain("has no AWS_SECRET_ACCESS_KEY");
    await waitEvent(env.client, NS, "carol", "Warning", "BackupCredentialsMissing");
    const before = runs.length;
    await annotate("carol", "now");
    await Bun.sleep(1_500);
    expect(runs.length).toBe(before);
    expect((await env.client.list(JOBS, { namespace: NS, labelSelector: "kode.jacero.io/name=carol" })).items).toEqual([]);
    expect(await env.client.get(CRONJOBS, "carol-backup", NS)).toBeUndefined();
  });

  test("a deleted password Secret is never replaced: BackupPasswordMissing, no Job; a user's Secret of that name is left alone", async () => {
    home("dave-home");
    const dave = await createKode(env.client, "dave", NS, { templateRef: { name: "bk" } });
    await waitRunning(env.client, NS, "dave");
    await annotate("dave", "1");
    await eventually("dave's first backup", async () => (await backupStatus("dave"))?.lastSnapshot);
    const name = passwordSecretName("dave", dave.metadata.uid!);
    await env.client.delete(SECRETS, name, { namespace: NS });
    await annotate("dave", "2");
    const k = await eventually("BackupPasswordMissing", async () => {
      const k = await getKode(env.client, NS, "dave");
      return condition(k, "BackedUp")?.reason === "BackupPasswordMissing" ? k : undefined;
    });
    expect(condition(k, "BackedUp")!.message).toContain("never creates a new repository");
    await waitEvent(env.client, NS, "dave", "Warning", "BackupPasswordMissing");
    await Bun.sleep(1_000);
    expect(await env.client.get(SECRETS, name, NS)).toBeUndefined();
    expect((await backupStatus("dave")).handledBackupNow).toBe("1");
    expect(await env.client.get(CRONJOBS, "dave-backup", NS)).toBeUndefined();

    // A Kode without backups at first; a user's Secret takes the password Secret's name; then backups are on.
    await createTemplate(env.client, "plain", NS, { type: "code-server", image: "linuxserver/code-server:latest", storage: { resources: { requests: { storage: "1Gi" } } } });
    home("erin-home");
    const erin = await createKode(env.client, "erin", NS, { templateRef: { name: "plain" } });
    await waitRunning(env.client, NS, "erin");
    const taken = passwordSecretName("erin", erin.metadata.uid!);
    await createSecret(env.client, taken, NS, { password: "the user's own" });
    await env.client.mergePatch(KODES, "erin", { spec: { templateRef: { name: "bk" } } }, { namespace: NS });
    const e = await eventually("BackupSecretConflict", async () => {
      const k = await getKode(env.client, NS, "erin");
      return condition(k, "BackedUp")?.reason === "BackupSecretConflict" ? k : undefined;
    });
    expect(condition(e, "Ready")!.status).toBe("True");
    const mine = await env.client.get<Obj>(SECRETS, taken, NS);
    expect(Buffer.from(mine!.data!.password!, "base64").toString()).toBe("the user's own");
    expect(mine!.metadata.annotations?.["kode.jacero.io/controller-uid"]).toBeUndefined();
    expect(await env.client.get(CRONJOBS, "erin-backup", NS)).toBeUndefined();
    expect((await kodeEvents(env.client, NS, "erin")).some((ev) => ev.type === "Warning" && ev.reason === "BackupSecretConflict")).toBe(true);
  });

  const pause = (name: string, paused: boolean) => env.client.mergePatch(KODES, name, { spec: { paused } }, { namespace: NS });
  const envOf = (job: Obj) => Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));

  test("beforePause: once the IDE pod is gone, a backup Job without affinity, once per pause", async () => {
    await createTemplate(env.client, "bp", NS, backupTemplate({ beforePause: true }));
    home("frank-home");
    await createKode(env.client, "frank", NS, { templateRef: { name: "bp" } });
    await waitRunning(env.client, NS, "frank");
    const before = jobsRun.length;
    await pause("frank", true);
    const b = await eventually("the before-pause backup", async () => {
      const s = await backupStatus("frank");
      return s?.handledPause ? s : undefined;
    }, 60_000);
    const k = await getKode(env.client, NS, "frank");
    expect(b.handledPause).toBe((condition(k, "Paused") as { lastTransitionTime?: string }).lastTransitionTime);
    expect(b.snapshots).toHaveLength(1);
    const job = jobsRun.slice(before).find((j) => j.metadata.name.startsWith("frank-backup-"))!;
    expect(envOf(job).KODE_TAG).toBe("before-pause");
    expect(job.spec.template.spec.affinity).toBeUndefined();
    expect(job.metadata.annotations?.["kode.jacero.io/trigger"]).toBe(`pause:${b.handledPause}`);
    await Bun.sleep(2_500);
    expect(jobsRun.slice(before).filter((j) => j.metadata.name.startsWith("frank-")).length).toBe(1);
  });

  test("archive: paused past archiveAfter → fresh backup → verify → only then the claim is deleted; phase Archived", async () => {
    await createTemplate(env.client, "arch", NS, { ...backupTemplate(), lifecycle: { archiveAfter: "1m" } });
    const dir = home("gina-home");
    writeFileSync(join(dir, "workspace/data.bin"), Buffer.alloc(50_000, 3));
    await createKode(env.client, "gina", NS, { templateRef: { name: "arch" } });
    await waitRunning(env.client, NS, "gina");
    // A timeline of what the API server stored: Jobs finishing, the archive's phases, the claim's deletion.
    const timeline: string[] = [];
    const unsubscribe = env.server.state.store.subscribe((e) => {
      const o = e.object as Obj;
      if (e.resource.endsWith("persistentvolumeclaims") && o.metadata.name === "gina-home" && (e.type === "DELETED" || o.metadata.deletionTimestamp)) timeline.push("claim deleted");
      if (e.resource.endsWith("jobs") && o.metadata.name.startsWith("gina-") && o.status?.conditions?.some((c: { type: string }) => c.type === "Complete")) timeline.push(`${o.metadata.labels?.["kode.jacero.io/data-job"]} job complete`);
      if (e.resource.endsWith("kodes") && o.metadata.name === "gina" && o.status?.archive) timeline.push(`archive ${o.status.archive.phase}`);
    });
    try {
      await pause("gina", true);
      await waitKodePhase("gina", "Paused");
      await Bun.sleep(1_000);
      expect((await getKode(env.client, NS, "gina"))!.status.archive).toBeUndefined();
      clockOffsetMs = 2 * 60_000;
      const k = await waitKodePhase("gina", "Archived", 90_000).catch(async (e) => {
        console.log("DEBUG", warnings.slice(-5), timeline);
        throw e;
      });
      // No volumeSnapshots in the template: deleted without one, the reason in status and an Event.
      expect(k.status.archive).toMatchObject({ phase: "Archived", volume: "gina-home", files: 2, bytes: 50_000 + 15, sampled: 2, volumeSnapshotNote: "the template has no volumeSnapshots" });
      expect(k.status.archive.volumeSnapshot).toBeUndefined();
      expect((await waitEvent(env.client, NS, "gina", "Normal", "ArchiveWithoutVolumeSnapshot")).message).toBe("volume gina-home is deleted without a VolumeSnapshot: the template has no volumeSnapshots");
      expect(k.status.archive.snapshot).toBe(k.status.archive.backupSnapshot);
      expect(k.status.archive.manifestSnapshot).toMatch(/^[0-9a-f]{8}$/);
      expect(condition(k, "Archived")).toMatchObject({ status: "True", reason: "Archived" });
      await waitGone(env.client, { group: "", version: "v1", plural: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true }, NS, "gina-home");
      const dedup = timeline.filter((t, i) => t !== timeline[i - 1]);
      const at = (what: string) => dedup.indexOf(what);
      expect(at("archive BackingUp")).toBeGreaterThanOrEqual(0);
      expect(at("backup job complete")).toBeGreaterThan(at("archive BackingUp"));
      expect(at("archive Verifying")).toBeGreaterThan(at("backup job complete"));
      expect(at("verify job complete")).toBeGreaterThan(at("archive Verifying"));
      expect(at("archive Verified")).toBeGreaterThan(at("verify job complete"));
      expect(at("claim deleted")).toBeGreaterThan(at("archive Verified"));
      expect(at("archive Archived")).toBeGreaterThan(at("claim deleted"));
      // Steady while archived: no Job, no claim, no CronJob.
      const n = jobsRun.length;
      await Bun.sleep(2_000);
      expect(jobsRun.length).toBe(n);
      expect(await env.client.get({ group: "", version: "v1", plural: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true }, "gina-home", NS)).toBeUndefined();
      // Resume: a new (empty) claim, and the archive says which verified snapshot goes into it.
      // (The same folder, emptied: the stand-in kubelet mounts a claim at its folder's path, so restic's paths match.)
      const fresh = dir;
      renameSync(dir, `${dir}-deleted`);
      mkdirSync(fresh);
      await pause("gina", false);
      const r = await eventually("Restoring", async () => {
        const k = await getKode(env.client, NS, "gina");
        return k?.status?.archive?.phase === "Restoring" ? k : undefined;
      });
      expect(r.status.archive.snapshot).toBe(k.status.archive.snapshot);
      await eventually("a new claim", () => env.client.get({ group: "", version: "v1", plural: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true }, "gina-home", NS));
      // The new pod restores the verified snapshot first: its kode-restore init container's exact command runs here
      // with restic (the simulated kubelet runs no container), and its result goes where kubelet puts it.
      const pod = await eventually("gina-0 with kode-restore", async () => {
        const p = await env.client.get<Obj>(PODS, "gina-0", NS);
        return p?.spec.initContainers?.[0]?.name === "kode-restore" ? p : undefined;
      });
      const init = pod.spec.initContainers[0];
      const initEnv = Object.fromEntries(init.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
      expect(initEnv.KODE_SNAPSHOT).toBe(k.status.archive.snapshot);
      expect(initEnv.RESTIC_REPOSITORY).toBe(k.status.backup.repository);
      const runInit = localPodRunner({ readSecret: async (ns, name) => (await env.client.get<Obj>(SECRETS, name, ns))?.data, claims });
      const ran = await runInit({ metadata: { name: "gina-0" } }, { metadata: { namespace: NS }, spec: { containers: [init], volumes: pod.spec.volumes } });
      expect(ran.exitCode).toBe(0);
      expect(JSON.parse(ran.message!)).toMatchObject({ ok: true, snapshot: k.status.archive.snapshot });
      await env.client.mergePatch(PODS, "gina-0", {
        status: { initContainerStatuses: pod.spec.initContainers.map((c: { name: string }) => ({ name: c.name, ready: true, restartCount: 0, image: "x", imageID: "", state: { terminated: { exitCode: 0, reason: "Completed", message: c.name === "kode-restore" ? ran.message : "", startedAt: "2026-12-02T00:00:00Z", finishedAt: "2026-12-02T00:01:00Z" } } })) },
      }, { namespace: NS, subresource: "status" });
      const done = await eventually("archive over, Running", async () => {
        const k = await getKode(env.client, NS, "gina");
        return k && !k.status?.archive && k.status?.phase === "Running" ? k : undefined;
      }, 60_000);
      expect(done.status.restore).toMatchObject({ request: `archive-${k.status.archive.pause}`, snapshot: k.status.archive.snapshot, restoredAt: "2026-12-02T00:01:00Z" });
      expect(condition(done, "Archived")).toBeUndefined();
      // The archive's restore stays in the pod template (its marker makes a restarted pod skip it): ending the archive
      // does not restart the IDE.
      expect(condition(done, "Restored")).toMatchObject({ status: "True", reason: "Restored" });
      const sts = (await env.client.get<Obj>({ group: "apps", version: "v1", plural: "statefulsets", kind: "StatefulSet", namespaced: true }, "gina", NS))!;
      const stsInit = sts.spec.template.spec.initContainers[0];
      expect(stsInit.name).toBe("kode-restore");
      expect(stsInit.env.find((e: { name: string }) => e.name === "KODE_RESTORE_ID").value).toBe(`archive-${k.status.archive.pause}`);
      expect((await env.client.get<Obj>(PODS, "gina-0", NS))!.metadata.uid).toBe(pod.metadata.uid);
      const restoredEvent = await waitEvent(env.client, NS, "gina", "Normal", "RestoreSucceeded");
      expect(restoredEvent.message).toBe(`restored snapshot ${k.status.archive.snapshot} (2 files)`);
      const unarchived = await waitEvent(env.client, NS, "gina", "Normal", "Unarchived");
      expect(unarchived.message).toBe(`snapshot ${k.status.archive.snapshot} was restored into the new volume`);
      expect(readFileSync(join(fresh, "workspace/main.py"), "utf8")).toBe("print('hello')\n");
      expect(readFileSync(join(fresh, "workspace/data.bin")).equals(Buffer.alloc(50_000, 3))).toBe(true);
    } finally {
      unsubscribe();
      clockOffsetMs = 0;
    }
  });

  test("archive: a failed verification keeps the claim and says why", async () => {
    const dir = home("hana-home");
    await createKode(env.client, "hana", NS, { templateRef: { name: "arch" } });
    await waitRunning(env.client, NS, "hana");
    // The volume changes between the backup and the verification: the sample differs from the snapshot.
    beforeRun.set("hana-verify-", () => writeFileSync(join(dir, "workspace/main.py"), "changed after the backup\n"));
    await pause("hana", true);
    await waitKodePhase("hana", "Paused");
    clockOffsetMs = 2 * 60_000;
    try {
      const k = await eventually("ArchiveFailed", async () => {
        const k = await getKode(env.client, NS, "hana");
        return k?.status?.archive?.phase === "Failed" ? k : undefined;
      }, 90_000);
      expect(k.status.archive.error).toContain("differs between the snapshot and the volume");
      expect(condition(k, "Archived")).toMatchObject({ status: "False", reason: "ArchiveFailed" });
      expect(k.status.phase).toBe("Paused");
      await waitEvent(env.client, NS, "hana", "Warning", "ArchiveFailed");
      await Bun.sleep(1_500);
      expect(await env.client.get({ group: "", version: "v1", plural: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true }, "hana-home", NS)).toBeDefined();
    } finally {
      clockOffsetMs = 0;
      beforeRun.clear();
    }
  });

  test("deleting a Kode keeps its password Secret (released, findable by label); the CronJob goes", async () => {
    const alice = await getKode(env.client, NS, "alice");
    const uid = alice!.metadata.uid!;
    await env.client.delete(KODES, "alice", { namespace: NS });
    await waitGone(env.client, KODES, NS, "alice");
    await waitGone(env.client, CRONJOBS, NS, "alice-backup");
    const kept = await env.client.list<Obj>(SECRETS, { namespace: NS, labelSelector: `kode.jacero.io/backup-of-uid=${uid}` });
    expect(kept.items.map((s) => s.metadata.name)).toEqual([passwordSecretName("alice", uid)]);
    expect(kept.items[0]!.metadata.annotations?.["kode.jacero.io/retained-from"]).toBe(`${NS}/alice`);
    expect(kept.items[0]!.metadata.annotations?.["kode.jacero.io/repository"]).toBe(`s3:${s3.endpoint}/backups/kodes/${NS}/alice-${uid}`);
    expect(await env.client.get(KODE_TEMPLATES, "bk", NS)).toBeDefined();
  });
});
