// The kode-restore init container as render puts it in the pod, run the way kubelet would run it: its command
// as rendered, its env with the secretKeyRefs filled from Secrets, its mounts mapped to local folders and its
// termination message read back through restoreOutcome. Debian's restic against s3rver over HTTPS.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kode, KodeTemplateSpec } from "../api/types.ts";
import { renderKode } from "../kode/render.ts";
import { repositoryUrl, resticHost } from "./config.ts";
import { type RestoreContainer, type RestoreSource } from "./restore-render.ts";
import { restoreOutcome } from "./restore-status.ts";
import { BACKUP_SCRIPT } from "./scripts.ts";
import { HAVE_TOOLS, runScript, startS3, type S3Server } from "./testing.ts";

let s3: S3Server;
const SECRETS: Record<string, Record<string, string>> = {
  "creds": { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" },
  "s3-ca": {},
  "mine-backup-0000aaaa": { password: "pw-mine" },
  "other-backup-0000bbbb": { password: "pw-other" },
};

const template = (): KodeTemplateSpec & Record<string, unknown> => ({
  type: "code-server",
  image: "lscr.io/linuxserver/code-server:latest",
  backup: { s3: { endpoint: s3.endpoint, bucket: "backups", prefix: "kodes", credentialsSecretRef: { name: "creds" }, caSecretRef: { name: "s3-ca" } } },
  dotfiles: { url: "https://git.example/dotfiles.git" },
});
const kode = (name: string, uid: string, restore: Record<string, unknown>): Kode =>
  ({
    apiVersion: "kode.jacero.io/v1alpha1",
    kind: "Kode",
    metadata: { name, namespace: "team-a", uid, generation: 1 },
    spec: { templateRef: { name: "t" }, storage: { resources: { requests: { storage: "1Gi" } } }, restore },
  }) as Kode;

/** The pod's init containers as render makes them, for a Kode restoring from `source`. */
function render(k: Kode, source: RestoreSource) {
  const spec = template();
  const r = renderKode({
    kode: k,
    template: { kind: "KodeTemplate", name: "t", namespace: "team-a", spec },
    credentials: { secretName: "x", passwordKey: "password", generated: { username: "abc", password: "pw-ide" } },
    restore: { restore: (k.spec as unknown as { restore: never }).restore, backup: spec.backup as never, source },
  });
  return r.statefulSet.spec.template.spec;
}

/** Run a container as kubelet would: mounts mapped to local folders, secretKeyRefs resolved, the command as is. */
async function runContainer(c: RestoreContainer, mounts: Record<string, string>) {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", TZ: "UTC" };
  const local = (v: string) => {
    for (const [path, dir] of Object.entries(mounts)) if (v === path || v.startsWith(`${path}/`)) return dir + v.slice(path.length);
    return v;
  };
  for (const e of c.env) {
    const ref = (e.valueFrom as { secretKeyRef?: { name: string; key: string; optional?: boolean } } | undefined)?.secretKeyRef;
    if (ref) {
      const value = SECRETS[ref.name]?.[ref.key];
      if (value !== undefined) env[e.name] = value;
      else if (!ref.optional) throw new Error(`kubelet would refuse to start: ${ref.name}/${ref.key}`);
    } else env[e.name] = local(e.value ?? "");
  }
  // terminationMessagePath (default /dev/termination-log) is a file kubelet mounts.
  const work = mkdtempSync(join(tmpdir(), "kode-kubelet-"));
  env.KODE_RESULT = join(work, "termination-log");
  const proc = Bun.spawn(c.command, { env, stdout: "pipe", stderr: "pipe" });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  let message: string | undefined;
  try {
    message = readFileSync(env.KODE_RESULT, "utf8");
  } catch {}
  rmSync(work, { recursive: true, force: true });
  return { code, stderr, message };
}

/** A pod whose kode-restore container ran with this spec and left `message`. */
const podOf = (c: RestoreContainer, message: string | undefined) => ({
  spec: { initContainers: [{ name: c.name, env: c.env.filter((e) => e.value !== undefined).map((e) => ({ name: e.name, value: e.value })) }] },
  status: { initContainerStatuses: [{ name: c.name, state: { terminated: { exitCode: 0, message, finishedAt: "2026-12-02T00:10:00Z" } } }] },
});

function home(): string {
  const h = mkdtempSync(join(tmpdir(), "kode-home-"));
  mkdirSync(join(h, "workspace"));
  writeFileSync(join(h, "workspace/notes.md"), "# notes\n");
  writeFileSync(join(h, "workspace/main.py"), "print(1)\n");
  writeFileSync(join(h, ".bashrc"), "export A=1\n");
  return h;
}

describe.skipIf(!HAVE_TOOLS)("the rendered kode-restore container with restic and S3 over HTTPS", () => {
  let caDir: string;
  let tmp: string;
  beforeAll(async () => {
    s3 = await startS3(["backups"]);
    caDir = mkdtempSync(join(tmpdir(), "kode-ca-"));
    copyFileSync(s3.caFile, join(caDir, "ca.crt"));
    tmp = mkdtempSync(join(tmpdir(), "kode-tmp-"));
  }, 30_000);
  afterAll(async () => {
    await s3?.stop();
  });

  test("first init container; restores once per request, keeps what changed since the snapshot, leaves new files", async () => {
    const h = home();
    const uid = "0000aaaa-0000-0000-0000-000000000001";
    const repository = repositoryUrl({ endpoint: s3.endpoint, bucket: "backups", prefix: "kodes" }, "team-a", "mine", uid);
    expect(repository).toBe(`s3:${s3.endpoint}/backups/kodes/team-a/mine-${uid}`);
    // The backup the Job would have made: the home volume mounted at /data, so snapshots hold /data.
    const backup = await runScript(BACKUP_SCRIPT, { s3, repository, password: "pw-mine", env: { KODE_SOURCE: h, KODE_HOST: resticHost("team-a", "mine") } });
    expect(backup.result.ok).toBe(true);
    writeFileSync(join(h, "workspace/notes.md"), "edited after the backup\n");
    writeFileSync(join(h, "workspace/new.txt"), "new after the backup\n");

    const k = kode("mine", uid, { snapshot: "latest", paths: ["workspace"] });
    const pod = render(k, { repository, passwordSecret: "mine-backup-0000aaaa", host: "team-a/mine" });
    expect(pod.initContainers!.map((c) => c.name)).toEqual(["kode-restore", "kode-dotfiles-fetch", "kode-dotfiles"]);
    const c = pod.initContainers![0] as RestoreContainer;
    expect(c.securityContext).toEqual({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, readOnlyRootFilesystem: true });
    expect(c.volumeMounts).toEqual([
      { name: "home", mountPath: "/data" },
      { name: "kode-restore-tmp", mountPath: "/kode-restore-tmp" },
      { name: "kode-restore-ca", mountPath: "/kode-restore-ca", readOnly: true },
    ]);
    // KODE_SOURCE stays the path the backup saw (/data in the cluster; here the folder the backup read).
    const mounts = { "/data": h, "/kode-restore-tmp": tmp, "/kode-restore-ca": caDir };
    const sourceAsBackedUp = { ...c, env: c.env.map((e) => (e.name === "KODE_SOURCE" ? { name: e.name, value: h } : e)) };
    const run = await runContainer(sourceAsBackedUp, mounts);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);

    const out = restoreOutcome(k, { source: { repository, passwordSecret: "mine-backup-0000aaaa", host: "team-a/mine" }, pod: podOf(c, run.message) });
    expect(out.status).toEqual({ request: expect.stringMatching(/^[0-9a-f]{16}$/), snapshot: (backup.result as unknown as { snapshot: string }).snapshot, restoredAt: "2026-12-02T00:10:00Z", kept: 1 });
    expect(out.condition).toMatchObject({ status: "True", reason: "Restored" });
    expect(out.event).toMatchObject({ type: "Normal", reason: "RestoreSucceeded" });
    expect(out.event!.message).toMatch(/^restored snapshot [0-9a-f]{8} \(2 files\); 1 file it would have replaced kept aside under ~\/\.kode-restore-kept\/\d{8}T\d{6}Z$/);
    expect(readFileSync(join(h, "workspace/notes.md"), "utf8")).toBe("# notes\n");
    expect(readFileSync(join(h, "workspace/new.txt"), "utf8")).toBe("new after the backup\n");
    const [aside] = readdirSync(join(h, ".kode-restore-kept"));
    expect(readFileSync(join(h, ".kode-restore-kept", aside!, "workspace/notes.md"), "utf8")).toBe("edited after the backup\n");

    // The pod starts again: the marker holds the request id, nothing is restored twice, status stays as it was.
    writeFileSync(join(h, "workspace/notes.md"), "edited again\n");
    const again = await runContainer(sourceAsBackedUp, mounts);
    expect(JSON.parse(again.message!)).toEqual({ ok: true, skipped: true, restoreId: out.status!.request });
    expect(readFileSync(join(h, "workspace/notes.md"), "utf8")).toBe("edited again\n");
    const settled = restoreOutcome({ ...k, status: { restore: out.status } } as Kode, { source: { repository, passwordSecret: "mine-backup-0000aaaa", host: "team-a/mine" }, pod: podOf(c, again.message) });
    expect(settled.status).toEqual(out.status);
    expect(settled.event).toBeUndefined();
    rmSync(h, { recursive: true, force: true });
  }, 60_000);

  test("an unknown snapshot id: the script's error in status and an Event, home untouched, the IDE not held up", async () => {
    const h = home();
    const uid = "0000aaaa-0000-0000-0000-000000000002";
    const repository = repositoryUrl({ endpoint: s3.endpoint, bucket: "backups", prefix: "kodes" }, "team-a", "mine", uid);
    expect((await runScript(BACKUP_SCRIPT, { s3, repository, password: "pw-mine", env: { KODE_SOURCE: h, KODE_HOST: "team-a/mine" } })).result.ok).toBe(true);
    writeFileSync(join(h, "workspace/notes.md"), "mine\n");
    const k = kode("mine", uid, { snapshot: "deadbeef" });
    const c = render(k, { repository, passwordSecret: "mine-backup-0000aaaa", host: "team-a/mine" }).initContainers![0] as RestoreContainer;
    const run = await runContainer(c, { "/data": h, "/kode-restore-tmp": tmp, "/kode-restore-ca": caDir });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("kode: no snapshot deadbeef of team-a/mine in the repository\n");
    const out = restoreOutcome(k, { source: { repository, passwordSecret: "mine-backup-0000aaaa", host: "team-a/mine" }, pod: podOf(c, run.message) });
    expect(out.status).toEqual({ request: expect.stringMatching(/^[0-9a-f]{16}$/), error: "no snapshot deadbeef of team-a/mine in the repository" });
    expect(out.condition).toMatchObject({ status: "False", reason: "RestoreFailed" });
    expect(out.event).toMatchObject({ type: "Warning", reason: "RestoreFailed" });
    expect(readFileSync(join(h, "workspace/notes.md"), "utf8")).toBe("mine\n");
    expect(readdirSync(h).sort()).toEqual([".bashrc", "workspace"]);
    rmSync(h, { recursive: true, force: true });
  }, 60_000);

  test("from another Kode: its repository, password and host; restored into a new Kode's empty home", async () => {
    const src = home();
    const otherUid = "0000bbbb-0000-0000-0000-000000000003";
    const repository = repositoryUrl({ endpoint: s3.endpoint, bucket: "backups", prefix: "kodes" }, "team-a", "other", otherUid);
    expect((await runScript(BACKUP_SCRIPT, { s3, repository, password: "pw-other", env: { KODE_SOURCE: src, KODE_HOST: "team-a/other" } })).result.ok).toBe(true);
    const fresh = mkdtempSync(join(tmpdir(), "kode-new-"));
    const k = kode("copy", "0000cccc-0000-0000-0000-000000000004", { snapshot: "latest", from: { kode: "other" } });
    const c = render(k, { repository, passwordSecret: "other-backup-0000bbbb", host: "team-a/other", fromKode: "other" }).initContainers![0] as RestoreContainer;
    expect(c.env.find((e) => e.name === "KODE_FROM_HOST")).toEqual({ name: "KODE_FROM_HOST", value: "team-a/other" });
    expect(c.env.find((e) => e.name === "RESTIC_PASSWORD")).toEqual({ name: "RESTIC_PASSWORD", valueFrom: { secretKeyRef: { name: "other-backup-0000bbbb", key: "password", optional: true } } });
    const run = await runContainer({ ...c, env: c.env.map((e) => (e.name === "KODE_SOURCE" ? { name: e.name, value: src } : e)) }, { "/data": fresh, "/kode-restore-tmp": tmp, "/kode-restore-ca": caDir });
    expect(run.stderr).toBe("");
    const out = restoreOutcome(k, { source: { repository, passwordSecret: "other-backup-0000bbbb", host: "team-a/other", fromKode: "other" }, pod: podOf(c, run.message) });
    expect(out.status).toMatchObject({ fromKode: "other", kept: 0 });
    expect(readFileSync(join(fresh, "workspace/main.py"), "utf8")).toBe("print(1)\n");
    expect(readFileSync(join(fresh, ".bashrc"), "utf8")).toBe("export A=1\n");
    rmSync(src, { recursive: true, force: true });
    rmSync(fresh, { recursive: true, force: true });
  }, 60_000);
});
