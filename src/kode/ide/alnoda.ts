// Alnoda workspaces (see /work/shared/reference/envoy-ides-backup.md §6.5): the workspace UI on 8020, and the
// tools of the workspace (code editor, terminal, file browser, …) each on its own port in 8020-8039, as the
// project's Helm chart exposes them. Which tool is on which port depends on the workspace image. Alnoda has no
// authentication of its own: without an Envoy sidecar anyone who reaches the Service reaches the workspace.
// The project looks dormant: best effort.
import type { IdeTypeSpec } from "./spec.ts";

export const ALNODA_UI_PORT = 8020;
/** The tool ports after the UI (8021-8039). */
export const ALNODA_TOOL_PORTS = Array.from({ length: 19 }, (_, i) => ALNODA_UI_PORT + 1 + i);

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
  // No activity API: only the sidecar's traffic on the UI route. The workspace UI is a static page; its terminal
  // (ttyd) websocket sends small keep-alives. An estimate, not calibrated with a real browser.
  activityReading: { envoyFloor: { rxBytesPerMinute: 4096, requestsPerMinute: 4 } },
};

/** Container ports of the IDE container besides "http" (the UI): one per tool, named tool-<port>. */
export const alnodaToolContainerPorts = () => ALNODA_TOOL_PORTS.map((p) => ({ name: `tool-${p}`, containerPort: p, protocol: "TCP" as const }));

/**
 * Service ports besides 80 → http (the UI): each tool on its own port number, so links the UI builds
 * (`<host>:<port>`) keep working through the one Service. Without Envoy only: behind Envoy only the UI is
 * proxied (one listener), and the NetworkPolicy keeps the tool ports closed.
 */
export const alnodaToolServicePorts = () => ALNODA_TOOL_PORTS.map((p) => ({ name: `tool-${p}`, port: p, targetPort: p, protocol: "TCP" as const }));

/** Warning when no Envoy sidecar protects the workspace. */
export const alnodaNoAuthWarning = (behindEnvoy: boolean): string | undefined =>
  behindEnvoy ? undefined : "alnoda has no authentication of its own: without an Envoy sidecar (envoyProxyRef) anyone who reaches the Service can use the workspace";
