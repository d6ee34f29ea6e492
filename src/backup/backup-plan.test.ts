import { describe, expect, test } from "bun:test";
import type { Kode, KodeTemplateSpec } from "../api/types.ts";
import { decideArchive } from "./archive-plan.ts";
import { cronProblem, forgetArgs, planBackup } from "./backup-plan.ts";
import { applyResults, jobResult } from "./backup-results.ts";

const kode = (spec: Record<string, unknown> = {}, status?: Record<string, unknown>): Kode =>
  ({ apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name: "k", namespace: "ns", uid: "0123abcd-0000-0000-0000-000000000000" }, spec: { templateRef: { name: "t" }, ...spec }, ...(status && { status }) }) as Kode;
const s3 = { endpoint: "https://s3.example.com/", bucket: "b", prefix: "p/", credentialsSecretRef: { name: "creds" } };
const spec = (extra: Record<string, unknown> = {}): KodeTemplateSpec => ({ type: "code-server", image: "i", storage: { resources: { requests: { storage: "1Gi" } } }, backup: { s3 }, ...extra }) as KodeTemplateSpec;

describe("planBackup", () => {
  test("cron: 5 fields or a macro", () => {
    expect(cronProblem("0 3 * * *")).toBeUndefined();
    expect(cronProblem("@daily")).toBeUndefined();
    expect(cronProblem("0 0 3 * * *")).toContain("requires exactly 5 parts");
    expect(cronProblem("61 * * * *")).toBe("Invalid value for minute: 61");
  });
  test("retention flags in a fixed order", () => {
    expect(forgetArgs({ keepMonthly: 12, keepLast: 3 })).toBe("--keep-last 3 --keep-monthly 12");
    expect(forgetArgs(undefined)).toBe("");
  });
  test("on: repository per uid, password Secret, the IDE's uid; off and problems", () => {
    const r = planBackup(kode(), spec({ puid: 1001, pgid: 1002 }));
    expect(r.kind).toBe("on");
    if (r.kind !== "on") return;
    expect(r.plan).toMatchObject({ repository: "s3:https://s3.example.com/b/p/ns/k-0123abcd-0000-0000-0000-000000000000", passwordSecret: "k-backup-0123abcd", uid: 1001, gid: 1002, claimName: "k-home", singleNode: true, singlePod: false });
    expect(planBackup(kode({ backup: { enabled: false } }), spec()).kind).toBe("off");
    expect(planBackup(kode(), spec({ backup: undefined })).kind).toBe("off");
    const bad = planBackup(kode({ backup: { schedule: "nightly" } }), spec());
    expect(bad.kind === "problem" && bad.problem.reason).toBe("InvalidBackupSchedule");
    const noVolume = planBackup(kode(), spec({ storage: undefined }));
    expect(noVolume.kind === "problem" && noVolume.problem.reason).toBe("BackupNeedsVolume");
    const root = planBackup(kode(), spec({ puid: 0 }));
    expect(root.kind === "problem" && root.problem.reason).toBe("BackupNeedsNonRootUser");
    const rwx = planBackup(kode({ storage: { accessModes: ["ReadWriteMany"] } }), spec());
    expect(rwx.kind === "on" && rwx.plan.singleNode).toBe(false);
  });
});

const job = (conditions: { type: string }[], trigger = "now:1") => ({
  metadata: { name: "k-backup-x", labels: { "kode.jacero.io/data-job": "backup" }, annotations: { "kode.jacero.io/trigger": trigger } },
  status: { startTime: "2026-01-01T00:00:00Z", conditions: conditions.map((c) => ({ ...c, status: "True", lastTransitionTime: "2026-01-01T00:01:00Z" })) },
});
const pod = (terminated?: Record<string, unknown>) => ({ metadata: { name: "p" }, status: { containerStatuses: [{ name: "backup", state: terminated ? { terminated } : { running: {} } }] } });

describe("results", () => {
  test("a running Job, or a finished one whose pod is not seen terminated yet, has no result", () => {
    expect(jobResult(job([]) as never, [])).toBeUndefined();
    expect(jobResult(job([{ type: "Complete" }]) as never, [pod() as never])).toBeUndefined();
  });
  test("the termination message; a pod that left none; a deadline", () => {
    const ok = jobResult(job([{ type: "Complete" }]) as never, [pod({ exitCode: 0, message: '{"ok":true,"snapshot":"abcd1234","bytesAdded":7,"recent":[{"id":"abcd1234","time":"2026-01-01T00:00:30.5Z","size":9}]}', startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:40Z" }) as never])!;
    expect(ok).toMatchObject({ time: "2026-01-01T00:00:40Z", seconds: 40, trigger: "now:1", result: { ok: true, snapshot: "abcd1234" } });
    expect(jobResult(job([{ type: "Failed" }]) as never, [pod({ exitCode: 137, reason: "OOMKilled" }) as never])!.result).toEqual({ ok: false, error: "the container ran out of memory (OOMKilled)" });
    const late = { ...job([{ type: "Failed" }]), spec: { activeDeadlineSeconds: 60 } };
    late.status.conditions[0] = { ...late.status.conditions[0], reason: "DeadlineExceeded" } as never;
    expect(jobResult(late as never, [])!.result).toEqual({ ok: false, error: "the Job did not finish within 60 seconds (its pod could not be scheduled, or S3 hung)" });
    const { status, events } = applyResults({ repository: "r" }, [ok]);
    expect(status).toEqual({ repository: "r", lastTime: "2026-01-01T00:00:40Z", lastSuccessfulTime: "2026-01-01T00:00:40Z", lastSnapshot: "abcd1234", bytes: 7, snapshots: [{ id: "abcd1234", time: "2026-01-01T00:00:30Z", bytes: 9 }], handledBackupNow: "1" });
    expect(events.map((e) => e.reason)).toEqual(["BackupSucceeded"]);
    // Recorded once: the same result again changes nothing.
    expect(applyResults(status, [ok])).toEqual({ status, events: [], recordedNow: [] });
  });
});

describe("decideArchive", () => {
  const paused = (archive?: Record<string, unknown>) => kode({ paused: true }, archive ? { archive } : undefined);
  const arch = spec({ lifecycle: { archiveAfter: "1h" } });
  const base = { spec: arch, pauseId: "2026-01-01T00:00:00Z", results: new Map(), podRunning: false };
  test("before the delay nothing happens (look again then); after it, a backup Job first", () => {
    expect(decideArchive({ ...base, kode: paused(), now: Date.parse("2026-01-01T00:30:00Z") })).toMatchObject({ requeueAfterMs: 30 * 60_000, deleteVolume: false });
    expect(decideArchive({ ...base, kode: paused(), now: Date.parse("2026-01-01T01:00:00Z") })).toMatchObject({ archive: { phase: "BackingUp" }, job: { kind: "backup", trigger: "archive:2026-01-01T00:00:00Z" }, deleteVolume: false });
  });
  test("the claim goes only from Verified (recorded), never from Verifying; keepVolume is skipped", () => {
    const verifying = paused({ pause: base.pauseId, phase: "Verifying", backupSnapshot: "s1" });
    const results = new Map([["verify:2026-01-01T00:00:00Z", { job: "j", kind: "verify", trigger: "verify:2026-01-01T00:00:00Z", time: "2026-01-01T02:00:00Z", result: { ok: true, snapshot: "s1", files: 3, sampled: 3 } }]]);
    const d = decideArchive({ ...base, kode: verifying, now: Date.parse("2026-01-01T02:00:00Z"), results: results as never });
    expect(d).toMatchObject({ archive: { phase: "Verified", snapshot: "s1", files: 3 }, deleteVolume: false, volumeGone: false });
    expect(decideArchive({ ...base, kode: paused(d.archive), now: Date.parse("2026-01-01T02:01:00Z") })).toMatchObject({ deleteVolume: true, volumeGone: true });
    const failed = new Map([["verify:2026-01-01T00:00:00Z", { ...results.get("verify:2026-01-01T00:00:00Z")!, result: { ok: false, error: "verification of s1: /x differs" } }]]);
    expect(decideArchive({ ...base, kode: verifying, now: 0, results: failed as never })).toMatchObject({ archive: { phase: "Failed", error: "verification failed: verification of s1: /x differs" }, deleteVolume: false });
    expect(decideArchive({ ...base, kode: paused(), now: Date.parse("2026-01-02T00:00:00Z"), volumeProblem: "storage.keepVolume is set" })).toMatchObject({ condition: { reason: "ArchiveSkipped" }, deleteVolume: false });
  });
});
