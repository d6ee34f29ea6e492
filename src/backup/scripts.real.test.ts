// The backup, restore and verify scripts, run exactly as the containers run them, with Debian's restic against
// an S3 server on loopback over HTTPS.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BACKUP_SCRIPT, RESTORE_SCRIPT, VERIFY_SCRIPT } from "./scripts.ts";
import { HAVE_TOOLS, runScript, startS3, type S3Server } from "./testing.ts";

/** Every entry under dir: type, permission bits, and content hash or link target. */
function tree(dir: string, skip: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip.some((s) => r === s || r.startsWith(`${s}/`))) continue;
      const st = lstatSync(join(dir, r));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[r] = `link -> ${readlinkSync(join(dir, r))}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${mode}`;
        walk(r);
      } else out[r] = `file ${mode} ${createHash("sha256").update(readFileSync(join(dir, r))).digest("hex").slice(0, 16)}`;
    }
  };
  walk("");
  return out;
}

function makeHome(): string {
  const home = mkdtempSync(join(tmpdir(), "kode-home-"));
  mkdirSync(join(home, "workspace/src"), { recursive: true });
  mkdirSync(join(home, "empty-dir"));
  writeFileSync(join(home, "workspace/src/main.py"), "print('hello')\n");
  writeFileSync(join(home, "workspace/notes.md"), "# notes\n");
  writeFileSync(join(home, ".bashrc"), "export EDITOR=vim\n");
  writeFileSync(join(home, "run.sh"), "#!/bin/sh\necho run\n");
  chmodSync(join(home, "run.sh"), 0o750);
  writeFileSync(join(home, "secret.key"), "k");
  chmodSync(join(home, "secret.key"), 0o600);
  symlinkSync("workspace/notes.md", join(home, "notes-link"));
  writeFileSync(join(home, "big.bin"), Buffer.alloc(300_000, 7));
  return home;
}

let s3: S3Server;
let n = 0;
const repo = () => `s3:${s3.endpoint}/backups/team-a/kode-${++n}-uid${n}`;
const env = (home: string, extra: Record<string, string> = {}) => ({ KODE_SOURCE: home, KODE_TARGET: home, KODE_HOST: "team-a/my-kode", ...extra });

describe.skipIf(!HAVE_TOOLS)("backup scripts with restic and S3 over HTTPS", () => {
  beforeAll(async () => {
    s3 = await startS3(["backups"]);
  }, 30_000);
  afterAll(async () => {
    await s3?.stop();
  });

  test("init, two backups with a change between, snapshots with sizes, retention", async () => {
    const home = makeHome();
    const r = repo();
    const first = await runScript(BACKUP_SCRIPT, { s3, repository: r, password: "pw-1", env: env(home, { KODE_TAG: "scheduled" }) });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.result).toMatchObject({ ok: true, snapshots: 1, filesNew: 6, filesChanged: 0, bytesProcessed: 300_061 });
    writeFileSync(join(home, "workspace/notes.md"), "# notes\nmore\n");
    const second = await runScript(BACKUP_SCRIPT, { s3, repository: r, password: "pw-1", env: env(home, { KODE_TAG: "manual" }) });
    expect(second.result).toMatchObject({ ok: true, snapshots: 2, filesNew: 0, filesChanged: 1 });
    const res = second.result as Record<string, any>;
    expect(res.bytesAdded).toBeLessThan((first.result as Record<string, any>).bytesAdded / 10);
    expect(res.recent).toHaveLength(2);
    expect(res.recent[0].id).toBe(res.snapshot);
    expect(res.recent[0].tags).toEqual(["manual"]);
    expect(res.recent[1].tags).toEqual(["scheduled"]);
    // restore size: 15 + 8 + 18 + 19 + 1 + 300000 bytes of files, plus the changed notes (13 bytes instead of 8)
    expect(res.recent[0].size).toBe(300_000 + 15 + 13 + 18 + 19 + 1);
    expect(res.recent[1].size).toBe(300_000 + 15 + 8 + 18 + 19 + 1);
    const pruned = await runScript(BACKUP_SCRIPT, { s3, repository: r, password: "pw-1", env: env(home, { KODE_FORGET_ARGS: "--keep-last 1" }) });
    expect(pruned.result).toMatchObject({ ok: true, snapshots: 1 });
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  test("restore is byte-identical: files, modes, symlinks, empty dirs; check passes", async () => {
    const home = makeHome();
    const before = tree(home);
    const r = repo();
    expect((await runScript(BACKUP_SCRIPT, { s3, repository: r, password: "pw", env: env(home) })).result.ok).toBe(true);
    const fresh = mkdtempSync(join(tmpdir(), "kode-restore-"));
    const restored = await runScript(RESTORE_SCRIPT, { s3, repository: r, password: "pw", env: env(home, { KODE_TARGET: fresh, KODE_RESTORE_ID: "r1" }) });
    expect(restored.stderr).toBe("");
    expect(restored.result).toMatchObject({ ok: true, restored: 7, keptAside: 0, keptAsideDir: null, paths: [], restoreId: "r1" });
    expect(tree(fresh, [".kode-restore-done"])).toEqual(before);
    expect(readFileSync(join(fresh, ".kode-restore-done"), "utf8")).toBe("r1");
    const again = await runScript(RESTORE_SCRIPT, { s3, repository: r, password: "pw", env: env(home, { KODE_TARGET: fresh, KODE_RESTORE_ID: "r1" }) });
    expect(again.result).toEqual({ ok: true, skipped: true, restoreId: "r1" });
    const verified = await runScript(VERIFY_SCRIPT, { s3, repository: r, password: "pw", env: env(home) });
    expect(verified.stderr).toBe("");
    expect(verified.result).toMatchObject({ ok: true, files: 6, bytes: 300_000 + 15 + 8 + 18 + 19 + 1, sampled: 6 });
    rmSync(home, { recursive: true, force: true });
    rmSync(fresh, { recursive: true, force: true });
  }, 60_000);

  test("restore of one path; what changed since the snapshot is kept aside, new files stay", async () => {
    const home = makeHome();
    const r = repo();
    expect((await runScript(BACKUP_SCRIPT, { s3, repository: r, password: "pw", env: env(home) })).result.ok).toBe(true);
    writeFileSync(join(home, "workspace/notes.md"), "edited after the backup\n");
    writeFileSync(join(home, "workspace/new.txt"), "created after the backup\n");
    writeFileSync(join(home, ".bashrc"), "changed too, but not restored\n");
    const out = await runScript(RESTORE_SCRIPT, { s3, repository: r, password: "pw", env: env(home, { KODE_PATHS: "workspace" }) });
    expect(out.stderr).toBe("");
    expect(out.result).toMatchObject({ ok: true, restored: 2, keptAside: 1, paths: ["workspace"] });
    const aside = (out.result as Record<string, any>).keptAsideDir as string;
    expect(aside).toMatch(/^\.kode-restore-kept\/\d{8}T\d{6}Z$/);
    expect(readFileSync(join(home, "workspace/notes.md"), "utf8")).toBe("# notes\n");
    expect(readFileSync(join(home, aside, "workspace/notes.md"), "utf8")).toBe("edited after the backup\n");
    expect(readFileSync(join(home, "workspace/new.txt"), "utf8")).toBe("created after the backup\n");
    expect(readFileSync(join(home, ".bashrc"), "utf8")).toBe("changed too, but not restored\n");
    expect(readdirSync(home)).not.toContain(".kode-restore");
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  test("an unknown snapshot id and another Kode's backups", async () => {
    const home = makeHome();
    const r = repo();
    expect((await runScript(BACKUP_SCRIPT, { s3, repository: r, password: "pw", env: env(home) })).result.ok).toBe(true);
    const unknown = await runScript(RESTORE_SCRIPT, { s3, repository: r, password: "pw", env: env(home, { KODE_SNAPSHOT: "deadbeef" }) });
    expect(unknown.code).toBe(1);
    expect(unknown.result.ok).toBe(false);
    expect((unknown.result as { error: string }).error).toContain("deadbeef");
    const other = await runScript(RESTORE_SCRIPT, { s3, repository: r, password: "pw", env: env(home, { KODE_FROM_HOST: "team-a/nobody" }) });
    expect(other.result).toEqual({ ok: false, error: "no snapshot latest of team-a/nobody in the repository" });
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  test("failures: wrong credentials, missing bucket, no repository to restore", async () => {
    const home = makeHome();
    const creds = await runScript(BACKUP_SCRIPT, { s3, repository: repo(), password: "pw", accessKey: "WRONG", env: env(home) });
    expect(creds.result).toEqual({ ok: false, error: "S3 refused the credentials: unable to open config file: Stat: The AWS Access Key Id you provided does not exist in our records." });
    const bucket = await runScript(BACKUP_SCRIPT, { s3, repository: `s3:${s3.endpoint}/no-such-bucket/x`, password: "pw", env: env(home) });
    expect(bucket.result).toEqual({ ok: false, error: `the bucket of s3:${s3.endpoint}/no-such-bucket/x does not exist` });
    const r = repo();
    const none = await runScript(RESTORE_SCRIPT, { s3, repository: r, password: "pw", env: env(home) });
    expect(none.result).toEqual({ ok: false, error: `there is no restic repository at ${r}` });
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  test("a replaced password never starts a new repository over the old one", async () => {
    const home = makeHome();
    const r = repo();
    expect((await runScript(BACKUP_SCRIPT, { s3, repository: r, password: "original", env: env(home) })).result.ok).toBe(true);
    const replaced = await runScript(BACKUP_SCRIPT, { s3, repository: r, password: "regenerated", env: env(home) });
    expect(replaced.result).toEqual({ ok: false, error: `the repository password does not open ${r} (was its password Secret replaced? the old one is needed)` });
    const still = await runScript(BACKUP_SCRIPT, { s3, repository: r, password: "original", env: env(home) });
    expect(still.result).toMatchObject({ ok: true, snapshots: 2 });
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  test("S3 down mid-backup: nothing is lost, the next run succeeds", async () => {
    const home = makeHome();
    const r = repo();
    expect((await runScript(BACKUP_SCRIPT, { s3, repository: r, password: "pw", env: env(home) })).result.ok).toBe(true);
    const packs = join(s3.dataDir, "backups", r.split("/backups/")[1]!, "data");
    const countPacks = () => {
      let c = 0;
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : c++;
      };
      walk(packs);
      return c;
    };
    const before = countPacks();
    // incompressible data, so the upload takes many packs
    const chunks: Buffer[] = [];
    for (let i = 0; i < 400; i++) chunks.push(Buffer.from(crypto.getRandomValues(new Uint8Array(65536))));
    writeFileSync(join(home, "random.bin"), Buffer.concat(chunks));
    const running = runScript(BACKUP_SCRIPT, { s3, repository: r, password: "pw", env: env(home) });
    // cut S3 once the new data started to arrive, keep it down for a few seconds
    for (let i = 0; i < 600 && countPacks() === before; i++) await Bun.sleep(20);
    expect(countPacks()).toBeGreaterThan(before);
    await s3.stop();
    await Bun.sleep(3000);
    await s3.start();
    const cut = await running;
    // restic retries while S3 is away: the cut run either finishes after S3 is back or fails with a clear error
    if (!cut.result.ok) expect((cut.result as { error: string }).error).toMatch(/^(backup failed|S3 endpoint unreachable): /);
    const next = await runScript(BACKUP_SCRIPT, { s3, repository: r, password: "pw", env: env(home) });
    expect(next.result.ok).toBe(true);
    expect((next.result as Record<string, number>).snapshots).toBeGreaterThanOrEqual(2);
    const fresh = mkdtempSync(join(tmpdir(), "kode-restore-"));
    const restored = await runScript(RESTORE_SCRIPT, { s3, repository: r, password: "pw", env: env(home, { KODE_TARGET: fresh }) });
    expect(restored.result.ok).toBe(true);
    expect(tree(fresh)).toEqual(tree(home));
    expect((await runScript(VERIFY_SCRIPT, { s3, repository: r, password: "pw", env: env(home) })).result.ok).toBe(true);
    rmSync(home, { recursive: true, force: true });
    rmSync(fresh, { recursive: true, force: true });
  }, 120_000);

  test("verification fails when the volume and the snapshot disagree, and on a damaged repository", async () => {
    const home = makeHome();
    const r = repo();
    expect((await runScript(BACKUP_SCRIPT, { s3, repository: r, password: "pw", env: env(home) })).result.ok).toBe(true);
    writeFileSync(join(home, "workspace/notes.md"), "changed after the backup\n");
    const differs = await runScript(VERIFY_SCRIPT, { s3, repository: r, password: "pw", env: env(home) });
    expect(differs.result).toMatchObject({ ok: false });
    expect((differs.result as { error: string }).error).toContain("workspace/notes.md differs between the snapshot and the volume");
    // damage every pack of this repository in the S3 server's store (same size, different bytes)
    const dataRoot = join(s3.dataDir, "backups", r.split("/backups/")[1]!, "data");
    let damagedPacks = 0;
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const f = join(d, e.name);
        if (e.isDirectory()) walk(f);
        else if (e.name.endsWith("._S3rver_object")) {
          const bytes = readFileSync(f);
          bytes.fill(0, Math.floor(bytes.length / 4), Math.floor((bytes.length * 3) / 4));
          writeFileSync(f, bytes);
          damagedPacks++;
        }
      }
    };
    walk(dataRoot);
    expect(damagedPacks).toBeGreaterThan(0);
    const damaged = await runScript(VERIFY_SCRIPT, { s3, repository: r, password: "pw", env: env(home) });
    expect(damaged.result.ok).toBe(false);
    expect((damaged.result as { error: string }).error).toMatch(/^restic check found problems: /);
    rmSync(home, { recursive: true, force: true });
  }, 60_000);
});
