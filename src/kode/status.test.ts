import { describe, expect, test } from "bun:test";
import type { Kode, KodeStatus } from "../api/types.ts";
import { deriveStatus, type ObservedStatefulSet, type StatusInput, statusEquals, transitions } from "./status.ts";

const T0 = "2025-01-01T00:00:00Z";
const T1 = "2025-01-01T00:01:00Z";
const T2 = "2025-01-01T00:02:00Z";

const kode = (status?: KodeStatus): Kode => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "Kode",
  metadata: { name: "alice", namespace: "dev", uid: "u", generation: 1 },
  spec: { templateRef: { name: "tpl" } },
  ...(status && { status }),
});

const TEMPLATE = { kind: "KodeTemplate", name: "tpl", namespace: "dev" };
const sts = (o: { ready?: number; gen?: number; observed?: number; update?: string; current?: string } = {}): ObservedStatefulSet => ({
  metadata: { name: "alice", generation: o.gen ?? 1 },
  spec: { replicas: 1 },
  status: {
    replicas: 1,
    readyReplicas: o.ready ?? 0,
    observedGeneration: o.observed ?? o.gen ?? 1,
    updateRevision: o.update ?? "alice-aaa",
    currentRevision: o.current ?? o.update ?? "alice-aaa",
  },
});

const base = (over: Partial<StatusInput> = {}): StatusInput => ({
  kode: kode(),
  generation: 1,
  template: TEMPLATE,
  type: "code-server",
  problems: [],
  deleting: false,
  now: T0,
  serviceUrl: "http://alice.dev.svc.cluster.local",
  credentialsSecret: "alice-auth",
  ...over,
});

const cond = (s: KodeStatus, type: string) => s.conditions!.find((c) => c.type === type)!;

describe("phases", () => {
  test("Pending: nothing resolved or observed yet", () => {
    const s = deriveStatus(base({ template: undefined, type: undefined, statefulSet: undefined }));
    expect(s.phase).toBe("Pending");
    expect(cond(s, "TemplateResolved").status).toBe("Unknown");
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "Pending" });
  });

  test("Provisioning: template resolved, StatefulSet not created yet", () => {
    const s = deriveStatus(base());
    expect(s.phase).toBe("Provisioning");
    expect(cond(s, "ResourcesReady")).toMatchObject({ status: "False", reason: "NotCreated" });
    expect(cond(s, "Progressing")).toMatchObject({ status: "True", reason: "Provisioning" });
  });

  test("Provisioning: created, not ready, never ran (even while its first rollout is pending)", () => {
    expect(deriveStatus(base({ statefulSet: sts({ ready: 0 }) })).phase).toBe("Provisioning");
    expect(deriveStatus(base({ statefulSet: sts({ ready: 0, gen: 2, observed: 1 }) })).phase).toBe("Provisioning");
  });

  test("Running: ready and settled", () => {
    const s = deriveStatus(base({ statefulSet: sts({ ready: 1 }) }));
    expect(s.phase).toBe("Running");
    expect(cond(s, "Ready")).toMatchObject({ status: "True", reason: "Running" });
    expect(cond(s, "Ready").message).toContain("http://alice.dev.svc.cluster.local");
    expect(cond(s, "ResourcesReady")).toMatchObject({ status: "True", reason: "Ready" });
    expect(cond(s, "Progressing")).toMatchObject({ status: "False", reason: "Stable" });
    expect(cond(s, "TemplateResolved")).toMatchObject({ status: "True", reason: "Resolved" });
    expect(cond(s, "TemplateResolved").message).toContain("KodeTemplate dev/tpl");
  });

  const running = () => deriveStatus(base({ statefulSet: sts({ ready: 1 }) }));

  test("Updating: StatefulSet has not observed its generation", () => {
    const s = deriveStatus(base({ kode: kode(running()), generation: 2, statefulSet: sts({ ready: 1, gen: 2, observed: 1 }) }));
    expect(s.phase).toBe("Updating");
    expect(cond(s, "ResourcesReady").reason).toBe("RolloutPending");
    expect(cond(s, "Ready").reason).toBe("Updating");
  });

  test("Updating: revisions differ", () => {
    const s = deriveStatus(base({ kode: kode(running()), statefulSet: sts({ ready: 1, update: "b", current: "a" }) }));
    expect(s.phase).toBe("Updating");
    expect(cond(s, "ResourcesReady").reason).toBe("RollingUpdate");
  });

  test("Updating: ready and rolling even the first time (revision changed during provisioning)", () => {
    expect(deriveStatus(base({ statefulSet: sts({ ready: 1, update: "b", current: "a" }) })).phase).toBe("Updating");
  });

  test("Updating: not ready after having run (pod died)", () => {
    const s = deriveStatus(base({ kode: kode(running()), statefulSet: sts({ ready: 0 }) }));
    expect(s.phase).toBe("Updating");
    expect(cond(s, "Ready").reason).toBe("PodNotReady");
    expect(cond(s, "ResourcesReady").reason).toBe("PodNotReady");
  });

  test("Updating -> Running when the rollout completes", () => {
    const updating = deriveStatus(base({ kode: kode(running()), statefulSet: sts({ ready: 0, update: "b", current: "a" }) }));
    expect(updating.phase).toBe("Updating");
    const s = deriveStatus(base({ kode: kode(updating), statefulSet: sts({ ready: 1, update: "b", current: "b" }) }));
    expect(s.phase).toBe("Running");
  });

  test("Failed: bad input, Ready carries the specific reason and every message", () => {
    const problems = [
      { reason: "NameTooLong", message: "name too long; shorten it" },
      { reason: "InvalidHome", message: "home not absolute" },
    ];
    const s = deriveStatus(base({ problems, statefulSet: sts({ ready: 1 }) }));
    expect(s.phase).toBe("Failed");
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "NameTooLong", message: "name too long; shorten it; home not absolute" });
    expect(cond(s, "Progressing")).toMatchObject({ status: "False", reason: "NameTooLong" });
    expect(cond(s, "TemplateResolved").status).toBe("True");
    // ResourcesReady still reports what is observed.
    expect(cond(s, "ResourcesReady").status).toBe("True");
  });

  test("Failed: template problem", () => {
    const templateProblem = { reason: "TemplateNotFound", message: "KodeTemplate dev/tpl not found; create it or fix templateRef" };
    const s = deriveStatus(base({ template: undefined, type: undefined, templateProblem }));
    expect(s.phase).toBe("Failed");
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "TemplateNotFound", message: templateProblem.message });
    expect(cond(s, "TemplateResolved")).toMatchObject({ status: "False", reason: "TemplateNotFound" });
  });

  test("Failed -> Running when fixed and the pod is ready; Failed -> Provisioning when not", () => {
    const failed = deriveStatus(base({ problems: [{ reason: "InvalidHome", message: "m" }] }));
    expect(deriveStatus(base({ kode: kode(failed), statefulSet: sts({ ready: 1 }) })).phase).toBe("Running");
    expect(deriveStatus(base({ kode: kode(failed), statefulSet: sts({ ready: 0 }) })).phase).toBe("Provisioning");
  });

  test("Deleting wins over everything", () => {
    for (const over of [{}, { problems: [{ reason: "X", message: "m" }] }, { statefulSet: sts({ ready: 1 }) }]) {
      const s = deriveStatus(base({ ...over, deleting: true }));
      expect(s.phase).toBe("Deleting");
      expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "Deleting" });
      expect(cond(s, "Progressing")).toMatchObject({ status: "True", reason: "Deleting" });
    }
  });

  test("zero desired replicas is never ready", () => {
    const z = sts({ ready: 0 });
    z.spec!.replicas = 0;
    expect(deriveStatus(base({ statefulSet: z })).phase).toBe("Provisioning");
  });
});

describe("status fields", () => {
  test("observedGeneration, url, credentialsSecret, type, template, condition order", () => {
    const s = deriveStatus(base({ generation: 7, statefulSet: sts({ ready: 1 }) }));
    expect(s.observedGeneration).toBe(7);
    expect(s.internalURL).toBe("http://alice.dev.svc.cluster.local");
    expect("url" in s).toBe(false);
    expect(s.credentialsSecret).toBe("alice-auth");
    expect(s.type).toBe("code-server");
    expect(s.template).toEqual(TEMPLATE);
    expect(s.conditions!.map((c) => c.type)).toEqual(["Ready", "TemplateResolved", "ResourcesReady", "Progressing"]);
    for (const c of s.conditions!) expect(c.observedGeneration).toBe(7);
  });
  test("absent inputs leave fields out", () => {
    const s = deriveStatus(base({ serviceUrl: undefined, credentialsSecret: undefined, type: undefined, template: undefined, statefulSet: undefined }));
    for (const k of ["url", "internalURL", "credentialsSecret", "type", "template"]) expect(k in s).toBe(false);
  });
  test("with a route: url is the route's, internalURL the Service's, Ready names the route", () => {
    const s = deriveStatus(base({ generation: 2, statefulSet: sts({ ready: 1 }), routeUrl: "https://dev.example.com/dev/alice/" }));
    expect(s.url).toBe("https://dev.example.com/dev/alice/");
    expect(s.internalURL).toBe("http://alice.dev.svc.cluster.local");
    expect(s.conditions!.find((c) => c.type === "Ready")!.message).toBe("code-server is running at https://dev.example.com/dev/alice/");
  });
  test("cluster template without namespace", () => {
    const s = deriveStatus(base({ template: { kind: "KodeClusterTemplate", name: "shared" } }));
    expect(s.template).toEqual({ kind: "KodeClusterTemplate", name: "shared" });
    expect(cond(s, "TemplateResolved").message).toContain("KodeClusterTemplate shared");
  });
});

describe("lastTransitionTime", () => {
  test("new conditions get now", () => {
    for (const c of deriveStatus(base()).conditions!) expect(c.lastTransitionTime).toBe(T0);
  });

  test("kept while status is unchanged, even when reason and message change", () => {
    const first = deriveStatus(base({ statefulSet: sts({ ready: 0 }), now: T0 })); // Provisioning
    const second = deriveStatus(base({ kode: kode(first), statefulSet: sts({ ready: 0, gen: 2, observed: 1 }), generation: 2, now: T1 }));
    expect(cond(second, "ResourcesReady").reason).toBe("RolloutPending");
    expect(cond(first, "ResourcesReady").reason).toBe("PodNotReady");
    expect(cond(second, "ResourcesReady").lastTransitionTime).toBe(T0);
    expect(cond(second, "Ready").lastTransitionTime).toBe(T0);
    expect(cond(second, "Ready").observedGeneration).toBe(2);
  });

  test("updated when status changes", () => {
    const first = deriveStatus(base({ statefulSet: sts({ ready: 0 }), now: T0 }));
    const second = deriveStatus(base({ kode: kode(first), statefulSet: sts({ ready: 1 }), now: T1 }));
    expect(cond(second, "Ready")).toMatchObject({ status: "True", lastTransitionTime: T1 });
    expect(cond(second, "ResourcesReady").lastTransitionTime).toBe(T1);
    expect(cond(second, "Progressing")).toMatchObject({ status: "False", lastTransitionTime: T1 });
    expect(cond(second, "TemplateResolved").lastTransitionTime).toBe(T0);
    const third = deriveStatus(base({ kode: kode(second), statefulSet: sts({ ready: 1 }), now: T2 }));
    expect(statusEquals(third, second)).toBe(true);
  });
});

describe("statusEquals", () => {
  const s = deriveStatus(base({ statefulSet: sts({ ready: 1 }) }));
  test("equal to itself and to a reordered copy", () => {
    expect(statusEquals(s, structuredClone(s))).toBe(true);
    const reordered: KodeStatus = { ...structuredClone(s), conditions: [...s.conditions!].reverse() };
    const keysReordered = JSON.parse(JSON.stringify({ internalURL: s.internalURL, conditions: s.conditions, phase: s.phase, observedGeneration: s.observedGeneration, credentialsSecret: s.credentialsSecret, type: s.type, template: s.template }));
    expect(statusEquals(s, reordered)).toBe(true);
    expect(statusEquals(s, keysReordered)).toBe(true);
  });
  test("undefined fields do not matter", () => {
    expect(statusEquals({ phase: "Running", url: undefined }, { phase: "Running" })).toBe(true);
    expect(statusEquals(undefined, {})).toBe(true);
  });
  test("any real difference matters", () => {
    expect(statusEquals(s, { ...s, phase: "Updating" })).toBe(false);
    expect(statusEquals(s, { ...s, url: "x" })).toBe(false);
    expect(statusEquals(s, { ...s, observedGeneration: 2 })).toBe(false);
    const c = structuredClone(s);
    c.conditions![2].message = "other";
    expect(statusEquals(s, c)).toBe(false);
    expect(statusEquals(undefined, s)).toBe(false);
  });
  test("a settled Kode derives an equal status on the next pass (no write storm)", () => {
    const again = deriveStatus(base({ kode: kode(s), statefulSet: sts({ ready: 1 }), now: T2 }));
    expect(statusEquals(s, again)).toBe(true);
  });
});

describe("transitions", () => {
  const provisioning = deriveStatus(base({ statefulSet: sts({ ready: 0 }) }));
  const running = deriveStatus(base({ kode: kode(provisioning), statefulSet: sts({ ready: 1 }) }));

  test("new Kode -> Provisioning: one Normal event", () => {
    expect(transitions(undefined, provisioning)).toEqual([
      { type: "Normal", reason: "Provisioning", message: expect.stringContaining("(new) -> Provisioning") },
    ]);
  });
  test("Provisioning -> Running: Normal Running with the URL", () => {
    const ev = transitions(provisioning, running);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ type: "Normal", reason: "Running" });
    expect(ev[0].message).toContain("http://alice.dev.svc.cluster.local");
  });
  test("Running -> Updating (rollout): Normal; Running -> Updating (pod died): Warning PodNotReady", () => {
    const rolling = deriveStatus(base({ kode: kode(running), statefulSet: sts({ ready: 1, update: "b", current: "a" }) }));
    expect(transitions(running, rolling)).toEqual([{ type: "Normal", reason: "Updating", message: expect.any(String) }]);
    const died = deriveStatus(base({ kode: kode(running), statefulSet: sts({ ready: 0 }) }));
    expect(transitions(running, died)).toEqual([{ type: "Warning", reason: "PodNotReady", message: expect.any(String) }]);
  });
  test("-> Failed: Warning with the specific reason", () => {
    const failed = deriveStatus(base({ kode: kode(running), problems: [{ reason: "InvalidStorageQuantity", message: "bad size" }] }));
    expect(transitions(running, failed)).toEqual([{ type: "Warning", reason: "InvalidStorageQuantity", message: expect.stringContaining("bad size") }]);
  });
  test("Failed -> Failed for another reason: Warning; same reason: nothing", () => {
    const f1 = deriveStatus(base({ problems: [{ reason: "InvalidHome", message: "a" }] }));
    const f2 = deriveStatus(base({ kode: kode(f1), problems: [{ reason: "InvalidWorkspace", message: "b" }] }));
    expect(transitions(f1, f2)).toEqual([{ type: "Warning", reason: "InvalidWorkspace", message: "b" }]);
    const f1again = deriveStatus(base({ kode: kode(f1), problems: [{ reason: "InvalidHome", message: "a" }], now: T2 }));
    expect(transitions(f1, f1again)).toEqual([]);
  });
  test("Failed by template -> Failed by input: Warning for the new reason and Normal TemplateResolved", () => {
    const ft = deriveStatus(base({ template: undefined, templateProblem: { reason: "TemplateNotFound", message: "gone" } }));
    const fi = deriveStatus(base({ kode: kode(ft), problems: [{ reason: "InvalidHome", message: "a" }] }));
    expect(transitions(ft, fi)).toEqual([
      { type: "Warning", reason: "InvalidHome", message: "a" },
      { type: "Normal", reason: "TemplateResolved", message: expect.stringContaining("tpl") },
    ]);
  });
  test("Failed -> Running, -> Deleting: Normal", () => {
    const failed = deriveStatus(base({ problems: [{ reason: "InvalidHome", message: "m" }] }));
    const fixed = deriveStatus(base({ kode: kode(failed), statefulSet: sts({ ready: 1 }) }));
    expect(transitions(failed, fixed)).toEqual([{ type: "Normal", reason: "Running", message: expect.any(String) }]);
    const deleting = deriveStatus(base({ kode: kode(fixed), statefulSet: sts({ ready: 1 }), deleting: true }));
    expect(transitions(fixed, deleting)).toEqual([{ type: "Normal", reason: "Deleting", message: expect.any(String) }]);
  });
  test("no change, no events", () => {
    expect(transitions(running, deriveStatus(base({ kode: kode(running), statefulSet: sts({ ready: 1 }), now: T2 })))).toEqual([]);
    const pending = deriveStatus(base({ template: undefined, type: undefined }));
    expect(transitions(pending, pending)).toEqual([]);
  });
});
