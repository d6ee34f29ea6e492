// Copies into the Helm chart (charts/kode-operator) what it shares with the kustomize manifests, byte for byte: the
// CRDs (crds/) and the files its templates read (files/): the ClusterRole's and leader-election Role's rules and the
// bind-user admission policy. Run after `kode crds --write manifests/crds` or an RBAC change:
//   npx bun scripts/sync-chart.ts          (write)
//   npx bun scripts/sync-chart.ts --check  (exit 1 when the chart is stale; e2e/helm-chart.test.ts checks the same)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export const ROOT = join(import.meta.dir, "..");
export const CHART = join(ROOT, "charts", "kode-operator");

/** Chart path → manifests path, for every shared file. */
export function chartCopies(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(join(ROOT, "manifests", "crds")).sort())
    if (f.endsWith(".yaml") && f !== "kustomization.yaml") out[`crds/${f}`] = `manifests/crds/${f}`;
  for (const f of ["role.yaml", "leader_election_role.yaml"]) out[`files/rbac/${f}`] = `manifests/rbac/${f}`;
  for (const f of ["validating_admission_policy.yaml", "validating_admission_policy_binding.yaml"]) out[`files/bind-user/${f}`] = `manifests/components/bind-user/${f}`;
  return out;
}

/** Chart files that differ from (or are missing next to) their manifests source, and stale CRD copies. */
export function staleChartFiles(): string[] {
  const copies = chartCopies();
  const stale = Object.entries(copies)
    .filter(([to, from]) => !existsSync(join(CHART, to)) || readFileSync(join(CHART, to), "utf8") !== readFileSync(join(ROOT, from), "utf8"))
    .map(([to]) => to);
  const crdDir = join(CHART, "crds");
  if (existsSync(crdDir)) for (const f of readdirSync(crdDir)) if (!copies[`crds/${f}`]) stale.push(`crds/${f}`);
  return stale;
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  const stale = staleChartFiles();
  if (check) {
    if (stale.length) {
      console.error(`charts/kode-operator is stale (run npx bun scripts/sync-chart.ts): ${stale.join(", ")}`);
      process.exit(1);
    }
  } else {
    const copies = chartCopies();
    for (const f of stale) {
      const to = join(CHART, f);
      if (!copies[f]) {
        rmSync(to);
        continue;
      }
      mkdirSync(dirname(to), { recursive: true });
      writeFileSync(to, readFileSync(join(ROOT, copies[f]), "utf8"));
    }
    console.log(stale.length ? `wrote ${stale.join(", ")}` : "charts/kode-operator is up to date");
  }
}
