import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { envelope, len } from "../testdata/protobuf/writer.ts";
import { useApiServer, widgetCrd, WIDGETS } from "../testing.ts";

const PROTOBUF = "application/vnd.kubernetes.protobuf";
const dir = join(import.meta.dir, "..", "testdata", "protobuf");
const bin = (name: string) => new Uint8Array(readFileSync(join(dir, name)));

describe("protobuf bodies of the kinds kubectl 1.35 creates", () => {
  const ctx = useApiServer();
  beforeAll(async () => {
    expect((await ctx.client.post("/api/v1/namespaces", { metadata: { name: "team-a" } })).status).toBe(201);
  });

  const cases: [fixture: string, collection: string, name: string][] = [
    ["job.bin", "/apis/batch/v1/namespaces/default/jobs", "pi"],
    ["cronjob.bin", "/apis/batch/v1/namespaces/default/cronjobs", "nightly"],
    ["role.bin", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles", "pod-reader"],
    ["rolebinding.bin", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings", "read-pods"],
    ["clusterrole.bin", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "node-reader"],
    ["clusterrole-aggregate.bin", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "monitoring"],
    ["clusterrole-nonresource.bin", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "healthz"],
    ["clusterrolebinding.bin", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", "read-nodes"],
    ["service-clusterip.bin", "/api/v1/namespaces/default/services", "web"],
    ["service-headless.bin", "/api/v1/namespaces/default/services", "headless"],
    ["service-nodeport.bin", "/api/v1/namespaces/default/services", "np"],
    ["service-loadbalancer.bin", "/api/v1/namespaces/default/services", "lb"],
    ["service-externalname.bin", "/api/v1/namespaces/default/services", "ext"],
    ["quota.bin", "/api/v1/namespaces/default/resourcequotas", "q"],
    ["priorityclass.bin", "/apis/scheduling.k8s.io/v1/priorityclasses", "high"],
    ["pdb.bin", "/apis/policy/v1/namespaces/default/poddisruptionbudgets", "web-pdb"],
    ["ingress.bin", "/apis/networking.k8s.io/v1/namespaces/default/ingresses", "web"],
  ];
  for (const [fixture, collection, name] of cases) {
    test(`${fixture} creates ${name}`, async () => {
      const res = await ctx.client.post(collection, bin(fixture), { "content-type": PROTOBUF });
      expect(res.status).toBe(201);
      expect(res.body.metadata.name).toBe(name);
      expect((await ctx.client.get(`${collection}/${name}`)).status).toBe(200);
    });
  }

  test("the Service keeps its ports and gets a cluster IP; headless stays None", async () => {
    const web = (await ctx.client.get("/api/v1/namespaces/default/services/web")).body;
    expect(web.spec.ports).toEqual([
      { name: "80-8080", protocol: "TCP", port: 80, targetPort: 8080 },
      { name: "443-8443", protocol: "TCP", port: 443, targetPort: 8443 },
    ]);
    expect(web.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect((await ctx.client.get("/api/v1/namespaces/default/services/headless")).body.spec.clusterIP).toBe("None");
  });

  test("the RoleBinding's subjects arrive whole", async () => {
    const binding = (await ctx.client.get("/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/read-pods")).body;
    expect(binding.subjects.map((s: any) => `${s.kind}:${s.name}`)).toEqual(["User:jane", "Group:devs", "ServiceAccount:robot"]);
  });
});

describe("helm's protobuf bodies against the server", () => {
  const ctx = useApiServer();

  for (const major of [3, 4]) {
    test(`helm ${major}: the release Secret is created, updated, and deleted with its protobuf DeleteOptions`, async () => {
      const secrets = "/api/v1/namespaces/default/secrets";
      const created = await ctx.client.post(secrets, bin(`helm${major}-post-secrets.bin`), { "content-type": PROTOBUF });
      expect(created.status).toBe(201);
      expect(created.body.type).toBe("helm.sh/release.v1");
      const name = created.body.metadata.name;
      const deleted = await ctx.client.request("DELETE", `${secrets}/${name}`, bin(`helm${major}-delete-secrets.bin`), { "content-type": PROTOBUF });
      expect(deleted.status).toBe(200);
      expect((await ctx.client.get(`${secrets}/${name}`)).status).toBe(404);
    });
  }

  test("a protobuf DeleteOptions is validated like its JSON form", async () => {
    const cm = await ctx.client.post("/api/v1/namespaces/default/configmaps", { metadata: { name: "bad-policy" } });
    expect(cm.status).toBe(201);
    const options = envelope("v1", "DeleteOptions", len(4, "Sideways"));
    const res = await ctx.client.request("DELETE", "/api/v1/namespaces/default/configmaps/bad-policy", options, { "content-type": PROTOBUF });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('propagationPolicy: Unsupported value: "Sideways"');
  });

  test("a malformed DeleteOptions body is a 400 naming the problem, not a JSON parse error", async () => {
    const res = await ctx.client.request("DELETE", "/api/v1/namespaces/default/configmaps/none", Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x7f]), { "content-type": PROTOBUF });
    expect(res.status).toBe(400);
    expect(res.body.reason).toBe("BadRequest");
    expect(res.body.message).toStartWith("error decoding protobuf request body: ");
    expect(res.body.message).not.toContain("JSON");
  });
});

describe("protobuf for kinds outside the table", () => {
  const ctx = useApiServer();

  test("a custom resource in protobuf is 415 with the reason, and nothing is created", async () => {
    expect((await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd())).status).toBe(201);
    let res = await ctx.client.post(WIDGETS, envelope("example.com/v1", "Widget", len(1, len(1, "w1"))), { "content-type": PROTOBUF });
    for (let i = 0; i < 50 && res.status === 404; i++) {
      await Bun.sleep(20); // until the CRD is served
      res = await ctx.client.post(WIDGETS, envelope("example.com/v1", "Widget", len(1, len(1, "w1"))), { "content-type": PROTOBUF });
    }
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ kind: "Status", reason: "UnsupportedMediaType", code: 415 });
    expect(res.body.message).toContain('no protobuf table for kind "Widget" in version "example.com/v1"');
    expect((await ctx.client.get(`${WIDGETS}/w1`)).status).toBe(404);
  });
});
