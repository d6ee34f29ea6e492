// Activity readings: what each protocol's endpoint answers, parsed into one shape. A reading says what was
// observed; verdict.ts decides what it means. Parsers never throw: a body that does not fit is an error reading
// whose message names the endpoint and what was wrong.

/** code-server `GET /healthz`: {status: alive|expired, lastHeartbeat: epoch ms, 0 before the first beat}. */
export type CodeServerSample = { kind: "code-server"; status: "alive" | "expired"; lastHeartbeat: number };
/**
 * Jupyter `GET /api/status` plus `GET /api/kernels?no_track_activity=1`, or behind the sidecar `/api/kernels` alone
 * (the sidecar's traffic already says what the server-wide times would): no `started`, and `lastActivity` is the
 * newest kernel's (unset without kernels).
 */
export type JupyterSample = {
  kind: "jupyter";
  started?: number;
  lastActivity?: number;
  connections: number;
  kernels: number;
  busyKernels: number;
};
/** The Envoy sidecar's HTTP connection manager counters on the IDE route (stat prefix `http.ide.`). */
export type EnvoySample = {
  kind: "envoy";
  requests: number;
  rxBytes: number;
  upgradesActive: number;
  connectionsActive: number;
};
export type Sample = CodeServerSample | JupyterSample | EnvoySample;
export type Reading = { ok: true; sample: Sample } | { ok: false; source: Sample["kind"]; error: string };

const fail = (source: Sample["kind"], error: string): Reading => ({ ok: false, source, error });
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const count = (x: unknown) => (typeof x === "number" && Number.isFinite(x) && x >= 0 ? x : undefined);

/** Parse a time the way Jupyter writes it (ISO 8601 with Z or an offset). */
function isoTime(x: unknown): number | undefined {
  if (typeof x !== "string") return undefined;
  const t = Date.parse(x);
  return Number.isNaN(t) ? undefined : t;
}

export function parseCodeServerHealthz(body: unknown): Reading {
  if (!isObject(body)) return fail("code-server", "code-server /healthz did not answer a JSON object");
  const { status, lastHeartbeat } = body;
  if (status !== "alive" && status !== "expired")
    return fail("code-server", `code-server /healthz answered status ${JSON.stringify(status)}, expected alive or expired`);
  const beat = count(lastHeartbeat);
  if (beat === undefined) return fail("code-server", "code-server /healthz has no numeric lastHeartbeat");
  return { ok: true, sample: { kind: "code-server", status, lastHeartbeat: beat } };
}

export function parseJupyterStatus(status: unknown, kernels: unknown): Reading {
  if (!isObject(status)) return fail("jupyter", "jupyter /api/status did not answer a JSON object");
  const started = isoTime(status.started);
  const lastActivity = isoTime(status.last_activity);
  const connections = count(status.connections);
  const kernelCount = count(status.kernels);
  if (started === undefined || lastActivity === undefined)
    return fail("jupyter", "jupyter /api/status has no started/last_activity times");
  if (connections === undefined || kernelCount === undefined)
    return fail("jupyter", "jupyter /api/status has no connections/kernels counts");
  if (!Array.isArray(kernels)) return fail("jupyter", "jupyter /api/kernels did not answer a JSON list");
  const busyKernels = kernels.filter((k) => isObject(k) && k.execution_state === "busy").length;
  return {
    ok: true,
    sample: { kind: "jupyter", started, lastActivity, connections, kernels: kernelCount, busyKernels },
  };
}

/** `GET /api/kernels?no_track_activity=1` alone: each kernel's execution_state, last_activity and connections. */
export function parseJupyterKernels(kernels: unknown): Reading {
  if (!Array.isArray(kernels)) return fail("jupyter", "jupyter /api/kernels did not answer a JSON list");
  let lastActivity: number | undefined;
  let connections = 0;
  let busyKernels = 0;
  for (const k of kernels) {
    if (!isObject(k)) return fail("jupyter", "jupyter /api/kernels listed something that is not a kernel");
    const at = isoTime(k.last_activity);
    if (at !== undefined && (lastActivity === undefined || at > lastActivity)) lastActivity = at;
    connections += count(k.connections) ?? 0;
    if (k.execution_state === "busy") busyKernels++;
  }
  return { ok: true, sample: { kind: "jupyter", ...(lastActivity !== undefined && { lastActivity }), connections, kernels: kernels.length, busyKernels } };
}

/** The stats the sidecar is asked for (admin `/stats?format=json&filter=...` through its health listener). */
export const ENVOY_STAT_PREFIX = "http.ide.";
export const ENVOY_STATS_QUERY =
  "format=json&filter=" +
  encodeURIComponent("^http\\.ide\\.(downstream_rq_total|downstream_cx_rx_bytes_total|downstream_cx_upgrades_active|downstream_cx_active)$");

export function parseEnvoyStats(body: unknown): Reading {
  if (!isObject(body) || !Array.isArray(body.stats)) return fail("envoy", 'envoy /stats did not answer {"stats": [...]}');
  const values = new Map<string, number>();
  for (const s of body.stats) {
    if (isObject(s) && typeof s.name === "string" && typeof s.value === "number") values.set(s.name, s.value);
  }
  const get = (name: string) => values.get(ENVOY_STAT_PREFIX + name);
  const requests = get("downstream_rq_total");
  const rxBytes = get("downstream_cx_rx_bytes_total");
  if (requests === undefined || rxBytes === undefined)
    return fail("envoy", "envoy /stats has no http.ide.downstream_rq_total/downstream_cx_rx_bytes_total (is the IDE listener's stat prefix ide?)");
  return {
    ok: true,
    sample: {
      kind: "envoy",
      requests,
      rxBytes,
      upgradesActive: get("downstream_cx_upgrades_active") ?? 0,
      connectionsActive: get("downstream_cx_active") ?? 0,
    },
  };
}
