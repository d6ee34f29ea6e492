// The API-server benchmark with authorization off (AlwaysAllow) and on (RBAC), one after the other in
// one run, side by side: `bun bench/apiserver-rbac.ts [flags of bench/apiserver.ts]`.
// Each mode runs bench/apiserver.ts in a process of its own (its own server too); the machine's load
// average is printed with each, since on a shared machine load moves the wall-clock figures more than
// the mode does. Writes bench/results/apiserver-<date>-rbac-both.json unless --no-save.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const passed = process.argv.slice(2);
const noSave = passed.includes("--no-save");
const forwarded = passed.filter((a) => a !== "--no-save" && a !== "--rbac");
const dir = mkdtempSync(join(tmpdir(), "kode-bench-both-"));

interface Results {
  date: string;
  server: string;
  machine: { loadAverage1mAtStart: number; loadAverage1mAtEnd: number };
  creates: { perSec: number; p50Ms: number; p99Ms: number };
  list: { json: { medianMs: number }; table: { medianMs: number }; paginatedLimit500: { medianMs: number } };
  watch: { eventsPerSec: number; writesPerSec: number; allInOrderNoLoss: boolean; watchersComplete: number; watchers: number };
  memory: { mbPer1000From0To10k: number; mbPer1000From10kToMany: number };
  customResources: { withRulesPerSec: number; withoutRulesPerSec: number };
  latency: { getObject: { p50Ms: number } };
}

async function run(rbac: boolean): Promise<Results> {
  const out = join(dir, rbac ? "rbac.json" : "allow.json");
  const args = [process.execPath, join(ROOT, "bench/apiserver.ts"), ...forwarded, "--no-save", "--json-out", out, ...(rbac ? ["--rbac"] : [])];
  console.error(`bench: ${rbac ? "RBAC" : "AlwaysAllow"} (load average ${loadavg()[0].toFixed(2)})`);
  const proc = Bun.spawn(args, { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  const code = await proc.exited;
  if (code !== 0) throw new Error(`bench/apiserver.ts ${rbac ? "--rbac " : ""}exited with ${code}`);
  return JSON.parse(readFileSync(out, "utf8")) as Results;
}

try {
  const allow = await run(false);
  const rbac = await run(true);
  const rows: [string, (r: Results) => number, "higher" | "lower"][] = [
    ["creates/s (ConfigMaps, 64 in flight)", (r) => r.creates.perSec, "higher"],
    ["create p50 ms", (r) => r.creates.p50Ms, "lower"],
    ["GET one object p50 ms", (r) => r.latency.getObject.p50Ms, "lower"],
    ["list 10k JSON median ms", (r) => r.list.json.medianMs, "lower"],
    ["list 10k Table median ms", (r) => r.list.table.medianMs, "lower"],
    ["list limit=500 walk median ms", (r) => r.list.paginatedLimit500.medianMs, "lower"],
    ["watch events/s (no loss)", (r) => r.watch.eventsPerSec, "higher"],
    ["watch writes/s", (r) => r.watch.writesPerSec, "higher"],
    ["RSS MB per 1000 objects (creates)", (r) => r.memory.mbPer1000From0To10k, "lower"],
    ["RSS MB per 1000 objects (filling)", (r) => r.memory.mbPer1000From10kToMany, "lower"],
    ["custom resources/s, 5 CEL rules", (r) => r.customResources.withRulesPerSec, "higher"],
    ["custom resources/s, no rules", (r) => r.customResources.withoutRulesPerSec, "higher"],
  ];
  const table = rows.map(([what, get]) => [what, String(get(allow)), String(get(rbac)), (get(rbac) / get(allow)).toFixed(2)]);
  const header = ["", "AlwaysAllow", "RBAC", "RBAC/AlwaysAllow"];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  console.log(`\nkode apiserver benchmark, authorization off and on — server: ${allow.server}`);
  console.log(`load average: AlwaysAllow run ${allow.machine.loadAverage1mAtStart}→${allow.machine.loadAverage1mAtEnd}, RBAC run ${rbac.machine.loadAverage1mAtStart}→${rbac.machine.loadAverage1mAtEnd}\n`);
  for (const r of [header, ...table]) console.log(`  ${r[0].padEnd(widths[0])}  ${r.slice(1).map((c, i) => c.padStart(widths[i + 1])).join("  ")}`);
  const lossless = allow.watch.allInOrderNoLoss && rbac.watch.allInOrderNoLoss;
  console.log(`  watch: every watcher got every event in order: ${lossless ? "yes" : "NO"} (${allow.watch.watchersComplete}/${allow.watch.watchers}, ${rbac.watch.watchersComplete}/${rbac.watch.watchers})`);
  if (!noSave) {
    const file = join(ROOT, "bench/results", `apiserver-${allow.date.slice(0, 10)}-rbac-both.json`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ alwaysAllow: allow, rbac }, null, 2)}\n`);
    console.log(`\nwritten to ${file.slice(ROOT.length + 1)}`);
  }
  if (!lossless) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
