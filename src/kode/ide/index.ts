// The registry of IDE types. The Record type makes the compiler insist on an entry for every IdeType.
import type { IdeType } from "../../api/types.ts";
import { alnoda } from "./alnoda.ts";
import { codeServer } from "./code-server.ts";
import { devcontainers } from "./devcontainers.ts";
import { jupyter } from "./jupyter.ts";
import type { IdeTypeSpec } from "./spec.ts";
import { webtop } from "./webtop.ts";

export type { ActivitySignal, IdeEnvContext, IdeTypeSpec, ProbeCheck } from "./spec.ts";

export const ideTypes: Record<IdeType, IdeTypeSpec> = {
  "code-server": codeServer,
  webtop,
  jupyter,
  alnoda,
  devcontainers,
};

/** The spec of a type name, or undefined for a name that is not an IdeType (e.g. from an unvalidated object). */
export const ideTypeSpec = (type: string): IdeTypeSpec | undefined =>
  Object.hasOwn(ideTypes, type) ? ideTypes[type as IdeType] : undefined;
