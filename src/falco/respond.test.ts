import { describe, expect, test } from "bun:test";
import { alertCondition, carrySecurityAlert, isIsolated } from "./alerts.ts";
import { rulesData, templateKey } from "./configmap.ts";
import { falcoPodLabels, templateLabelValue } from "./labels.ts";
import { renderIsolationPolicy } from "./isolation.ts";
import { parseFalcoFlags } from "../operator/cli.ts";
import type { KodeTemplate } from "../api/types.ts";
import type { FalcoAlert } from "./webhook.ts";

const ALERT: FalcoAlert = { rule: "Kode crypto miner", priority: "Critical", time: Date.parse("2026-12-01T23:51:07.480Z"), namespace: "team-a", pod: "alice-ws-0", hostname: "worker-2" };
const T1 = "2026-12-01T23:51:08Z";
const T2 = "2026-12-01T23:59:00Z";

describe("the SecurityAlert condition", () => {
  test("a first alert: True, the response as reason, rule, priority, time and pod in the message", () => {
    expect(alertCondition(undefined, undefined, ALERT, "isolate", 3, T1)).toEqual({
      type: "SecurityAlert",
      status: "True",
      reason: "Isolated",
      message:
        'Falco rule "Kode crypto miner" (priority Critical) at 2026-12-01T23:51:07.480Z in pod alice-ws-0 on node worker-2; egress is denied (NetworkPolicy <kode>-isolate) until acknowledged; acknowledge with the annotation kode.jacero.io/security-ack=<time>',
      observedGeneration: 3,
      lastTransitionTime: T1,
    });
  });

  test("a later alert keeps an active isolation and its transition time, whatever the response now", () => {
    const first = alertCondition(undefined, undefined, ALERT, "isolate", 1, T1);
    const second = alertCondition([first], undefined, { ...ALERT, rule: "other" }, "record", 1, T2);
    expect(second.reason).toBe("Isolated");
    expect(second.lastTransitionTime).toBe(T1);
    expect(second.message).toStartWith('Falco rule "other"');
  });

  test("the ack annotation at or after the transition clears it (False, Acknowledged); earlier or invalid does not", () => {
    const c = alertCondition(undefined, undefined, ALERT, "isolate", 1, T1);
    const kode = (ack?: string) => ({ metadata: { annotations: (ack ? { "kode.jacero.io/security-ack": ack } : {}) as Record<string, string> }, status: { conditions: [c] } });
    expect(isIsolated(kode())).toBe(true);
    expect(isIsolated(kode("2026-12-01T23:51:07Z"))).toBe(true);
    expect(isIsolated(kode("yesterday"))).toBe(true);
    expect(isIsolated(kode(T1))).toBe(false);
    expect(carrySecurityAlert([c], { "kode.jacero.io/security-ack": "yesterday" }, T2)).toEqual(c);
    const acked = carrySecurityAlert([c], { "kode.jacero.io/security-ack": T2 }, T2)!;
    expect(acked).toMatchObject({ status: "False", reason: "Acknowledged", lastTransitionTime: T2 });
    // A new alert after the ack is a new transition.
    const again = alertCondition([acked], { "kode.jacero.io/security-ack": T2 }, ALERT, "record", 1, "2026-12-02T00:10:00Z");
    expect(again).toMatchObject({ status: "True", reason: "Recorded", lastTransitionTime: "2026-12-02T00:10:00Z" });
    expect(carrySecurityAlert(undefined, undefined, T2)).toBeUndefined();
  });

  test("the isolation policy exists only while isolated", () => {
    const c = alertCondition(undefined, undefined, ALERT, "isolate", 1, T1);
    const kode = { metadata: { name: "bob-ws", namespace: "team-a" }, spec: {}, status: { conditions: [c] } } as never;
    expect(renderIsolationPolicy(kode, { a: "b" }, { s: "t" })).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "bob-ws-isolate", namespace: "team-a", labels: { a: "b" } },
      spec: { podSelector: { matchLabels: { s: "t" } }, policyTypes: ["Egress"] },
    });
    const recorded = { metadata: { name: "bob-ws" }, spec: {}, status: { conditions: [alertCondition(undefined, undefined, ALERT, "record", 1, T1)] } } as never;
    expect(renderIsolationPolicy(recorded, {}, {})).toBeUndefined();
  });
});

describe("pod labels and the rules ConfigMap", () => {
  const tpl = (name: string, falco: unknown, kind: "KodeTemplate" | "KodeClusterTemplate" = "KodeTemplate", namespace?: string) =>
    ({ apiVersion: "kode.jacero.io/v1alpha1", kind, metadata: { name, ...(namespace && { namespace }) }, spec: { type: "code-server", image: "x", falco } }) as KodeTemplate;

  test("labels only for enabled templates; a long name is cut to a valid label value with a hash", () => {
    expect(falcoPodLabels({ kind: "KodeClusterTemplate", name: "python", spec: tpl("python", { enabled: true }).spec })).toEqual({ "kode.jacero.io/template": "python", "kode.jacero.io/template-kind": "KodeClusterTemplate" });
    expect(falcoPodLabels({ kind: "KodeTemplate", name: "python", spec: tpl("python", { enabled: false }).spec })).toEqual({});
    const long = `${"a".repeat(51)}.b${"c".repeat(40)}`;
    const v = templateLabelValue(long);
    expect(v.length).toBeLessThanOrEqual(63);
    expect(v).toMatch(/^a{51}-[0-9a-f]{10}$/);
    expect(templateLabelValue(long)).toBe(v);
    expect(templateLabelValue(`${long}x`)).not.toBe(v);
  });

  test("the data: defaults first, one key per enabled template with rules, bad rules left out and named", () => {
    const rule = { rule: "r", condition: "proc.name = x", output: "o", priority: "NOTICE" };
    const { data, skipped } = rulesData([
      tpl("a", { enabled: true, rules: [rule] }, "KodeClusterTemplate"),
      tpl("b", { enabled: false, rules: [rule] }, "KodeTemplate", "ns1"),
      tpl("c", { enabled: true }, "KodeTemplate", "ns1"),
      tpl("d", { enabled: true, rules: [{ ...rule, output: " " }] }, "KodeTemplate", "ns1"),
    ]);
    expect(Object.keys(data).sort()).toEqual(["00-kode-defaults.yaml", "10-KodeClusterTemplate.a.yaml"]);
    expect(data["10-KodeClusterTemplate.a.yaml"]).toContain('- rule: "KodeClusterTemplate/a: r"\n');
    expect(data["10-KodeClusterTemplate.a.yaml"]).not.toContain("k8s.ns.name");
    expect(skipped.map((s) => [s.template.metadata.name, s.problems])).toEqual([["d", ['falco.rules[0] "r": output is empty']]]);
    expect(templateKey(tpl("b", {}, "KodeTemplate", "ns1"))).toBe("10-KodeTemplate.ns1.b.yaml");
  });
});

describe("the --falco-* flags", () => {
  test("parsed, and bad values named", () => {
    expect(parseFalcoFlags({})).toBeUndefined();
    expect(parseFalcoFlags({ "falco-namespace": "falco", "falco-webhook-port": "2802", "falco-webhook-address": "127.0.0.1", "falco-token-secret": "kode-system/falco-webhook" })).toEqual({
      namespace: "falco",
      webhook: { port: 2802, address: "127.0.0.1" },
      tokenSecret: { namespace: "kode-system", name: "falco-webhook" },
    });
    expect(() => parseFalcoFlags({ "falco-webhook-port": "http" })).toThrow('--falco-webhook-port must be a port number (0-65535), got "http"');
    expect(() => parseFalcoFlags({ "falco-token-secret": "token" })).toThrow('--falco-token-secret must be NAMESPACE/NAME, got "token"');
    expect(() => parseFalcoFlags({ "falco-namespace": "Falco" })).toThrow("--falco-namespace must be a namespace name");
    expect(() => parseFalcoFlags({ "falco-webhook-address": "0.0.0.0" })).toThrow("--falco-webhook-address needs --falco-webhook-port");
  });
});
