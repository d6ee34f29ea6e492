// The generic child step against the embedded API server: ownership stamped, nothing written when nothing differs,
// conflicts with objects the owner does not control (cached or found on create), pruning, keep/release/re-attach.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startApiServer, type ApiServer } from "../apiserver/server.ts";
import type { ChildCache } from "./cache.ts";
import { applyChildren, CONTROLLER_UID_ANNOTATION, controllerUids, removeChildren, RETAINED_FROM_ANNOTATION, type ChildKinds, type DesiredChild, type Owner } from "./children.ts";
import { createClient, type Client } from "./client.ts";
import { loadClientConfig } from "./kubeconfig.ts";
import { CONFIGMAPS, NAMESPACES, SECRETS } from "./resources.ts";
import type { KubeClient, KubeObject } from "./types.ts";

let api: ApiServer;
let client: Client;
const ns = "children";
const UA = "children-test";

beforeAll(async () => {
  api = await startApiServer();
  client = createClient(await loadClientConfig({ kubeconfig: api.kubeconfigPath }), { userAgent: UA, qps: 0 });
  await client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
});
afterAll(async () => {
  client?.close();
  await api?.stop();
});

/** A cache holding what the server lists now (what an informer would show once synced), optionally with some left out. */
async function snapshot(opts: { hide?: string[] } = {}): Promise<ChildKinds> {
  const items = (await client.list<KubeObject>(CONFIGMAPS, { namespace: ns })).items.filter((o) => !opts.hide?.includes(o.metadata.name));
  const cache: ChildCache = {
    get: (n, name) => items.find((o) => o.metadata.namespace === n && o.metadata.name === name),
    controlledBy: (uid) => items.filter((o) => controllerUids(o).includes(uid)),
  };
  return [{ resource: CONFIGMAPS, cache }];
}

const owner = (name: string, uid: string): Owner => ({ apiVersion: "example.com/v1", kind: "Widget", name, namespace: ns, uid });
const cm = (name: string, data: Record<string, string> = { a: "1" }, extra: Partial<DesiredChild> = {}): DesiredChild => ({
  resource: CONFIGMAPS,
  object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, labels: { app: "w" } }, data },
  ...extra,
});
const writes = () => api.hooks.writes(UA);
const get = (name: string) => client.get<KubeObject & { data?: Record<string, string> }>(CONFIGMAPS, name, ns);
const opts = { fieldManager: "children-test" };

describe("applyChildren", () => {
  test("creates with a controller ownerReference, then writes nothing; drift in its fields is repaired", async () => {
    const w = owner("w1", "uid-w1");
    const first = await applyChildren(client, w, [cm("w1-a")], await snapshot(), opts);
    expect(first).toMatchObject({ outcome: "applied", wrote: true, pruned: 0 });
    expect((await get("w1-a"))!.metadata.ownerReferences).toEqual([{ apiVersion: "example.com/v1", kind: "Widget", name: "w1", uid: "uid-w1", controller: true, blockOwnerDeletion: true }]);
    const before = writes();
    expect(await applyChildren(client, w, [cm("w1-a")], await snapshot(), opts)).toMatchObject({ outcome: "applied", wrote: false });
    expect(writes()).toBe(before);
    await client.mergePatch(CONFIGMAPS, "w1-a", { data: { a: "drifted" } }, { namespace: ns });
    expect(await applyChildren(client, w, [cm("w1-a")], await snapshot(), opts)).toMatchObject({ outcome: "applied", wrote: true });
    expect((await get("w1-a"))!.data).toEqual({ a: "1" });
  });

  test("an object of the child's name it does not control: conflict before any write, the object untouched", async () => {
    await client.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "w2-b", namespace: ns }, data: { mine: "yes" } });
    const before = writes();
    const r = await applyChildren(client, owner("w2", "uid-w2"), [cm("w2-a"), cm("w2-b")], await snapshot(), opts);
    expect(r).toMatchObject({ outcome: "conflict", wrote: false, conflict: { name: "w2-b", namespace: ns } });
    if (r.outcome === "conflict")
      expect(r.conflict.message).toBe(
        "ConfigMap children/w2-b already exists and is not controlled by it, so Widget w2 leaves it untouched and cannot start; rename or delete that ConfigMap, or give the Widget another name",
      );
    expect(writes()).toBe(before);
    expect(await get("w2-a")).toBeUndefined();
    expect((await get("w2-b"))!.data).toEqual({ mine: "yes" });
  });

  test("found only on create (in no cache): conflict, and the children after it are not applied", async () => {
    await client.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "w3-a", namespace: ns }, data: { mine: "yes" } });
    const r = await applyChildren(client, owner("w3", "uid-w3"), [cm("w3-a"), cm("w3-b")], await snapshot({ hide: ["w3-a"] }), opts);
    expect(r).toMatchObject({ outcome: "conflict", conflict: { name: "w3-a" } });
    expect((await get("w3-a"))!.metadata.ownerReferences).toBeUndefined();
    expect((await get("w3-a"))!.data).toEqual({ mine: "yes" });
    expect(await get("w3-b")).toBeUndefined();
  });

  test("another controller's object is a conflict too, named with its controller", async () => {
    await applyChildren(client, owner("w4", "uid-w4"), [cm("w4-a")], await snapshot(), opts);
    const r = await applyChildren(client, owner("w4", "uid-w4-recreated"), [cm("w4-a")], await snapshot(), opts);
    expect(r.outcome).toBe("conflict");
    if (r.outcome === "conflict") expect(r.conflict.message).toContain("is controlled by Widget w4");
  });

  test("a createOnly child that exists but is not cached yet: wait, never patch it", async () => {
    const w = owner("w5", "uid-w5");
    await applyChildren(client, w, [cm("w5-a", { key: "first" })], await snapshot(), opts);
    const r = await applyChildren(client, w, [cm("w5-a", { key: "second" }, { createOnly: true })], await snapshot({ hide: ["w5-a"] }), opts);
    expect(r.outcome).toBe("waiting");
    expect((await get("w5-a"))!.data).toEqual({ key: "first" });
  });

  test("prunes controlled children no longer desired; kept ones and others' stay", async () => {
    const w = owner("w6", "uid-w6");
    await applyChildren(client, w, [cm("w6-a"), cm("w6-b"), cm("w6-kept", undefined, { keep: true })], await snapshot(), opts);
    await client.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "w6-user", namespace: ns, labels: { app: "w" } } });
    const r = await applyChildren(client, w, [cm("w6-a")], await snapshot(), opts);
    expect(r).toMatchObject({ outcome: "applied", pruned: 1 });
    expect(await get("w6-b")).toBeUndefined();
    expect(await get("w6-kept")).toBeDefined();
    expect(await get("w6-user")).toBeDefined();
  });
});

describe("kept children: released on removal, taken back by an owner of the same name", () => {
  test("keep → no ownerReference, provenance mark; removeChildren deletes the rest and releases it; re-attach; no other name", async () => {
    const first = owner("w7", "uid-w7-1");
    await applyChildren(client, first, [cm("w7-home", { files: "precious" }, { keep: true }), cm("w7-cfg")], await snapshot(), opts);
    const kept = (await get("w7-home"))!;
    expect(kept.metadata.ownerReferences).toBeUndefined();
    expect(kept.metadata.annotations?.[CONTROLLER_UID_ANNOTATION]).toBe("uid-w7-1");

    const released = await removeChildren(client, first, await snapshot(), opts);
    expect(released.map((r) => r.object.metadata.name)).toEqual(["w7-home"]);
    expect(await get("w7-cfg")).toBeUndefined();
    const home = (await get("w7-home"))!;
    expect(home.metadata.uid).toBe(kept.metadata.uid);
    expect(home.metadata.annotations?.[RETAINED_FROM_ANNOTATION]).toBe(`${ns}/w7`);
    expect(home.metadata.annotations?.[CONTROLLER_UID_ANNOTATION]).toBeUndefined();

    // Another owner name wanting that object: a conflict.
    expect((await applyChildren(client, owner("w7x", "uid-w7x"), [cm("w7-home", { files: "precious" }, { keep: true })], await snapshot(), opts)).outcome).toBe("conflict");
    // The same name again (new uid): taken back.
    const second = owner("w7", "uid-w7-2");
    expect(await applyChildren(client, second, [cm("w7-home", { files: "precious" }, { keep: true })], await snapshot(), opts)).toMatchObject({ outcome: "applied", wrote: true });
    const back = (await get("w7-home"))!;
    expect(back.metadata.uid).toBe(kept.metadata.uid);
    expect(back.metadata.annotations?.[RETAINED_FROM_ANNOTATION]).toBeUndefined();
    expect(back.metadata.annotations?.[CONTROLLER_UID_ANNOTATION]).toBe("uid-w7-2");
    expect(back.data).toEqual({ files: "precious" });
  });
});

describe("applyChildren: concurrent kinds", () => {
  test("children of consecutive concurrent kinds are created together; a kind without the mark waits for them", async () => {
    // Every create is logged as it leaves and as it returns.
    const log: string[] = [];
    const traced: KubeClient = {
      ...client,
      create: async (ref, obj, o) => {
        log.push(`start ${obj.metadata.name}`);
        try {
          return await client.create(ref, obj, o);
        } finally {
          log.push(`end ${obj.metadata.name}`);
        }
      },
    };
    const [cms] = await snapshot();
    const secrets: ChildCache = { get: () => undefined, controlledBy: () => [] };
    const kinds: ChildKinds = [{ ...cms, concurrent: true }, { resource: SECRETS, cache: secrets }];
    const secret: DesiredChild = { resource: SECRETS, object: { apiVersion: "v1", kind: "Secret", metadata: { name: "w10-c", namespace: ns }, data: { k: "dg==" } } as KubeObject };
    const r = await applyChildren(traced, owner("w10", "uid-w10"), [cm("w10-a"), cm("w10-b"), secret], kinds, opts);
    expect(r).toMatchObject({ outcome: "applied", wrote: true });
    if (r.outcome === "applied") expect(r.results.map((x) => `${x.action} ${x.object.metadata.name}`)).toEqual(["created w10-a", "created w10-b", "created w10-c"]);
    expect(log.slice(0, 2).sort()).toEqual(["start w10-a", "start w10-b"]);
    expect(log.slice(2, 4).sort()).toEqual(["end w10-a", "end w10-b"]);
    expect(log.slice(4)).toEqual(["start w10-c", "end w10-c"]);
  });

  test("a concurrent wave with a child it may not touch: that conflict is the answer, and nothing after the wave is applied", async () => {
    await client.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "w11-b", namespace: ns }, data: { mine: "yes" } });
    const [cms] = await snapshot({ hide: ["w11-b"] });
    const secrets: ChildCache = { get: () => undefined, controlledBy: () => [] };
    const secret: DesiredChild = { resource: SECRETS, object: { apiVersion: "v1", kind: "Secret", metadata: { name: "w11-c", namespace: ns }, data: { k: "dg==" } } as KubeObject };
    const r = await applyChildren(client, owner("w11", "uid-w11"), [cm("w11-a"), cm("w11-b"), secret], [{ ...cms, concurrent: true }, { resource: SECRETS, cache: secrets }], opts);
    expect(r).toMatchObject({ outcome: "conflict", wrote: true, conflict: { name: "w11-b" } });
    expect((await get("w11-b"))!.data).toEqual({ mine: "yes" });
    expect(await client.get(SECRETS, "w11-c", ns)).toBeUndefined();
  });
});

describe("kept children made by an earlier operator version (labels and annotation only)", () => {
  const legacyMarks = { labels: { app: "w", owner: "w8" }, annotations: { "example.com/keep": "true" } };
  const legacyChild = (createdNotBefore: string) =>
    cm("w8-home", { files: "precious" }, { keep: true, adoptLegacy: { ...legacyMarks, createdNotBefore } });

  test("created after the owner: taken over with the provenance mark, its data untouched", async () => {
    await client.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "w8-home", namespace: ns, ...legacyMarks }, data: { files: "precious" } });
    const w = owner("w8", "uid-w8");
    const r = await applyChildren(client, w, [legacyChild("2000-01-01T00:00:00Z")], await snapshot(), opts);
    expect(r).toMatchObject({ outcome: "applied", wrote: true });
    const home = (await get("w8-home"))!;
    expect(home.metadata.annotations?.[CONTROLLER_UID_ANNOTATION]).toBe("uid-w8");
    expect(home.metadata.ownerReferences).toBeUndefined();
    expect(home.data).toEqual({ files: "precious" });
  });

  test("older than the owner, or without the marks: somebody else's, a conflict that says deleting a claim deletes data", async () => {
    await client.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "w9-home", namespace: ns, ...legacyMarks }, data: { files: "theirs" } });
    const w = owner("w9", "uid-w9");
    const older = await applyChildren(client, w, [{ ...legacyChild("2999-01-01T00:00:00Z"), object: { ...legacyChild("x").object, metadata: { name: "w9-home", namespace: ns } } }], await snapshot(), opts);
    expect(older.outcome).toBe("conflict");
    const unmarked = await applyChildren(
      client,
      w,
      [{ ...cm("w9-home", { files: "x" }, { keep: true, adoptLegacy: { labels: { app: "other" }, annotations: {}, createdNotBefore: "2000-01-01T00:00:00Z" } }) }],
      await snapshot(),
      opts,
    );
    expect(unmarked.outcome).toBe("conflict");
    const live = (await get("w9-home"))!;
    expect(live.data).toEqual({ files: "theirs" });
    expect(live.metadata.annotations?.[CONTROLLER_UID_ANNOTATION]).toBeUndefined();
  });
});
