// The health listener forwards the IDE's activity endpoints for types that name them (jupyter): exact paths, GET
// only, to the IDE below its prefix; nothing else of the IDE is reachable there. The bootstrap stays valid.
import { describe, expect, test } from "bun:test";
import { parseEnvoyProxyConfig } from "../api/envoy-proxy-config.ts";
import { HEALTH_IDE_ACTIVITY_PREFIX } from "./bootstrap.ts";
import { renderEnvoy, type EnvoyRenderInput } from "./render.ts";
import { validateRender } from "./testing.ts";

type J = Record<string, any>;
const basic = parseEnvoyProxyConfig({ apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyConfig", metadata: { name: "b", namespace: "dev" }, spec: { authType: "basic" } });
const input = (ideType: string, over: Partial<EnvoyRenderInput> = {}): EnvoyRenderInput => ({
  kode: { name: "nb", namespace: "dev", user: "dev" },
  idePort: 8888,
  ideType,
  config: { kind: "EnvoyProxyConfig", name: "b", namespace: "dev", spec: basic.spec },
  credentials: { username: "dev", password: "a-long-password-123" },
  credentialsSecretName: "nb-auth",
  ...over,
});
const healthRoutes = (ideType: string, over: Partial<EnvoyRenderInput> = {}): J[] => {
  const r = renderEnvoy(input(ideType, over));
  const listener = (r.bootstrap as J).static_resources.listeners.find((l: J) => l.name === "kode_health");
  return listener.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes;
};

describe("activity routes on the health listener", () => {
  test("jupyter: /ide/activity/api/status and /api/kernels, GET only, exact paths, to the IDE", () => {
    const routes = healthRoutes("jupyter").filter((r) => r.match.path?.startsWith(HEALTH_IDE_ACTIVITY_PREFIX));
    expect(routes).toEqual([
      { match: { path: "/ide/activity/api/status", headers: [{ name: ":method", string_match: { exact: "GET" } }] }, route: { cluster: "kode_ide_probe", prefix_rewrite: "/api/status", timeout: "5s" } },
      { match: { path: "/ide/activity/api/kernels", headers: [{ name: ":method", string_match: { exact: "GET" } }] }, route: { cluster: "kode_ide_probe", prefix_rewrite: "/api/kernels", timeout: "5s" } },
    ]);
    // Everything else on this listener that is not Envoy's own ends in a 404.
    expect(healthRoutes("jupyter").at(-1)).toEqual({ match: { prefix: "/" }, direct_response: { status: 404 } });
  });

  test("jupyter under a path prefix it serves: the upstream paths are below the prefix", () => {
    const routes = healthRoutes("jupyter", { prefix: { basePath: "/team/nb/", strip: false } }).filter((r) => r.match.path?.startsWith(HEALTH_IDE_ACTIVITY_PREFIX));
    expect(routes.map((r) => r.route.prefix_rewrite)).toEqual(["/team/nb/api/status", "/team/nb/api/kernels"]);
  });

  test("types without sidecar paths get no activity route", () => {
    for (const type of ["code-server", "webtop", "alnoda", "devcontainers"])
      expect(healthRoutes(type).filter((r) => r.match.path?.startsWith(HEALTH_IDE_ACTIVITY_PREFIX))).toEqual([]);
  });

  test("the jupyter bootstrap with the activity routes validates against Envoy's protos", () => {
    expect(validateRender(renderEnvoy(input("jupyter")))).toEqual([]);
  });
});
