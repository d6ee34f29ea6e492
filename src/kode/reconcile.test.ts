// The reconciler against in-memory caches and a recording client: which writes it makes, and which it must not.
import { describe, expect, test } from "bun:test";
import type { Kode, KodeTemplate } from "../api/types.ts";
import { controllerUids } from "../kube/children.ts";
import { SECRETS } from "../kube/resources.ts";
import type { KubeClient, KubeObject, ResourceRef } from "../kube/types.ts";
import { KODE_FINALIZER, reconcileKode, type Cache, type KodeDeps } from "./reconcile.ts";

class MapCache<T extends { metadata: { name: string; namespace?: string } }> implements Cache<T> {
  readonly items = new Map<string, T>();
  get(ns: string | undefined, name: string) {
    return this.items.get(`${ns ?? ""}/${name}`);
  }
  controlledBy(uid: string): T[] {
    return [...this.items.values()].filter((o) => controllerUids(o as unknown as KubeObject).includes(uid));
  }
  put(obj: T) {
    this.items.set(`${obj.metadata.namespace ?? ""}/${obj.metadata.name}`, obj);
  }
}

interface Call {
  verb: string;
  plural: string;
  name: string;
  body?: any;
  subresource?: string;
}

function recordingClient(calls: Call[]): KubeClient {
  let rv = 100;
  const stored = new Map<string, any>();
  const stamp = (o: any) => ({ ...o, metadata: { ...o.metadata, uid: o.metadata.uid ?? `uid-${o.metadata.name}`, resourceVersion: String(++rv) } });
  return {
    server: "memory://",
    async get(ref: ResourceRef, name: string, ns?: string) {
      return stored.get(`${ref.plural}/${ns}/${name}`);
    },
    async list() {
      return { metadata: { resourceVersion: String(rv) }, items: [] };
    },
    async create(ref: ResourceRef, obj: any) {
      calls.push({ verb: "create", plural: ref.plural, name: obj.metadata.name, body: obj });
      const key = `${ref.plural}/${obj.metadata.namespace}/${obj.metadata.name}`;
      if (stored.has(key)) throw Object.assign(new Error("already exists"), { code: 409 });
      const created = stamp(obj);
      stored.set(key, created);
      return created;
    },
    async mergePatch(ref: ResourceRef, name: string, patch: any, o: any = {}) {
      calls.push({ verb: "patch", plural: ref.plural, name, body: patch, subresource: o.subresource });
      return stamp({ metadata: { name, namespace: o.namespace }, ...patch });
    },
    async delete(ref: ResourceRef, name: string) {
      calls.push({ verb: "delete", plural: ref.plural, name });
      return true;
    },
    watch: (() => {
      throw new Error("not used");
    }) as never,
    async request() {
      throw new Error("not used");
    },
  };
}

function setup() {
  const calls: Call[] = [];
  const events: string[] = [];
  const kodes = new MapCache<Kode>();
  const templates = new MapCache<KodeTemplate>();
  const caches = () => new MapCache<KubeObject>();
  const deps: KodeDeps = {
    client: recordingClient(calls),
    kodes,
    templates,
    clusterTemplates: new MapCache<KodeTemplate>(),
    secrets: caches(),
    statefulSets: caches(),
    services: caches(),
    pvcs: caches(),
    envoyConfigs: new MapCache(),
    envoyClusterConfigs: new MapCache(),
    configMaps: caches(),
    networkPolicies: caches(),
    events: { event: (_o, type, reason) => events.push(`${type}:${reason}`) },
    now: () => "2026-11-25T10:00:00Z",
    generatePassword: () => "generated-password-0123456789",
    writtenStatus: new Map(),
    settled: new Map(),
  };
  templates.put({
    apiVersion: "kode.jacero.io/v1alpha1",
    kind: "KodeTemplate",
    metadata: { name: "cs", namespace: "team" },
    spec: { type: "code-server", image: "linuxserver/code-server:latest" },
  });
  kodes.put({
    apiVersion: "kode.jacero.io/v1alpha1",
    kind: "Kode",
    metadata: { name: "k", namespace: "team", uid: "kode-uid", resourceVersion: "7", generation: 1, finalizers: [KODE_FINALIZER] },
    spec: { templateRef: { name: "cs" }, user: "dev", password: "a-long-password" },
  });
  return { deps, calls, events, kodes, client: deps.client };
}

describe("reconcileKode", () => {
  test("a new Kode gets its Secret, Service and StatefulSet created, then one status write", async () => {
    const { deps, calls } = setup();
    await reconcileKode(deps, "team/k");
    expect(calls.map((c) => `${c.verb} ${c.plural}${c.subresource ? "/" + c.subresource : ""}`)).toEqual([
      "create secrets",
      "create services",
      "create statefulsets",
      "patch kodes/status",
    ]);
    expect(calls.at(-1)!.body.status.phase).toBe("Provisioning");
  });

  test("a reconcile before the cache shows our status write neither writes it again nor repeats its Events", async () => {
    const { deps, calls, events } = setup();
    await reconcileKode(deps, "team/k");
    const statusWrites = () => calls.filter((c) => c.subresource === "status").length;
    const eventsAfterFirst = events.length;
    expect(statusWrites()).toBe(1);
    // The Kode cache still holds the object without status (its watch event has not arrived).
    await reconcileKode(deps, "team/k");
    expect(statusWrites()).toBe(1);
    expect(events.length).toBe(eventsAfterFirst);
  });

  test("once the cache has caught up (same resourceVersion as our write), it is the cache that counts", async () => {
    const { deps, calls, kodes } = setup();
    await reconcileKode(deps, "team/k");
    const memo = deps.writtenStatus!.get("team/k")!;
    const kode = kodes.get("team", "k")!;
    // Someone else reset the status after our write: the cache shows it, with a newer resourceVersion.
    (deps.secrets as unknown as MapCache<KubeObject>).put((await deps.client.get(SECRETS, "k-auth", "team"))!);
    kodes.put({ ...kode, metadata: { ...kode.metadata, resourceVersion: memo.resourceVersion }, status: {} });
    await reconcileKode(deps, "team/k");
    expect(calls.filter((c) => c.subresource === "status").length).toBe(2);
    expect(deps.writtenStatus!.has("team/k")).toBe(true);
  });

  test("the password never appears in what is written outside the Secret", async () => {
    const { deps, calls } = setup();
    await reconcileKode(deps, "team/k");
    const outside = calls.filter((c) => c.plural !== "secrets");
    const b64 = Buffer.from("a-long-password").toString("base64");
    for (const c of outside) expect(JSON.stringify(c.body ?? {})).not.toMatch(new RegExp(`a-long-password|${b64}`));
  });
});

describe("reconcileKode on a settled Kode", () => {
  /** Fill the caches with what the API server holds now, as the informers would. */
  async function sync(env: ReturnType<typeof setup>) {
    const { deps, kodes } = env;
    const refs = [
      ["secrets", deps.secrets, "k-auth"],
      ["services", deps.services, "k"],
      ["statefulsets", deps.statefulSets, "k"],
    ] as const;
    for (const [plural, cache, name] of refs) {
      const live = await env.client.get({ group: "", version: "v1", plural, kind: "", namespaced: true }, name, "team");
      (cache as unknown as MapCache<KubeObject>).put(live as KubeObject);
    }
    const memo = deps.writtenStatus!.get("team/k")!;
    const kode = kodes.get("team", "k")!;
    kodes.put({ ...kode, metadata: { ...kode.metadata, resourceVersion: memo.resourceVersion }, status: memo.status });
  }

  test("a Kode whose inputs have not changed since a reconcile that wrote nothing is not rendered again", async () => {
    const env = setup();
    let passes = 0;
    env.deps.now = () => {
      passes++;
      return "2026-11-25T10:00:00Z";
    };
    await reconcileKode(env.deps, "team/k");
    await sync(env);
    const writes = env.calls.length;
    await reconcileKode(env.deps, "team/k"); // evaluates, writes nothing, remembers the versions
    expect(env.calls.length).toBe(writes);
    const evaluated = passes;
    await reconcileKode(env.deps, "team/k"); // same versions: nothing to do
    await reconcileKode(env.deps, "team/k");
    expect(passes).toBe(evaluated);
    // Any input changing (here the StatefulSet, e.g. drift or a status update) makes it look again.
    const sts = env.deps.statefulSets.get("team", "k")!;
    (env.deps.statefulSets as unknown as MapCache<KubeObject>).put({ ...sts, metadata: { ...sts.metadata, resourceVersion: "999" } });
    await reconcileKode(env.deps, "team/k");
    expect(passes).toBe(evaluated + 1);
  });
});
