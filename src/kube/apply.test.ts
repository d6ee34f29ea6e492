import { describe, expect, test } from "bun:test";
import { applyObject, computePatch, LAST_APPLIED_ANNOTATION, shareLastApplied, withLastApplied } from "./apply.ts";
import { mergePatchBetween } from "./merge-patch.ts";
import type { KubeClient, KubeObject } from "./types.ts";

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

// The definition computePatch is checked against: the live value restricted to the keys `a` (what we want) or
// `b` (the record) mention, arrays of equal length item by item; the patch is the merge patch from that view.
function project(live: Json, a: Json, b: Json): Json {
  if (isObject(live) && (isObject(a) || isObject(b))) {
    const out: Record<string, Json> = {};
    const ao = isObject(a) ? a : undefined;
    const bo = isObject(b) ? b : undefined;
    if (ao) for (const k in ao) if (k in live) out[k] = project(live[k], ao[k], bo?.[k]);
    if (bo) for (const k in bo) if (!(ao && k in ao) && k in live) out[k] = project(live[k], undefined, bo[k]);
    return out;
  }
  if (Array.isArray(live) && Array.isArray(a) && a.length === live.length)
    return live.map((item, i) => project(item, a[i], Array.isArray(b) && b.length === live.length ? b[i] : undefined));
  return live;
}


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

describe("computePatch against its definition", () => {
  // The definition: the live object seen through the keys we want and the keys the record holds (project), then
  // the merge patch from that view to what we want. computePatch walks the three at once; random objects over a
  // few shared keys must give the same patch.
  const definition = (live: KubeObject, desired: KubeObject) => {
    const target = withLastApplied(desired) as any;
    const { name: _n, namespace: _ns, ...meta } = target.metadata;
    const wanted = { ...target, metadata: meta };
    const text = live.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
    const view = project(live, wanted, text ? JSON.parse(text) : {}) as any;
    if (view.metadata && typeof view.metadata === "object") {
      delete view.metadata.name;
      delete view.metadata.namespace;
    }
    const patch = mergePatchBetween(view, wanted);
    return Object.keys(patch).length ? patch : undefined;
  };
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const value = (depth: number): unknown => {
    const r = rand();
    if (depth > 2 || r < 0.35) return pick([1, 2, "a", "b", true, null]);
    if (r < 0.55) return Array.from({ length: Math.floor(rand() * 3) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (const k of ["a", "b", "c", "d"]) if (rand() < 0.5) o[k] = value(depth + 1);
    return o;
  };
  const mutate = (v: unknown): unknown => {
    if (rand() < 0.2) return value(1);
    if (Array.isArray(v)) return rand() < 0.2 ? [...v, value(2)] : v.map(mutate);
    if (v && typeof v === "object") {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (rand() < 0.85) o[k] = mutate(x);
      if (rand() < 0.3) o[pick(["a", "b", "c", "d", "e"])] = value(2);
      return o;
    }
    return v;
  };
  const object = (spec: unknown, labels: unknown): KubeObject => ({ apiVersion: "v1", kind: "Thing", metadata: { name: "t", namespace: "ns", labels: labels as never }, spec } as KubeObject);

  test("2,000 random (applied, live, desired) triples: the same patch as the definition", () => {
    let patched = 0;
    for (let i = 0; i < 2000; i++) {
      const applied = withLastApplied(object(value(0), rand() < 0.5 ? { app: "x" } : { app: "x", tier: "y" }));
      const live = structuredClone(applied) as any;
      live.spec = mutate(live.spec);
      if (rand() < 0.3) live.status = value(1);
      live.metadata = { ...applied.metadata, ...(rand() < 0.3 && { labels: { app: "x", theirs: "z" } }), uid: "u", resourceVersion: "1" };
      if (rand() < 0.2) delete live.metadata.annotations;
      const desired = rand() < 0.3 ? object(structuredClone((applied as any).spec), { app: "x" }) : object(mutate((applied as any).spec), { app: "x" });
      const expected = definition(live, desired);
      expect(computePatch(live, desired)).toEqual(expected);
      if (expected) patched++;
    }
    // Both outcomes occur often enough to mean something.
    expect(patched).toBeGreaterThan(400);
    expect(patched).toBeLessThan(1900);
  });

  test("a key we name with no value is not ours: a live value someone else set there stays", () => {
    const live = served(withLastApplied(desired())) as any;
    live.spec.sessionAffinity = "ClientIP";
    expect(computePatch(live, desired({ sessionAffinity: undefined }))).toBeUndefined();
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
