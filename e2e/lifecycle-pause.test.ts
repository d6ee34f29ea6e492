// Pause and resume in the sandbox (embedded API server with its kubelet simulation, the operator in process with
// the shipped RBAC): pauseKode scales the StatefulSet to 0 and keeps the PVC, Secrets, Service, NetworkPolicy and
// route; phase Paused with the Paused condition naming who and why; resume brings the pod back through Resuming to
// Running at the same URL. A Kode being deleted is not paused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KODE_TEMPLATES, KODES } from "../src/api/resources.ts";
import { HTTPROUTES, INGRESSES } from "../src/access/routes.ts";
import { pauseKode } from "../src/lifecycle/pause.ts";
import { EVENTS, NETWORK_POLICIES, PODS, PVCS, SECRETS, SERVICES, STATEFULSETS } from "../src/kube/resources.ts";
import { startSandbox, type Sandbox } from "../src/operator/sandbox.ts";
import { eventually } from "./operator-harness.ts";

let sandbox: Sandbox;
let dir: string;

const until = <T>(what: string, check: () => Promise<T | undefined | false>, ms = 20_000) => eventually(what, check, ms, 50) as Promise<T>;
const kode = (name: string) => sandbox.client.get<any>(KODES, name, "default");
const phaseIs = (name: string, phase: string) => until(`${name} ${phase}`, async () => ((await kode(name))?.status?.phase === phase ? (await kode(name)) : undefined));
const isolatedKode = (name: string) => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "Kode",
  metadata: { name, namespace: "default" },
  spec: { templateRef: { kind: "KodeTemplate", name: "lifecycle-tpl" }, user: "dev", storage: { resources: { requests: { storage: "1Gi" } } } },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kode-lifecycle-pause-"));
  sandbox = await startSandbox({ kubeconfigPath: join(dir, "kubeconfig"), kubeletDelayMs: 20 });
  await sandbox.client.create(KODE_TEMPLATES, {
    apiVersion: "kode.jacero.io/v1alpha1",
    kind: "KodeTemplate",
    metadata: { name: "lifecycle-tpl", namespace: "default" },
    spec: {
      type: "code-server",
      image: "linuxserver/code-server:latest",
      access: { host: "{kode}.dev.example.com" },
      networkPolicy: { ingressFrom: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }] },
    },
  });
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("pause and resume", () => {
  test("pause keeps every child but the pod; resume returns at the same URL", async () => {
    await sandbox.client.create(KODES, isolatedKode("p1"));
    const running = await phaseIs("p1", "Running");
    const url = running.status.url;
    expect(url).toBe("http://p1.dev.example.com/");
    const children = async () => ({
      pvc: !!(await sandbox.client.get(PVCS, "p1-home", "default")),
      secret: !!(await sandbox.client.get(SECRETS, "p1-auth", "default")),
      service: !!(await sandbox.client.get(SERVICES, "p1", "default")),
      networkPolicy: !!(await sandbox.client.get(NETWORK_POLICIES, "p1", "default")),
      ingress: !!(await sandbox.client.get(INGRESSES, "p1", "default")),
    });
    const all = { pvc: true, secret: true, service: true, networkPolicy: true, ingress: true };
    expect(await children()).toEqual(all);
    const uids = { pvc: (await sandbox.client.get<any>(PVCS, "p1-home", "default")).metadata.uid, secret: (await sandbox.client.get<any>(SECRETS, "p1-auth", "default")).metadata.uid };

    const outcome = await pauseKode(sandbox.operatorClient, "default", "p1", { by: "operator", reason: "idle" });
    expect(outcome).toMatchObject({ paused: true, alreadyPaused: false });
    const paused = await until("the pod gone and phase Paused", async () => {
      const k = await kode("p1");
      return k?.status?.phase === "Paused" && !(await sandbox.client.get(PODS, "p1-0", "default")) && k?.status?.conditions?.find((c: any) => c.type === "Progressing")?.reason === "Paused" ? k : undefined;
    });
    expect(paused.metadata.annotations).toMatchObject({ "kode.jacero.io/paused-by": "operator", "kode.jacero.io/pause-reason": "idle" });
    expect(paused.status.conditions.find((c: any) => c.type === "Paused")).toMatchObject({ status: "True", reason: "Idle", message: "paused by operator: idle" });
    expect(paused.status.url).toBe(url);
    expect((await sandbox.client.get<any>(STATEFULSETS, "p1", "default")).spec.replicas).toBe(0);
    expect(await children()).toEqual(all);
    expect((await sandbox.client.get<any>(PVCS, "p1-home", "default")).metadata.uid).toBe(uids.pvc);
    expect((await sandbox.client.get<any>(SECRETS, "p1-auth", "default")).metadata.uid).toBe(uids.secret);
    // Pausing again changes nothing and keeps who paused it first.
    expect(await pauseKode(sandbox.operatorClient, "default", "p1", { by: "falco", reason: "security" })).toMatchObject({ paused: true, alreadyPaused: true });
    expect((await kode("p1")).metadata.annotations["kode.jacero.io/paused-by"]).toBe("operator");
    expect(sandbox.operator.metrics.expose()).toContain('kode_pauses_total{reason="idle"} 1');

    await sandbox.client.mergePatch(KODES, "p1", { spec: { paused: false } }, { namespace: "default" });
    const back = await phaseIs("p1", "Running");
    expect(back.status.url).toBe(url);
    expect(back.status.conditions.find((c: any) => c.type === "Paused")).toMatchObject({ status: "False", reason: "Resumed" });
    expect((await sandbox.client.get<any>(STATEFULSETS, "p1", "default")).spec.replicas).toBe(1);
    expect((await sandbox.client.get<any>(PVCS, "p1-home", "default")).metadata.uid).toBe(uids.pvc);
    const events = ((await sandbox.client.list<any>(EVENTS, { namespace: "default" })).items as any[]).filter((e) => e.involvedObject.name === "p1").map((e) => e.reason);
    expect(events).toContain("Paused");
    expect(events).toContain("Running");
    // The phases on the way back: Resuming was written (the Event of its transition).
    expect(events).toContain("Resuming");
  });

  test("a Kode being deleted is not paused: the helper says why and writes nothing", async () => {
    await sandbox.client.create(KODES, { ...isolatedKode("p2"), metadata: { name: "p2", namespace: "default", finalizers: ["example.com/hold"] } });
    await phaseIs("p2", "Running");
    await sandbox.client.delete(KODES, "p2", { namespace: "default" });
    const deleting = await until("p2 being deleted", async () => ((await kode("p2"))?.metadata?.deletionTimestamp ? await kode("p2") : undefined));
    const outcome = await pauseKode(sandbox.operatorClient, "default", "p2", { by: "falco", reason: "security" });
    expect(outcome).toEqual({ paused: false, reason: "BeingDeleted", message: "Kode default/p2 is being deleted; it is not paused (its workload is removed by the deletion, kept volumes stay)" });
    const after = await kode("p2");
    expect(after.spec.paused).toBeUndefined();
    expect(after.metadata.annotations?.["kode.jacero.io/paused-by"]).toBeUndefined();
    expect(after.metadata.deletionTimestamp).toBe(deleting.metadata.deletionTimestamp);
    await sandbox.client.mergePatch(KODES, "p2", { metadata: { finalizers: null } }, { namespace: "default" });
  });

  test("a missing Kode: NotFound", async () => {
    expect(await pauseKode(sandbox.operatorClient, "default", "nobody", { by: "user", reason: "user" })).toMatchObject({ paused: false, reason: "NotFound" });
  });
});
