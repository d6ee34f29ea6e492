// Query parameters are decoded as kube-apiserver's parameter codec decodes them: booleans are false only
// for "0" and "false" (any case), so the Python client's `watch=True` watches; integers are base-10 int64.
import { describe, expect, test } from "bun:test";
import { useApiServer } from "../testing.ts";

const CM = "/api/v1/namespaces/default/configmaps";

describe("boolean and integer query parameters", () => {
  const ctx = useApiServer();

  for (const value of ["True", "TRUE", "true", "1", "t", "yes", ""]) {
    test(`watch=${value} opens a watch`, async () => {
      const name = `w-${value.toLowerCase() || "empty"}`;
      const events = ctx.client.watch(`${CM}?watch=${value}&fieldSelector=metadata.name%3D${name}`, (ev) => ev.length >= 1, 3000);
      await Bun.sleep(100);
      await ctx.client.post(CM, { metadata: { name }, data: { a: "1" } });
      const got = await events;
      expect(got.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([`ADDED ${name}`]);
    });
  }

  for (const value of ["false", "False", "FALSE", "0"]) {
    test(`watch=${value} is a list`, async () => {
      const res = await ctx.client.get(`${CM}?watch=${value}`);
      expect(res.status).toBe(200);
      expect(res.body.kind).toBe("ConfigMapList");
    });
  }

  test("allowWatchBookmarks=True gets bookmarks; sendInitialEvents=True ends the initial list with one", async () => {
    const events = await ctx.client.watch(
      `${CM}?watch=1&allowWatchBookmarks=True&sendInitialEvents=True&resourceVersionMatch=NotOlderThan`,
      (ev) => ev.some((e) => e.type === "BOOKMARK"),
      3000,
    );
    const bookmark = events.find((e) => e.type === "BOOKMARK");
    expect(bookmark?.object.metadata.annotations).toEqual({ "k8s.io/initial-events-end": "true" });
  });

  test("force=True on server-side apply takes the conflicting field over", async () => {
    const apply = (manager: string, force: string) =>
      ctx.client.patch(`${CM}/owned?fieldManager=${manager}${force}`, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "owned" }, data: { k: manager } }, "application/apply-patch+yaml");
    expect((await apply("first", "")).status).toBe(201);
    expect((await apply("second", "")).status).toBe(409);
    const forced = await apply("second", "&force=True");
    expect(forced.status).toBe(200);
    expect(forced.body.data).toEqual({ k: "second" });
    expect((await apply("first", "&force=0")).status).toBe(409);
  });

  test("limit and timeoutSeconds must be integers: 400 with Go's message", async () => {
    const bad = await ctx.client.get(`${CM}?limit=ten`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ reason: "BadRequest", message: 'strconv.ParseInt: parsing "ten": invalid syntax' });
    const badTimeout = await ctx.client.get(`${CM}?watch=true&timeoutSeconds=5s`);
    expect(badTimeout.status).toBe(400);
    expect(badTimeout.body.message).toBe('strconv.ParseInt: parsing "5s": invalid syntax');
    const huge = await ctx.client.get(`${CM}?limit=99999999999999999999`);
    expect(huge.body.message).toBe('strconv.ParseInt: parsing "99999999999999999999": value out of range');
  });

  test("limit=2 pages; a negative limit means no limit; unknown parameters are ignored", async () => {
    for (const n of ["p1", "p2", "p3"]) await ctx.client.post("/api/v1/namespaces/kube-public/configmaps", { metadata: { name: n } });
    const page = await ctx.client.get("/api/v1/namespaces/kube-public/configmaps?limit=2&pretty=1&unknownThing=x");
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.metadata.continue).toBeTruthy();
    const all = await ctx.client.get("/api/v1/namespaces/kube-public/configmaps?limit=-1");
    expect(all.body.items.map((i: any) => i.metadata.name)).toEqual(["p1", "p2", "p3"]);
    expect(all.body.metadata.continue).toBeUndefined();
  });

  test("timeoutSeconds=1 ends the watch after a second", async () => {
    const started = Date.now();
    const res = await fetch(`${ctx.server.url}${CM}?watch=True&timeoutSeconds=1`, { headers: { authorization: `Bearer ${/token: (\S+)/.exec(ctx.server.kubeconfig)?.[1] ?? ""}` } });
    await res.text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("orphanDependents=True on delete orphans (the object gets the orphan finalizer handling)", async () => {
    await ctx.client.post(CM, { metadata: { name: "parent", finalizers: ["example.com/hold"] } });
    const res = await ctx.client.delete(`${CM}/parent?orphanDependents=True`);
    expect(res.status).toBe(200);
    const got = await ctx.client.get(`${CM}/parent`);
    expect(got.body.metadata.finalizers).toEqual(["example.com/hold", "orphan"]);
  });
});
