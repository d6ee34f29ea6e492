// The rules ConfigMap kode-falco-rules in Falco's namespace: the defaults and every Falco-enabled template's rules,
// one key per template (Falco loads the files of /etc/falco/rules.d in name order: the defaults, with the kode_pod
// macro, come first). The operator owns it by its labels; a ConfigMap of that name without them is somebody
// else's and is never written (the conflict is reported). Written only when its data differs.
import type { KodeTemplate } from "../api/types.ts";
import { mergePatchBetween } from "../kube/merge-patch.ts";
import { CONFIGMAPS } from "../kube/resources.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import { falcoEnabled, templateLabelValue } from "./labels.ts";
import { defaultRules, FALCO_RULES_CONFIGMAP, ruleProblems, templateRules, toFalcoYaml } from "./rules.ts";

export const DEFAULTS_KEY = "00-kode-defaults.yaml";
export const RULES_LABELS = { "app.kubernetes.io/managed-by": "kode-operator", "app.kubernetes.io/component": "falco-rules" } as const;

type ConfigMap = KubeObject & { data?: Record<string, string> };

/** The file name of a template's rules: "10-KodeTemplate.<namespace>.<name>.yaml" or "10-KodeClusterTemplate.<name>.yaml". */
export function templateKey(t: Pick<KodeTemplate, "kind" | "metadata">): string {
  return `10-${[t.kind, t.metadata.namespace, t.metadata.name].filter(Boolean).join(".")}.yaml`;
}

export interface RulesData {
  data: Record<string, string>;
  /** Templates left out, with why (bad rules). */
  skipped: { template: KodeTemplate; problems: string[] }[];
}

/** The ConfigMap's data from the templates (any order: the keys sort the files). */
export function rulesData(templates: KodeTemplate[]): RulesData {
  const data: Record<string, string> = { [DEFAULTS_KEY]: toFalcoYaml(defaultRules()) };
  const skipped: RulesData["skipped"] = [];
  for (const t of templates) {
    const rules = t.spec?.falco?.rules;
    if (!falcoEnabled(t.spec) || !rules?.length) continue;
    const problems = ruleProblems(rules);
    if (problems.length) {
      skipped.push({ template: t, problems });
      continue;
    }
    const id = [t.kind, t.metadata.namespace, t.metadata.name].filter(Boolean).join("/");
    const scope = { template: templateLabelValue(t.metadata.name), kind: t.kind, prefix: id, ...(t.kind === "KodeTemplate" && t.metadata.namespace && { namespace: t.metadata.namespace }) };
    data[templateKey(t)] = toFalcoYaml(templateRules(scope, rules));
  }
  return { data, skipped };
}

export const isOurRulesConfigMap = (c: KubeObject) => Object.entries(RULES_LABELS).every(([k, v]) => c.metadata.labels?.[k] === v);

export type RulesOutcome = { action: "unchanged" | "created" | "patched" } | { action: "conflict"; message: string };

/**
 * Make the live ConfigMap (from the cache: `live`) hold `data`. Nothing is sent when it already does; a ConfigMap
 * of that name the operator does not own is left alone.
 */
export async function applyRules(client: KubeClient, namespace: string, live: ConfigMap | undefined, data: Record<string, string>, fieldManager: string): Promise<RulesOutcome> {
  if (!live) {
    const obj: ConfigMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: FALCO_RULES_CONFIGMAP, namespace, labels: { ...RULES_LABELS } }, data };
    await client.create(CONFIGMAPS, obj, { fieldManager });
    return { action: "created" };
  }
  if (!isOurRulesConfigMap(live))
    return {
      action: "conflict",
      message: `ConfigMap ${namespace}/${FALCO_RULES_CONFIGMAP} exists and is not the operator's (no labels ${Object.entries(RULES_LABELS).map(([k, v]) => `${k}=${v}`).join(", ")}): the Falco rules are not written; rename or delete it, or point --falco-namespace elsewhere`,
    };
  const patch = mergePatchBetween((live.data ?? {}) as Record<string, unknown>, data);
  if (!Object.keys(patch).length) return { action: "unchanged" };
  await client.mergePatch(CONFIGMAPS, FALCO_RULES_CONFIGMAP, { data: patch }, { namespace, fieldManager });
  return { action: "patched" };
}
