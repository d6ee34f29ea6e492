import { describe, expect, test } from "bun:test";
import type { KObject, ManagedFieldsEntry } from "../types.ts";
import { LAST_APPLIED_ANNOTATION, serverSideApply, type ApplyArgs, type ApplyResult } from "./apply.ts";
import { conflictCauses, conflictMessage } from "./conflicts.ts";
import type { ListTypeOf } from "./fieldset.ts";
import { updateManagedFields } from "./managed-fields.ts";

const GV = "example.com/v1";
const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T00:01:00Z";
const T2 = "2026-01-01T00:02:00Z";

const lists: ListTypeOf = (path) => {
  const p = path.join(".");
  if (p === "spec.containers") return { type: "map", keys: ["name"] };
  if (p === "spec.tags") return { type: "set" };
  return { type: "atomic" };
};

function config(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KObject {
  return { apiVersion: GV, kind: "Widget", metadata: { name: "w1", namespace: "default", ...metadata }, spec };
}

/** What the server would store: the apply result plus the server-set metadata. */
function stored(obj: KObject): KObject {
  return { ...obj, metadata: { uid: "6f3c", resourceVersion: "5", generation: 1, creationTimestamp: T0, ...obj.metadata } };
}

function apply(args: Partial<ApplyArgs> & Pick<ApplyArgs, "applied">): ApplyResult {
  return serverSideApply({ live: undefined, manager: "kubectl", force: false, apiVersion: GV, now: T0, listTypeOf: lists, ...args });
}

function ok(r: ApplyResult): KObject {
  if (!r.ok) throw new Error(conflictMessage(r.conflicts));
  return r.object;
}

function fieldsOf(obj: KObject, manager: string): Record<string, unknown> | undefined {
  return obj.metadata.managedFields?.find((e) => e.manager === manager)?.fieldsV1;
}

describe("create via apply", () => {
  test("returns the configuration with one Apply entry", () => {
    const obj = ok(apply({ applied: config({ size: 1 }, { labels: { app: "ide" } }) }));
    expect(obj.spec).toEqual({ size: 1 });
    expect(obj.metadata.managedFields).toEqual([
      {
        manager: "kubectl",
        operation: "Apply",
        apiVersion: GV,
        time: T0,
        fieldsType: "FieldsV1",
        fieldsV1: { "f:metadata": { "f:labels": { "f:app": {} } }, "f:spec": { "f:size": {} } },
      },
    ]);
  });

  test("never takes or owns server metadata from the configuration", () => {
    const forged = config({ size: 1 }, {
      uid: "forged",
      resourceVersion: "99",
      generation: 7,
      creationTimestamp: "2000-01-01T00:00:00Z",
      deletionTimestamp: "2000-01-01T00:00:00Z",
      managedFields: [{ manager: "x" }],
    });
    const obj = ok(apply({ applied: forged }));
    for (const f of ["uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp"]) {
      expect(obj.metadata[f]).toBeUndefined();
    }
    expect(fieldsOf(obj, "kubectl")).toEqual({ "f:spec": { "f:size": {} } });
  });

  test("records the subresource of a status apply", () => {
    const obj = ok(apply({ applied: { ...config({}), status: { ready: true } }, subresource: "status", ignoredTopLevel: ["spec"] }));
    expect(obj.metadata.managedFields![0]!.subresource).toBe("status");
    expect(obj.spec).toBeUndefined();
  });
});

describe("re-apply", () => {
  const live = stored(ok(apply({ applied: config({ size: 1 }) })));

  test("an unchanged configuration changes nothing, not even the time", () => {
    const again = ok(apply({ live, applied: config({ size: 1 }), now: T1 }));
    expect(again).toEqual(live);
    expect(again.metadata.managedFields![0]!.time).toBe(T0);
  });

  test("a changed value updates the object and the time", () => {
    const again = ok(apply({ live, applied: config({ size: 2 }), now: T1 }));
    expect(again.spec).toEqual({ size: 2 });
    expect(again.metadata.managedFields![0]!.time).toBe(T1);
    expect(again.metadata.uid).toBe("6f3c");
  });

  test("the result shares nothing with the live object", () => {
    const withData = { ...live, status: { nested: { a: 1 } } };
    const again = ok(apply({ live: withData, applied: config({ size: 2 }), now: T1 }));
    expect(again.status).toEqual({ nested: { a: 1 } });
    (again.status as any).nested.a = 99;
    expect(withData.status.nested.a).toBe(1);
  });

  test("a field left out of the configuration is removed", () => {
    const two = stored(ok(apply({ applied: config({ size: 1, color: "red" }) })));
    const again = ok(apply({ live: two, applied: config({ size: 1 }), now: T1 }));
    expect(again.spec).toEqual({ size: 1 });
    expect(fieldsOf(again, "kubectl")).toEqual({ "f:spec": { "f:size": {} } });
  });

  test("leaving out a whole object removes it", () => {
    const labelled = stored(ok(apply({ applied: config({ size: 1 }, { labels: { a: "1" } }) })));
    const again = ok(apply({ live: labelled, applied: config({ size: 1 }), now: T1 }));
    expect(again.metadata.labels).toBeUndefined();
  });
});

describe("two appliers", () => {
  const first = stored(ok(apply({ applied: config({ size: 1 }), manager: "alice" })));

  test("applying different fields: both are kept, each owns its own", () => {
    const both = ok(apply({ live: first, applied: config({ color: "red" }), manager: "bob", now: T1 }));
    expect(both.spec).toEqual({ size: 1, color: "red" });
    expect(fieldsOf(both, "alice")).toEqual({ "f:spec": { "f:size": {} } });
    expect(fieldsOf(both, "bob")).toEqual({ "f:spec": { "f:color": {} } });
  });

  test("a different value for a field another applier owns is a conflict", () => {
    const r = apply({ live: first, applied: config({ size: 3 }), manager: "bob", now: T1 });
    expect(r).toEqual({ ok: false, conflicts: [{ manager: "alice", field: ".spec.size", operation: "Apply", apiVersion: GV }] });
    if (!r.ok) expect(conflictMessage(r.conflicts)).toBe('Apply failed with 1 conflict: conflict with "alice": .spec.size');
  });

  test("the same value is no conflict: ownership is shared", () => {
    const shared = ok(apply({ live: first, applied: config({ size: 1 }), manager: "bob", now: T1 }));
    expect(fieldsOf(shared, "alice")).toEqual({ "f:spec": { "f:size": {} } });
    expect(fieldsOf(shared, "bob")).toEqual({ "f:spec": { "f:size": {} } });
    // A shared field survives when one owner stops applying it.
    const dropped = ok(apply({ live: stored(shared), applied: config({}), manager: "alice", now: T2 }));
    expect(dropped.spec).toEqual({ size: 1 });
  });

  test("force takes the field over", () => {
    const forced = ok(apply({ live: first, applied: config({ size: 3 }), manager: "bob", force: true, now: T1 }));
    expect(forced.spec).toEqual({ size: 3 });
    expect(fieldsOf(forced, "alice")).toBeUndefined();
    expect(fieldsOf(forced, "bob")).toEqual({ "f:spec": { "f:size": {} } });
  });

  test("conflicts on the status subresource name it", () => {
    const withStatus = stored(ok(apply({ applied: { ...config({}), status: { phase: "Ready" } }, manager: "ctl", subresource: "status" })));
    const r = apply({ live: withStatus, applied: { ...config({}), status: { phase: "Failed" } }, manager: "other", subresource: "status", now: T1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(conflictCauses(r.conflicts)[0]!.message).toBe('conflict with "ctl" with subresource "status"');
  });
});

describe("conflicts with Update managers", () => {
  function createdBy(manager: string, spec: Record<string, unknown>): KObject {
    const obj = stored(config(spec));
    const mf = updateManagedFields({ old: undefined, updated: obj, manager, apiVersion: GV, now: T0, listTypeOf: lists });
    return { ...obj, metadata: { ...obj.metadata, managedFields: mf } };
  }

  test("kubectl-client-side-apply: the message names the apiVersion", () => {
    const live = createdBy("kubectl-client-side-apply", { size: 1 });
    const r = apply({ live, applied: config({ size: 2 }), manager: "mgr", now: T1 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(conflictMessage(r.conflicts)).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using example.com/v1: .spec.size',
    );
    expect(conflictCauses(r.conflicts)).toEqual([
      { type: "FieldManagerConflict", message: 'conflict with "kubectl-client-side-apply" using example.com/v1', field: ".spec.size" },
    ]);
  });

  test("several conflicts are grouped by manager, managers sorted", () => {
    const base = createdBy("kubectl-edit", { a: 1, b: 1, c: 1 });
    const mf = updateManagedFields({ old: base, updated: { ...base, spec: { a: 1, b: 1, c: 2 } }, manager: "helm", apiVersion: GV, now: T1, listTypeOf: lists });
    const live = { ...base, spec: { a: 1, b: 1, c: 2 }, metadata: { ...base.metadata, managedFields: mf } };
    const r = apply({ live, applied: config({ a: 5, b: 5, c: 5 }), manager: "mgr", now: T2 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(conflictMessage(r.conflicts)).toBe(
      "Apply failed with 3 conflicts: " +
        'conflicts with "helm" using example.com/v1:\n- .spec.c\n' +
        'conflicts with "kubectl-edit" using example.com/v1:\n- .spec.a\n- .spec.b',
    );
  });

  test("force moves ownership away from the Update manager", () => {
    const live = createdBy("kubectl-edit", { size: 1, color: "red" });
    const obj = ok(apply({ live, applied: config({ size: 2 }), manager: "mgr", force: true, now: T1 }));
    expect(fieldsOf(obj, "kubectl-edit")).toEqual({ "f:spec": { ".": {}, "f:color": {} } });
    expect(fieldsOf(obj, "mgr")).toEqual({ "f:spec": { "f:size": {} } });
  });

  test("an applier never removes what an Update manager set", () => {
    const live = createdBy("kubectl-edit", { size: 1 });
    const mine = ok(apply({ live, applied: config({ size: 1, color: "red" }), manager: "mgr", now: T1 }));
    const dropped = ok(apply({ live: stored(mine), applied: config({}), manager: "mgr", now: T2 }));
    expect(dropped.spec).toEqual({ size: 1 });
  });

  test("kubectl takes over from client-side apply without force when the last-applied value is live", () => {
    const lastApplied = JSON.stringify(config({ size: 1 }));
    const obj = stored(config({ size: 1 }, { annotations: { [LAST_APPLIED_ANNOTATION]: lastApplied } }));
    obj.spec = { size: 1 };
    const mf = updateManagedFields({ old: undefined, updated: obj, manager: "kubectl-client-side-apply", apiVersion: GV, now: T0, listTypeOf: lists });
    const live = { ...obj, metadata: { ...obj.metadata, managedFields: mf } };

    const byOther = apply({ live, applied: config({ size: 2 }), manager: "someone", now: T1 });
    expect(byOther.ok).toBe(false);

    const byKubectl = ok(apply({ live, applied: config({ size: 2 }), manager: "kubectl", now: T1 }));
    expect(byKubectl.spec).toEqual({ size: 2 });
    const annotation = byKubectl.metadata.annotations![LAST_APPLIED_ANNOTATION]!;
    expect(JSON.parse(annotation)).toEqual(config({ size: 2 }));
    expect(annotation.endsWith("}\n")).toBe(true);
  });

  test("an object without managedFields: existing fields belong to before-first-apply", () => {
    const live = stored(config({ size: 1 }));
    const r = apply({ live, applied: config({ size: 2 }), manager: "mgr", now: T1 });
    expect(r).toMatchObject({ ok: false, conflicts: [{ manager: "before-first-apply", field: ".spec.size" }] });
  });
});

describe("lists", () => {
  test("associative lists merge by key, other managers' items stay in place", () => {
    const a = stored(ok(apply({ applied: config({ containers: [{ name: "ide", image: "code:1" }, { name: "proxy", image: "envoy" }] }), manager: "a" })));
    const b = ok(apply({ live: a, applied: config({ containers: [{ name: "ide", env: "x" }, { name: "sidecar", image: "s" }] }), manager: "b", now: T1 }));
    expect(b.spec).toEqual({
      containers: [
        { name: "ide", image: "code:1", env: "x" },
        { name: "proxy", image: "envoy" },
        { name: "sidecar", image: "s" },
      ],
    });
    expect(fieldsOf(b, "b")).toEqual({
      "f:spec": {
        "f:containers": {
          'k:{"name":"ide"}': { ".": {}, "f:env": {}, "f:name": {} },
          'k:{"name":"sidecar"}': { ".": {}, "f:image": {}, "f:name": {} },
        },
      },
    });
  });

  test("changing an item field another applier owns names the item in the conflict", () => {
    const a = stored(ok(apply({ applied: config({ containers: [{ name: "ide", image: "code:1" }] }), manager: "a" })));
    const r = apply({ live: a, applied: config({ containers: [{ name: "ide", image: "code:2" }] }), manager: "b", now: T1 });
    expect(r).toMatchObject({ ok: false, conflicts: [{ manager: "a", field: '.spec.containers[name="ide"].image' }] });
  });

  test("an item the applier stops applying is removed; the others stay", () => {
    const a = stored(ok(apply({ applied: config({ containers: [{ name: "ide", image: "i" }, { name: "proxy", image: "p" }] }) })));
    const again = ok(apply({ live: a, applied: config({ containers: [{ name: "proxy", image: "p" }] }), now: T1 }));
    expect(again.spec).toEqual({ containers: [{ name: "proxy", image: "p" }] });
  });

  test("the applied order wins for the items it lists", () => {
    const a = stored(ok(apply({ applied: config({ containers: [{ name: "x" }, { name: "y" }] }) })));
    const again = ok(apply({ live: a, applied: config({ containers: [{ name: "y" }, { name: "x" }] }), now: T1 }));
    expect((again.spec as any).containers.map((c: any) => c.name)).toEqual(["y", "x"]);
    expect(again.metadata.managedFields![0]!.time).toBe(T1);
  });

  test("items only in the live list keep their place relative to the applied ones", () => {
    const a = stored(ok(apply({ applied: config({ containers: [{ name: "a" }, { name: "b" }, { name: "c" }] }), manager: "a" })));
    const b = ok(apply({ live: a, applied: config({ containers: [{ name: "c" }, { name: "a" }] }), manager: "b", now: T1 }));
    expect((b.spec as any).containers.map((c: any) => c.name)).toEqual(["b", "c", "a"]);
  });

  test("atomic lists are replaced whole and owned as one field", () => {
    const a = stored(ok(apply({ applied: config({ args: ["a", "b"] }), manager: "a" })));
    const r = apply({ live: a, applied: config({ args: ["c"] }), manager: "b", now: T1 });
    expect(r).toMatchObject({ ok: false, conflicts: [{ field: ".spec.args" }] });
    const forced = ok(apply({ live: a, applied: config({ args: ["c"] }), manager: "b", force: true, now: T1 }));
    expect(forced.spec).toEqual({ args: ["c"] });
    expect(fieldsOf(forced, "b")).toEqual({ "f:spec": { "f:args": {} } });
  });

  test("set lists union across appliers; each owns its values", () => {
    const a = stored(ok(apply({ applied: config({ tags: ["x", "y"] }), manager: "a" })));
    const b = ok(apply({ live: a, applied: config({ tags: ["z"] }), manager: "b", now: T1 }));
    expect((b.spec as any).tags).toEqual(["x", "y", "z"]);
    expect(fieldsOf(b, "b")).toEqual({ "f:spec": { "f:tags": { 'v:"z"': {} } } });
    const shrunk = ok(apply({ live: stored(b), applied: config({ tags: ["x"] }), manager: "a", now: T2 }));
    expect((shrunk.spec as any).tags).toEqual(["x", "z"]);
  });

  test("finalizers are a set: two managers' finalizers coexist", () => {
    const a = stored(ok(apply({ applied: config({}, { finalizers: ["a.example.com/f"] }), manager: "a" })));
    const b = ok(apply({ live: a, applied: config({}, { finalizers: ["b.example.com/f"] }), manager: "b", now: T1 }));
    expect(b.metadata.finalizers).toEqual(["a.example.com/f", "b.example.com/f"]);
  });
});

describe("status subresource isolation", () => {
  const live = stored({ ...ok(apply({ applied: config({ size: 1 }), manager: "user" })), status: { ready: false } });

  test("an apply to the main resource neither changes nor owns status", () => {
    const obj = ok(apply({ live, applied: { ...config({ size: 2 }), status: { ready: true } }, manager: "user", ignoredTopLevel: ["status"], now: T1 }));
    expect(obj.status).toEqual({ ready: false });
    expect(obj.spec).toEqual({ size: 2 });
    expect(fieldsOf(obj, "user")).toEqual({ "f:spec": { "f:size": {} } });
  });

  test("an apply to /status neither changes nor owns spec or metadata", () => {
    const obj = ok(
      apply({
        live,
        applied: { ...config({ size: 9 }, { labels: { sneaky: "1" } }), status: { ready: true } },
        manager: "controller",
        subresource: "status",
        ignoredTopLevel: ["apiVersion", "kind", "metadata", "spec"],
        now: T1,
      }),
    );
    expect(obj.spec).toEqual({ size: 1 });
    expect(obj.metadata.labels).toBeUndefined();
    expect(obj.status).toEqual({ ready: true });
    const entry = obj.metadata.managedFields!.find((e: ManagedFieldsEntry) => e.manager === "controller")!;
    expect(entry).toMatchObject({ operation: "Apply", subresource: "status", fieldsV1: { "f:status": { "f:ready": {} } } });
    expect(fieldsOf(obj, "user")).toEqual({ "f:spec": { "f:size": {} } });
  });

  test("leaving status out of a main-resource re-apply keeps it", () => {
    const obj = ok(apply({ live, applied: config({ size: 1 }), manager: "user", ignoredTopLevel: ["status"], now: T1 }));
    expect(obj.status).toEqual({ ready: false });
  });
});
