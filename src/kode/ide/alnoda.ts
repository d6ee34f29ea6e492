// Alnoda workspaces (see /work/shared/reference/envoy-ides-backup.md §3.4, §6.5). Described, not yet supported:
// its UI is on 8020 but every tool has its own port (8020-8039), which needs per-port routing.
import type { IdeTypeSpec } from "./spec.ts";

export const alnoda: IdeTypeSpec = {
  type: "alnoda",
  description: "Alnoda workspace (UI plus tools on ports 8020-8039)",
  supported: false,
  unsupportedReason: "not yet supported",
  defaultImage: "alnoda/alnoda-workspace:latest",
  defaultPort: 8020,
  env: (ctx) => [{ name: "TZ", value: ctx.tz }],
  // Its UI links are relative to the page; a proxy in front strips a path prefix.
  pathPrefix: "strip",
  readiness: { kind: "tcp" },
  liveness: { kind: "tcp" },
  activity: { kind: "none", note: "no activity API: use proxy traffic statistics" },
};
