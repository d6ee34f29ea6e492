// What older and newer kubectl binaries ask of the server, checked over HTTP without kubectl (so it also runs
// where kubectl is missing): aggregated discovery v2beta1 (client-go 1.26-1.29), /openapi/v2 in protobuf
// (kubectl 1.27 apply/create validation), SelfSubjectAccessReview in protobuf (`kubectl auth can-i`).
import { describe, expect, test } from "bun:test";
import { useApiServer, widgetCrd } from "../src/apiserver/testing.ts";

const AGG = (v: string) => `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;

describe("protocol details real kubectl versions depend on", () => {
  const ctx = useApiServer();

  test("aggregated discovery follows the version the client accepts", async () => {
    expect((await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd())).status).toBe(201);
    // client-go 1.28 sends only v2beta1
    const beta = await ctx.client.get("/apis", { accept: `${AGG("v2beta1")},application/json` });
    expect(beta.headers.get("content-type")).toBe(AGG("v2beta1"));
    expect(beta.body.apiVersion).toBe("apidiscovery.k8s.io/v2beta1");
    expect(beta.body.items.map((i: any) => i.metadata.name)).toContain("example.com");
    // client-go 1.30+ lists v2 first
    const v2 = await ctx.client.get("/api", { accept: `${AGG("v2")},${AGG("v2beta1")},application/json` });
    expect(v2.headers.get("content-type")).toBe(AGG("v2"));
    expect(v2.body.apiVersion).toBe("apidiscovery.k8s.io/v2");
    expect(v2.body.items[0].metadata.name).toBe("");
    // order decides
    const betaFirst = await ctx.client.get("/api", { accept: `${AGG("v2beta1")},${AGG("v2")}` });
    expect(betaFirst.body.apiVersion).toBe("apidiscovery.k8s.io/v2beta1");
    // an unknown version falls back to legacy discovery
    const legacy = await ctx.client.get("/api", { accept: `${AGG("v3")},application/json` });
    expect(legacy.body.kind).toBe("APIVersions");
  });

  test("/openapi/v2 answers protobuf with a parseable media type, JSON otherwise", async () => {
    const res = await fetch(`${ctx.server.url}/openapi/v2?timeout=32s`, {
      headers: { accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" },
    });
    expect(res.status).toBe(200);
    // the "@" spelling is what clients ask for; the reply must not use it (Go's mime parser rejects "@")
    expect(res.headers.get("content-type")).toBe("application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
    const bytes = new Uint8Array(await res.arrayBuffer());
    // field 1 (swagger) = "2.0", then field 2 (info)
    expect([...bytes.slice(0, 5)]).toEqual([0x0a, 3, ...new TextEncoder().encode("2.0")]);
    expect(bytes[5]).toBe(0x12);
    expect(new TextDecoder().decode(bytes)).toContain("Kubernetes");
    const json = await ctx.client.get("/openapi/v2");
    expect(json.status).toBe(200);
    expect(json.body.swagger).toBe("2.0");
  });

  test("a protobuf SelfSubjectAccessReview (kubectl auth can-i) is decoded and allowed", async () => {
    const enc = new TextEncoder();
    const field = (n: number, bytes: Uint8Array | number[]) => [(n << 3) | 2, bytes.length, ...bytes];
    const str = (n: number, s: string) => field(n, [...enc.encode(s)]);
    const attrs = [...str(1, "default"), ...str(2, "create"), ...str(5, "pods")];
    const review = [...field(1, []), ...field(2, field(1, attrs))];
    const unknown = [...field(1, [...str(1, "authorization.k8s.io/v1"), ...str(2, "SelfSubjectAccessReview")]), ...field(2, review)];
    const body = new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...unknown]);
    const res = await ctx.client.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body, {
      "content-type": "application/vnd.kubernetes.protobuf",
    });
    expect(res.status).toBe(201);
    expect(res.body.kind).toBe("SelfSubjectAccessReview");
    expect(res.body.spec.resourceAttributes).toEqual({ namespace: "default", verb: "create", resource: "pods" });
    expect(res.body.status.allowed).toBe(true);
  });
});
