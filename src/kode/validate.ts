// Checks a Kode against its resolved template before anything is rendered. Each Problem names what is wrong and
// what to do; the reconciler puts them in the Ready condition (phase Failed) and renders nothing.
import type { Kode, KodeTemplateSpec, ResourceRequirements } from "../api/types.ts";
import { parseQuantity, storageQuantityProblem } from "./quantity.ts";
import { childNames } from "./render.ts";
import { resolveSettings } from "./settings.ts";
import { environmentProblems } from "./validate-environment.ts";

export interface Problem {
  /** CamelCase, stable: used as the condition reason and event reason. */
  reason: string;
  /** What is wrong and what to do. */
  message: string;
}

/** StatefulSet pods get the label controller-revision-hash=<name>-<10 char hash>, and a label value is ≤ 63. */
export const MAX_KODE_NAME_LENGTH = 52;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const ACCESS_MODES = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];

export function validateKodeInput(kode: Kode, template: KodeTemplateSpec): Problem[] {
  const problems: Problem[] = [];
  const add = (reason: string, message: string) => problems.push({ reason, message });
  const name = kode.metadata.name;

  // Names. Every child name derives from the Kode's; the Service's is the strictest (DNS-1035 label).
  if (name.length > MAX_KODE_NAME_LENGTH)
    add(
      "NameTooLong",
      `Kode name "${name}" has ${name.length} characters; at most ${MAX_KODE_NAME_LENGTH} are allowed because its StatefulSet's pods carry the label controller-revision-hash=<name>-<hash> (63 characters at most). Recreate the Kode with a shorter name.`,
    );
  if (!DNS1035_LABEL.test(childNames(name).service))
    add(
      "InvalidName",
      `Kode name "${name}" cannot name its Service: it must start with a lower-case letter and contain only lower-case letters, digits and "-" (no dots), ending with a letter or digit. Recreate the Kode with such a name.`,
    );

  // Type.
  const s = resolveSettings(kode, template);
  if (!s.ide) add("UnsupportedType", `IDE type "${template.type}" is unknown; use code-server, webtop, jupyter, alnoda or devcontainers in the template.`);
  else if (!s.ide.supported)
    add("UnsupportedType", `IDE type "${template.type}" is ${s.ide.unsupportedReason ?? "not supported"}; use code-server or webtop in the template.`);

  if (!s.image) add("MissingImage", `the template sets no image and type "${template.type}" has no default; set spec.image in the template.`);
  if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535)
    add("InvalidPort", `port ${s.port} is not a TCP port; set the template's spec.port to an integer from 1 to 65535 (or leave it unset for the image default).`);

  // Home and workspace.
  const homeSource = kode.spec.home !== undefined ? "spec.home" : "the template's defaultHome";
  const home = kode.spec.home ?? template.defaultHome;
  if (home !== undefined) {
    if (!home.startsWith("/"))
      add("InvalidHome", `${homeSource} "${home}" is not an absolute path; use a path such as /config or /home/dev.`);
    else if (s.home === "/")
      add("InvalidHome", `${homeSource} "${home}" is the root directory, which cannot hold the home volume; use a path such as /config.`);
    else if (hasDotDot(home)) add("InvalidHome", `${homeSource} "${home}" contains ".."; write the path without it.`);
    else if (home.includes(":")) add("InvalidHome", `${homeSource} "${home}" contains ":", which a volume mount path cannot; remove it.`);
  }
  const wsSource = kode.spec.workspace !== undefined ? "spec.workspace" : "the template's defaultWorkspace";
  const ws = kode.spec.workspace ?? template.defaultWorkspace;
  if (ws !== undefined) {
    if (ws.startsWith("/"))
      add("InvalidWorkspace", `${wsSource} "${ws}" is absolute; it is relative to home, so write e.g. "workspace" or "src/project".`);
    else if (hasDotDot(ws)) add("InvalidWorkspace", `${wsSource} "${ws}" contains ".."; the workspace must stay inside home.`);
  }

  // Storage (after merging template defaults with the Kode's fields).
  const st = s.storage;
  if (st && !st.existingVolumeClaim) {
    const size = st.resources?.requests?.storage;
    if (size === undefined) {
      if (st.accessModes || st.storageClassName || st.keepVolume)
        add(
          "MissingStorageSize",
          "storage is declared without a size; set storage.resources.requests.storage (e.g. 10Gi) or storage.existingVolumeClaim.",
        );
    } else {
      const why = storageQuantityProblem(size);
      if (why) add("InvalidStorageQuantity", `storage.resources.requests.storage: ${why}.`);
    }
    for (const m of st.accessModes ?? [])
      if (!ACCESS_MODES.includes(m)) add("InvalidAccessMode", `storage.accessModes: "${m}" is not one of ${ACCESS_MODES.join(", ")}.`);
  }
  if (st?.existingVolumeClaim !== undefined && !DNS1123_SUBDOMAIN.test(st.existingVolumeClaim))
    add("InvalidVolumeClaimName", `storage.existingVolumeClaim "${st.existingVolumeClaim}" is not a valid PersistentVolumeClaim name.`);

  // Template resources.
  problems.push(...resourceProblems(template.resources));
  problems.push(...environmentProblems(kode, template));
  return problems;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const hasDotDot = (p: string) => p.split("/").includes("..");

function resourceProblems(r: ResourceRequirements | undefined): Problem[] {
  const out: Problem[] = [];
  if (!r) return out;
  const parsed: Record<"limits" | "requests", Record<string, number>> = { limits: {}, requests: {} };
  for (const kind of ["limits", "requests"] as const)
    for (const [res, text] of Object.entries(r[kind] ?? {})) {
      const q = parseQuantity(String(text));
      if (!q)
        out.push({
          reason: "InvalidResourceQuantity",
          message: `template resources.${kind}.${res}: "${text}" is not a Kubernetes quantity; use forms such as 500m, 2, 1Gi or 512Mi.`,
        });
      else if (q.value < 0)
        out.push({ reason: "InvalidResourceQuantity", message: `template resources.${kind}.${res}: "${text}" must not be negative.` });
      else parsed[kind][res] = q.value;
    }
  for (const [res, req] of Object.entries(parsed.requests)) {
    const lim = parsed.limits[res];
    if (lim !== undefined && req > lim)
      out.push({
        reason: "InvalidResources",
        message: `template resources.requests.${res} (${r.requests![res]}) exceeds resources.limits.${res} (${r.limits![res]}); lower the request or raise the limit.`,
      });
  }
  return out;
}
