// status.restore from pods (the Kode's own pod, a paused Kode's Job pod), and the sources a restore resolves to.
import { describe, expect, test } from "bun:test";
import type { Kode } from "../api/types.ts";
import { renderRestoreJob } from "./restore-job.ts";
import { resolveRestoreSource, restoreRequestId, restoreSecretNames } from "./restore-render.ts";
import { restoreOutcome, restoreRan } from "./restore-status.ts";

const kode = (restore: unknown, status?: unknown, name = "k"): Kode =>
  ({ apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name, namespace: "ns", uid: "11111111-2222" }, spec: { templateRef: { name: "t" }, restore }, status }) as Kode;
const cache = <T extends { metadata: { name: string } }>(items: T[]) => ({ get: (_ns: string | undefined, n: string) => items.find((i) => i.metadata.name === n) });
const BACKUP = { s3: { endpoint: "https://s3.example", bucket: "bkt", credentialsSecretRef: { name: "creds" } } };
const SOURCE = { repository: "s3:https://s3.example/bkt/ns/k-11111111-2222", passwordSecret: "k-backup-11111111", host: "ns/k" };
const pod = (container: "init" | "job", id: string, message: string | undefined, finishedAt = "2026-12-02T00:00:00Z") => {
  const spec = [{ name: "kode-restore", env: [{ name: "KODE_RESTORE_ID", value: id }] }];
  const status = [{ name: "kode-restore", state: { terminated: { exitCode: 0, message, finishedAt } } }];
  return container === "init" ? { spec: { initContainers: spec }, status: { initContainerStatuses: status } } : { spec: { containers: spec }, status: { containerStatuses: status } };
};

describe("restoreRequestId", () => {
  test("the same fields give the same id, any change another", () => {
    const a = restoreRequestId({ snapshot: "latest" });
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(restoreRequestId({ snapshot: "latest", paths: [] })).toBe(a);
    expect(restoreRequestId({ snapshot: "latest", paths: ["x"] })).not.toBe(a);
    expect(restoreRequestId({ snapshot: "latest", from: { kode: "o" } })).not.toBe(a);
    expect(restoreRequestId({ snapshot: "0123abcd" })).not.toBe(a);
  });
});

describe("restoreOutcome", () => {
  const r = { snapshot: "latest" };
  const id = restoreRequestId(r);
  test("no result yet: pending, no Event", () => {
    const out = restoreOutcome(kode(r), { source: SOURCE, pods: [] });
    expect(out).toEqual({ status: { request: id }, condition: { status: "Unknown", reason: "RestorePending", message: "waiting for the kode-restore init container to restore snapshot latest" } });
  });
  test("a pod of an earlier request is not read", () => {
    expect(restoreOutcome(kode(r), { source: SOURCE, pod: pod("init", "other", '{"ok":true,"snapshot":"aa"}') }).condition?.reason).toBe("RestorePending");
  });
  test("the Job's pod (paused): its container's result", () => {
    const out = restoreOutcome(kode(r), { source: SOURCE, pods: [pod("job", id, JSON.stringify({ ok: true, snapshot: "0a1b2c3d", restored: 3, keptAside: 0, restoreId: id }))] });
    expect(out.status).toEqual({ request: id, snapshot: "0a1b2c3d", restoredAt: "2026-12-02T00:00:00Z", kept: 0 });
    expect(out.event).toEqual({ type: "Normal", reason: "RestoreSucceeded", message: "restored snapshot 0a1b2c3d (3 files)" });
  });
  test("a killed container: no result is a failure with a reason", () => {
    const out = restoreOutcome(kode(r), { source: SOURCE, pod: pod("init", id, undefined) });
    expect(out.status).toEqual({ request: id, error: "the container left no result (killed before it finished?)" });
    expect(out.event?.reason).toBe("RestoreFailed");
  });
  test("a recorded failure is not repeated as an Event; a missing source's error is not a run", () => {
    const failed = { restore: { request: id, error: "S3 down" }, conditions: [{ type: "Restored", status: "False", reason: "RestoreFailed", message: "m", lastTransitionTime: "t" }] };
    const again = restoreOutcome(kode(r, failed), { source: SOURCE, pod: pod("init", id, '{"ok":false,"error":"S3 down"}') });
    expect(again.event).toBeUndefined();
    expect(restoreRan(kode(r, failed))).toBe(true);
    const missing = { restore: { request: id, error: "no password Secret" }, conditions: [{ type: "Restored", status: "False", reason: "RestoreSourceMissing", message: "m", lastTransitionTime: "t" }] };
    expect(restoreRan(kode(r, missing))).toBe(false);
    expect(restoreOutcome(kode(r, missing), { source: SOURCE, pods: [] }).condition?.reason).toBe("RestorePending");
  });
  test("spec.restore removed: the last status.restore stays, the condition goes", () => {
    expect(restoreOutcome(kode(undefined, { restore: { request: id, snapshot: "aa", restoredAt: "t" } }), {})).toEqual({ status: { request: id, snapshot: "aa", restoredAt: "t" } });
  });
});

describe("resolveRestoreSource", () => {
  const secrets = cache([{ metadata: { name: "k-backup-11111111" } }, { metadata: { name: "o-backup-33333333" } }]);
  const backedUp = { backup: { lastSnapshot: "0a1b2c3d", lastSuccessfulTime: "2026-12-01T03:00:00Z" } };
  test("this Kode, once a backup succeeded: its repository and password Secret", () => {
    expect(resolveRestoreSource(kode({ snapshot: "latest" }, backedUp), BACKUP, { kodes: cache([]), secrets })).toEqual({ source: SOURCE });
  });
  test("the password Secret and status.backup.repository without a successful backup are no backups", () => {
    const before = { backup: { repository: SOURCE.repository, passwordSecret: SOURCE.passwordSecret } };
    expect(resolveRestoreSource(kode({ snapshot: "latest" }, before), BACKUP, { kodes: cache([]), secrets })).toEqual({
      problem: { reason: "RestoreSourceMissing", message: "this Kode has no backups to restore yet (its status.backup.lastSnapshot is unset); back it up first (kubectl annotate kode k kode.jacero.io/backup-now=1)" },
    });
    const other = { metadata: { name: "o", uid: "33333333-4444" }, status: { backup: { repository: "s3:https://s3.example/bkt/ns/o-33333333-4444", passwordSecret: "o-backup-33333333" } } } as unknown as Kode;
    expect(resolveRestoreSource(kode({ snapshot: "latest", from: { kode: "o" } }), BACKUP, { kodes: cache([other]), secrets }).problem).toEqual({
      reason: "RestoreSourceMissing",
      message: "spec.restore.from.kode: Kode ns/o has no backups yet (its status.backup.lastSnapshot is unset); back it up first (kubectl annotate kode o kode.jacero.io/backup-now=1)",
    });
  });
  test("an archive's resume: this Kode's own repository, without spec.restore", () => {
    expect(resolveRestoreSource(kode(undefined), BACKUP, { kodes: cache([]), secrets }, { restore: { snapshot: "0a1b2c3d" }, id: "archive-p" })).toEqual({ source: SOURCE });
  });
  test("from another Kode: what its status.backup names", () => {
    const other = { metadata: { name: "o", uid: "33333333-4444" }, status: { backup: { repository: "s3:https://s3.example/bkt/ns/o-33333333-4444", passwordSecret: "o-backup-33333333", lastSnapshot: "99aa88bb" } } } as unknown as Kode;
    const k = kode({ snapshot: "latest", from: { kode: "o" } });
    expect(resolveRestoreSource(k, BACKUP, { kodes: cache([other]), secrets })).toEqual({ source: { repository: "s3:https://s3.example/bkt/ns/o-33333333-4444", passwordSecret: "o-backup-33333333", host: "ns/o", fromKode: "o" } });
    expect(restoreSecretNames(k, cache([other]))).toEqual(["o-backup-33333333"]);
  });
  test("from naming this Kode is this Kode", () => {
    expect(resolveRestoreSource(kode({ snapshot: "latest", from: { kode: "k" } }, backedUp), BACKUP, { kodes: cache([]), secrets })).toEqual({ source: SOURCE });
  });
  test("no backups section, no password Secret", () => {
    expect(resolveRestoreSource(kode({ snapshot: "latest" }), undefined, { kodes: cache([]), secrets }).problem?.reason).toBe("BackupNotConfigured");
    expect(resolveRestoreSource(kode({ snapshot: "latest" }, backedUp), BACKUP, { kodes: cache([]), secrets: cache([]) }).problem).toEqual({
      reason: "RestoreSourceMissing",
      message: "the backups of this Kode cannot be read: their repository password Secret ns/k-backup-11111111 does not exist (restore it from a copy)",
    });
  });
});

describe("renderRestoreJob", () => {
  test("one try, never restarted, the home claim, the IDE's uid and fsGroup", () => {
    const job = renderRestoreJob({ kode: kode({ snapshot: "latest" }), restore: { snapshot: "latest" }, backup: BACKUP, source: SOURCE, homeVolumeName: "home", uid: 1001, gid: 1002, claimName: "k-home", labels: { a: "b" } });
    expect(job.metadata.name).toBe(`k-restore-${restoreRequestId({ snapshot: "latest" }).slice(0, 8)}`);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    expect(job.spec.template.spec.securityContext).toEqual({ fsGroup: 1002, fsGroupChangePolicy: "OnRootMismatch", seccompProfile: { type: "RuntimeDefault" } });
    expect(job.spec.template.spec.volumes).toEqual([
      { name: "home", persistentVolumeClaim: { claimName: "k-home" } },
      { name: "kode-restore-tmp", emptyDir: {} },
    ]);
    expect(job.spec.template.spec.containers[0]!.securityContext).toMatchObject({ runAsUser: 1001, runAsGroup: 1002, runAsNonRoot: true });
  });
});
