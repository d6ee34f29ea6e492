// The lifecycle fields against the embedded API server with the generated CRDs: Go durations are accepted,
// anything else is refused with 422 naming the field, and idleTimeout/maxRunTime below one minute are refused
// by the CRD's CEL rule.
import { beforeAll, describe, expect, test } from "bun:test";
import { buildCrds } from "../api/crds.ts";
import { useApiServer } from "../apiserver/testing.ts";

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const KODES = "/apis/kode.jacero.io/v1alpha1/namespaces/default/kodes";
const TEMPLATES = "/apis/kode.jacero.io/v1alpha1/namespaces/default/kodetemplates";

const kode = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "Kode",
  metadata: { name, namespace: "default" },
  spec: { templateRef: { name: "t" }, ...spec },
});
const template = (name: string, lifecycle: Record<string, unknown>) => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "KodeTemplate",
  metadata: { name, namespace: "default" },
  spec: { type: "jupyter", image: "quay.io/jupyter/base-notebook:latest", lifecycle },
});

describe("lifecycle schema", () => {
  const ctx = useApiServer();
  beforeAll(async () => {
    for (const crd of buildCrds()) expect((await ctx.client.post(CRDS, crd)).status).toBe(201);
  });

  test("Go durations and spec.paused are accepted", async () => {
    const t = await ctx.client.post(TEMPLATES, template("ok", { idleTimeout: "30m", maxRunTime: "1h30m", warnBefore: "90s" }));
    expect(t.status).toBe(201);
    expect(t.body.spec.lifecycle).toEqual({ idleTimeout: "30m", maxRunTime: "1h30m", warnBefore: "90s" });
    const k = await ctx.client.post(KODES, kode("ok", { paused: true, lifecycle: { idleTimeout: "1m", maxRunTime: "2h" } }));
    expect(k.status).toBe(201);
    expect(k.body.spec.paused).toBe(true);
    expect(k.body.spec.lifecycle).toEqual({ idleTimeout: "1m", maxRunTime: "2h" });
  });

  test.each([
    ["idleTimeout", "30 minutes"],
    ["idleTimeout", "-5m"],
    ["maxRunTime", "8"],
    ["warnBefore", "5min"],
  ])("template lifecycle.%s %p is refused (422)", async (field, value) => {
    const res = await ctx.client.post(TEMPLATES, template(`bad-${field.toLowerCase()}`, { [field]: value }));
    expect(res.status).toBe(422);
    expect(res.body.details.causes.map((c: any) => c.field)).toContain(`spec.lifecycle.${field}`);
  });

  test.each([["idleTimeout"], ["maxRunTime"]])("a Kode's lifecycle.%s under one minute is refused by the CEL rule", async (field) => {
    const res = await ctx.client.post(KODES, kode(`short-${field.toLowerCase()}`, { lifecycle: { [field]: "30s" } }));
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body.details.causes)).toContain("must be at least 1m");
  });

  test("spec.paused must be a boolean", async () => {
    const res = await ctx.client.post(KODES, kode("paused-string", { paused: "yes" }));
    expect(res.status).toBe(422);
    expect(res.body.details.causes.map((c: any) => c.field)).toContain("spec.paused");
  });
});
