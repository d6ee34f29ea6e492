// Benchmark of a Kode's backups (`bun bench/backup.ts`): the exact backup and restore scripts the Jobs run, with
// Debian's restic against s3rver over HTTPS on loopback (src/backup/testing.ts), on a home of N files (default
// 10,000) totalling S bytes (default 1 GB) of incompressible data. Measured:
//   1. first backup: duration, bytes restic added, bytes the S3 server stored
//   2. second backup after rewriting 1 % of the files: the same (it should upload about 1 %)
//   3. restore of the newest snapshot into an empty volume: duration, byte-identical check of the changed files
// Every run starts with an empty restic cache, as a Job's emptyDir does. Prints a table and writes
// bench/results/backup-<date>.json.
//
// Flags: --files N (10000)  --bytes B (1000000000)  --changed P (1, percent)  --no-save
import { randomFillSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BACKUP_SCRIPT, RESTORE_SCRIPT } from "../src/backup/scripts.ts";
import { HAVE_TOOLS, runScript, startS3 } from "../src/backup/testing.ts";

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: { files: { type: "string", default: "10000" }, bytes: { type: "string", default: "1000000000" }, changed: { type: "string", default: "1" }, "no-save": { type: "boolean" } },
});
const FILES = Number(flags.files);
const BYTES = Number(flags.bytes);
const CHANGED = Math.max(1, Math.round((FILES * Number(flags.changed)) / 100));
if (!HAVE_TOOLS) throw new Error("needs restic, jq and node on PATH");

function duSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? duSize(p) : statSync(p).size;
  }
  return total;
}

const fileSize = Math.floor(BYTES / FILES);
const filePath = (home: string, i: number) => join(home, `dir-${String(i % 100).padStart(2, "0")}`, `file-${i}.bin`);
function writeRandom(path: string) {
  writeFileSync(path, randomFillSync(Buffer.allocUnsafe(fileSize)));
}

const root = mkdtempSync(join(tmpdir(), "kode-bench-backup-"));
const home = join(root, "home");
const s3 = await startS3(["backups"]);
try {
  for (let d = 0; d < 100; d++) mkdirSync(join(home, `dir-${String(d).padStart(2, "0")}`), { recursive: true });
  for (let i = 0; i < FILES; i++) writeRandom(filePath(home, i));
  const repository = `s3:${s3.endpoint}/backups/bench/default/kode-uid`;
  const env = { KODE_SOURCE: home, KODE_TARGET: home, KODE_HOST: "default/kode", KODE_TAG: "bench" };
  const backup = async () => {
    const before = duSize(s3.dataDir);
    const t = performance.now();
    const r = await runScript(BACKUP_SCRIPT, { s3, repository, password: "bench-password", env });
    const seconds = (performance.now() - t) / 1000;
    if (!r.result.ok) throw new Error(`backup failed: ${r.result.error}\n${r.stderr}`);
    return { seconds, bytesAdded: (r.result as unknown as { bytesAdded: number }).bytesAdded, s3Bytes: duSize(s3.dataDir) - before, snapshot: (r.result as unknown as { snapshot: string }).snapshot };
  };
  const first = await backup();
  for (let i = 0; i < CHANGED; i++) writeRandom(filePath(home, Math.floor((i * FILES) / CHANGED)));
  const second = await backup();
  const target = join(root, "restored");
  mkdirSync(target);
  const t = performance.now();
  const restored = await runScript(RESTORE_SCRIPT, { s3, repository, password: "bench-password", env: { ...env, KODE_TARGET: target, KODE_SNAPSHOT: second.snapshot } });
  const restoreSeconds = (performance.now() - t) / 1000;
  if (!restored.result.ok) throw new Error(`restore failed: ${restored.result.error}`);
  let identical = 0;
  for (let i = 0; i < CHANGED; i++) {
    const n = Math.floor((i * FILES) / CHANGED);
    if (readFileSync(filePath(home, n)).equals(readFileSync(filePath(target, n)))) identical++;
  }
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const rows = [
    ["first backup", `${first.seconds.toFixed(1)} s`, mb(first.bytesAdded), mb(first.s3Bytes), `${(BYTES / 1e6 / first.seconds).toFixed(1)} MB/s`],
    [`after ${CHANGED} files (${flags.changed} %) changed`, `${second.seconds.toFixed(1)} s`, mb(second.bytesAdded), mb(second.s3Bytes), `${((100 * second.s3Bytes) / first.s3Bytes).toFixed(2)} % of the first`],
    ["restore (newest)", `${restoreSeconds.toFixed(1)} s`, "", "", `${(restored.result as unknown as { restored: number }).restored} files; ${identical}/${CHANGED} changed files identical`],
  ];
  console.log(`home: ${FILES} files, ${mb(fileSize * FILES)}; restic ${Bun.spawnSync(["restic", "version"]).stdout.toString().trim()}; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`);
  console.log(["step", "duration", "restic added", "S3 stored", "note"].join(" | "));
  for (const r of rows) console.log(r.join(" | "));
  if (!flags["no-save"]) {
    const out = resolve(import.meta.dir, "results", `backup-${new Date().toISOString().slice(0, 10)}.json`);
    mkdirSync(resolve(import.meta.dir, "results"), { recursive: true });
    writeFileSync(out, JSON.stringify({ files: FILES, bytes: fileSize * FILES, changedFiles: CHANGED, first, second, restore: { seconds: restoreSeconds, identical }, load: loadavg()[0], cores: cpus().length }, null, 2));
    console.log(`wrote ${out}`);
  }
} finally {
  await s3.stop();
  rmSync(root, { recursive: true, force: true });
}
