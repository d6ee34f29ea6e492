// Shared by the benchmarks: whether dist/kode was built from the current sources.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** dist/kode exists and is newer than every source file under src/. */
export function distIsCurrent(root: string): boolean {
  const dist = join(root, "dist/kode");
  return existsSync(dist) && statSync(dist).mtimeMs >= newestMtime(join(root, "src"));
}
