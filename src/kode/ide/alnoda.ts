// Alnoda workspaces (see /work/shared/reference/envoy-ides-backup.md §6.5): the workspace UI on 8020, and the
// tools of the workspace (code editor, terminal, file browser, …) each on its own port in 8021-8039, as the
// project's Helm chart exposes them. Which tool is on which port depends on the workspace image. Alnoda has no
// authentication of its own and binds every interface: without an authenticating Envoy sidecar anyone who
// reaches the Service reaches the workspace. The project looks dormant: best effort.
//
// The UI builds its links to the tools as <host>:<port>, so every tool keeps its own number on the one Service
// (port name tool-<port>). Behind Envoy, the port name tool-<port> moves to an Envoy listener of its own
// (envoyToolPort) with the same filters as the UI's, so each tool is authenticated like the IDE.
import type { IdeTypeSpec } from "./spec.ts";

export const ALNODA_UI_PORT = 8020;
/** The tool ports after the UI (8021-8039). */
export const ALNODA_TOOL_PORTS: readonly number[] = Array.from({ length: 19 }, (_, i) => ALNODA_UI_PORT + 1 + i);

export const alnoda: IdeTypeSpec = {
  type: "alnoda",
  description: "Alnoda workspace (UI plus tools on ports 8020-8039)",
  supported: true,
  defaultImage: "alnoda/alnoda-workspace:latest",
  defaultPort: ALNODA_UI_PORT,
  env: (ctx) => [{ name: "TZ", value: ctx.tz }],
  // Its UI links are relative to the page; a proxy in front strips a path prefix.
  pathPrefix: "strip",
  readiness: { kind: "tcp" },
  liveness: { kind: "tcp" },
  activity: { kind: "none", note: "no activity API: use proxy traffic statistics" },
  toolPorts: ALNODA_TOOL_PORTS,
  // No activity API: only the sidecar's traffic (the UI's and the tool listeners', which share its statistics). The
  // workspace UI is a static page; its terminal (ttyd) websocket sends small keep-alives. An estimate, not
  // calibrated with a real browser.
  activityReading: { envoyFloor: { rxBytesPerMinute: 4096, requestsPerMinute: 4 } },
};

/** Warning when no authenticating Envoy sidecar protects the workspace. */
export const alnodaNoAuthWarning = (behindAuthProxy: boolean): string | undefined =>
  behindAuthProxy ? undefined : "alnoda has no authentication of its own: without an Envoy sidecar that authenticates (envoyProxyRef, authType basic or oauth2) anyone who reaches the Service can use the workspace and its tools";
