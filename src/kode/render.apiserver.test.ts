// The rendered objects against the embedded API server: they are accepted as created, and a re-render for another
// template and IDE type passes the StatefulSet's immutable-selector check on update.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startApiServer, type ApiServer } from "../apiserver/server.ts";
import { TestClient } from "../apiserver/testing.ts";
import type { Kode } from "../api/types.ts";
import { renderKode, type RenderInput } from "./render.ts";

let api: ApiServer;
let client: TestClient;
beforeAll(async () => {
  api = await startApiServer();
  client = new TestClient(api);
});
afterAll(async () => {
  await api?.stop();
});

const kode: Kode = {
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "Kode",
  metadata: { name: "smoke", namespace: "default", uid: "00000000-0000-0000-0000-000000000001" },
  spec: { templateRef: { name: "cs" }, storage: { resources: { requests: { storage: "1Gi" } } } },
};
const input = (type: "code-server" | "webtop", name: string): RenderInput => ({
  kode,
  template: { kind: "KodeTemplate", name, namespace: "default", spec: { type, image: `lscr.io/linuxserver/${type}:latest`, tolerations: [{ key: "k", operator: "Exists" }] } },
  credentials: { secretName: "smoke-auth", passwordKey: "password", generated: { username: "abc", password: "pw-smoke" } },
  rollout: { key: "k1", material: "m1" },
});

describe("rendered objects on the embedded API server", () => {
  test("create all children, then update the StatefulSet for another template and type", async () => {
    const r = renderKode(input("code-server", "cs"));
    const paths: [string, unknown][] = [
      ["/apis/apps/v1/namespaces/default/statefulsets", r.statefulSet],
      ["/api/v1/namespaces/default/services", r.service],
      ["/api/v1/namespaces/default/secrets", r.secret],
      ["/api/v1/namespaces/default/persistentvolumeclaims", r.pvc],
    ];
    for (const [path, obj] of paths) {
      const res = await client.post(path, obj);
      expect({ path, status: res.status, body: res.status === 201 ? "" : res.body }).toEqual({ path, status: 201, body: "" });
    }
    const live = await client.get("/apis/apps/v1/namespaces/default/statefulsets/smoke");
    const next = renderKode({ ...input("webtop", "desktop"), rollout: { key: "k1", material: "m2" } }).statefulSet;
    const res = await client.put("/apis/apps/v1/namespaces/default/statefulsets/smoke", {
      ...next,
      metadata: { ...next.metadata, resourceVersion: live.body.metadata.resourceVersion },
    });
    expect(res.status).toBe(200);
    expect(res.body.spec.template.metadata.labels["app.kubernetes.io/name"]).toBe("webtop");
  });
});
