// Template and EnvoyProxyConfig status: written only when it differs semantically (key order aside), and replaced.
import { describe, expect, test } from "bun:test";
import type { EnvoyProxyConfig, KodeTemplate } from "../api/types.ts";
import { reconcileEnvoyConfig } from "../envoy/reconcile.ts";
import type { KubeClient } from "../kube/types.ts";
import { reconcileTemplate } from "./reconcile.ts";

function client(patches: { plural: string; body: any; subresource?: string }[]): KubeClient {
  return {
    server: "memory://",
    mergePatch: async (ref: any, name: string, body: any, o: any = {}) => {
      patches.push({ plural: ref.plural, body, subresource: o.subresource });
      return { metadata: { name, resourceVersion: "2" } } as never;
    },
  } as unknown as KubeClient;
}
const cache = <T>(obj: T) => ({ get: () => obj });
const NOW = "2026-11-25T10:00:00Z";

describe("template status", () => {
  const template = (status?: unknown): KodeTemplate =>
    ({ apiVersion: "kode.jacero.io/v1alpha1", kind: "KodeTemplate", metadata: { name: "cs", namespace: "team", generation: 3 }, spec: { type: "code-server", image: "img" }, status }) as never;

  test("the same status in another key order (a server's sorted round trip) is not written again", async () => {
    const patches: any[] = [];
    const live = template({
      observedGeneration: 3,
      kodes: 2,
      conditions: [{ type: "Ready", status: "True", reason: "Valid", message: "code-server template using img", observedGeneration: 3, lastTransitionTime: NOW }],
    });
    const sorted = JSON.parse(JSON.stringify(live.status, (_k, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v)));
    const deps = { client: client(patches), templates: cache({ ...live, status: sorted }), clusterTemplates: cache(undefined), kodesUsing: () => 2, now: () => "later" };
    await reconcileTemplate(deps as never, "KodeTemplate/team/cs");
    expect(patches).toEqual([]);
  });

  test("a key no longer derived is removed by the write", async () => {
    const patches: any[] = [];
    const live = template({ observedGeneration: 3, kodes: 2, stale: "x", conditions: [] });
    const deps = { client: client(patches), templates: cache(live), clusterTemplates: cache(undefined), kodesUsing: () => 2, now: () => NOW };
    await reconcileTemplate(deps as never, "KodeTemplate/team/cs");
    expect(patches).toEqual([
      {
        plural: "kodetemplates",
        subresource: "status",
        body: { status: { stale: null, conditions: [{ type: "Ready", status: "True", reason: "Valid", message: "code-server template using img", observedGeneration: 3, lastTransitionTime: NOW }] } },
      },
    ]);
  });
});

describe("EnvoyProxyConfig status", () => {
  test("equal in another key order: no write; a stale key: nulled", async () => {
    const ready = { type: "Ready", status: "True", reason: "Valid", message: "authType none", observedGeneration: 1, lastTransitionTime: NOW };
    const config = (status: unknown): EnvoyProxyConfig => ({ apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyConfig", metadata: { name: "p", namespace: "team", generation: 1 }, spec: {}, status }) as never;
    const patches: any[] = [];
    const events = { event: () => undefined };
    const reversed = { conditions: [Object.fromEntries(Object.entries(ready).reverse())], observedGeneration: 1 };
    await reconcileEnvoyConfig({ client: client(patches), envoyConfigs: cache(config(reversed)), envoyClusterConfigs: cache(undefined), events, now: () => "later" } as never, "EnvoyProxyConfig/team/p");
    expect(patches).toEqual([]);
    await reconcileEnvoyConfig({ client: client(patches), envoyConfigs: cache(config({ ...reversed, extra: 1 })), envoyClusterConfigs: cache(undefined), events, now: () => "later" } as never, "EnvoyProxyConfig/team/p");
    expect(patches).toEqual([{ plural: "envoyproxyconfigs", subresource: "status", body: { status: { extra: null } } }]);
  });
});
