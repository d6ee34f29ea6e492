// Falco rules for Kode pods: Falco runs node-level (its DaemonSet, installed by the platform); the operator only
// labels Kode pods and renders the rules every Falco node loads from one ConfigMap (mounted into
// /etc/falco/rules.d by the Falco chart's `mounts` values). Every rule is scoped to Kode pods by the macro below,
// which reads the labels Falco's Kubernetes fields expose from the container runtime.

export const KODE_POD_MACRO = "kode_pod";
export const KODE_NAME_FIELD = "k8s.pod.label[kode.jacero.io/name]";
export const FALCO_RULES_CONFIGMAP = "kode-falco-rules";
/** Pod labels of a Falco-enabled template's Kodes (Falco reads them as k8s.pod.label[...]): the template's name and kind. */
export const TEMPLATE_LABEL = "kode.jacero.io/template";
export const TEMPLATE_KIND_LABEL = "kode.jacero.io/template-kind";

export type Priority = "EMERGENCY" | "ALERT" | "CRITICAL" | "ERROR" | "WARNING" | "NOTICE" | "INFORMATIONAL" | "DEBUG";
export const PRIORITIES: readonly Priority[] = ["EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFORMATIONAL", "DEBUG"];

/** A rule as a template writes it; its condition is ANDed with the Kode-pod macro (and the template's scope). */
export interface FalcoRule {
  rule: string;
  desc?: string;
  condition: string;
  output: string;
  priority: Priority;
  tags?: string[];
}

type Entry = Record<string, string | string[] | boolean | Record<string, string>>;

const SYSTEM_DIRS = "(/bin, /sbin, /usr/bin, /usr/sbin, /usr/local/bin, /usr/local/sbin, /lib, /usr/lib)";
const PACKAGE_MANAGERS = "(apt, apt-get, dpkg, apk, yum, dnf, rpm, pip, pip3, npm, conda, mamba)";
const MINERS = "(xmrig, minerd, cpuminer, cpuminer-multi, ethminer, nbminer, t-rex, phoenixminer, lolminer, cgminer, bfgminer)";

/** The base every ruleset starts with: the scope macro and the defaults for development environments. */
export function defaultRules(): Entry[] {
  const out = (what: string) => `${what} (kode=%${KODE_NAME_FIELD} ns=%k8s.ns.name pod=%k8s.pod.name proc=%proc.name file=%fd.name)`;
  return [
    { macro: KODE_POD_MACRO, condition: "k8s.pod.label[app.kubernetes.io/managed-by] = kode-operator" },
    // A shell spawned by the IDE (its terminal) is what a development environment is for.
    { rule: "Terminal shell in container", condition: `and not ${KODE_POD_MACRO}`, override: { condition: "append" } },
    {
      rule: "Kode crypto miner",
      desc: "A known crypto-mining program, or a stratum mining pool URL on a command line, in a Kode",
      condition: `${KODE_POD_MACRO} and spawned_process and (proc.name in ${MINERS} or proc.cmdline contains "stratum+tcp" or proc.cmdline contains "stratum+ssl")`,
      output: out("Crypto miner started in a Kode"),
      priority: "CRITICAL",
      tags: ["kode", "mitre_impact"],
    },
    {
      rule: "Kode write below system binaries",
      desc: "A file written below a system binary or library folder by something other than a package manager",
      condition: `${KODE_POD_MACRO} and open_write and fd.directory in ${SYSTEM_DIRS} and not proc.name in ${PACKAGE_MANAGERS}`,
      output: out("File below a system binary folder written in a Kode"),
      priority: "ERROR",
      tags: ["kode", "mitre_persistence"],
    },
    {
      rule: "Kode reads other service account tokens",
      desc: "A Kode reading service-account tokens of other pods through the host's kubelet or /proc paths",
      condition: `${KODE_POD_MACRO} and open_read and (fd.name startswith /var/lib/kubelet/pods/ or (fd.name startswith /proc/ and fd.name contains /root/var/run/secrets/kubernetes.io/serviceaccount))`,
      output: out("Another pod's service account token read from a Kode"),
      priority: "CRITICAL",
      tags: ["kode", "mitre_credential_access"],
    },
  ];
}

/**
 * A template's own rules, scoped to the Kode pods of that template (template label and kind, and the namespace of a
 * KodeTemplate). With `prefix` the rule names are prefixed, so two templates (or a template and the defaults) never
 * define the same Falco rule.
 */
export function templateRules(scope: { namespace?: string; template: string; kind?: string; prefix?: string }, rules: FalcoRule[]): Entry[] {
  const where = [KODE_POD_MACRO, `k8s.pod.label[${TEMPLATE_LABEL}] = ${scope.template}`];
  if (scope.kind) where.push(`k8s.pod.label[${TEMPLATE_KIND_LABEL}] = ${scope.kind}`);
  if (scope.namespace) where.push(`k8s.ns.name = ${scope.namespace}`);
  return rules.map((r) => {
    const name = scope.prefix ? `${scope.prefix}: ${r.rule}` : r.rule;
    const e: Entry = { rule: name, desc: r.desc ?? r.rule, condition: `${where.join(" and ")} and (${r.condition})`, output: r.output, priority: r.priority };
    e.tags = ["kode", ...(r.tags ?? [])];
    return e;
  });
}

/** Problems with a template's rules, each naming the rule; an empty list means they can be rendered. */
export function ruleProblems(rules: FalcoRule[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, r] of rules.entries()) {
    const name = r.rule || `#${i + 1}`;
    if (!r.rule?.trim()) problems.push(`falco.rules[${i}]: rule needs a name`);
    if (seen.has(r.rule)) problems.push(`falco.rules[${i}]: rule "${name}" appears twice`);
    seen.add(r.rule);
    if (!r.condition?.trim()) problems.push(`falco.rules[${i}] "${name}": condition is empty`);
    if (!r.output?.trim()) problems.push(`falco.rules[${i}] "${name}": output is empty`);
    if (!PRIORITIES.includes(r.priority)) problems.push(`falco.rules[${i}] "${name}": priority ${JSON.stringify(r.priority)} is not one of ${PRIORITIES.join(", ")}`);
    if (/\n\s*-\s*(rule|macro|list):/.test(r.condition ?? "")) problems.push(`falco.rules[${i}] "${name}": condition must be one expression, not YAML`);
  }
  return problems;
}

/** YAML for a Falco rules file. Strings are double-quoted (JSON escapes are valid YAML), so no value can break out. */
export function toFalcoYaml(entries: Entry[]): string {
  const q = (s: string) => JSON.stringify(s);
  const lines: string[] = [];
  for (const e of entries) {
    let first = true;
    for (const [k, v] of Object.entries(e)) {
      const lead = first ? "- " : "  ";
      first = false;
      if (Array.isArray(v)) lines.push(`${lead}${k}: [${v.map(q).join(", ")}]`);
      else if (typeof v === "object") lines.push(`${lead}${k}: {${Object.entries(v).map(([a, b]) => `${a}: ${q(b)}`).join(", ")}}`);
      else lines.push(`${lead}${k}: ${typeof v === "boolean" ? String(v) : q(v)}`);
    }
    lines.push("");
  }
  return lines.join("\n");
}
