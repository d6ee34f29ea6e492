// `kode render -f FILE…`: the children a Kode would get, offline. Templates come from the same files.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Kode, KodeTemplate } from "../api/types.ts";
import { renderKode } from "./render.ts";
import { validateKodeInput } from "./validate.ts";

export const RENDER_USAGE = `Usage: kode render -f FILE [-f FILE…]

Prints, as YAML, the objects the operator would create for each Kode in the files. The Kode's template
(KodeTemplate or KodeClusterTemplate) must be in the files too. Nothing is sent to a cluster; a password the
operator would generate is shown as <generated>.
`;

type Doc = Record<string, any>;

function loadDocs(files: string[]): Doc[] {
  const docs: Doc[] = [];
  for (const f of files) {
    const text = f === "-" ? readFileSync(0, "utf8") : readFileSync(f, "utf8");
    for (const part of text.split(/^---\s*$/m)) {
      const doc = Bun.YAML.parse(part) as Doc | null;
      if (doc && typeof doc === "object") docs.push(...(doc.kind === "List" ? doc.items : [doc]));
    }
  }
  return docs;
}

export function renderDocuments(docs: Doc[]): { yaml: string; problems: string[] } {
  const templates = docs.filter((d) => d.kind === "KodeTemplate" || d.kind === "KodeClusterTemplate") as KodeTemplate[];
  const out: unknown[] = [];
  const problems: string[] = [];
  for (const kode of docs.filter((d) => d.kind === "Kode") as Kode[]) {
    kode.metadata.namespace ??= "default";
    const ref = kode.spec.templateRef;
    const kind = ref.kind ?? "KodeTemplate";
    const template = templates.find((t) => t.kind === kind && t.metadata.name === ref.name && (kind === "KodeClusterTemplate" || (t.metadata.namespace ?? "default") === (ref.namespace ?? kode.metadata.namespace)));
    if (!template) {
      problems.push(`Kode ${kode.metadata.name}: ${kind} "${ref.name}" is not in the given files`);
      continue;
    }
    const spec = { tz: "UTC", puid: 1000, pgid: 1000, defaultHome: "/config", defaultWorkspace: "workspace", ...template.spec };
    for (const p of validateKodeInput(kode, spec)) problems.push(`Kode ${kode.metadata.name}: ${p.reason}: ${p.message}`);
    const generated = kode.spec.existingSecret ? undefined : { username: kode.spec.user ?? "abc", password: kode.spec.password ?? "<generated>" };
    const result = renderKode({
      kode,
      template: { kind, name: template.metadata.name, namespace: template.metadata.namespace, spec },
      credentials: { secretName: kode.spec.existingSecret ?? `${kode.metadata.name}-auth`, passwordKey: "password", generated },
      configChecksum: "<computed-by-the-operator>",
    });
    for (const w of result.warnings) problems.push(`Kode ${kode.metadata.name}: warning: ${w}`);
    out.push(...[result.secret, result.pvc, result.service, result.statefulSet].filter(Boolean));
  }
  return { yaml: out.map((o) => Bun.YAML.stringify(o, null, 2)).join("---\n"), problems };
}

export async function renderCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { filename: { type: "string", short: "f", multiple: true }, help: { type: "boolean", short: "h" } }, strict: true });
  if (values.help || !values.filename?.length) {
    console.log(RENDER_USAGE);
    return values.help ? 0 : 2;
  }
  const { yaml, problems } = renderDocuments(loadDocs(values.filename));
  for (const p of problems) console.error(p);
  process.stdout.write(yaml);
  return problems.some((p) => !p.includes(": warning: ")) ? 1 : 0;
}
