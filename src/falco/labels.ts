// The pod labels of a Falco-enabled template's Kodes: Falco's k8s.pod.label[...] fields read them from the container
// runtime, and the template's rules are scoped by them (rules.ts). Every Kode pod already carries
// app.kubernetes.io/managed-by=kode-operator (the kode_pod macro) and kode.jacero.io/name (which Kode).
import { createHash } from "node:crypto";
import type { KodeTemplateSpec } from "../api/types.ts";
import { TEMPLATE_KIND_LABEL, TEMPLATE_LABEL } from "./rules.ts";

export interface TemplateRef {
  kind: "KodeTemplate" | "KodeClusterTemplate";
  name: string;
  namespace?: string;
}

/**
 * A template name as a label value: itself when it fits (63 characters), else its first 52 characters, "-" and 10
 * hex characters of its SHA-256 (template names are DNS subdomains, so only the length can be a problem).
 */
export function templateLabelValue(name: string): string {
  if (name.length <= 63) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 10);
  return `${name.slice(0, 52).replace(/[.-]+$/, "")}-${hash}`;
}

export const falcoEnabled = (spec: KodeTemplateSpec | undefined): boolean => spec?.falco?.enabled === true;

/** The labels a Kode pod gets from its template: none unless the template enables Falco. */
export function falcoPodLabels(template: TemplateRef & { spec: KodeTemplateSpec }): Record<string, string> {
  if (!falcoEnabled(template.spec)) return {};
  return { [TEMPLATE_LABEL]: templateLabelValue(template.name), [TEMPLATE_KIND_LABEL]: template.kind };
}
