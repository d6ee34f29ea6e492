// What a Kode resolves to once its template's defaults are applied. Shared by render and validate so that both
// judge exactly the same values.
import type { IdeType, Kode, KodeStorage, KodeTemplateSpec } from "../api/types.ts";
import { ideTypeSpec, type IdeTypeSpec } from "./ide/index.ts";

import { DEFAULT_ACCESS_MODES, DEFAULT_HOME, DEFAULT_PGID, DEFAULT_PUID, DEFAULT_TZ, DEFAULT_USER, DEFAULT_WORKSPACE } from "../api/defaults.ts";

export { DEFAULT_ACCESS_MODES, DEFAULT_HOME, DEFAULT_PGID, DEFAULT_PUID, DEFAULT_TZ, DEFAULT_USER, DEFAULT_WORKSPACE };

export interface KodeSettings {
  type: IdeType;
  /** Undefined when the template names a type this operator does not know. */
  ide: IdeTypeSpec | undefined;
  image: string;
  port: number;
  tz: string;
  puid: number;
  pgid: number;
  /** Absolute home, trailing slashes removed. */
  home: string;
  /** Workspace relative to home; "" means none. */
  workspace: string;
  /** home/workspace, or home alone when there is no workspace. */
  workspacePath: string;
  /** Kode storage over template storage, field by field; undefined when neither declares any. */
  storage: KodeStorage | undefined;
}

export function resolveSettings(kode: Kode, template: KodeTemplateSpec): KodeSettings {
  const ide = ideTypeSpec(template.type);
  const home = trimTrailingSlashes(kode.spec.home ?? template.defaultHome ?? ide?.defaultHome ?? DEFAULT_HOME);
  const workspace = trimTrailingSlashes(kode.spec.workspace ?? template.defaultWorkspace ?? DEFAULT_WORKSPACE);
  return {
    type: template.type,
    ide,
    image: template.image || ide?.defaultImage || "",
    port: template.port ?? ide?.defaultPort ?? 0,
    tz: template.tz || DEFAULT_TZ,
    puid: template.puid ?? DEFAULT_PUID,
    pgid: template.pgid ?? DEFAULT_PGID,
    home,
    workspace,
    workspacePath: joinPath(home, workspace),
    storage: mergeStorage(template.storage, kode.spec.storage),
  };
}

/**
 * The Kode's storage fields override the template's, one by one (`resources.requests.storage` counts as one field).
 * An empty result is undefined: "no storage".
 */
export function mergeStorage(base: KodeStorage | undefined, over: KodeStorage | undefined): KodeStorage | undefined {
  const size = over?.resources?.requests?.storage ?? base?.resources?.requests?.storage;
  const merged: KodeStorage = {
    accessModes: over?.accessModes ?? base?.accessModes,
    storageClassName: over?.storageClassName ?? base?.storageClassName,
    resources: size === undefined ? undefined : { requests: { storage: size } },
    keepVolume: over?.keepVolume ?? base?.keepVolume,
    existingVolumeClaim: over?.existingVolumeClaim ?? base?.existingVolumeClaim,
  };
  for (const k of Object.keys(merged) as (keyof KodeStorage)[]) if (merged[k] === undefined) delete merged[k];
  return Object.keys(merged).length ? merged : undefined;
}

function trimTrailingSlashes(p: string): string {
  const t = p.replace(/\/+$/, "");
  return t === "" && p.startsWith("/") ? "/" : t;
}

function joinPath(home: string, rel: string): string {
  const parts = rel.split("/").filter((s) => s !== "" && s !== ".");
  if (!parts.length) return home;
  return `${home === "/" ? "" : home}/${parts.join("/")}`;
}
