// The reconciler against in-memory caches and a recording client: which writes it makes, and which it must not.
import { describe, expect, test } from "bun:test";
import type { Kode, KodeTemplate } from "../api/types.ts";
import { controllerUids } from "../kube/children.ts";
import { SECRETS } from "../kube/resources.ts";
import type { KubeClient, KubeObject, ResourceRef } from "../kube/types.ts";
import type { Cache } from "../kube/cache.ts";
import { KODE_FINALIZER, reconcileKode, type KodeDeps } from "./reconcile.ts";

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

describe("ownership: what the Kode does not control is never touched", () => {
  const userObjects = () => [
    { plural: "secrets", obj: { apiVersion: "v1", kind: "Secret", metadata: { name: "k-auth", namespace: "team" }, data: { password: "dXNlcg==", note: "bWluZQ==" } } },
    { plural: "persistentvolumeclaims", obj: { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "k-home", namespace: "team" }, spec: {} } },
    { plural: "services", obj: { apiVersion: "v1", kind: "Service", metadata: { name: "k", namespace: "team" }, spec: {} } },
    { plural: "statefulsets", obj: { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "k", namespace: "team" }, spec: {} } },
  ];
  const ref = (plural: string) => ({ group: plural === "statefulsets" ? "apps" : "", version: "v1", plural, kind: "", namespaced: true });

  test("a user's Secret, PVC, Service and StatefulSet with the children's names: ChildConflict, nothing written to them", async () => {
    const env = setup();
    env.kodes.put({ ...env.kodes.get("team", "k")!, spec: { templateRef: { name: "cs" }, storage: { resources: { requests: { storage: "1Gi" } } } } });
    for (const { plural, obj } of userObjects()) await env.client.create(ref(plural), obj as KubeObject);
    // The user's Secret is in the cache (no ownerReference); the others are not (they lack the operator's label).
    (env.deps.secrets as unknown as MapCache<KubeObject>).put((await env.client.get(SECRETS, "k-auth", "team"))!);
    env.calls.length = 0;
    const result = await reconcileKode(env.deps, "team/k");
    const touched = env.calls.filter((c) => c.plural !== "kodes");
    expect(touched).toEqual([]);
    const status = env.calls.find((c) => c.subresource === "status")!.body.status;
    expect(status.phase).toBe("Failed");
    expect(status.conditions.find((c: any) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "ChildConflict",
      message: "Secret team/k-auth already exists and is not controlled by it, so Kode k leaves it untouched and cannot start; rename or delete that Secret, or give the Kode another name",
    });
    expect(env.events).toContain("Warning:ChildConflict");
    expect(result).toEqual({ requeueAfterMs: 10_000 });
  });

  test("a conflict found only on create (a PVC in no cache) stops before the pod is rendered onto it", async () => {
    const env = setup();
    env.kodes.put({ ...env.kodes.get("team", "k")!, spec: { templateRef: { name: "cs" }, user: "dev", password: "a-long-password", storage: { resources: { requests: { storage: "1Gi" } } } } });
    const pvc = userObjects()[1];
    await env.client.create(ref(pvc.plural), pvc.obj as KubeObject);
    env.calls.length = 0;
    await reconcileKode(env.deps, "team/k");
    // The Secret, the claim and the Service are created together (none needs another); the StatefulSet never is.
    expect(env.calls.map((c) => `${c.verb} ${c.plural}${c.subresource ? "/" + c.subresource : ""}`)).toEqual([
      "create secrets",
      "create persistentvolumeclaims",
      "create services",
      "patch kodes/status",
    ]);
    expect(env.calls.at(-1)!.body.status.conditions[0].reason).toBe("ChildConflict");
    expect(env.calls.at(-1)!.body.status.conditions[0].message).toContain("PersistentVolumeClaim team/k-home already exists");
  });

  test("a password is never read from a Secret of the child's name that the Kode does not control", async () => {
    const env = setup();
    env.kodes.put({ ...env.kodes.get("team", "k")!, spec: { templateRef: { name: "cs" } } });
    (env.deps.secrets as unknown as MapCache<KubeObject>).put({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "k-auth", namespace: "team", uid: "user-secret" },
      data: { password: Buffer.from("users-own-password").toString("base64") },
    } as KubeObject);
    await reconcileKode(env.deps, "team/k");
    expect(JSON.stringify(env.calls)).not.toContain(Buffer.from("users-own-password").toString("base64"));
  });

  test("controlled children no longer rendered are pruned; a look-alike the Kode does not control stays", async () => {
    const env = setup();
    const cm = (name: string, uid?: string) =>
      ({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name,
          namespace: "team",
          uid: `cm-${name}`,
          labels: { "kode.jacero.io/name": "k", "app.kubernetes.io/managed-by": "kode-operator" },
          ...(uid && { ownerReferences: [{ apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", name: "k", uid, controller: true }] }),
        },
      }) as KubeObject;
    const configMaps = env.deps.configMaps as unknown as MapCache<KubeObject>;
    configMaps.put(cm("k-envoy", "kode-uid"));
    configMaps.put(cm("k-lookalike"));
    configMaps.put(cm("k-other-owner", "another-uid"));
    await reconcileKode(env.deps, "team/k");
    expect(env.calls.filter((c) => c.verb === "delete").map((c) => `${c.plural}/${c.name}`)).toEqual(["configmaps/k-envoy"]);
  });
});

describe("status and deletion", () => {
  test("status is replaced: keys the derivation no longer gives are removed (null in the merge patch)", async () => {
    const env = setup();
    const kode = env.kodes.get("team", "k")!;
    env.kodes.put({
      ...kode,
      spec: { templateRef: { name: "gone" } },
      status: { phase: "Running", url: "http://k.team.svc.cluster.local", type: "code-server", credentialsSecret: "k-auth", template: { kind: "KodeTemplate", name: "cs", namespace: "team" }, conditions: [] },
    });
    await reconcileKode(env.deps, "team/k");
    const patch = env.calls.find((c) => c.subresource === "status")!.body.status;
    expect(patch.url).toBeNull();
    expect(patch.credentialsSecret).toBeNull();
    expect(patch.phase).toBe("Failed");
  });

  test("delete: status Deleting, children removed, the finalizer goes at the resourceVersion the status write returned", async () => {
    const env = setup();
    await reconcileKode(env.deps, "team/k");
    for (const [plural, cache] of [
      ["secrets", env.deps.secrets],
      ["services", env.deps.services],
      ["statefulsets", env.deps.statefulSets],
    ] as const)
      (cache as unknown as MapCache<KubeObject>).put((await env.client.get({ group: "", version: "v1", plural, kind: "", namespaced: true }, plural === "secrets" ? "k-auth" : "k", "team"))!);
    const kode = env.kodes.get("team", "k")!;
    env.kodes.put({ ...kode, metadata: { ...kode.metadata, resourceVersion: "500", deletionTimestamp: "2026-11-25T10:01:00Z" }, status: env.deps.writtenStatus!.get("team/k")!.status });
    env.deps.writtenStatus!.clear();
    env.calls.length = 0;
    await reconcileKode(env.deps, "team/k");
    expect(env.calls.map((c) => `${c.verb} ${c.plural}${c.subresource ? "/" + c.subresource : ""}`)).toEqual([
      "patch kodes/status",
      "delete statefulsets",
      "delete services",
      "delete secrets",
      "patch kodes",
    ]);
    const statusRv = env.deps.writtenStatus!.get("team/k")!.resourceVersion;
    expect(env.calls.at(-1)!.body).toEqual({ metadata: { finalizers: null, resourceVersion: statusRv } });
    expect(statusRv).not.toBe("500");
  });
});

describe("no secret material in the pod template", () => {
  test("two Kodes with the same user and password: no annotation or value equals a hash of them", async () => {
    const env = setup();
    const kode = env.kodes.get("team", "k")!;
    env.kodes.put({ ...kode, metadata: { ...kode.metadata, name: "k2", uid: "kode-uid-2" } });
    await reconcileKode(env.deps, "team/k");
    await reconcileKode(env.deps, "team/k2");
    const templates = env.calls.filter((c) => c.plural === "statefulsets").map((c) => c.body.spec.template);
    expect(templates.length).toBe(2);
    const [a, b] = templates.map((t) => t.metadata.annotations["kode.jacero.io/config-checksum"]);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
    const { createHash } = await import("node:crypto");
    const inputs = ["dev", "a-long-password", "deva-long-password", "dev:a-long-password", "dev\na-long-password", JSON.stringify(["dev", "a-long-password"])];
    const hashes = new Set<string>();
    for (const text of inputs)
      for (const alg of ["md5", "sha1", "sha256", "sha512"])
        for (const enc of ["hex", "base64", "base64url"] as const) hashes.add(createHash(alg).update(text).digest(enc));
    const strings: string[] = [];
    const walk = (v: unknown) => (typeof v === "string" ? strings.push(v) : v && typeof v === "object" ? Object.values(v).forEach(walk) : undefined);
    templates.forEach(walk);
    for (const s of strings.filter((s) => s.length >= 8)) for (const h of hashes) expect(h.startsWith(s) || s.includes(h.slice(0, 16))).toBe(false);
  });
});

describe("pause", () => {
  test("a paused Kode's StatefulSet is rendered with 0 replicas; its Secret and Service as always", async () => {
    const { deps, calls, kodes } = setup();
    const kode = kodes.get("team", "k")!;
    kodes.put({ ...kode, spec: { ...kode.spec, paused: true } });
    await reconcileKode(deps, "team/k");
    expect(calls.map((c) => `${c.verb} ${c.plural}${c.subresource ? "/" + c.subresource : ""}`)).toEqual(["create secrets", "create services", "create statefulsets", "patch kodes/status"]);
    expect(calls.find((c) => c.plural === "statefulsets")!.body.spec.replicas).toBe(0);
    expect(calls.at(-1)!.body.status.phase).toBe("Paused");
  });

  test("spec.paused on a Kode being deleted: a Warning Event PauseIgnored, and the deletion goes on as usual", async () => {
    const env = setup();
    await reconcileKode(env.deps, "team/k");
    const kode = env.kodes.get("team", "k")!;
    env.kodes.put({ ...kode, spec: { ...kode.spec, paused: true }, metadata: { ...kode.metadata, resourceVersion: "500", deletionTimestamp: "2026-11-25T10:01:00Z" }, status: env.deps.writtenStatus!.get("team/k")!.status });
    env.deps.writtenStatus!.clear();
    env.events.length = 0;
    env.calls.length = 0;
    await reconcileKode(env.deps, "team/k");
    expect(env.events).toContain("Warning:PauseIgnored");
    expect(env.calls[0]!.body.status.phase).toBe("Deleting");
    expect(env.calls.at(-1)!.body.metadata.finalizers).toBeNull();
  });
});
