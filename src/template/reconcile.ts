// KodeTemplate / KodeClusterTemplate status: whether the template is usable and how many Kodes use it.
import { KODE_CLUSTER_TEMPLATES, KODE_TEMPLATES } from "../api/resources.ts";
import { nextCondition } from "../api/conditions.ts";
import type { Condition, KodeTemplate, KodeTemplateStatus } from "../api/types.ts";
import { ideTypeSpec } from "../kode/ide/index.ts";
import type { Cache } from "../kube/cache.ts";
import { replaceStatus } from "../kube/status.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";

export interface TemplateDeps {
  client: KubeClient;
  templates: Cache<KodeTemplate>;
  clusterTemplates: Cache<KodeTemplate>;
  /** How many Kodes reference the template with this key ("<Kind>/<namespace>/<name>"). */
  kodesUsing(templateKey: string): number;
  now(): string;
}

/** "<Kind>/<namespace>/<name>" (namespace empty for cluster templates), the key the Kode index uses. */
export function templateKey(t: KodeTemplate): string {
  return `${t.kind}/${t.metadata.namespace ?? ""}/${t.metadata.name}`;
}

export function deriveTemplateStatus(t: KodeTemplate, kodes: number, now: string): KodeTemplateStatus {
  const ide = ideTypeSpec(t.spec.type);
  const [status, reason, message]: [Condition["status"], string, string] = !ide
    ? ["False", "UnknownType", `type "${t.spec.type}" is not a known IDE type`]
    : !ide.supported
      ? ["False", "UnsupportedType", `type "${t.spec.type}" is ${ide.unsupportedReason ?? "not supported"} by this operator version`]
      : ["True", "Valid", `${t.spec.type} template using ${t.spec.image}`];
  const ready = nextCondition("Ready", { status, reason, message }, t.status?.conditions, t.metadata.generation, now);
  return { conditions: [ready], ...(t.metadata.generation !== undefined && { observedGeneration: t.metadata.generation }), kodes };
}

export async function reconcileTemplate(deps: TemplateDeps, key: string): Promise<void> {
  const [kind, namespace, name] = key.split("/");
  const cluster = kind === "KodeClusterTemplate";
  const template = cluster ? deps.clusterTemplates.get(undefined, name) : deps.templates.get(namespace, name);
  if (!template || template.metadata.deletionTimestamp) return;
  const next = deriveTemplateStatus(template, deps.kodesUsing(key), deps.now());
  await replaceStatus(deps.client, cluster ? KODE_CLUSTER_TEMPLATES : KODE_TEMPLATES, template as unknown as KubeObject & { status?: KodeTemplateStatus }, next, { fieldManager: "kode-operator" });
}
