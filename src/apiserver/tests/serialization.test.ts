// Objects come back with their keys sorted at every level, as a Go server encodes maps: custom resources
// throughout, labels, annotations and data of built-ins, in responses and watch events alike.
import { describe, expect, test } from "bun:test";
import { useApiServer, widgetCrd, WIDGETS } from "../testing.ts";

const CM = "/api/v1/namespaces/default/configmaps";

/** The keys of every object in the JSON text, in the order the text has them, checked sorted. */
function unsortedObjects(text: string): string[] {
  const bad: string[] = [];
  const visit = (v: unknown, at: string) => {
    if (Array.isArray(v)) return v.forEach((x, i) => visit(x, `${at}[${i}]`));
    if (!v || typeof v !== "object") return;
    const keys = Object.keys(v);
    if (keys.join("\n") !== [...keys].sort().join("\n")) bad.push(`${at}: ${keys.join(",")}`);
    for (const k of keys) visit((v as any)[k], `${at}.${k}`);
  };
  visit(JSON.parse(text), "");
  return bad;
}

async function raw(ctx: ReturnType<typeof useApiServer>, method: string, path: string, body?: unknown, type = "application/json") {
  const token = /token: (\S+)/.exec(ctx.server.kubeconfig)?.[1];
  const res = await fetch(`${ctx.server.url}${path}`, {
    method,
    headers: { "content-type": type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

describe("sorted keys in responses and watch events", () => {
  const ctx = useApiServer();

  test("a custom resource written with unsorted keys comes back sorted on create, get, list and patch", async () => {
    expect((await ctx.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd())).status).toBe(201);
    await Bun.sleep(50);
    const widget = { spec: { size: 2, color: "red" }, metadata: { name: "w1", labels: { zeta: "1", alpha: "2" }, annotations: { "z.example.com/x": "1", "a.example.com/y": "2" } }, kind: "Widget", apiVersion: "example.com/v1" };
    const created = await raw(ctx, "POST", WIDGETS, widget);
    expect(created.status).toBe(201);
    expect(created.text).toStartWith('{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"annotations":{"a.example.com/y":"2","z.example.com/x":"1"}');
    expect(unsortedObjects(created.text)).toEqual([]);
    for (const path of [`${WIDGETS}/w1`, WIDGETS]) expect(unsortedObjects((await raw(ctx, "GET", path)).text)).toEqual([]);
    const patched = await raw(ctx, "PATCH", `${WIDGETS}/w1`, { spec: { zz: 1, aa: { y: 1, b: 2 } } }, "application/merge-patch+json");
    expect(unsortedObjects(patched.text)).toEqual([]);
  });

  test("ConfigMap data, labels and annotations are sorted; so is a dry-run answer", async () => {
    const cm = { metadata: { name: "c1", labels: { b: "1", a: "2" } }, data: { zz: "1", aa: "2", mm: "3" } };
    const created = await raw(ctx, "POST", CM, cm);
    expect(created.text).toContain('"data":{"aa":"2","mm":"3","zz":"1"}');
    expect(created.text).toContain('"labels":{"a":"2","b":"1"}');
    const dry = await raw(ctx, "POST", `${CM}?dryRun=All`, { ...cm, metadata: { ...cm.metadata, name: "c2" } });
    expect(dry.status).toBe(201);
    expect(dry.text).toContain('"data":{"aa":"2","mm":"3","zz":"1"}');
  });

  test("a __proto__ data key survives sorting as an ordinary key", async () => {
    const created = await raw(ctx, "POST", CM, { metadata: { name: "proto" }, data: JSON.parse('{"z":"1","__proto__":"2"}') });
    expect(created.status).toBe(201);
    expect(created.text).toContain('"data":{"__proto__":"2","z":"1"}');
  });

  test("watch events carry sorted objects", async () => {
    const events = ctx.client.watch(`${CM}?watch=true&fieldSelector=metadata.name%3Dwatched`, (ev) => ev.length >= 1, 3000);
    await Bun.sleep(100);
    await ctx.client.post(CM, { metadata: { name: "watched", annotations: { y: "1", x: "2" } }, data: { b: "1", a: "2" } });
    const [event] = await events;
    expect(Object.keys(event.object.data)).toEqual(["a", "b"]);
    expect(Object.keys(event.object.metadata.annotations)).toEqual(["x", "y"]);
    expect(unsortedObjects(JSON.stringify(event.object))).toEqual([]);
  });

  test("a write that only reorders keys changes nothing (same resourceVersion)", async () => {
    const first = await ctx.client.post(CM, { metadata: { name: "same" }, data: { a: "1", b: "2" } });
    const again = await ctx.client.put(`${CM}/same`, { metadata: { name: "same", resourceVersion: first.body.metadata.resourceVersion }, data: { b: "2", a: "1" } });
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
  });
});
