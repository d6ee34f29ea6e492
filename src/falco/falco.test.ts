import { describe, expect, test } from "bun:test";
import { defaultRules, ruleProblems, templateRules, toFalcoYaml } from "./rules.ts";
import { falcoWebhook, parseFalcoAlert, type FalcoAlert } from "./webhook.ts";

// As Falcosidekick's webhook output posts a Falco alert (Falco's JSON output, unchanged).
const ALERT = {
  uuid: "8b1a5c4e-2f6e-4a63-9d50-5b8b8b1f2d11",
  output: "20:35:11.123456789: Critical Crypto miner started in a Kode (kode=alice-ws ns=team-a pod=alice-ws-0 proc=xmrig file=<NA>)",
  priority: "Critical",
  rule: "Kode crypto miner",
  time: "2026-12-01T20:35:11.123456789Z",
  source: "syscall",
  hostname: "node-1",
  tags: ["kode", "mitre_impact"],
  output_fields: {
    "evt.time": 1764621311123456789,
    "k8s.ns.name": "team-a",
    "k8s.pod.name": "alice-ws-0",
    "k8s.pod.label[kode.jacero.io/name]": "alice-ws",
    "proc.name": "xmrig",
    "fd.name": "<NA>",
  },
};

describe("Falco rules", () => {
  test("the defaults: the scope macro, the shell exception, three rules scoped to Kode pods", () => {
    const yaml = toFalcoYaml(defaultRules());
    expect(yaml.startsWith('- macro: "kode_pod"\n  condition: "k8s.pod.label[app.kubernetes.io/managed-by] = kode-operator"\n\n')).toBe(true);
    expect(yaml).toContain('- rule: "Terminal shell in container"\n  condition: "and not kode_pod"\n  override: {condition: "append"}\n');
    expect(yaml).toContain('- rule: "Kode crypto miner"');
    expect(yaml).toContain('  priority: "CRITICAL"');
    const rules = defaultRules().filter((e) => "rule" in e && "output" in e);
    expect(rules.map((r) => r.rule)).toEqual(["Kode crypto miner", "Kode write below system binaries", "Kode reads other service account tokens"]);
    for (const r of rules) expect(String(r.condition).startsWith("kode_pod and ")).toBe(true);
  });

  test("a template's rules are scoped to its Kodes and cannot break out of the YAML", () => {
    const entries = templateRules({ namespace: "team-a", template: "python" }, [
      { rule: 'no "curl"\n- rule: evil', condition: "proc.name = curl", output: "curl in %k8s.pod.name", priority: "WARNING" },
    ]);
    expect(entries).toEqual([
      {
        rule: 'no "curl"\n- rule: evil',
        desc: 'no "curl"\n- rule: evil',
        condition: "kode_pod and k8s.pod.label[kode.jacero.io/template] = python and k8s.ns.name = team-a and (proc.name = curl)",
        output: "curl in %k8s.pod.name",
        priority: "WARNING",
        tags: ["kode"],
      },
    ]);
    expect(toFalcoYaml(entries).split("\n")[0]).toBe('- rule: "no \\"curl\\"\\n- rule: evil"');
  });

  test("bad rules are named", () => {
    expect(
      ruleProblems([
        { rule: "a", condition: "", output: "x", priority: "WARNING" },
        { rule: "a", condition: "x", output: "x", priority: "LOUD" as never },
      ]),
    ).toEqual([
      'falco.rules[0] "a": condition is empty',
      'falco.rules[1]: rule "a" appears twice',
      'falco.rules[1] "a": priority "LOUD" is not one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG',
    ]);
  });
});

describe("the webhook", () => {
  const recorded: { kode: string; alert: FalcoAlert }[] = [];
  const handler = falcoWebhook({
    token: () => "s3cret-token",
    resolveKode: (a) => (a.namespace === "team-a" && a.pod === "alice-ws-0" ? "alice-ws" : undefined),
    record: async (k, alert) => {
      recorded.push({ kode: `${k.namespace}/${k.name}`, alert });
    },
  });
  const post = (body: unknown, token: string | null = "s3cret-token") =>
    handler(
      new Request("http://127.0.0.1/falco", {
        method: "POST",
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );

  test("an alert for a Kode's pod is recorded", async () => {
    recorded.length = 0;
    const res = await post(ALERT);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ recorded: "team-a/alice-ws", rule: "Kode crypto miner" });
    expect(recorded).toEqual([
      {
        kode: "team-a/alice-ws",
        alert: { rule: "Kode crypto miner", priority: "Critical", time: Date.parse("2026-12-01T20:35:11.123Z"), namespace: "team-a", pod: "alice-ws-0", kodeLabel: "alice-ws", source: "syscall", hostname: "node-1" },
      },
    ]);
  });

  test("unauthenticated, wrong token, malformed: refused, nothing recorded", async () => {
    recorded.length = 0;
    expect((await post(ALERT, null)).status).toBe(401);
    expect((await post(ALERT, "s3cret-tokeX")).status).toBe(401);
    expect((await post(ALERT, "short")).status).toBe(401);
    const notJson = await post("{not json");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: "the body is not JSON" });
    const noRule = await post({ ...ALERT, rule: undefined });
    expect(await noRule.json()).toEqual({ error: "a Falco alert needs rule, priority and time" });
    expect((await post({ ...ALERT, time: "yesterday" })).status).toBe(400);
    expect((await post("x".repeat(70_000))).status).toBe(413);
    expect(recorded).toEqual([]);
  });

  test("alerts for pods that are not Kodes are ignored", async () => {
    recorded.length = 0;
    const other = await post({ ...ALERT, output_fields: { ...ALERT.output_fields, "k8s.pod.name": "nginx-7d9c", "k8s.pod.label[kode.jacero.io/name]": "<NA>" } });
    expect(other.status).toBe(200);
    expect(await other.json()).toEqual({ ignored: "pod team-a/nginx-7d9c is not a Kode's" });
    const host = await post({ ...ALERT, output_fields: { "proc.name": "xmrig" } });
    expect(await host.json()).toEqual({ ignored: "not a Kubernetes pod (no k8s.ns.name/k8s.pod.name)" });
    expect(recorded).toEqual([]);
  });

  test("no token configured: every post is refused", async () => {
    const closed = falcoWebhook({ token: () => undefined, resolveKode: () => "x", record: async () => {} });
    const res = await closed(new Request("http://127.0.0.1/falco", { method: "POST", headers: { authorization: "Bearer " }, body: JSON.stringify(ALERT) }));
    expect(res.status).toBe(401);
  });

  test("parseFalcoAlert keeps what it needs only", () => {
    expect(parseFalcoAlert([])).toEqual({ ok: false, status: 400, error: "the body must be a Falco alert JSON object" });
  });
});
