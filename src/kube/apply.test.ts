import { describe, expect, test } from "bun:test";
import { applyObject, computePatch, LAST_APPLIED_ANNOTATION, project, shareLastApplied, withLastApplied } from "./apply.ts";
import type { KubeClient, KubeObject } from "./types.ts";

const desired = (extra: Record<string, unknown> = {}, labels: Record<string, string> = { app: "ide" }): KubeObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "k", namespace: "default", labels },
  spec: { ports: [{ name: "http", port: 80, targetPort: "http" }], selector: { app: "ide" }, ...extra },
});

/** What an API server returns: our fields plus server-set metadata and defaults. */
function served(applied: KubeObject, extras: { labels?: Record<string, string> } = {}): KubeObject {
  const obj = structuredClone(applied) as any;
  obj.metadata = { ...obj.metadata, uid: "u1", resourceVersion: "7", creationTimestamp: "2026-01-01T00:00:00Z", labels: { ...obj.metadata.labels, ...extras.labels } };
  obj.spec.clusterIP = "10.96.0.1";
  obj.spec.type = "ClusterIP";
  obj.spec.ports = obj.spec.ports.map((p: any) => ({ protocol: "TCP", ...p }));
  return obj;
}

describe("computePatch", () => {
  test("nothing to do when the live object matches, despite server defaults and others' labels", () => {
    const live = served(withLastApplied(desired()), { labels: { "added-by": "someone-else" } });
    expect(computePatch(live, desired())).toBeUndefined();
  });

  test("a changed value is patched alone; a changed shape moves the record of what we applied with it", () => {
    const live = served(withLastApplied(desired()));
    expect(computePatch(live, desired({ selector: { app: "ide2" } }))).toEqual({ spec: { selector: { app: "ide2" } } });
    const patch = computePatch(live, desired({ selector: { app: "ide", tier: "gold" } })) as any;
    expect(patch.spec).toEqual({ selector: { tier: "gold" } });
    expect(JSON.parse(patch.metadata.annotations[LAST_APPLIED_ANNOTATION]).spec.selector).toEqual({ app: 0, tier: 0 });
  });

  test("a field we no longer want is removed; a field someone else set is kept", () => {
    const live = served(withLastApplied(desired({}, { app: "ide", tier: "gold" })), { labels: { theirs: "x" } });
    const patch = computePatch(live, desired({}, { app: "ide" })) as any;
    expect(patch.metadata.labels).toEqual({ tier: null });
  });

  test("drift in a managed field is repaired even when our intent did not change", () => {
    const live = served(withLastApplied(desired())) as any;
    live.spec.selector = { app: "tampered" };
    expect((computePatch(live, desired()) as any).spec.selector).toEqual({ app: "ide" });
  });

  test("an array whose items only gained server defaults is unchanged; a changed item replaces the array", () => {
    const live = served(withLastApplied(desired()));
    expect(computePatch(live, desired())).toBeUndefined();
    const patch = computePatch(live, desired({ ports: [{ name: "http", port: 8080, targetPort: "http" }] })) as any;
    expect(patch.spec.ports).toEqual([{ name: "http", port: 8080, targetPort: "http" }]);
  });

  test("an object created by someone else without our annotation gets adopted with one patch", () => {
    const live = served(desired());
    const patch = computePatch(live, desired()) as any;
    expect(Object.keys(patch)).toEqual(["metadata"]);
    expect(patch.metadata.annotations[LAST_APPLIED_ANNOTATION]).toBeString();
    expect(computePatch({ ...live, ...{ metadata: { ...live.metadata, annotations: patch.metadata.annotations } } }, desired())).toBeUndefined();
  });
});

describe("project", () => {
  test("keeps only mentioned keys, recursing into equal-length arrays", () => {
    expect(project({ a: 1, b: { c: 2, d: 3 }, e: [{ x: 1, y: 2 }] }, { b: { c: 0 }, e: [{ x: 0 }] }, undefined)).toEqual({ b: { c: 2 }, e: [{ x: 1 }] });
    expect(project([1, 2], [1], undefined)).toEqual([1, 2]);
  });
});

describe("applyObject request pattern", () => {
  /** A fake client recording calls; `existing` is what the server holds. */
  function fakeClient(existing?: KubeObject) {
    const calls: string[] = [];
    const conflict = Object.assign(new Error("exists"), { code: 409 });
    const client = {
      get: async () => (calls.push("get"), existing),
      create: async (_r: unknown, o: KubeObject) => {
        calls.push("create");
        if (existing) throw conflict;
        return served(o);
      },
      mergePatch: async () => (calls.push("patch"), existing),
    } as unknown as KubeClient;
    return { client, calls };
  }
  const ref = { group: "", version: "v1", plural: "services", kind: "Service", namespaced: true };

  test("a cache miss (live given as undefined) creates at once, without a GET", async () => {
    const { client, calls } = fakeClient();
    expect((await applyObject(client, ref, desired(), { fieldManager: "t", live: undefined })).action).toBe("created");
    expect(calls).toEqual(["create"]);
  });

  test("without a cache the object is fetched first; a stale cache miss falls back to GET and patch on 409", async () => {
    const other = served(desired({ selector: { app: "old" } }));
    const a = fakeClient(other);
    expect((await applyObject(a.client, ref, desired(), { fieldManager: "t" })).action).toBe("patched");
    expect(a.calls).toEqual(["get", "patch"]);
    const b = fakeClient(other);
    expect((await applyObject(b.client, ref, desired(), { fieldManager: "t", live: undefined })).action).toBe("patched");
    expect(b.calls).toEqual(["create", "get", "patch"]);
  });

  test("createOnly never patches an object that exists", async () => {
    const { client, calls } = fakeClient(served(desired()));
    await expect(applyObject(client, ref, desired(), { fieldManager: "t", live: undefined, createOnly: true })).rejects.toMatchObject({ code: 409 });
    expect(calls).toEqual(["create"]);
  });
});

describe("the record annotation", () => {
  test("is the shape of what was applied: keys and list lengths, every value 0", () => {
    const applied = withLastApplied(desired({ sessionAffinity: undefined, externalIPs: [] }));
    expect(applied.metadata.annotations![LAST_APPLIED_ANNOTATION]).toBe(
      '{"apiVersion":0,"kind":0,"metadata":{"name":0,"namespace":0,"labels":{"app":0}},"spec":{"ports":[{"name":0,"port":0,"targetPort":0}],"selector":{"app":0},"externalIPs":[]}}',
    );
  });

  test("a record written in full (by an earlier version) still says which fields to remove", () => {
    const live = served(desired({}, { app: "ide", tier: "gold" })) as any;
    live.metadata.annotations = { [LAST_APPLIED_ANNOTATION]: JSON.stringify(desired({}, { app: "ide", tier: "gold" })) };
    const patch = computePatch(live, desired()) as any;
    expect(patch.metadata.labels).toEqual({ tier: null });
    expect(patch.metadata.annotations[LAST_APPLIED_ANNOTATION]).toStartWith('{"apiVersion":0,');
  });

  test("a field removed from a list item is removed, though the record no longer holds values", () => {
    const live = served(withLastApplied(desired({ ports: [{ name: "http", port: 80, targetPort: "http", appProtocol: "http" }] })));
    const patch = computePatch(live, desired()) as any;
    expect(patch.spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http" }]);
  });

  test("shareLastApplied makes equal records of two cached objects one string; other annotations are untouched", () => {
    const a = served(withLastApplied(desired())) as any;
    const b = JSON.parse(JSON.stringify(served(withLastApplied({ ...desired(), metadata: { ...desired().metadata, name: "other" } })))) as any;
    b.metadata.annotations.note = "mine";
    shareLastApplied(a);
    shareLastApplied(b);
    expect(b.metadata.annotations[LAST_APPLIED_ANNOTATION]).toBe(a.metadata.annotations[LAST_APPLIED_ANNOTATION]);
    expect(b.metadata.annotations.note).toBe("mine");
    const bare = { metadata: { name: "x" } } as KubeObject;
    shareLastApplied(bare);
    expect(bare).toEqual({ metadata: { name: "x" } } as KubeObject);
  });
});

describe("Secrets", () => {
  const secret = (data: Record<string, string>): KubeObject =>
    ({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" }, type: "Opaque", data }) as KubeObject;
  const b64 = (s: string) => Buffer.from(s).toString("base64");

  test("the annotation records a Secret's keys, never its values; a removed key is still removed and a changed value patched", () => {
    const applied = withLastApplied(secret({ htpasswd: b64("u:{SHA}x"), password: b64("hunter2-secret") }));
    const annotation = applied.metadata.annotations![LAST_APPLIED_ANNOTATION]!;
    expect(JSON.parse(annotation).data).toEqual({ htpasswd: 0, password: 0 });
    expect(annotation).not.toContain(b64("hunter2-secret"));
    const live = { ...structuredClone(applied), metadata: { ...applied.metadata, resourceVersion: "3" } } as KubeObject;
    expect(computePatch(live, secret({ htpasswd: b64("u:{SHA}x"), password: b64("hunter2-secret") }))).toBeUndefined();
    const patch = computePatch(live, secret({ password: b64("rotated-secret") })) as any;
    expect(patch.data).toEqual({ htpasswd: null, password: b64("rotated-secret") });
    expect(JSON.stringify(patch.metadata ?? {})).not.toContain(b64("rotated-secret"));
  });

  test("ifUnchanged patches only the version of live that was given", async () => {
    const applied = withLastApplied(secret({ a: b64("1") }));
    const live = { ...applied, metadata: { ...applied.metadata, resourceVersion: "41" } } as KubeObject;
    let sent: any;
    const client = { mergePatch: async (_r: unknown, _n: string, p: unknown) => ((sent = p), live) } as unknown as KubeClient;
    const ref = { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true };
    await applyObject(client, ref, secret({ b: b64("2") }), { fieldManager: "t", live, ifUnchanged: true });
    expect(sent.metadata.resourceVersion).toBe("41");
    expect(sent.data).toEqual({ a: null, b: b64("2") });
  });
});
