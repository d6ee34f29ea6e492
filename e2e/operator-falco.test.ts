// Falco end to end: `kode operator` as a child process (the shipped RBAC, its --falco-* flags), real kubectl for the
// user's side, and the recorded Falcosidekick posts of src/falco/testdata sent to its webhook. An isolation survives
// a SIGKILL of the operator; the token never reaches the log.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIGMAPS, NETWORK_POLICIES, PODS } from "../src/kube/resources.ts";
import { findKubectlBinaries } from "./kubectl-harness.ts";
import { createNamespace, eventually, freePort, getKode, REPO_ROOT, startE2E, type E2E, type Obj } from "./operator-harness.ts";

const TOKEN = "e2e-falco-token-0b7e41d9c2";
const webhookPort = freePort();
const fixture = (name: string) => readFileSync(join(REPO_ROOT, "src", "falco", "testdata", name), "utf8");
const post = (body: string, token: string | null = TOKEN) =>
  fetch(`http://127.0.0.1:${webhookPort}/`, { method: "POST", headers: { "content-type": "application/json", ...(token !== null && { authorization: `Bearer ${token}` }) }, body });
const alertOf = (k: Obj | undefined) => k?.status?.conditions?.find((c: any) => c.type === "SecurityAlert");

const MANIFESTS = `apiVersion: kode.jacero.io/v1alpha1
kind: KodeTemplate
metadata: { name: falco-isolate, namespace: team-a }
spec:
  type: code-server
  image: linuxserver/code-server:latest
  falco: { enabled: true, response: isolate }
---
apiVersion: kode.jacero.io/v1alpha1
kind: Kode
metadata: { name: bob-ws, namespace: team-a }
spec:
  templateRef: { kind: KodeTemplate, name: falco-isolate }
  user: bob
  workspace: w
`;

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ startOperator: false });
  for (const ns of ["falco", "team-a"]) await createNamespace(e2e.client, ns);
  e2e.operator.opts.extraArgs = [
    "--falco-namespace=falco",
    `--falco-webhook-port=${webhookPort}`,
    "--falco-webhook-address=127.0.0.1",
    `--falco-token-secret=${e2e.operatorNamespace}/kode-falco-webhook-token`,
  ];
  await e2e.operator.startAndWait();
}, 120_000);
afterAll(async () => {
  await e2e?.stop();
});

describe.skipIf(!findKubectlBinaries().length)("Falco with the operator process", () => {
  test("before the token Secret exists every post is refused; afterwards a wrong one still is", async () => {
    expect((await post(fixture("write-below-binaries.json"))).status).toBe(401);
    const kubectl = e2e.kubectl!;
    const created = await kubectl.run(["-n", e2e.operatorNamespace, "create", "secret", "generic", "kode-falco-webhook-token", `--from-literal=token=${TOKEN}`]);
    expect(created.stdout).toBe("secret/kode-falco-webhook-token created\n");
    const applied = await kubectl.run(["apply", "-f", "-"], { stdin: MANIFESTS });
    expect(applied.stdout).toBe("kodetemplate.kode.jacero.io/falco-isolate created\nkode.kode.jacero.io/bob-ws created\n");
    await eventually("the token to be taken", async () => (await post("{}")).status === 400);
    expect((await post(fixture("write-below-binaries.json"), "not-the-token")).status).toBe(401);
  }, 60_000);

  test("the rules ConfigMap is in Falco's namespace", async () => {
    const cm = await eventually("kode-falco-rules", () => e2e.client.get<Obj>(CONFIGMAPS, "kode-falco-rules", "falco"));
    expect(Object.keys(cm.data!)).toEqual(["00-kode-defaults.yaml"]);
  });

  test("an alert isolates the Kode; the isolation survives SIGKILL; the ack lifts it", async () => {
    await eventually("bob-ws-0", () => e2e.client.get(PODS, "bob-ws-0", "team-a"));
    const res = await post(fixture("write-below-binaries.json"));
    expect([res.status, await res.json()]).toEqual([202, { recorded: "team-a/bob-ws", rule: "Kode write below system binaries" }]);
    const np = await eventually("bob-ws-isolate", () => e2e.client.get<Obj>(NETWORK_POLICIES, "bob-ws-isolate", "team-a"));
    expect(np.spec.policyTypes).toEqual(["Egress"]);
    expect(np.spec.egress).toBeUndefined();

    await e2e.operator.kill("SIGKILL");
    await e2e.operator.startAndWait();
    await eventually("the restarted operator's webhook", async () => (await post("{}").catch(() => undefined))?.status === 400);
    await eventually("the restarted operator to reconcile bob-ws", async () => (await e2e.operator.metric("kode_reconcile_total", { controller: "kode", result: "success" })) >= 1);
    // The status still records the isolation, so the restarted operator renders the policy as it was.
    expect(alertOf(await getKode(e2e.client, "team-a", "bob-ws"))).toMatchObject({ status: "True", reason: "Isolated" });
    expect((await e2e.client.get<Obj>(NETWORK_POLICIES, "bob-ws-isolate", "team-a"))?.metadata.uid).toBe(np.metadata.uid!);

    const acked = await e2e.kubectl!.run(["-n", "team-a", "annotate", "kode", "bob-ws", `kode.jacero.io/security-ack=${new Date(Date.now() + 1000).toISOString()}`]);
    expect(acked.stdout).toBe("kode.kode.jacero.io/bob-ws annotated\n");
    await eventually("bob-ws-isolate to go", async () => (await e2e.client.get(NETWORK_POLICIES, "bob-ws-isolate", "team-a")) === undefined);
    // The children are applied before the status is written, so the condition follows the policy's removal.
    await eventually("SecurityAlert acknowledged", async () => alertOf(await getKode(e2e.client, "team-a", "bob-ws"))?.status === "False");
    expect(alertOf(await getKode(e2e.client, "team-a", "bob-ws"))).toMatchObject({ status: "False", reason: "Acknowledged" });
  }, 90_000);

  test("the token is nowhere in the operator's log", () => {
    expect(e2e.operator.logs().length).toBeGreaterThan(0);
    expect(e2e.operator.logs().filter((l) => l.includes(TOKEN))).toEqual([]);
    expect(e2e.operator.logs().some((l) => l.includes("falco webhook listening"))).toBe(true);
  });
});
