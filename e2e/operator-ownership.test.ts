// End-to-end ownership with real kubectl against the embedded API server (GC on): a Kode never modifies, adopts or
// deletes what it does not control. The data-loss scenario (a user's Secret, PVC, Service and StatefulSet named like
// a new Kode's children), an ordinary delete (no 409, no Warning), and re-attaching a retained home.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KODES } from "../src/api/resources.ts";
import { PVCS, SECRETS, SERVICES, STATEFULSETS } from "../src/kube/resources.ts";
import {
  b64decode,
  condition,
  createKode,
  createNamespace,
  createTemplate,
  getKode,
  kodeEvents,
  OPERATOR_UA,
  startE2E,
  waitEvent,
  waitFailed,
  waitGone,
  waitRunning,
  type E2E,
  type Obj,
} from "./operator-harness.ts";

let env: E2E;
const ns = "owners";
const it = (name: string, fn: () => Promise<void>) => test(name, fn, 120_000);

beforeAll(async () => {
  env = await startE2E({ gc: true, kubeletDelayMs: 30 });
  await createNamespace(env.client, ns);
  await createTemplate(env.client, "cs", ns, { type: "code-server", image: "linuxserver/code-server:latest" });
}, 60_000);
afterAll(async () => {
  await env?.stop();
}, 30_000);

/** kubectl (real where present, else the API) applies a manifest. */
async function apply(yaml: string) {
  if (env.kubectl) {
    const res = await env.kubectl.run(["apply", "-n", ns, "-f", "-"], { stdin: yaml });
    expect(res.code, res.out).toBe(0);
    return;
  }
  for (const doc of yaml.split(/^---$/m).filter((d) => d.trim())) {
    const obj = Bun.YAML.parse(doc) as Obj;
    const ref = { Secret: SECRETS, PersistentVolumeClaim: PVCS, Service: SERVICES, StatefulSet: STATEFULSETS, Kode: KODES }[obj.kind as string]!;
    obj.metadata.namespace = ns;
    await env.client.create(ref, obj);
  }
}

async function kubectlDelete(kind: string, name: string) {
  if (env.kubectl) {
    const res = await env.kubectl.run(["delete", kind, name, "-n", ns, "--timeout=30s"], { noRequestTimeout: true });
    expect(res.code, res.out).toBe(0);
  } else await env.client.delete({ kode: KODES, secret: SECRETS, pvc: PVCS, service: SERVICES, statefulset: STATEFULSETS }[kind]!, name, { namespace: ns });
}

const USER_OBJECTS = `
apiVersion: v1
kind: Secret
metadata: { name: victim-auth }
type: Opaque
stringData: { username: me, password: my-own-password, note: keep this }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: victim-home }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 2Gi } } }
---
apiVersion: v1
kind: Service
metadata: { name: victim }
spec: { selector: { app: mine }, ports: [{ port: 8080 }] }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: victim }
spec:
  replicas: 0
  serviceName: victim
  selector: { matchLabels: { app: mine } }
  template:
    metadata: { labels: { app: mine } }
    spec: { containers: [{ name: c, image: busybox }] }
`;

const snapshot = async () => ({
  secret: await env.client.get<Obj>(SECRETS, "victim-auth", ns),
  pvc: await env.client.get<Obj>(PVCS, "victim-home", ns),
  service: await env.client.get<Obj>(SERVICES, "victim", ns),
  statefulSet: await env.client.get<Obj>(STATEFULSETS, "victim", ns),
});
// Not the resourceVersion: the simulated controllers (PVC binding, StatefulSet status) write the user's objects too.
const identity = (o: Obj | undefined) =>
  o && { uid: o.metadata.uid, labels: o.metadata.labels, annotations: o.metadata.annotations, ownerReferences: o.metadata.ownerReferences, spec: o.spec, data: o.data };
/** The operator's patches and deletes of the kinds the user's objects are of (this test is the first of the file). */
const operatorTouches = () =>
  ["secrets", "persistentvolumeclaims", "services", "statefulsets"].reduce(
    (n, resource) => n + env.server.hooks.count({ userAgent: OPERATOR_UA, verb: "patch", resource }) + env.server.hooks.count({ userAgent: OPERATOR_UA, verb: "delete", resource }),
    0,
  );

describe(`a Kode whose children's names are taken (${Bun.which("kubectl") ? "real kubectl" : "API"})`, () => {
  it("reports ChildConflict, leaves the user's Secret, PVC, Service and StatefulSet untouched on create and delete, and recovers once the names are free", async () => {
    await apply(USER_OBJECTS);
    const before = await snapshot();
    for (const o of Object.values(before)) expect(o?.metadata.ownerReferences).toBeUndefined();

    await apply(`
apiVersion: kode.jacero.io/v1alpha1
kind: Kode
metadata: { name: victim }
spec: { templateRef: { name: cs }, storage: { resources: { requests: { storage: 1Gi } } } }
`);
    const failed = await waitFailed(env.client, ns, "victim", "ChildConflict");
    expect(condition(failed, "Ready")?.message).toContain("already exists and is not controlled by it");
    expect(condition(failed, "Ready")?.message).toContain("rename or delete that");
    await waitEvent(env.client, ns, "victim", "Warning", "ChildConflict");
    // Give the operator a few more passes: still nothing of the user's changes.
    await Bun.sleep(1500);
    const during = await snapshot();
    for (const k of Object.keys(before) as (keyof typeof before)[]) expect(identity(during[k])).toEqual(identity(before[k]));
    expect(b64decode(during.secret!.data!.password)).toBe("my-own-password");
    expect(b64decode(during.secret!.data!.note)).toBe("keep this");
    expect(operatorTouches()).toBe(0);

    // Deleting the Kode deletes nothing of the user's.
    await kubectlDelete("kode", "victim");
    await waitGone(env.client, KODES, ns, "victim");
    const after = await snapshot();
    for (const k of Object.keys(before) as (keyof typeof before)[]) expect(identity(after[k])).toEqual(identity(before[k]));
    expect(operatorTouches()).toBe(0);

    // A new Kode of that name conflicts too; once the user frees the names, it starts by itself.
    await createKode(env.client, "victim", ns, { templateRef: { name: "cs" }, storage: { resources: { requests: { storage: "1Gi" } } } });
    await waitFailed(env.client, ns, "victim", "ChildConflict");
    for (const [kind, name] of [
      ["statefulset", "victim"],
      ["service", "victim"],
      ["pvc", "victim-home"],
      ["secret", "victim-auth"],
    ])
      await kubectlDelete(kind, name);
    const running = await waitRunning(env.client, ns, "victim", 45_000);
    const pvc = await env.client.get<Obj>(PVCS, "victim-home", ns);
    expect(pvc!.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Kode", name: "victim", uid: running.metadata.uid, controller: true });
  });
});

describe("an ordinary delete", () => {
  it("has no 409 and no Warning Event, and the Kode goes", async () => {
    await createKode(env.client, "plain", ns, { templateRef: { name: "cs" }, storage: { resources: { requests: { storage: "1Gi" } } } });
    await waitRunning(env.client, ns, "plain");
    const conflictsBefore = env.server.hooks.count({ userAgent: OPERATOR_UA, code: 409 });
    const warningsBefore = (await kodeEvents(env.client, ns, "plain")).filter((e) => e.type === "Warning").map((e) => e.reason);
    await kubectlDelete("kode", "plain");
    await waitGone(env.client, KODES, ns, "plain");
    await Bun.sleep(300);
    expect(env.server.hooks.count({ userAgent: OPERATOR_UA, code: 409 })).toBe(conflictsBefore);
    const warnings = (await kodeEvents(env.client, ns, "plain")).filter((e) => e.type === "Warning").map((e) => e.reason);
    expect(warnings).toEqual(warningsBefore);
    expect(env.operator.logs().filter((l) => l.includes("reconcile failed"))).toEqual([]);
  });
});

describe("a retained home", () => {
  it("is released on delete, re-attached to a re-created Kode of the same name, and never taken by another Kode", async () => {
    const spec = { templateRef: { name: "cs" }, storage: { keepVolume: true, resources: { requests: { storage: "1Gi" } } } };
    await createKode(env.client, "home", ns, spec);
    const first = await waitRunning(env.client, ns, "home");
    const kept = await env.client.get<Obj>(PVCS, "home-home", ns);
    expect(kept!.metadata.ownerReferences).toBeUndefined();
    expect(kept!.metadata.annotations?.["kode.jacero.io/controller-uid"]).toBe(first.metadata.uid);

    await kubectlDelete("kode", "home");
    await waitGone(env.client, KODES, ns, "home");
    const released = await env.client.get<Obj>(PVCS, "home-home", ns);
    expect(released!.metadata.uid).toBe(kept!.metadata.uid);
    expect(released!.metadata.annotations?.["kode.jacero.io/retained-from"]).toBe(`${ns}/home`);
    expect(released!.metadata.annotations?.["kode.jacero.io/controller-uid"]).toBeUndefined();

    await createKode(env.client, "home", ns, spec);
    const second = await waitRunning(env.client, ns, "home");
    const reattached = await env.client.get<Obj>(PVCS, "home-home", ns);
    expect(reattached!.metadata.uid).toBe(kept!.metadata.uid);
    expect(reattached!.metadata.annotations?.["kode.jacero.io/retained-from"]).toBeUndefined();
    expect(reattached!.metadata.annotations?.["kode.jacero.io/controller-uid"]).toBe(second.metadata.uid);
    const sts = await env.client.get<Obj>(STATEFULSETS, "home", ns);
    expect(sts!.spec.template.spec.volumes[0]).toEqual({ name: "home", persistentVolumeClaim: { claimName: "home-home" } });

    // A claim retained from another Kode (or marked by a user for another name) is not this Kode's.
    await apply(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: other-home, annotations: { kode.jacero.io/retained-from: elsewhere/other } }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
`);
    await createKode(env.client, "other", ns, spec);
    await waitFailed(env.client, ns, "other", "ChildConflict");
    expect((await env.client.get<Obj>(PVCS, "other-home", ns))!.metadata.annotations?.["kode.jacero.io/controller-uid"]).toBeUndefined();
    expect(condition(await getKode(env.client, ns, "other"), "Ready")?.message).toContain("PersistentVolumeClaim owners/other-home");
  });
});

describe("no secret material in pod templates", () => {
  it("two Kodes with the same user and password: their pod templates hold no hash of them, and differ", async () => {
    const { createHash } = await import("node:crypto");
    const spec = { templateRef: { name: "cs" }, user: "twin", password: "same-password-123" };
    await createKode(env.client, "twin-a", ns, spec);
    await createKode(env.client, "twin-b", ns, spec);
    await waitRunning(env.client, ns, "twin-a");
    await waitRunning(env.client, ns, "twin-b");
    const templates = await Promise.all(["twin-a", "twin-b"].map(async (n) => (await env.client.get<Obj>(STATEFULSETS, n, ns))!.spec.template));
    const [a, b] = templates.map((t) => t.metadata.annotations["kode.jacero.io/config-checksum"] as string);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
    const texts = ["same-password-123", "twinsame-password-123", "twin:same-password-123", "twin\nsame-password-123", JSON.stringify(["twin", "same-password-123"])];
    const hashes = texts.flatMap((t) => ["md5", "sha1", "sha256", "sha512"].flatMap((alg) => (["hex", "base64", "base64url"] as const).map((enc) => createHash(alg).update(t).digest(enc))));
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === "string") strings.push(v);
      else if (v && typeof v === "object") Object.values(v).forEach(walk);
    };
    templates.forEach(walk);
    for (const s of strings.filter((s) => s.length >= 8)) {
      expect(s).not.toContain("same-password-123");
      for (const h of hashes) expect(h.startsWith(s) || s.includes(h.slice(0, 16))).toBe(false);
    }
  });
});
