import { describe, expect, test } from "bun:test";
import { useApiServer } from "../testing.ts";

const DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments";
const MERGE = "application/merge-patch+json";

function deployment(name: string, container: Record<string, unknown>, extraSpec: Record<string, unknown> = {}) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels: { "any-label": "x" } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: "c", image: "nginx", resources: { limits: { cpu: 1, memory: "1Gi" } }, ...container }],
          volumes: [{ name: "scratch", emptyDir: {} }, { name: "cfg", configMap: { name: "app", items: [{ key: "a", path: "a" }] } }],
        },
      },
      ...extraSpec,
    },
  };
}

describe("unknown fields of built-in kinds, as kube-apiserver's strict decoder reports them", () => {
  const ctx = useApiServer();

  test("Strict: 400 naming each nested path, nothing created", async () => {
    const res = await ctx.client.post(`${DEPLOYMENTS}?fieldValidation=Strict`, deployment("s1", { bogusField: 1 }, { replicaz: 2 }));
    expect(res.status).toBe(400);
    expect(res.body.reason).toBe("BadRequest");
    expect(res.body.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: ' +
        'unknown field "spec.replicaz", unknown field "spec.template.spec.containers[0].bogusField"',
    );
    expect((await ctx.client.get(`${DEPLOYMENTS}/s1`)).status).toBe(404);
  });

  test("known fields pass: inlined volume sources, map keys, Quantity numbers, IntOrString", async () => {
    const res = await ctx.client.post(
      `${DEPLOYMENTS}?fieldValidation=Strict`,
      deployment("s2", { readinessProbe: { httpGet: { port: "http", path: "/" } } }, { strategy: { rollingUpdate: { maxSurge: 1 } } }),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get("warning")).toBeNull();
  });

  test("Warn (the default): dropped with a Warning header; Ignore: dropped silently", async () => {
    const warned = await ctx.client.post(DEPLOYMENTS, deployment("w1", { bogusField: 1 }));
    expect(warned.status).toBe(201);
    expect(warned.headers.get("warning")).toBe('299 - "unknown field \\"spec.template.spec.containers[0].bogusField\\""');
    expect(warned.body.spec.template.spec.containers[0].bogusField).toBeUndefined();

    const ignored = await ctx.client.post(`${DEPLOYMENTS}?fieldValidation=Ignore`, deployment("i1", { bogusField: 1 }));
    expect(ignored.status).toBe(201);
    expect(ignored.headers.get("warning")).toBeNull();
    expect((await ctx.client.get(`${DEPLOYMENTS}/i1`)).body.spec.template.spec.containers[0].bogusField).toBeUndefined();
  });

  test("a merge patch adding an unknown field is checked too; metadata fields as well", async () => {
    const patched = await ctx.client.patch(`${DEPLOYMENTS}/s2?fieldValidation=Strict`, { metadata: { colour: "red" } }, MERGE);
    expect(patched.status).toBe(400);
    expect(patched.body.message).toContain('unknown field "metadata.colour"');
  });

  test("core kinds: a ConfigMap's top-level typo", async () => {
    const res = await ctx.client.post("/api/v1/namespaces/default/configmaps?fieldValidation=Strict", { metadata: { name: "c" }, date: { k: "v" } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "date"');
  });

  test("events.k8s.io Events are checked against their own version, not the core Event they are stored as", async () => {
    const event = {
      metadata: { name: "e1" },
      eventTime: "2025-12-01T12:00:00.000000Z",
      reportingController: "kode.jacero.io/operator",
      reportingInstance: "kode-0",
      action: "Reconcile",
      reason: "Ready",
      regarding: { kind: "Pod", name: "p", namespace: "default" },
      note: "ready",
      type: "Normal",
    };
    const res = await ctx.client.post("/apis/events.k8s.io/v1/namespaces/default/events?fieldValidation=Strict", event);
    expect(res.status).toBe(201);
  });
});
