// The operator's own HTTP endpoints: /healthz and /readyz for the kubelet's probes, /metrics for
// Prometheus. Health and metrics may share one address (then one server answers all three).
import type { Server } from "bun";
import { METRICS_CONTENT_TYPE, type Registry } from "./metrics.ts";

export interface OperatorHttpOptions {
  /** host:port, e.g. ":8081", "0.0.0.0:8081", "127.0.0.1:0" (port 0 picks a free one). */
  healthAddress: string;
  /**
   * host:port; "0" or "" disables the metrics endpoint (as controller-runtime's --metrics-bind-address=0).
   * The same non-zero host:port as healthAddress serves everything from one server.
   */
  metricsAddress: string;
  registry: Registry;
  checks: {
    /** true when ready; a string is the reason it is not (returned in the 503 body). */
    ready: () => boolean | string;
    /** false when the process should be restarted; default always live. */
    live?: () => boolean;
  };
}

export interface OperatorHttp {
  healthUrl: string;
  /** undefined when metrics are disabled. */
  metricsUrl: string | undefined;
  stop(): Promise<void>;
}

export function parseAddress(address: string): { hostname: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(address.trim());
  if (!m) throw new Error(`invalid address "${address}": want host:port, e.g. ":8081" or "127.0.0.1:0"`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`invalid address "${address}": port ${port} is out of range`);
  return { hostname: m[1] ?? (m[2] || "0.0.0.0"), port };
}

export function metricsDisabled(address: string): boolean {
  return address === "" || address === "0";
}

export function startOperatorHttp(opts: OperatorHttpOptions): OperatorHttp {
  const health = (req: Request, path: string): Response | undefined => {
    if (path === "/healthz" || path === "/livez") {
      const live = safe(() => opts.checks.live?.() ?? true);
      return live === true ? text(req, 200, "ok") : text(req, 503, typeof live === "string" ? live : "not live");
    }
    if (path === "/readyz") {
      const ready = safe(opts.checks.ready);
      if (ready === true) return text(req, 200, "ok");
      return text(req, 503, typeof ready === "string" && ready ? ready : "not ready");
    }
    return undefined;
  };
  const metrics = (req: Request, path: string): Response | undefined => {
    if (path !== "/metrics") return undefined;
    try {
      return new Response(req.method === "HEAD" ? null : opts.registry.expose(), { headers: { "content-type": METRICS_CONTENT_TYPE } });
    } catch (e) {
      return text(req, 500, `collecting metrics failed: ${(e as Error).message}`);
    }
  };

  const withMetrics = !metricsDisabled(opts.metricsAddress);
  const shared = withMetrics && sameAddress(opts.healthAddress, opts.metricsAddress);
  const healthServer = listen(opts.healthAddress, shared ? [health, metrics] : [health]);
  let metricsServer: Server<undefined> | undefined;
  try {
    metricsServer = withMetrics ? (shared ? healthServer : listen(opts.metricsAddress, [metrics])) : undefined;
  } catch (e) {
    healthServer.stop(true);
    throw e;
  }

  let stopped = false;
  return {
    healthUrl: urlOf(healthServer),
    metricsUrl: metricsServer ? urlOf(metricsServer) : undefined,
    async stop() {
      if (stopped) return;
      stopped = true;
      await healthServer.stop(true);
      if (metricsServer && metricsServer !== healthServer) await metricsServer.stop(true);
    },
  };
}

type Route = (req: Request, path: string) => Response | undefined;

function listen(address: string, routes: Route[]): Server<undefined> {
  const { hostname, port } = parseAddress(address);
  try {
    return Bun.serve({
      hostname,
      port,
      fetch(req) {
        if (req.method !== "GET" && req.method !== "HEAD") return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
        const path = new URL(req.url).pathname;
        for (const route of routes) {
          const res = route(req, path);
          if (res) return res;
        }
        return text(req, 404, "not found");
      },
      error: (e) => new Response(`internal error: ${e.message}\n`, { status: 500 }),
    });
  } catch (e) {
    throw new Error(`cannot listen on ${address}: ${(e as Error).message}`);
  }
}

// Port 0 means "any free port", so two ":0" addresses are two servers.
function sameAddress(a: string, b: string): boolean {
  const x = parseAddress(a);
  const y = parseAddress(b);
  return x.port !== 0 && x.hostname === y.hostname && x.port === y.port;
}

function urlOf(server: Server<undefined>): string {
  let host = server.hostname ?? "127.0.0.1";
  // A wildcard listener is reached on loopback.
  if (host === "0.0.0.0" || host === "") host = "127.0.0.1";
  else if (host === "::") host = "::1";
  return `http://${host.includes(":") ? `[${host}]` : host}:${server.port}`;
}

function text(req: Request, status: number, body: string): Response {
  return new Response(req.method === "HEAD" ? null : body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

function safe<T>(check: () => T): T | string {
  try {
    return check();
  } catch (e) {
    return `check failed: ${(e as Error).message}`;
  }
}
