// A PATH that looks like an Alpine image (alpine/git): busybox's sh and tools, plus git. Scripts meant for
// such images are run with it to catch GNU-only flags and bash-isms. Undefined when busybox is not installed.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let cached: string | undefined | null = null;

export function busyboxPath(): string | undefined {
  if (cached !== null) return cached;
  const which = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).stdout.trim();
  const busybox = which("busybox");
  const git = which("git");
  if (!busybox || !git) return (cached = undefined);
  const dir = join(mkdtempSync(join(tmpdir(), "kode-busybox-")), "bin");
  mkdirSync(dir);
  const applets = spawnSync(busybox, ["--list"], { encoding: "utf8" }).stdout.split("\n").filter((a) => a && a !== "git");
  for (const a of applets) symlinkSync(busybox, join(dir, a));
  symlinkSync(git, join(dir, "git"));
  return (cached = dir);
}
