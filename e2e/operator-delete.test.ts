// End-to-end deletion: the finalizer's ordered cleanup, the user's own Secret and claim left alone, and keepVolume,
// each with the API server's garbage collector on (as in a real cluster) and off (so the operator's own cleanup
// is what is tested, not the GC's). Deletes go through real kubectl where present (it waits for the object to be
// gone, so a hanging finalizer fails the command), else through the API with a bounded wait.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { KODES } from "../src/api/resources.ts";
import { PVCS, SECRETS, SERVICES, STATEFULSETS } from "../src/kube/resources.ts";
import {
  children,
  createKode,
  createNamespace,
  createSecret,
  createTemplate,
  FINALIZER,
  getKode,
  startE2E,
  trackPhases,
  waitGone,
  waitRunning,
  type E2E,
  type Obj,
} from "./operator-harness.ts";

const it = (name: string, fn: () => Promise<void>) => test(name, fn, 90_000);

for (const gc of [true, false]) {
  describe(`delete with the API server's garbage collector ${gc ? "on" : "off"}`, () => {
    let env: E2E;
    const ns = gc ? "del-gc" : "del-nogc";

    beforeAll(async () => {
      env = await startE2E({ gc, kubeletDelayMs: 30 });
      await createNamespace(env.client, ns);
      await createTemplate(env.client, "cs", ns, { type: "code-server", image: "linuxserver/code-server:latest" });
    }, 60_000);
    afterAll(async () => {
      await env?.stop();
    }, 30_000);

    /** Delete a Kode and wait until it is gone (kubectl's own wait, or a poll). */
    async function deleteKode(name: string, extra: string[] = []) {
      if (env.kubectl) {
        const res = await env.kubectl.run(["delete", "kode", name, "-n", ns, "--timeout=30s", ...extra], { noRequestTimeout: true });
        expect(res.code, res.out).toBe(0);
        expect(res.stdout).toContain(`kode.kode.jacero.io "${name}" deleted`);
      } else {
        const propagation = extra.find((a) => a.startsWith("--cascade="))?.split("=")[1];
        await env.client.delete(KODES, name, { namespace: ns, propagationPolicy: propagation === "foreground" ? "Foreground" : undefined });
      }
      await waitGone(env.client, KODES, ns, name);
    }

    it("delete removes the StatefulSet, Service, our Secret and PVC, then the finalizer, then the Kode", async () => {
      await createKode(env.client, "doomed", ns, { templateRef: { name: "cs" }, storage: { resources: { requests: { storage: "1Gi" } } } });
      const kode = await waitRunning(env.client, ns, "doomed");
      expect(kode.metadata.finalizers).toEqual([FINALIZER]);
      const before = await children(env.client, ns, "doomed");
      expect(Object.values(before).every(Boolean)).toBe(true);

      const phases = trackPhases(env.server, ns);
      try {
        await deleteKode("doomed");
      } finally {
        phases.stop();
      }
      // The deletionTimestamp write still shows Running; the operator then reports Deleting until the Kode is gone.
      expect(phases.of("doomed")).toEqual(["Running", "Deleting"]);
      expect(await children(env.client, ns, "doomed")).toEqual({ statefulSet: undefined, service: undefined, secret: undefined, pvc: undefined });
      // The operator deleted them itself (with GC off nobody else could have).
      for (const resource of ["statefulsets", "services", "secrets", "persistentvolumeclaims"])
        expect(env.server.hooks.count({ userAgent: "kode-operator/", verb: "delete", resource })).toBeGreaterThanOrEqual(1);
    });

    it("delete never touches the user's existingSecret or existingVolumeClaim", async () => {
      const secret = await createSecret(env.client, "user-creds", ns, { password: "user-owned", username: "u" });
      const claim = await env.client.create<Obj>(PVCS, {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "user-home", namespace: ns },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } },
      });
      await createKode(env.client, "borrower", ns, { templateRef: { name: "cs" }, existingSecret: "user-creds", storage: { existingVolumeClaim: "user-home" } });
      await waitRunning(env.client, ns, "borrower");
      const c = await children(env.client, ns, "borrower");
      expect(c.secret).toBeUndefined();
      expect(c.pvc).toBeUndefined();
      expect(c.statefulSet!.spec.template.spec.volumes).toContainEqual({ name: "home", persistentVolumeClaim: { claimName: "user-home" } });

      await deleteKode("borrower");
      const [s, p] = [await env.client.get<Obj>(SECRETS, "user-creds", ns), await env.client.get<Obj>(PVCS, "user-home", ns)];
      expect(s?.metadata.resourceVersion).toBe(secret.metadata.resourceVersion);
      expect(p?.metadata.resourceVersion).toBe(claim.metadata.resourceVersion);
      expect(await env.client.get(STATEFULSETS, "borrower", ns)).toBeUndefined();
      expect(await env.client.get(SERVICES, "borrower", ns)).toBeUndefined();
    });

    it("keepVolume keeps the PVC (no owner reference, annotated retained-from) and deletion does not hang", async () => {
      await createKode(env.client, "keeper", ns, { templateRef: { name: "cs" }, storage: { keepVolume: true, resources: { requests: { storage: "1Gi" } } } });
      await waitRunning(env.client, ns, "keeper");
      const pvc = (await children(env.client, ns, "keeper")).pvc!;
      expect(pvc.metadata.ownerReferences ?? []).toEqual([]);

      await deleteKode("keeper");
      const c = await children(env.client, ns, "keeper");
      expect([c.statefulSet, c.service, c.secret]).toEqual([undefined, undefined, undefined]);
      expect(c.pvc?.metadata.uid).toBe(pvc.metadata.uid);
      expect(c.pvc!.metadata.ownerReferences ?? []).toEqual([]);
      expect(c.pvc!.metadata.annotations?.["kode.jacero.io/retained-from"]).toBe(`${ns}/keeper`);
    });

    it("keepVolume switched on after creation strips the owner reference, and the PVC survives deletion", async () => {
      await createKode(env.client, "late-keeper", ns, { templateRef: { name: "cs" }, storage: { resources: { requests: { storage: "1Gi" } } } });
      const kode = await waitRunning(env.client, ns, "late-keeper");
      expect((await children(env.client, ns, "late-keeper")).pvc!.metadata.ownerReferences?.[0]?.uid).toBe(kode.metadata.uid!);
      await env.client.mergePatch(KODES, "late-keeper", { spec: { storage: { keepVolume: true } } }, { namespace: ns });
      await waitRunning(env.client, ns, "late-keeper");
      const pvc = (await children(env.client, ns, "late-keeper")).pvc!;
      expect(pvc.metadata.ownerReferences ?? []).toEqual([]);

      await deleteKode("late-keeper");
      const kept = (await children(env.client, ns, "late-keeper")).pvc;
      expect(kept?.metadata.uid).toBe(pvc.metadata.uid);
      expect(kept!.metadata.annotations?.["kode.jacero.io/retained-from"]).toBe(`${ns}/late-keeper`);
    });

    it("a Kode recreated under the same name with keepVolume gets its kept volume back", async () => {
      const kept = (await children(env.client, ns, "keeper")).pvc!;
      await createKode(env.client, "keeper", ns, { templateRef: { name: "cs" }, storage: { keepVolume: true, resources: { requests: { storage: "1Gi" } } } });
      await waitRunning(env.client, ns, "keeper");
      const c = await children(env.client, ns, "keeper");
      expect(c.pvc?.metadata.uid).toBe(kept.metadata.uid);
      expect(c.statefulSet!.spec.template.spec.volumes).toContainEqual({ name: "home", persistentVolumeClaim: { claimName: "keeper-home" } });
      await deleteKode("keeper");
      expect((await children(env.client, ns, "keeper")).pvc?.metadata.uid).toBe(kept.metadata.uid);
    });

    if (gc)
      it("foreground deletion (kubectl delete --cascade=foreground) completes and still keeps a keepVolume PVC", async () => {
        await createKode(env.client, "fg", ns, { templateRef: { name: "cs" }, storage: { keepVolume: true, resources: { requests: { storage: "1Gi" } } } });
        await waitRunning(env.client, ns, "fg");
        await deleteKode("fg", ["--cascade=foreground"]);
        const c = await children(env.client, ns, "fg");
        expect([c.statefulSet, c.service, c.secret]).toEqual([undefined, undefined, undefined]);
        expect(c.pvc?.metadata.annotations?.["kode.jacero.io/retained-from"]).toBe(`${ns}/fg`);
      });

    it("the operator is still running and left nothing behind but the kept volumes and the user's objects", async () => {
      expect(env.operator.alive).toBe(true);
      expect((await env.client.list<Obj>(KODES, { namespace: ns })).items).toEqual([]);
      const left = async (ref: typeof STATEFULSETS) => (await env.client.list<Obj>(ref, { namespace: ns })).items.map((o) => o.metadata.name).sort();
      expect(await left(STATEFULSETS)).toEqual([]);
      expect(await left(SERVICES)).toEqual([]);
      expect(await left(SECRETS)).toEqual(["user-creds"]);
      expect(await left(PVCS)).toEqual((gc ? ["fg-home"] : []).concat(["keeper-home", "late-keeper-home", "user-home"]).sort());
      expect(await getKode(env.client, ns, "doomed")).toBeUndefined();
    });
  });
}
