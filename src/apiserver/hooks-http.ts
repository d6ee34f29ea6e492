// The HTTP face of the test hooks, for tests that drive the server out of process.
//   GET    /__kode/hooks/requests?verb=&resource=&code=&userAgent=&writesOnly=true  → {total, records}
//   DELETE /__kode/hooks/requests                                                   → reset counters
//   POST   /__kode/hooks/faults  (FaultRule JSON)                                   → {id}
//   DELETE /__kode/hooks/faults[/<id>]
//   POST   /__kode/hooks/watches/close?resource=                                    → {closed}
//   POST   /__kode/hooks/watches/expire?resource=     (the next resumed watch gets 410)
//   POST   /__kode/hooks/compact                      (drop watch history)
//   POST   /__kode/hooks/pod-proxy {namespace, pod, port?, target}   (no port: every port of the pod)
//   POST   /__kode/hooks/pod-log {namespace, pod, container?, log}    (what pods/<pod>/log serves)
//   GET    /__kode/hooks/stats                                                      → {resourceVersion, objects, watches}
import { badRequest, notFound } from "./errors.ts";
import type { FaultRule } from "./hooks.ts";
import { jsonResponse } from "./respond.ts";
import type { ApiState } from "./state.ts";

export async function hooksEndpoint(state: ApiState, req: Request, url: URL): Promise<Response> {
  const { hooks } = state;
  const route = `${req.method} ${url.pathname.slice("/__kode/hooks".length).replace(/\/$/, "")}`;
  const q = url.searchParams;
  const resource = q.get("resource") ?? undefined;
  switch (true) {
    case route === "GET /requests": {
      const filter = {
        verb: q.get("verb") ?? undefined,
        resource,
        code: q.get("code") ? Number(q.get("code")) : undefined,
        userAgent: q.get("userAgent") ?? undefined,
        writesOnly: q.get("writesOnly") === "true",
      };
      return jsonResponse({ total: hooks.count(filter), records: hooks.requests(filter) });
    }
    case route === "DELETE /requests":
      hooks.resetCounters();
      return jsonResponse({});
    case route === "POST /faults": {
      const rule = (await req.json().catch(() => undefined)) as FaultRule | undefined;
      if (!rule || typeof rule !== "object") throw badRequest("a fault rule must be a JSON object");
      return jsonResponse({ id: hooks.injectFault(rule) }, 201);
    }
    case route === "DELETE /faults":
      hooks.clearFaults();
      return jsonResponse({});
    case route.startsWith("DELETE /faults/"):
      hooks.removeFault(Number(route.split("/").pop()));
      return jsonResponse({});
    case route === "POST /watches/close":
      return jsonResponse({ closed: hooks.closeWatches(resource) });
    case route === "POST /watches/expire":
      hooks.expireNextWatch(resource);
      return jsonResponse({});
    case route === "POST /compact":
      hooks.compactHistory();
      return jsonResponse({});
    case route === "POST /pod-proxy": {
      const body = (await req.json().catch(() => ({}))) as { namespace?: string; pod?: string; port?: unknown; target?: string };
      if (!body.namespace || !body.pod || !body.target) throw badRequest("namespace, pod and target are required");
      if (body.port !== undefined && !(typeof body.port === "string" && body.port) && !(Number.isInteger(body.port) && (body.port as number) > 0))
        throw badRequest("port must be a port number or a port name");
      try {
        hooks.registerPodProxy(body.namespace, body.pod, body.target, body.port as string | number | undefined);
      } catch (e) {
        throw badRequest((e as Error).message);
      }
      return jsonResponse({}, 201);
    }
    case route === "POST /pod-log": {
      const body = (await req.json().catch(() => ({}))) as { namespace?: string; pod?: string; container?: string; log?: string };
      if (!body.namespace || !body.pod || typeof body.log !== "string") throw badRequest("namespace, pod and log are required");
      hooks.setPodLog(body.namespace, body.pod, body.log, body.container);
      return jsonResponse({}, 201);
    }
    case route === "GET /stats": {
      const objects: Record<string, number> = {};
      for (const r of state.store.resources()) objects[r] = state.store.count(r);
      return jsonResponse({ resourceVersion: state.store.resourceVersion, objects, watches: state.watches.size });
    }
    default:
      throw notFound("", "hooks", route);
  }
}
