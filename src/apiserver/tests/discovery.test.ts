// Checklist §5 K, Q, R and §4: non-resource endpoints, discovery documents, every built-in kind,
// content negotiation, Tables for built-ins, Service defaults and protobuf request bodies.
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { useApiServer, widgetCrd } from "../testing.ts";

const AGG_KUBECTL =
  "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
const AGG_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const PROTOBUF = "application/vnd.kubernetes.protobuf";

const podSpec = { containers: [{ name: "main", image: "busybox" }] };
const template = (app: string, restartPolicy?: string) => ({ metadata: { labels: { app } }, spec: { ...podSpec, ...(restartPolicy ? { restartPolicy } : {}) } });

interface Kind {
  group: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  body: (name: string) => Record<string, unknown>;
}

/** Every built-in kind the issue asks for, with a minimal valid body. */
const KINDS: Kind[] = [
  { group: "", plural: "namespaces", kind: "Namespace", namespaced: false, body: () => ({}) },
  { group: "", plural: "secrets", kind: "Secret", namespaced: true, body: () => ({ stringData: { k: "v" } }) },
  { group: "", plural: "configmaps", kind: "ConfigMap", namespaced: true, body: () => ({ data: { k: "v" } }) },
  { group: "", plural: "services", kind: "Service", namespaced: true, body: () => ({ spec: { selector: { app: "x" }, ports: [{ port: 80 }] } }) },
  { group: "", plural: "serviceaccounts", kind: "ServiceAccount", namespaced: true, body: () => ({}) },
  {
    group: "",
    plural: "persistentvolumeclaims",
    kind: "PersistentVolumeClaim",
    namespaced: true,
    body: () => ({ spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }),
  },
  { group: "", plural: "pods", kind: "Pod", namespaced: true, body: () => ({ spec: podSpec }) },
  {
    group: "",
    plural: "events",
    kind: "Event",
    namespaced: true,
    body: () => ({ involvedObject: { kind: "Pod", name: "p", namespace: "default" }, reason: "Started", message: "started", type: "Normal" }),
  },
  {
    group: "events.k8s.io",
    plural: "events",
    kind: "Event",
    namespaced: true,
    body: () => ({
      eventTime: "2026-01-01T00:00:00.000000Z",
      reportingController: "example.com/ctl",
      reportingInstance: "ctl-1",
      action: "Sync",
      reason: "Synced",
      type: "Normal",
      regarding: { kind: "Pod", name: "p", namespace: "default" },
    }),
  },
  { group: "apps", plural: "statefulsets", kind: "StatefulSet", namespaced: true, body: (n) => ({ spec: { serviceName: n, selector: { matchLabels: { app: n } }, template: template(n) } }) },
  { group: "apps", plural: "deployments", kind: "Deployment", namespaced: true, body: (n) => ({ spec: { selector: { matchLabels: { app: n } }, template: template(n) } }) },
  { group: "batch", plural: "jobs", kind: "Job", namespaced: true, body: (n) => ({ spec: { template: template(n, "Never") } }) },
  {
    group: "batch",
    plural: "cronjobs",
    kind: "CronJob",
    namespaced: true,
    body: (n) => ({ spec: { schedule: "*/5 * * * *", jobTemplate: { spec: { template: template(n, "OnFailure") } } } }),
  },
  { group: "networking.k8s.io", plural: "networkpolicies", kind: "NetworkPolicy", namespaced: true, body: () => ({ spec: { podSelector: {}, policyTypes: ["Ingress"] } }) },
  { group: "coordination.k8s.io", plural: "leases", kind: "Lease", namespaced: true, body: () => ({ spec: { holderIdentity: "me", leaseDurationSeconds: 15 } }) },
  { group: "rbac.authorization.k8s.io", plural: "roles", kind: "Role", namespaced: true, body: () => ({ rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] }) },
  {
    group: "rbac.authorization.k8s.io",
    plural: "rolebindings",
    kind: "RoleBinding",
    namespaced: true,
    body: () => ({ roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "r" }, subjects: [{ kind: "ServiceAccount", name: "default", namespace: "default" }] }),
  },
  { group: "rbac.authorization.k8s.io", plural: "clusterroles", kind: "ClusterRole", namespaced: false, body: () => ({ rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }] }) },
  {
    group: "rbac.authorization.k8s.io",
    plural: "clusterrolebindings",
    kind: "ClusterRoleBinding",
    namespaced: false,
    body: () => ({ roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cr" }, subjects: [{ kind: "User", name: "alice", apiGroup: "rbac.authorization.k8s.io" }] }),
  },
  { group: "apiextensions.k8s.io", plural: "customresourcedefinitions", kind: "CustomResourceDefinition", namespaced: false, body: () => widgetCrd() },
];

const gv = (k: Kind) => (k.group ? `${k.group}/v1` : "v1");
const collection = (k: Kind, ns = "default") => `${k.group ? `/apis/${k.group}/v1` : "/api/v1"}${k.namespaced ? `/namespaces/${ns}` : ""}/${k.plural}`;
// Both Event APIs share one store, so their names must differ.
const objectName = (k: Kind) => (k.kind === "CustomResourceDefinition" ? "widgets.example.com" : `my-${k.kind.toLowerCase()}${k.group === "events.k8s.io" ? "-v1" : ""}`);

describe("non-resource endpoints (R1, R2)", () => {
  const ctx = useApiServer();

  test("/version answers the 1.32 version info", async () => {
    const res = await ctx.client.get("/version");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(res.body).toMatchObject({ major: "1", minor: "32", gitTreeState: "clean", compiler: "gc" });
    expect(res.body.gitVersion).toMatch(/^v1\.32\./);
    for (const f of ["gitCommit", "buildDate", "goVersion", "platform"]) expect(typeof res.body[f]).toBe("string");
  });

  test("/healthz, /readyz and /livez answer 200 ok in text/plain", async () => {
    for (const path of ["/healthz", "/readyz", "/livez"]) {
      const res = await ctx.client.get(path, { accept: "*/*" });
      expect(res.status).toBe(200);
      expect(res.body).toBe("ok");
      expect(res.headers.get("content-type")).toStartWith("text/plain");
    }
  });

  test("an unknown path gives a 404 Status", async () => {
    const res = await ctx.client.get("/apis/nope.example.com/v1/things");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ kind: "Status", status: "Failure", reason: "NotFound", code: 404 });
  });
});

describe("discovery documents (§4.1, §4.2)", () => {
  const ctx = useApiServer();

  test("/api legacy: APIVersions with v1 and the server address", async () => {
    const res = await ctx.client.get("/api");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(res.body.kind).toBe("APIVersions");
    expect(res.body.versions).toEqual(["v1"]);
    expect(res.body.serverAddressByClientCIDRs).toEqual([{ clientCIDR: "0.0.0.0/0", serverAddress: `127.0.0.1:${ctx.server.port}` }]);
  });

  test("/api aggregated: one item for the core group with its resources", async () => {
    const res = await ctx.client.get("/api", { accept: AGG_KUBECTL });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(AGG_TYPE);
    expect(res.body).toMatchObject({ kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2" });
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0].metadata.name).toBe("");
    const v1 = res.body.items[0].versions[0];
    expect(v1).toMatchObject({ version: "v1", freshness: "Current" });
    const pods = v1.resources.find((r: any) => r.resource === "pods");
    expect(pods).toMatchObject({ responseKind: { group: "", version: "v1", kind: "Pod" }, scope: "Namespaced", singularResource: "pod", shortNames: ["po"], categories: ["all"] });
    expect(pods.subresources.map((s: any) => s.subresource).sort()).toEqual(["attach", "exec", "log", "portforward", "proxy", "status"]);
    expect(v1.resources.find((r: any) => r.resource === "namespaces").scope).toBe("Cluster");
  });

  test("/apis legacy and aggregated list the built-in groups (not the core group)", async () => {
    const legacy = await ctx.client.get("/apis");
    expect(legacy.headers.get("content-type")).toStartWith("application/json");
    expect(legacy.body.kind).toBe("APIGroupList");
    const names = legacy.body.groups.map((g: any) => g.name);
    for (const g of ["apps", "batch", "networking.k8s.io", "coordination.k8s.io", "rbac.authorization.k8s.io", "events.k8s.io", "apiextensions.k8s.io"])
      expect(names).toContain(g);
    expect(names).not.toContain("");
    expect(legacy.body.groups.find((g: any) => g.name === "apps")).toEqual({
      name: "apps",
      versions: [{ groupVersion: "apps/v1", version: "v1" }],
      preferredVersion: { groupVersion: "apps/v1", version: "v1" },
    });

    const agg = await ctx.client.get("/apis", { accept: AGG_KUBECTL });
    expect(agg.headers.get("content-type")).toBe(AGG_TYPE);
    expect(agg.body.items.map((i: any) => i.metadata.name).sort()).toEqual([...names].sort());
    const apps = agg.body.items.find((i: any) => i.metadata.name === "apps");
    const deployments = apps.versions[0].resources.find((r: any) => r.resource === "deployments");
    expect(deployments.subresources).toContainEqual({ subresource: "scale", responseKind: { group: "autoscaling", version: "v1", kind: "Scale" }, verbs: ["get", "patch", "update"] });

    const plainJson = await ctx.client.get("/apis", { accept: "application/json, */*" });
    expect(plainJson.body.kind).toBe("APIGroupList");
  });

  test("/api/v1 lists resources with their subresources (status, scale, proxy)", async () => {
    const res = await ctx.client.get("/api/v1");
    expect(res.body).toMatchObject({ kind: "APIResourceList", groupVersion: "v1" });
    const byName = Object.fromEntries(res.body.resources.map((r: any) => [r.name, r]));
    expect(byName.pods).toMatchObject({ singularName: "pod", namespaced: true, kind: "Pod" });
    expect([...byName.pods.verbs].sort()).toEqual(["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]);
    expect(byName["pods/status"]).toMatchObject({ namespaced: true, kind: "Pod", verbs: ["get", "patch", "update"] });
    expect(byName["pods/proxy"]).toMatchObject({ namespaced: true, kind: "Pod" });
    expect(byName["namespaces/status"]).toMatchObject({ namespaced: false, kind: "Namespace" });
    expect(byName["namespaces/finalize"]).toBeDefined();
    expect(byName["services/status"]).toBeDefined();
    expect(byName["configmaps/status"]).toBeUndefined();
    expect(byName.configmaps.shortNames).toEqual(["cm"]);
    expect(byName.namespaces.namespaced).toBe(false);

    const apps = await ctx.client.get("/apis/apps/v1");
    const appsByName = Object.fromEntries(apps.body.resources.map((r: any) => [r.name, r]));
    for (const r of ["deployments/scale", "statefulsets/scale"]) expect(appsByName[r]).toMatchObject({ group: "autoscaling", version: "v1", kind: "Scale" });
    expect(appsByName["deployments/status"]).toMatchObject({ kind: "Deployment" });

    expect((await ctx.client.get("/apis/apps")).body).toMatchObject({ kind: "APIGroup", name: "apps", preferredVersion: { version: "v1" } });
    expect((await ctx.client.get("/apis/apps/v2")).status).toBe(404);
  });
});

describe("every built-in kind is served (create, get, list)", () => {
  const ctx = useApiServer();

  for (const k of KINDS) {
    test(`${k.group || "core"}/${k.plural}`, async () => {
      const name = objectName(k);
      const disc = await ctx.client.get(k.group ? `/apis/${k.group}/v1` : "/api/v1");
      expect(disc.body.resources.find((r: any) => r.name === k.plural)).toMatchObject({ kind: k.kind, namespaced: k.namespaced });

      const body = { apiVersion: gv(k), kind: k.kind, ...k.body(name) } as any;
      body.metadata = { ...(body.metadata ?? {}), name };
      const created = await ctx.client.post(collection(k), body);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ apiVersion: gv(k), kind: k.kind, metadata: { name } });
      if (k.namespaced) expect(created.body.metadata.namespace).toBe("default");
      else expect(created.body.metadata.namespace).toBeUndefined();

      const got = await ctx.client.get(`${collection(k)}/${name}`);
      expect(got.status).toBe(200);
      expect(got.body.metadata.uid).toBe(created.body.metadata.uid);
      expect(got.body.kind).toBe(k.kind);

      const list = await ctx.client.get(collection(k));
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ kind: `${k.kind}List`, apiVersion: gv(k) });
      expect(list.body.items.map((i: any) => i.metadata.name)).toContain(name);

      if (k.namespaced) {
        const all = await ctx.client.get(`${k.group ? `/apis/${k.group}/v1` : "/api/v1"}/${k.plural}`);
        expect(all.body.items.map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`)).toContain(`default/${name}`);
      } else {
        // K3: a cluster-scoped resource under a namespaced URL does not exist.
        const prefix = k.group ? `/apis/${k.group}/v1` : "/api/v1";
        expect((await ctx.client.get(`${prefix}/namespaces/default/${k.plural}/${name}`)).status).toBe(404);
        expect((await ctx.client.get(`${prefix}/namespaces/default/${k.plural}`)).status).toBe(404);
      }

      // L: Table output for every built-in, with column definitions and the object's row.
      const table = await ctx.client.get(collection(k), { accept: TABLE });
      expect(table.status).toBe(200);
      expect(table.body).toMatchObject({ kind: "Table", apiVersion: "meta.k8s.io/v1" });
      expect(table.body.columnDefinitions.length).toBeGreaterThan(1);
      for (const c of table.body.columnDefinitions) {
        expect(typeof c.name).toBe("string");
        expect(typeof c.type).toBe("string");
      }
      const row = table.body.rows.find((r: any) => r.object.metadata.name === name);
      expect(row).toBeDefined();
      expect(row.cells).toHaveLength(table.body.columnDefinitions.length);
    });
  }
});

describe("content negotiation (Q)", () => {
  const ctx = useApiServer();

  test("Q2: Accept with only protobuf gives 406 on get and list", async () => {
    await ctx.client.post("/api/v1/namespaces/default/configmaps", { metadata: { name: "cm" } });
    for (const path of ["/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/configmaps/cm"]) {
      const res = await ctx.client.get(path, { accept: PROTOBUF });
      expect(res.status).toBe(406);
      expect(res.body).toMatchObject({ kind: "Status", reason: "NotAcceptable", code: 406 });
    }
  });

  test("Q2: the Accept variants kubectl and client-node send all get JSON", async () => {
    for (const accept of ["*/*", "application/json", "application/json, */*", `${PROTOBUF}, */*`, `${PROTOBUF},application/json`]) {
      const res = await ctx.client.get("/api/v1/namespaces/default/configmaps/cm", { accept });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith("application/json");
      expect(res.body.metadata.name).toBe("cm");
    }
  });

  test("a POST with an unsupported Content-Type gives 415", async () => {
    const res = await ctx.client.post("/api/v1/namespaces/default/configmaps", "name: x", { "content-type": "text/plain" });
    expect(res.status).toBe(415);
    expect(res.body.reason).toBe("UnsupportedMediaType");
  });

  test("a YAML body is accepted on create", async () => {
    const res = await ctx.client.post("/api/v1/namespaces/default/configmaps", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n", {
      "content-type": "application/yaml",
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({ k: "v" });
  });
});

describe("Service defaults", () => {
  const ctx = useApiServer();

  test("a Service gets a clusterIP, type ClusterIP and port defaults", async () => {
    const res = await ctx.client.post("/api/v1/namespaces/default/services", {
      metadata: { name: "web" },
      spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80 }, { name: "alt", port: 8443, targetPort: "https", protocol: "UDP" }] },
    });
    expect(res.status).toBe(201);
    const spec = res.body.spec;
    expect(spec.type).toBe("ClusterIP");
    expect(spec.sessionAffinity).toBe("None");
    expect(spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(spec.clusterIPs).toEqual([spec.clusterIP]);
    expect(spec.ports).toEqual([
      { name: "http", port: 80, protocol: "TCP", targetPort: 80 },
      { name: "alt", port: 8443, protocol: "UDP", targetPort: "https" },
    ]);
    // The clusterIP survives an update that leaves it out.
    const put = await ctx.client.put("/api/v1/namespaces/default/services/web", { ...res.body, spec: { ...spec, clusterIP: undefined, clusterIPs: undefined } });
    expect(put.status).toBe(200);
    expect(put.body.spec.clusterIP).toBe(spec.clusterIP);

    const other = await ctx.client.post("/api/v1/namespaces/default/services", { metadata: { name: "other" }, spec: { ports: [{ port: 81 }] } });
    expect(other.body.spec.clusterIP).not.toBe(spec.clusterIP);
    const headless = await ctx.client.post("/api/v1/namespaces/default/services", { metadata: { name: "headless" }, spec: { clusterIP: "None", ports: [{ port: 82 }] } });
    expect(headless.body.spec.clusterIP).toBe("None");
    const badPort = await ctx.client.post("/api/v1/namespaces/default/services", { metadata: { name: "bad" }, spec: { ports: [{ port: 0 }] } });
    expect(badPort.status).toBe(422);
  });
});

describe("protobuf request bodies (§4.9)", () => {
  const ctx = useApiServer();
  const dir = join(import.meta.dir, "..", "testdata", "protobuf");
  const bin = (name: string) => new Uint8Array(readFileSync(join(dir, `${name}.bin`)));
  const json = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
  beforeAll(async () => {
    expect((await ctx.client.post("/api/v1/namespaces", { metadata: { name: "team-a" } })).status).toBe(201);
  });

  const cases: [fixture: string, path: (ns: string) => string][] = [
    ["configmap", (ns) => `/api/v1/namespaces/${ns}/configmaps`],
    ["secret-generic", (ns) => `/api/v1/namespaces/${ns}/secrets`],
    ["secret-tls", (ns) => `/api/v1/namespaces/${ns}/secrets`],
    ["secret-docker-registry", (ns) => `/api/v1/namespaces/${ns}/secrets`],
    ["serviceaccount", (ns) => `/api/v1/namespaces/${ns}/serviceaccounts`],
    ["deployment", (ns) => `/apis/apps/v1/namespaces/${ns}/deployments`],
  ];
  for (const [fixture, path] of cases) {
    test(`kubectl's ${fixture} body creates the object`, async () => {
      const expected = json(fixture);
      const ns = expected.metadata.namespace ?? "default";
      const res = await ctx.client.post(path(ns), bin(fixture), { "content-type": PROTOBUF });
      expect(res.status).toBe(201);
      expect(res.headers.get("content-type")).toStartWith("application/json");
      expect(res.body).toMatchObject({ apiVersion: expected.apiVersion, kind: expected.kind, metadata: { name: expected.metadata.name, namespace: ns } });
      expect(res.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.metadata.creationTimestamp).toMatch(/Z$/);
      for (const field of ["data", "binaryData", "type"]) if (expected[field] !== undefined) expect(res.body[field]).toEqual(expected[field]);
      if (expected.metadata.labels) expect(res.body.metadata.labels).toEqual(expected.metadata.labels);
      if (expected.metadata.annotations) expect(res.body.metadata.annotations).toEqual(expected.metadata.annotations);
      const got = await ctx.client.get(`${path(ns)}/${expected.metadata.name}`);
      expect(got.status).toBe(200);
      expect(got.body.metadata.uid).toBe(res.body.metadata.uid);
    });
  }

  test("the protobuf Deployment keeps its spec and gets the apps/v1 defaults", async () => {
    const dep = (await ctx.client.get("/apis/apps/v1/namespaces/default/deployments/web")).body;
    const expected = json("deployment");
    expect(dep.spec.replicas).toBe(expected.spec.replicas);
    expect(dep.spec.selector).toEqual(expected.spec.selector);
    expect(dep.spec.template.spec.containers[0]).toMatchObject({ name: "nginx", image: "nginx:1.27", command: ["nginx", "-g", "daemon off;"], ports: [{ containerPort: 8080 }] });
    expect(dep.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } });
    expect(dep.metadata.generation).toBe(1);
  });

  test("a Namespace body creates the namespace (cluster-scoped)", async () => {
    const res = await ctx.client.post("/api/v1/namespaces", bin("namespace"), { "content-type": PROTOBUF });
    expect(res.status).toBe(201);
    expect(res.body.metadata.name).toBe(json("namespace").metadata.name);
    expect(res.body.status.phase).toBe("Active");
    expect(res.body.metadata.labels["kubernetes.io/metadata.name"]).toBe(res.body.metadata.name);
  });

  test("garbage protobuf gives 400 as the real server's decoder does, and creates nothing", async () => {
    const before = (await ctx.client.get("/api/v1/namespaces/default/configmaps")).body.items.length;
    for (const garbage of [new Uint8Array(readFileSync(join(dir, "binary.dat"))), Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0xff, 0xff, 0xff])]) {
      const res = await ctx.client.post("/api/v1/namespaces/default/configmaps", garbage, { "content-type": PROTOBUF });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ kind: "Status", status: "Failure", reason: "BadRequest", code: 400 });
      expect(res.body.message).toStartWith("error decoding protobuf request body: ");
    }
    expect((await ctx.client.get("/api/v1/namespaces/default/configmaps")).body.items.length).toBe(before);
  });
});

describe("review APIs in discovery", () => {
  const ctx = useApiServer();

  test("legacy discovery lists the review kinds and serviceaccounts/token as create-only", async () => {
    const authz = await ctx.client.get("/apis/authorization.k8s.io/v1");
    expect(authz.status).toBe(200);
    expect(authz.body.resources).toEqual([
      { name: "localsubjectaccessreviews", singularName: "localsubjectaccessreview", namespaced: true, kind: "LocalSubjectAccessReview", verbs: ["create"] },
      { name: "selfsubjectaccessreviews", singularName: "selfsubjectaccessreview", namespaced: false, kind: "SelfSubjectAccessReview", verbs: ["create"] },
      { name: "selfsubjectrulesreviews", singularName: "selfsubjectrulesreview", namespaced: false, kind: "SelfSubjectRulesReview", verbs: ["create"] },
      { name: "subjectaccessreviews", singularName: "subjectaccessreview", namespaced: false, kind: "SubjectAccessReview", verbs: ["create"] },
    ]);
    const authn = await ctx.client.get("/apis/authentication.k8s.io/v1");
    expect(authn.body.resources.map((r: { name: string }) => r.name)).toEqual(["selfsubjectreviews", "tokenreviews"]);
    const groups = await ctx.client.get("/apis");
    const names = groups.body.groups.map((g: { name: string }) => g.name);
    expect(names).toContain("authentication.k8s.io");
    expect(names).toContain("authorization.k8s.io");
    const core = await ctx.client.get("/api/v1");
    expect(core.body.resources.find((r: { name: string }) => r.name === "serviceaccounts/token")).toEqual({
      name: "serviceaccounts/token",
      singularName: "",
      namespaced: true,
      group: "authentication.k8s.io",
      version: "v1",
      kind: "TokenRequest",
      verbs: ["create"],
    });
  });

  test("aggregated discovery has them too, and other verbs get 405", async () => {
    const res = await ctx.client.get("/apis", { accept: AGG_TYPE });
    const group = res.body.items.find((g: { metadata: { name: string } }) => g.metadata.name === "authorization.k8s.io");
    expect(group.versions[0].resources.find((r: { resource: string }) => r.resource === "selfsubjectrulesreviews")).toEqual({
      resource: "selfsubjectrulesreviews",
      responseKind: { group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectRulesReview" },
      scope: "Cluster",
      singularResource: "selfsubjectrulesreview",
      verbs: ["create"],
    });
    const core = await ctx.client.get("/api", { accept: AGG_TYPE });
    const sa = core.body.items[0].versions[0].resources.find((r: { resource: string }) => r.resource === "serviceaccounts");
    expect(sa.subresources).toEqual([{ subresource: "token", responseKind: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" }, verbs: ["create"] }]);
    const get = await ctx.client.get("/apis/authorization.k8s.io/v1/subjectaccessreviews");
    expect(get.status).toBe(405);
    expect(get.body).toMatchObject({ reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource" });
  });
});
