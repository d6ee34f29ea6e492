// Pause and resume in the derived status: phase Paused (Ready=False Paused, condition Paused with who and why),
// Resuming until the pod is Ready again, then Running at the same URL; LifecycleValid for refused values.
import { describe, expect, test } from "bun:test";
import type { Kode, KodeStatus } from "../api/types.ts";
import { deriveStatus, type ObservedStatefulSet, type StatusInput, transitions } from "./status.ts";

const T0 = "2025-01-01T00:00:00Z";
const T1 = "2025-01-01T00:01:00Z";

const kode = (o: { paused?: boolean; annotations?: Record<string, string>; status?: KodeStatus } = {}): Kode => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "Kode",
  metadata: { name: "alice", namespace: "dev", uid: "u", generation: 2, ...(o.annotations && { annotations: o.annotations }) },
  spec: { templateRef: { name: "tpl" }, ...(o.paused !== undefined && { paused: o.paused }) },
  ...(o.status && { status: o.status }),
});
const sts = (replicas: number, ready: number): ObservedStatefulSet => ({
  metadata: { name: "alice", generation: 2 },
  spec: { replicas },
  status: { replicas: ready, readyReplicas: ready, observedGeneration: 2, updateRevision: "r", currentRevision: "r" },
});
const input = (k: Kode, s: ObservedStatefulSet, now = T0, over: Partial<StatusInput> = {}): StatusInput => ({
  kode: k,
  generation: 2,
  template: { kind: "KodeTemplate", name: "tpl", namespace: "dev" },
  type: "jupyter",
  problems: [],
  deleting: false,
  now,
  statefulSet: s,
  serviceUrl: "http://alice.dev.svc.cluster.local",
  routeUrl: "https://alice.dev.example.com/",
  ...over,
});
const cond = (s: KodeStatus, type: string) => s.conditions?.find((c) => c.type === type);
const ACTIVITY = { verdict: "Idle" as const, reason: "idle: no notebook activity, no kernels", signal: "jupyter", idleSince: "2025-01-01T00:00:00Z" };

describe("pause and resume", () => {
  test("a paused Kode: phase Paused, who and why in Ready and in the Paused condition, URL unchanged, no activity", () => {
    const running = deriveStatus(input(kode(), sts(1, 1), T0, { activity: ACTIVITY }));
    expect(running.phase).toBe("Running");
    expect(running.activity).toEqual(ACTIVITY);
    expect(cond(running, "Paused")).toBeUndefined();

    const k = kode({ paused: true, annotations: { "kode.jacero.io/paused-by": "operator", "kode.jacero.io/pause-reason": "idle" }, status: running });
    const scaling = deriveStatus(input(k, sts(0, 1), T1, { activity: ACTIVITY }));
    expect(scaling.phase).toBe("Paused");
    expect(cond(scaling, "Progressing")).toMatchObject({ status: "True", reason: "Pausing" });
    const paused = deriveStatus(input({ ...k, status: scaling }, sts(0, 0), T1, { activity: ACTIVITY }));
    expect(paused.phase).toBe("Paused");
    expect(paused.url).toBe("https://alice.dev.example.com/");
    expect(paused.activity).toBeUndefined();
    expect(cond(paused, "Ready")).toMatchObject({ status: "False", reason: "Paused" });
    expect(cond(paused, "Ready")!.message).toContain("paused by operator (idle)");
    expect(cond(paused, "Paused")).toMatchObject({ status: "True", reason: "Idle", message: "paused by operator: idle", lastTransitionTime: T1 });
    expect(cond(paused, "ResourcesReady")).toMatchObject({ status: "False", reason: "Paused" });
    expect(cond(paused, "Progressing")).toMatchObject({ status: "False", reason: "Paused" });
    expect(transitions(running, scaling)).toEqual([{ type: "Normal", reason: "Paused", message: expect.stringContaining("Running -> Paused") }]);
  });

  test("the reason of the Paused condition is the annotation in PascalCase; a user's pause without annotations says user", () => {
    const byFalco = deriveStatus(input(kode({ paused: true, annotations: { "kode.jacero.io/paused-by": "falco", "kode.jacero.io/pause-reason": "max-run-time" } }), sts(0, 0)));
    expect(cond(byFalco, "Paused")).toMatchObject({ reason: "MaxRunTime", message: "paused by falco: max-run-time" });
    const byUser = deriveStatus(input(kode({ paused: true }), sts(0, 0)));
    expect(cond(byUser, "Paused")).toMatchObject({ status: "True", reason: "User", message: "paused by user" });
  });

  test("resume: Resuming until Ready, then Running; Paused stays as False Resumed", () => {
    const paused = deriveStatus(input(kode({ paused: true }), sts(0, 0)));
    const resuming = deriveStatus(input(kode({ paused: false, status: paused }), sts(1, 0), T1));
    expect(resuming.phase).toBe("Resuming");
    expect(cond(resuming, "Ready")).toMatchObject({ status: "False", reason: "Resuming" });
    expect(cond(resuming, "Paused")).toMatchObject({ status: "False", reason: "Resumed", lastTransitionTime: T1 });
    const still = deriveStatus(input(kode({ status: resuming }), sts(1, 0), T1));
    expect(still.phase).toBe("Resuming");
    const running = deriveStatus(input(kode({ status: still }), sts(1, 1), T1));
    expect(running.phase).toBe("Running");
    expect(running.url).toBe("https://alice.dev.example.com/");
    expect(cond(running, "Paused")).toMatchObject({ status: "False", reason: "Resumed" });
    expect(transitions(paused, resuming).map((e) => e.reason)).toEqual(["Resuming"]);
    expect(transitions(still, running).map((e) => e.reason)).toEqual(["Running"]);
  });

  test("bad input wins over a pause (Failed, nothing rendered); deletion wins over both", () => {
    const failed = deriveStatus(input(kode({ paused: true }), sts(1, 1), T0, { problems: [{ reason: "InvalidHome", message: "bad home" }] }));
    expect(failed.phase).toBe("Failed");
    const deleting = deriveStatus(input(kode({ paused: true }), sts(1, 1), T0, { deleting: true }));
    expect(deleting.phase).toBe("Deleting");
  });

  test("startup timings are kept while no pod is seen (paused)", () => {
    const startup = { startedAt: "2025-01-01T00:00:00Z", readyAt: "2025-01-01T00:00:12Z", seconds: 12 };
    const running = deriveStatus(input(kode(), sts(1, 1), T0, { startup }));
    expect(running.startup).toEqual(startup);
    const paused = deriveStatus(input(kode({ paused: true, status: running }), sts(0, 0), T1));
    expect(paused.startup).toEqual(startup);
  });
});

describe("LifecycleValid", () => {
  test("a refused value: False with the reason and a Warning Event once; True after the fix", () => {
    const problem = { reason: "LifecycleLongerThanTemplate", message: "spec.lifecycle.idleTimeout 2h is longer than the template's 30m; a Kode may only shorten it" };
    const bad = deriveStatus(input(kode(), sts(1, 1), T0, { lifecycleProblems: [problem] }));
    expect(bad.phase).toBe("Running");
    expect(cond(bad, "LifecycleValid")).toMatchObject({ status: "False", reason: "LifecycleLongerThanTemplate" });
    expect(cond(bad, "LifecycleValid")!.message).toBe("spec.lifecycle.idleTimeout 2h is longer than the template's 30m; a Kode may only shorten it (the template's values apply)");
    expect(transitions(undefined, bad).filter((e) => e.type === "Warning").map((e) => e.reason)).toEqual(["LifecycleLongerThanTemplate"]);
    const again = deriveStatus(input(kode({ status: bad }), sts(1, 1), T1, { lifecycleProblems: [problem] }));
    expect(transitions(bad, again)).toEqual([]);
    const fixed = deriveStatus(input(kode({ status: again }), sts(1, 1), T1));
    expect(cond(fixed, "LifecycleValid")).toMatchObject({ status: "True", reason: "Valid" });
  });
});
