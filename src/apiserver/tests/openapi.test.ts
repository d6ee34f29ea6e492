import { describe, expect, test } from "bun:test";
import { OPENAPI_V2_PROTOBUF } from "../openapi.ts";
import { useApiServer, widgetCrd } from "../testing.ts";

const V3 = "#/components/schemas/";
const V2 = "#/definitions/";

describe("OpenAPI v3 of the built-ins", () => {
  const ctx = useApiServer();
  const doc = async (key: string) => {
    const res = await ctx.client.get(`/openapi/v3/${key}`);
    expect(res.status).toBe(200);
    return res.body;
  };

  test("the root lists every group-version with a content hash", async () => {
    const root = (await ctx.client.get("/openapi/v3")).body;
    expect(root.paths["apis/apps/v1"].serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{16}$/);
    expect(root.paths["api/v1"].serverRelativeURL).toMatch(/^\/openapi\/v3\/api\/v1\?hash=/);
  });

  test("Deployment: its group-version-kind, TypeMeta's strings, references wrapped in allOf", async () => {
    const schemas = (await doc("apis/apps/v1")).components.schemas;
    const deployment = schemas["io.k8s.api.apps.v1.Deployment"];
    expect(deployment["x-kubernetes-group-version-kind"]).toEqual([{ group: "apps", version: "v1", kind: "Deployment" }]);
    expect(Object.keys(deployment.properties)).toEqual(["apiVersion", "kind", "metadata", "spec", "status"]);
    expect(deployment.properties.kind.type).toBe("string");
    expect(deployment.properties.spec).toEqual({
      description: "Specification of the desired behavior of the Deployment.",
      allOf: [{ $ref: `${V3}io.k8s.api.apps.v1.DeploymentSpec` }],
    });
    const spec = schemas["io.k8s.api.apps.v1.DeploymentSpec"];
    expect(spec.required).toEqual(["selector", "template"]);
    expect(spec.properties.replicas).toMatchObject({ type: "integer", format: "int32" });
    expect(spec.properties.template.allOf).toEqual([{ $ref: `${V3}io.k8s.api.core.v1.PodTemplateSpec` }]);
  });

  test("the core types a Deployment reaches are in the same document", async () => {
    const schemas = (await doc("apis/apps/v1")).components.schemas;
    const container = schemas["io.k8s.api.core.v1.Container"];
    expect(container.required).toEqual(["name"]);
    expect(container.properties.ports).toMatchObject({ type: "array", items: { $ref: `${V3}io.k8s.api.core.v1.ContainerPort` } });
    expect(container.properties.image).toMatchObject({ type: "string" });
    // kubectl's strategic merge patches and server-side apply read these from the schema
    expect(container.properties.ports).toMatchObject({
      "x-kubernetes-patch-merge-key": "containerPort",
      "x-kubernetes-patch-strategy": "merge",
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
    });
    expect(container.properties.args["x-kubernetes-list-type"]).toBe("atomic");
    expect(schemas["io.k8s.api.core.v1.ResourceRequirements"].properties.limits).toMatchObject({
      type: "object",
      additionalProperties: { $ref: `${V3}io.k8s.apimachinery.pkg.api.resource.Quantity` },
    });
    expect(schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"].oneOf).toEqual([{ type: "string" }, { type: "number" }]);
    expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]).toMatchObject({ type: "string", format: "date-time" });
    expect(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]).toMatchObject({ type: "string", format: "int-or-string" });
    expect(schemas["io.k8s.api.core.v1.ConfigMap"]).toBeUndefined(); // not reachable from apps/v1
  });

  test("inlined Go structs (Volume.VolumeSource) are flattened into the parent's properties", async () => {
    const volume = (await doc("api/v1")).components.schemas["io.k8s.api.core.v1.Volume"];
    expect(volume.properties.emptyDir.allOf).toEqual([{ $ref: `${V3}io.k8s.api.core.v1.EmptyDirVolumeSource` }]);
    expect(volume.properties.name.type).toBe("string");
    expect(volume.properties.volumeSource).toBeUndefined();
    expect(volume.required).toEqual(["name"]);
  });

  test("paths: each kind's operations with fieldValidation, and the all-namespaces list of namespaced kinds", async () => {
    const paths = (await doc("apis/apps/v1")).paths;
    expect(paths["/apis/apps/v1/deployments"].get).toMatchObject({
      operationId: "listDeploymentForAllNamespaces",
      "x-kubernetes-action": "list",
      "x-kubernetes-group-version-kind": { group: "apps", version: "v1", kind: "Deployment" },
    });
    const patch = paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].patch;
    expect(patch.parameters.map((p: any) => p.name)).toContain("fieldValidation");
    const core = (await doc("api/v1")).paths;
    expect(core["/api/v1/namespaces"]).toBeDefined();
    expect(core["/api/v1/configmaps"].get["x-kubernetes-action"]).toBe("list");
    expect(Object.keys(core).filter((p) => p === "/api/v1/namespaces/{namespace}/namespaces")).toEqual([]);
  });

  test("a new CRD changes only its own group-version's hash; its schema is served as the CRD has it", async () => {
    const before = (await ctx.client.get("/openapi/v3")).body.paths;
    expect((await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd())).status).toBe(201);
    let after = (await ctx.client.get("/openapi/v3")).body.paths;
    for (let i = 0; i < 50 && !after["apis/example.com/v1"]; i++) {
      await Bun.sleep(20);
      after = (await ctx.client.get("/openapi/v3")).body.paths;
    }
    expect(after["apis/apps/v1"]).toEqual(before["apis/apps/v1"]);
    const widget = (await doc("apis/example.com/v1")).components.schemas["com.example.v1.Widget"];
    expect(widget["x-kubernetes-group-version-kind"]).toEqual([{ group: "example.com", version: "v1", kind: "Widget" }]);
    expect(widget.type).toBe("object");
    expect((await doc("apis/example.com/v1")).paths["/apis/example.com/v1/widgets"].get["x-kubernetes-action"]).toBe("list");
  });
});

describe("OpenAPI v2", () => {
  const ctx = useApiServer();

  test("JSON: definitions for every built-in kind, references as #/definitions", async () => {
    const res = await ctx.client.get("/openapi/v2", { accept: "application/json" });
    expect(res.status).toBe(200);
    const definitions = res.body.definitions;
    expect(definitions["io.k8s.api.core.v1.Pod"].properties.spec).toEqual({
      description: definitions["io.k8s.api.core.v1.Pod"].properties.spec.description,
      $ref: `${V2}io.k8s.api.core.v1.PodSpec`,
    });
    expect(definitions["io.k8s.api.core.v1.Pod"].properties.spec.description).toStartWith("Specification of the desired behavior of the pod.");
    expect(definitions["io.k8s.api.batch.v1.CronJob"]["x-kubernetes-group-version-kind"]).toEqual([{ group: "batch", version: "v1", kind: "CronJob" }]);
    expect(definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"]).toMatchObject({ type: "string" });
    expect(res.body.paths["/apis/batch/v1/jobs"].get["x-kubernetes-action"]).toBe("list");
  });

  test("protobuf (what client-go asks for): a gnostic Document starting with swagger 2.0", async () => {
    const res = await fetch(`${ctx.server.url}/openapi/v2`, {
      headers: { accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf", authorization: "Bearer x" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(OPENAPI_V2_PROTOBUF);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.subarray(0, 5)]).toEqual([0x0a, 0x03, 0x32, 0x2e, 0x30]); // field 1, "2.0"
    expect(Buffer.from(bytes).includes(Buffer.from("io.k8s.api.apps.v1.DeploymentSpec"))).toBe(true);
  });
});
