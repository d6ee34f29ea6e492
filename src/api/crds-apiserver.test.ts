// End to end against the embedded API server: the generated CRDs install, every seed example is accepted
// with the schema defaults applied, bad input is rejected with the right field, and tables show the columns.
import { describe, expect, test } from "bun:test";
import { useApiServer } from "../apiserver/testing.ts";
import { buildCrds } from "./crds.ts";
import { collectionPath, seedExamples } from "./testdata/seed-examples.ts";

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
const KODES = "/apis/kode.jacero.io/v1alpha1/namespaces/default/kodes";
const TEMPLATES = "/apis/kode.jacero.io/v1alpha1/namespaces/default/kodetemplates";

function validKode(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "kode.jacero.io/v1alpha1",
    kind: "Kode",
    metadata: { name, namespace: "default" },
    spec: { templateRef: { name: "code-server-template" }, ...spec },
  };
}

describe("kode.jacero.io CRDs on the embedded API server", () => {
  const ctx = useApiServer();

  test("all five CRDs are created and Established", async () => {
    for (const crd of buildCrds()) {
      const res = await ctx.client.post(CRDS, crd);
      expect({ name: crd.metadata.name, status: res.status, body: res.status === 201 ? undefined : res.body }).toEqual({
        name: crd.metadata.name,
        status: 201,
        body: undefined,
      });
    }
    for (const crd of buildCrds()) {
      const res = await ctx.client.get(`${CRDS}/${crd.metadata.name}`);
      expect(res.status).toBe(200);
      const established = res.body.status.conditions.find((c: any) => c.type === "Established");
      expect(established?.status).toBe("True");
    }
    const discovery = await ctx.client.get("/apis/kode.jacero.io/v1alpha1");
    expect(discovery.status).toBe(200);
    const resources = Object.fromEntries(discovery.body.resources.filter((r: any) => !r.name.includes("/")).map((r: any) => [r.name, r.shortNames]));
    expect(resources).toEqual({
      kodes: ["kd"],
      kodetemplates: ["kt"],
      kodeclustertemplates: ["kct"],
      envoyproxyconfigs: ["epc"],
      envoyproxyclusterconfigs: ["epcc"],
    });
  });

  test("every seed example is created (201) with defaults applied", async () => {
    const created: Record<string, any> = {};
    for (const { title, object } of seedExamples()) {
      const res = await ctx.client.post(collectionPath(object), object);
      expect({ title, status: res.status, body: res.status === 201 ? undefined : res.body }).toEqual({ title, status: 201, body: undefined });
      created[title] = res.body;
    }
    // Template defaults from the schema.
    const scenario1 = created["Scenario 1: KodeTemplate"].spec;
    expect(scenario1).toMatchObject({ tz: "UTC", puid: 1000, pgid: 1000, defaultHome: "/config", defaultWorkspace: "workspace" });
    expect(created["KodeClusterTemplate"].spec).toMatchObject({ puid: 1000, pgid: 1000 });
    // Reference kinds default.
    expect(created["KodeTemplate"].spec.envoyProxyRef.kind).toBe("EnvoyProxyConfig");
    expect(created["Scenario 2: KodeTemplate"].spec.envoyProxyRef.kind).toBe("EnvoyProxyClusterConfig");
    // Free-form Envoy config is kept as is.
    const envoy = created["EnvoyProxyConfig"].spec;
    expect(envoy.httpFilters[0].typed_config["@type"]).toBe("type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz");
    expect(envoy.httpFilters[0].typed_config.grpc_service.envoy_grpc.cluster_name).toBe("ext_authz-opa-service1");
    expect(envoy.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value).toBe(8181);
    // The Kode keeps its quantity and storage.
    expect(created["Kode"].spec.storage).toEqual({
      accessModes: ["ReadWriteOnce"],
      storageClassName: "my-storage-class",
      resources: { requests: { storage: "1Gi" } },
    });
  });

  test("templateRef.kind defaults to KodeTemplate; unknown fields are pruned", async () => {
    const res = await ctx.client.post(KODES, { ...validKode("defaulted"), spec: { templateRef: { name: "t" }, later: "field" } });
    expect(res.status).toBe(201);
    expect(res.body.spec).toEqual({ templateRef: { kind: "KodeTemplate", name: "t" } });
  });

  const invalid: [string, string, any, string][] = [
    [
      "bad type enum",
      TEMPLATES,
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "KodeTemplate", metadata: { name: "bad-type" }, spec: { type: "vim", image: "x" } },
      "spec.type",
    ],
    ["relative home", KODES, validKode("bad-home", { home: "home/me" }), "spec.home"],
    ["workspace with ..", KODES, validKode("bad-workspace", { workspace: "a/../../etc" }), "spec.workspace"],
    ["absolute workspace", KODES, validKode("abs-workspace", { workspace: "/etc" }), "spec.workspace"],
    [
      "missing templateRef.name",
      KODES,
      { ...validKode("no-template-name"), spec: { templateRef: { kind: "KodeTemplate" } } },
      "spec.templateRef.name",
    ],
    ["bad storage quantity", KODES, validKode("bad-quantity", { storage: { resources: { requests: { storage: "lots" } } } }), "spec.storage.resources.requests.storage"],
    ["bad access mode", KODES, validKode("bad-access-mode", { storage: { accessModes: ["ReadWriteSometimes"] } }), "spec.storage.accessModes[0]"],
    ["short password", KODES, validKode("short-password", { password: "short" }), "spec.password"],
    ["user with a colon", KODES, validKode("bad-user", { user: "a:b" }), "spec.user"],
    [
      "port out of range",
      TEMPLATES,
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "KodeTemplate", metadata: { name: "bad-port" }, spec: { type: "jupyter", image: "x", port: 70000 } },
      "spec.port",
    ],
    [
      "bad authType",
      "/apis/kode.jacero.io/v1alpha1/envoyproxyclusterconfigs",
      { apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyClusterConfig", metadata: { name: "bad-auth" }, spec: { authType: "jwt" } },
      "spec.authType",
    ],
  ];
  for (const [title, path, body, field] of invalid) {
    test(`rejects ${title} with 422 on ${field}`, async () => {
      const res = await ctx.client.post(path, body);
      expect(res.status).toBe(422);
      expect(res.body.reason).toBe("Invalid");
      const fields = (res.body.details?.causes ?? []).map((c: any) => c.field);
      expect(fields).toContain(field);
    });
  }

  test("a quantity given as an integer is accepted (int-or-string)", async () => {
    const res = await ctx.client.post(KODES, validKode("int-quantity", { storage: { resources: { requests: { storage: 1073741824 } } } }));
    expect(res.status).toBe(201);
    expect(res.body.spec.storage.resources.requests.storage).toBe(1073741824);
  });

  test("Table output of kodes shows the printer columns", async () => {
    const kode = (await ctx.client.get(`${KODES}/my-code-server`)).body;
    const status = {
      phase: "Running",
      type: "code-server",
      url: "http://my-code-server.default.svc:8443",
      template: { kind: "KodeTemplate", name: "code-server-template", namespace: "default" },
      conditions: [{ type: "Ready", status: "True", reason: "PodReady", message: "ready", lastTransitionTime: "2024-01-01T00:00:00Z" }],
      activity: { verdict: "Idle", reason: "idle: no browser connected", signal: "code-server", idleSince: new Date(Date.now() - 41 * 60_000 - 5_000).toISOString().replace(/\.\d+Z$/, "Z") },
      backup: { lastSuccessfulTime: new Date(Date.now() - 3 * 3600_000 - 5_000).toISOString().replace(/\.\d+Z$/, "Z"), lastSnapshot: "1a2b3c4d" },
    };
    const put = await ctx.client.put(`${KODES}/my-code-server/status`, { ...kode, status });
    expect(put.status).toBe(200);

    const res = await ctx.client.get(KODES, { accept: TABLE });
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe("Table");
    expect(res.body.columnDefinitions.map((c: any) => c.name)).toEqual(["Name", "Phase", "Type", "Template", "User", "URL", "Idle", "Reason", "Last-Backup", "Snapshot", "Age"]);
    // The backup columns only with -o wide.
    expect(res.body.columnDefinitions.filter((c: any) => c.priority === 1).map((c: any) => c.name)).toEqual(["Last-Backup", "Snapshot"]);
    const row = res.body.rows.find((r: any) => r.cells[0] === "my-code-server");
    expect(row.cells.slice(0, 10)).toEqual(["my-code-server", "Running", "code-server", "code-server-template", "devuser", "http://my-code-server.default.svc:8443", "41m", "idle: no browser connected", "3h", "1a2b3c4d"]);

    const templates = await ctx.client.get(TEMPLATES, { accept: TABLE });
    expect(templates.body.columnDefinitions.map((c: any) => c.name)).toEqual(["Name", "Type", "Image", "Kodes", "Age"]);
  });

  test("status writes are validated too", async () => {
    const kode = (await ctx.client.get(`${KODES}/my-code-server`)).body;
    const res = await ctx.client.put(`${KODES}/my-code-server/status`, { ...kode, status: { phase: "Sleeping" } });
    expect(res.status).toBe(422);
    expect(res.body.details.causes.map((c: any) => c.field)).toContain("status.phase");
  });
});
