// Checks of the environment fields (init plugins, devcontainer source, settings that do not apply to the type),
// kept apart from validate.ts. Each Problem says what is wrong and what to do.
import { DNS_LABEL } from "../api/common.ts";
import { RESERVED_PLUGIN_PREFIX } from "../api/environment.ts";
import type { InitPlugin, Kode, KodeTemplateSpec } from "../api/types.ts";
import { unsupportedMessage, type DevcontainerResult } from "../devcontainer/config.ts";
import { fromInline, sourceProblem } from "../devcontainer/source.ts";
import { devcontainerSourceOf, SCRATCH_VOLUME } from "./render-environment.ts";
import { IDE_SERVER_VOLUME } from "./ide/devcontainers.ts";
import type { Problem } from "./validate.ts";

export function environmentProblems(kode: Kode, t: KodeTemplateSpec): Problem[] {
  const out: Problem[] = [];
  const add = (reason: string, message: string) => out.push({ reason, message });

  // Init plugins: DNS labels, the reserved prefix, unique across both lists, mounts of pod volumes, privilege.
  const lists: [string, InitPlugin[]][] = [
    ["the template's initPlugins", t.initPlugins ?? []],
    ["spec.initPlugins", kode.spec.initPlugins ?? []],
  ];
  const seen = new Map<string, string>();
  const volumes = ["home", SCRATCH_VOLUME, ...(t.type === "devcontainers" ? [IDE_SERVER_VOLUME] : [])];
  for (const [where, list] of lists)
    for (const p of list) {
      if (p.name.length > 63 || !DNS_LABEL.test(p.name))
        add("InvalidInitPlugin", `${where}: plugin name "${p.name}" is not a DNS label (lower-case letters, digits and "-", at most 63 characters); rename it.`);
      if (p.name.startsWith(RESERVED_PLUGIN_PREFIX))
        add("InvalidInitPlugin", `${where}: plugin name "${p.name}" starts with "${RESERVED_PLUGIN_PREFIX}", which is reserved for the operator's own init containers; rename it.`);
      const first = seen.get(p.name);
      if (first !== undefined)
        add("DuplicateInitPlugin", `${where}: plugin name "${p.name}" is already used in ${first}; plugin names must be unique across the template's and the Kode's initPlugins.`);
      else seen.set(p.name, where);
      for (const m of p.volumeMounts ?? [])
        if (!volumes.includes(m.name))
          add("InvalidInitPlugin", `${where}: plugin "${p.name}" mounts volume "${m.name}", which the pod does not have; use one of ${volumes.join(", ")}.`);
      const why = privilegeOf(p.securityContext);
      if (why && !t.allowPrivilegedPlugins)
        add("PrivilegedPluginNotAllowed", `${where}: plugin "${p.name}" asks for ${why}; remove it from its securityContext or set allowPrivilegedPlugins: true in the template.`);
    }

  // devcontainer: only for the devcontainers type; exactly one source; an inline config is checked here.
  const source = devcontainerSourceOf(kode, t);
  if (source) {
    const field = kode.spec.devcontainer ? "spec.devcontainer" : "the template's devcontainer";
    if (t.type !== "devcontainers")
      add("InvalidDevcontainerSource", `${field} is set but the template's type is ${t.type}; devcontainer applies to type devcontainers only. Remove it or use a devcontainers template.`);
    const problem = sourceProblem(source);
    if (problem) add("InvalidDevcontainerSource", `${field}: ${problem}.`);
    else if (source.config) out.push(...devcontainerProblems(fromInline(source.config)));
  }
  return out;
}

/** InvalidDevcontainer (syntax/type errors, with line and column) and UnsupportedDevcontainer (each property named). */
export function devcontainerProblems(r: DevcontainerResult): Problem[] {
  const out: Problem[] = [];
  if (r.errors.length) out.push({ reason: "InvalidDevcontainer", message: `devcontainer.json is invalid: ${r.errors.join("; ")}` });
  const unsupported = unsupportedMessage(r);
  if (unsupported) out.push({ reason: "UnsupportedDevcontainer", message: `${unsupported}; remove ${r.unsupported.length === 1 ? "it" : "them"} or build an image with them.` });
  return out;
}

/** What in a plugin's securityContext goes beyond the restricted default, or undefined. */
function privilegeOf(sc: Record<string, unknown> | undefined): string | undefined {
  if (!sc) return undefined;
  const parts: string[] = [];
  if (sc.privileged === true) parts.push("privileged: true");
  if (sc.allowPrivilegeEscalation === true) parts.push("allowPrivilegeEscalation: true");
  if (sc.runAsUser === 0) parts.push("runAsUser: 0");
  if (sc.runAsNonRoot === false) parts.push("runAsNonRoot: false");
  const caps = sc.capabilities as { add?: unknown[] } | undefined;
  if (Array.isArray(caps?.add) && caps.add.length) parts.push(`added capabilities ${caps.add.join(", ")}`);
  return parts.length ? parts.join(", ") : undefined;
}
