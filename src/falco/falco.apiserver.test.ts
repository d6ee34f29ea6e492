// Falco against the embedded API server: the sandbox (RBAC enforced, the operator as the shipped ServiceAccount)
// with the rules ConfigMap in namespace "falco" and the webhook on 127.0.0.1, fed the recorded Falcosidekick
// payloads of testdata/. Record, isolate (kept across an operator restart, lifted by the ack annotation), pause,
// refused posts, alerts for pods that are not Kodes, the rules ConfigMap written once and a user's one left alone.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KODE_TEMPLATES, KODES } from "../api/resources.ts";
import { CONFIGMAPS, EVENTS, NAMESPACES, NETWORK_POLICIES, PODS, SECRETS, STATEFULSETS } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import { startOperator, type RunningOperator } from "../operator/operator.ts";
import { startSandbox, type Sandbox } from "../operator/sandbox.ts";
import { Registry } from "../kube/metrics.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dir, "testdata", name), "utf8");
const TOKEN = "falco-sidekick-test-token-5d2c9a";
const FALCO = { namespace: "falco", webhook: { port: 0 }, tokenSecret: { namespace: "kode-system", name: "falco-webhook" } };

type Obj = KubeObject & { spec?: any; status?: any; data?: Record<string, string> };
let sandbox: Sandbox;
let dir: string;
let restarted: RunningOperator | undefined;
let webhook = "";

async function until<T>(what: string, check: () => Promise<T | undefined | false | null>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await Bun.sleep(50);
  }
}

const post = (body: string, token: string | null = TOKEN) =>
  fetch(webhook, { method: "POST", headers: { "content-type": "application/json", ...(token !== null && { authorization: `Bearer ${token}` }) }, body });

const template = (name: string, namespace: string, falco: unknown) => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "KodeTemplate",
  metadata: { name, namespace },
  spec: { type: "code-server", image: "linuxserver/code-server:latest", falco },
});
const kode = (name: string, namespace: string, templateName: string) => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "Kode",
  metadata: { name, namespace },
  spec: { templateRef: { kind: "KodeTemplate", name: templateName }, user: "dev", workspace: "w" },
});
const getKode = (ns: string, name: string) => sandbox.client.get<Obj>(KODES, name, ns);
const alertOf = (k: Obj | undefined) => k?.status?.conditions?.find((c: any) => c.type === "SecurityAlert");
const eventsOf = async (ns: string, name: string, reason: string) =>
  ((await sandbox.client.list<Obj & { reason?: string; message?: string; type?: string; involvedObject?: any }>(EVENTS, { namespace: ns })).items as any[]).filter(
    (e) => e.involvedObject?.name === name && e.reason === reason,
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kode-falco-test-"));
  sandbox = await startSandbox({ kubeconfigPath: join(dir, "kubeconfig"), kubeletDelayMs: 20, operator: { falco: FALCO } });
  webhook = sandbox.operator.falcoWebhookUrl!;
  for (const ns of ["team-a", "team-b"]) await sandbox.client.create(NAMESPACES, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await sandbox.client.create(SECRETS, { apiVersion: "v1", kind: "Secret", metadata: { name: "falco-webhook", namespace: "kode-system" }, data: { token: Buffer.from(`${TOKEN}\n`).toString("base64") } } as KubeObject);
  const rule = { rule: "no curl", condition: "spawned_process and proc.name = curl", output: "curl run in %k8s.pod.name", priority: "WARNING" };
  await sandbox.client.create(KODE_TEMPLATES, template("falco-record", "team-a", { enabled: true }) as KubeObject);
  await sandbox.client.create(KODE_TEMPLATES, template("falco-isolate", "team-a", { enabled: true, response: "isolate", rules: [rule] }) as KubeObject);
  await sandbox.client.create(KODE_TEMPLATES, template("falco-pause", "team-b", { enabled: true, response: "pause" }) as KubeObject);
  await sandbox.client.create(KODE_TEMPLATES, template("no-falco", "team-a", { enabled: false, response: "isolate" }) as KubeObject);
  for (const [name, ns, t] of [["alice-ws", "team-a", "falco-record"], ["bob-ws", "team-a", "falco-isolate"], ["carol-ws", "team-b", "falco-pause"], ["dave-ws", "team-a", "no-falco"]])
    await sandbox.client.create(KODES, kode(name, ns, t) as KubeObject);
  for (const [ns, name] of [["team-a", "alice-ws-0"], ["team-a", "bob-ws-0"], ["team-b", "carol-ws-0"], ["team-a", "dave-ws-0"]]) await until(`pod ${ns}/${name}`, () => sandbox.client.get(PODS, name, ns));
}, 60_000);

afterAll(async () => {
  await restarted?.stop();
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the template's falco section", () => {
  test("an unknown response is refused with 422 and the allowed values", async () => {
    const res = await sandbox.client.request("POST", "/apis/kode.jacero.io/v1alpha1/namespaces/team-a/kodetemplates", template("bad-response", "team-a", { enabled: true, response: "kill" }));
    expect(res.status).toBe(422);
    const body = (await res.json()) as { message: string };
    expect(body.message).toContain('spec.falco.response: Unsupported value: "kill": supported values: "record", "isolate", "pause"');
  });

  test("pods of Falco-enabled templates carry the template labels the rules select; others do not", async () => {
    const labels = async (name: string, ns: string) => ((await sandbox.client.get<Obj>(STATEFULSETS, name, ns))?.spec.template.metadata.labels ?? {}) as Record<string, string>;
    const bob = await until("bob-ws's StatefulSet", () => labels("bob-ws", "team-a").then((l) => (l["kode.jacero.io/name"] ? l : undefined)));
    expect(bob["kode.jacero.io/template"]).toBe("falco-isolate");
    expect(bob["kode.jacero.io/template-kind"]).toBe("KodeTemplate");
    expect(bob["app.kubernetes.io/managed-by"]).toBe("kode-operator");
    const pod = await sandbox.client.get<Obj>(PODS, "bob-ws-0", "team-a");
    expect(pod?.metadata.labels?.["kode.jacero.io/template"]).toBe("falco-isolate");
    const dave = await until("dave-ws's StatefulSet", () => labels("dave-ws", "team-a").then((l) => (l["kode.jacero.io/name"] ? l : undefined)));
    expect(dave["kode.jacero.io/template"]).toBeUndefined();
  });
});

describe("the rules ConfigMap", () => {
  test("kode-falco-rules in Falco's namespace: the defaults and the enabled templates' rules, scoped", async () => {
    const cm = await until("the rules with bob's template", async () => {
      const c = await sandbox.client.get<Obj>(CONFIGMAPS, "kode-falco-rules", "falco");
      return c?.data?.["10-KodeTemplate.team-a.falco-isolate.yaml"] ? c : undefined;
    });
    expect(Object.keys(cm.data!).sort()).toEqual(["00-kode-defaults.yaml", "10-KodeTemplate.team-a.falco-isolate.yaml"]);
    expect(cm.metadata.labels).toMatchObject({ "app.kubernetes.io/managed-by": "kode-operator", "app.kubernetes.io/component": "falco-rules" });
    expect(cm.data!["00-kode-defaults.yaml"]).toStartWith('- macro: "kode_pod"\n  condition: "k8s.pod.label[app.kubernetes.io/managed-by] = kode-operator"\n');
    expect(cm.data!["10-KodeTemplate.team-a.falco-isolate.yaml"]).toBe(
      [
        '- rule: "KodeTemplate/team-a/falco-isolate: no curl"',
        '  desc: "no curl"',
        '  condition: "kode_pod and k8s.pod.label[kode.jacero.io/template] = falco-isolate and k8s.pod.label[kode.jacero.io/template-kind] = KodeTemplate and k8s.ns.name = team-a and (spawned_process and proc.name = curl)"',
        '  output: "curl run in %k8s.pod.name"',
        '  priority: "WARNING"',
        '  tags: ["kode"]',
        "",
      ].join("\n"),
    );
  });

  test("a template change that leaves the rules as they are writes nothing to the ConfigMap", async () => {
    const before = (await sandbox.client.get<Obj>(CONFIGMAPS, "kode-falco-rules", "falco"))!;
    sandbox.server.hooks.resetCounters();
    await sandbox.client.mergePatch(KODE_TEMPLATES, "falco-record", { spec: { tz: "Europe/Stockholm" } }, { namespace: "team-a" });
    // The Kode's StatefulSet follows the template: the operator has handled the template change by then.
    await until("alice-ws's pod TZ", async () => {
      const sts = await sandbox.client.get<Obj>(STATEFULSETS, "alice-ws", "team-a");
      return sts?.spec.template.spec.containers[0].env.some((e: any) => e.name === "TZ" && e.value === "Europe/Stockholm");
    });
    expect(sandbox.server.hooks.requests({ userAgent: "kode-operator/", resource: "configmaps", writesOnly: true })).toEqual([]);
    expect((await sandbox.client.get<Obj>(CONFIGMAPS, "kode-falco-rules", "falco"))!.metadata.resourceVersion).toBe(before.metadata.resourceVersion!);
  });
});

describe("the webhook", () => {
  test("unauthenticated or malformed posts: 401 and 400, nothing changes", async () => {
    expect((await post(fixture("crypto-miner.json"), null)).status).toBe(401);
    expect((await post(fixture("crypto-miner.json"), "wrong-token")).status).toBe(401);
    const bad = await post("{\"rule\": ");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "the body is not JSON" });
    const noTime = await post(JSON.stringify({ ...JSON.parse(fixture("crypto-miner.json")), time: undefined }));
    expect(noTime.status).toBe(400);
    expect(alertOf(await getKode("team-a", "alice-ws"))).toBeUndefined();
    expect(await eventsOf("team-a", "alice-ws", "SecurityAlert")).toEqual([]);
  });

  test("alerts for pods that are not Kodes, host events and Kodes without Falco: 200, ignored", async () => {
    // The Kodes settle first (their pods start, statuses follow), so any write below would be the webhook's.
    await until("the operator to be quiet", async () => {
      sandbox.server.hooks.resetCounters();
      await Bun.sleep(500);
      return sandbox.server.hooks.writes("kode-operator/") === 0;
    });
    const other = await post(fixture("not-a-kode.json"));
    expect(other.status).toBe(200);
    expect(await other.json()).toEqual({ ignored: "pod team-a/nginx-7d9c4b5f6-x2x8q is not a Kode's" });
    const host = await post(fixture("host-event.json"));
    expect(await host.json()).toEqual({ ignored: "not a Kubernetes pod (no k8s.ns.name/k8s.pod.name)" });
    const dave = JSON.parse(fixture("crypto-miner.json"));
    dave.output_fields["k8s.pod.name"] = "dave-ws-0";
    const disabled = await post(JSON.stringify(dave));
    expect(await disabled.json()).toEqual({ ignored: "Falco is not enabled in the template of Kode team-a/dave-ws" });
    expect(sandbox.server.hooks.writes("kode-operator/")).toBe(0);
  });

  test("record: a Warning Event and the SecurityAlert condition with rule, priority and time", async () => {
    const res = await post(fixture("crypto-miner.json"));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ recorded: "team-a/alice-ws", rule: "Kode crypto miner" });
    const k = await until("alice-ws's SecurityAlert", () => getKode("team-a", "alice-ws").then((k) => (alertOf(k) ? k : undefined)));
    expect(alertOf(k)).toMatchObject({
      status: "True",
      reason: "Recorded",
      message: 'Falco rule "Kode crypto miner" (priority Critical) at 2026-12-01T23:51:07.480Z in pod alice-ws-0 on node worker-2; acknowledge with the annotation kode.jacero.io/security-ack=<time>',
    });
    const events = await until("the Warning Event", () => eventsOf("team-a", "alice-ws", "SecurityAlert").then((e) => (e.length ? e : undefined)));
    expect(events[0].type).toBe("Warning");
    expect(events[0].message).toBe('Falco rule "Kode crypto miner" (priority Critical) fired at 2026-12-01T23:51:07.480Z in pod alice-ws-0 on node worker-2; response: record');
    // Falco's output line (it may carry a command line) is stored nowhere.
    expect(JSON.stringify(k)).not.toContain("stratum");
    // The reconciler's own status writes keep the condition.
    await sandbox.client.mergePatch(KODES, "alice-ws", { metadata: { labels: { touched: "yes" } } }, { namespace: "team-a" });
    await Bun.sleep(300);
    expect(alertOf(await getKode("team-a", "alice-ws"))?.status).toBe("True");
    expect(await sandbox.client.get(NETWORK_POLICIES, "alice-ws-isolate", "team-a")).toBeUndefined();
  });

  test("isolate: a deny-egress NetworkPolicy <kode>-isolate, kept across an operator restart, lifted by the ack", async () => {
    expect((await post(fixture("write-below-binaries.json"))).status).toBe(202);
    const np = await until("bob-ws-isolate", () => sandbox.client.get<Obj>(NETWORK_POLICIES, "bob-ws-isolate", "team-a"));
    expect(np.spec).toEqual({ podSelector: { matchLabels: { "app.kubernetes.io/instance": "bob-ws", "kode.jacero.io/name": "bob-ws" } }, policyTypes: ["Egress"] });
    expect(np.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Kode", name: "bob-ws", controller: true });
    const k = await until("the Isolated condition", () => getKode("team-a", "bob-ws").then((k) => (alertOf(k)?.reason === "Isolated" ? k : undefined)));
    expect(alertOf(k)).toMatchObject({ status: "True", reason: "Isolated" });
    expect(alertOf(k).message).toContain('Falco rule "Kode write below system binaries" (priority Error) at 2026-12-01T23:52:40.002Z in pod bob-ws-0');

    // A new operator process (the same ServiceAccount) finds the isolation in the status and keeps the policy.
    await sandbox.operator.stop();
    sandbox.server.hooks.resetCounters();
    const metrics = new Registry();
    restarted = startOperator({ client: sandbox.operatorClient, metrics, routes: { ingress: true, gateway: true }, falco: { ...FALCO, webhook: { port: 0, address: "127.0.0.1" } } });
    await restarted.ready;
    webhook = restarted.falcoWebhookUrl!;
    // Every Kode is reconciled once the caches synced (four of them, bob-ws among them).
    const reconciled = metrics.counter("kode_reconcile_total", "Reconciles by controller and result.", ["controller", "result"]);
    await until("the restarted operator's first reconciles", async () => reconciled.get({ controller: "kode", result: "success" }) >= 4);
    const kept = await sandbox.client.get<Obj>(NETWORK_POLICIES, "bob-ws-isolate", "team-a");
    expect(kept?.metadata.uid).toBe(np.metadata.uid!);
    expect(sandbox.server.hooks.requests({ userAgent: "kode-operator/", resource: "networkpolicies", verb: "delete" })).toEqual([]);

    // Acknowledged: the condition turns False and the policy goes.
    const ack = new Date(Date.now() + 1000).toISOString();
    await sandbox.client.mergePatch(KODES, "bob-ws", { metadata: { annotations: { "kode.jacero.io/security-ack": ack } } }, { namespace: "team-a" });
    await until("bob-ws-isolate to go", async () => (await sandbox.client.get(NETWORK_POLICIES, "bob-ws-isolate", "team-a")) === undefined);
    // The status is written after the children, so the condition may trail the policy's deletion by one write.
    const acked = await until("the condition to turn", () => getKode("team-a", "bob-ws").then((k) => (alertOf(k)?.status === "False" ? alertOf(k) : undefined)));
    expect(acked).toMatchObject({ status: "False", reason: "Acknowledged" });
    expect(acked.message).toStartWith(`acknowledged (kode.jacero.io/security-ack=${ack}); the last alert: Falco rule "Kode write below system binaries"`);
    // The Kode itself and its home were never touched.
    expect(await sandbox.client.get(STATEFULSETS, "bob-ws", "team-a")).toBeDefined();
  });

  test("pause: the Kode is paused by falco for a security reason", async () => {
    expect((await post(fixture("service-account-token.json"))).status).toBe(202);
    const k = await until("carol-ws paused", () => getKode("team-b", "carol-ws").then((k) => (k?.metadata.annotations?.["kode.jacero.io/paused-by"] && alertOf(k)?.reason === "Paused" ? k : undefined)));
    expect(k.metadata.annotations).toMatchObject({ "kode.jacero.io/paused-by": "falco", "kode.jacero.io/pause-reason": "security" });
    expect(k.spec.paused).toBe(true);
    expect(alertOf(k)).toMatchObject({ status: "True", reason: "Paused" });
    expect(alertOf(k).message).toContain('Falco rule "Kode reads other service account tokens" (priority Critical) at 2026-12-01T23:54:02.771Z in pod carol-ws-0 on node worker-3; the Kode is paused');
    // The lifecycle's pause: the StatefulSet goes to zero, nothing is deleted.
    const sts = await until("carol-ws scaled to 0", () => sandbox.client.get<Obj>(STATEFULSETS, "carol-ws", "team-b").then((s) => (s?.spec.replicas === 0 ? s : undefined)));
    expect(sts.metadata.name).toBe("carol-ws");
    const paused = await until("carol-ws Paused", () => getKode("team-b", "carol-ws").then((k) => (k?.status?.phase === "Paused" ? k : undefined)));
    expect(paused.status.conditions.find((c: any) => c.type === "Paused")).toMatchObject({ status: "True" });
    expect(alertOf(paused)?.status).toBe("True");
  });
});

describe("a ConfigMap kode-falco-rules that is not the operator's", () => {
  test("is left alone and the conflict reported; once it goes, the operator's comes back", async () => {
    // Somebody takes the name over: without the operator's labels it is theirs.
    await sandbox.client.mergePatch(
      CONFIGMAPS,
      "kode-falco-rules",
      { metadata: { labels: { "app.kubernetes.io/managed-by": null, "app.kubernetes.io/component": null } }, data: { "mine.yaml": "- list: mine\n  items: []\n", "00-kode-defaults.yaml": null, "10-KodeTemplate.team-a.falco-isolate.yaml": null } },
      { namespace: "falco" },
    );
    await sandbox.client.mergePatch(KODE_TEMPLATES, "falco-record", { spec: { falco: { rules: [{ rule: "no wget", condition: "proc.name = wget", output: "wget", priority: "NOTICE" }] } } }, { namespace: "team-a" });
    const events = await until("the conflict Event", () => eventsOf("falco", "kode-falco-rules", "FalcoRulesConflict").then((e) => (e.length ? e : undefined)));
    expect(events[0].type).toBe("Warning");
    expect(events[0].message).toContain("ConfigMap falco/kode-falco-rules exists and is not the operator's");
    const mine = await sandbox.client.get<Obj>(CONFIGMAPS, "kode-falco-rules", "falco");
    expect(mine?.data).toEqual({ "mine.yaml": "- list: mine\n  items: []\n" });
    await sandbox.client.delete(CONFIGMAPS, "kode-falco-rules", { namespace: "falco" });
    const back = await until("the operator's rules again", () => sandbox.client.get<Obj>(CONFIGMAPS, "kode-falco-rules", "falco").then((c) => (c?.data?.["00-kode-defaults.yaml"] ? c : undefined)));
    expect(back.metadata.labels?.["app.kubernetes.io/component"]).toBe("falco-rules");
  });
});
