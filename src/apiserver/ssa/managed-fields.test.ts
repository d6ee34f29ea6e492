import { describe, expect, test } from "bun:test";
import type { KObject, ManagedFieldsEntry } from "../types.ts";
import type { ListTypeOf } from "./fieldset.ts";
import { compareObjects } from "./compare.ts";
import { toFieldsV1 } from "./fieldset.ts";
import { managerFromUserAgent, newObjectFieldsV1, updateManagedFields, withoutServerFields } from "./managed-fields.ts";

const GV = "example.com/v1";
const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T00:01:00Z";
const T2 = "2026-01-01T00:02:00Z";

const lists: ListTypeOf = (path) =>
  path.join(".") === "spec.containers" ? { type: "map", keys: ["name"] } : { type: "atomic" };

function widget(spec: Record<string, unknown>, extra: Partial<KObject["metadata"]> = {}): KObject {
  return {
    apiVersion: GV,
    kind: "Widget",
    metadata: {
      name: "w1",
      namespace: "default",
      uid: "6f3c",
      resourceVersion: "7",
      generation: 1,
      creationTimestamp: T0,
      ...extra,
    },
    spec,
  };
}

function withFields(obj: KObject, managedFields: ManagedFieldsEntry[]): KObject {
  return { ...obj, metadata: { ...obj.metadata, managedFields } };
}

function entry(list: ManagedFieldsEntry[], manager: string) {
  return list.find((e) => e.manager === manager);
}

describe("updateManagedFields on create", () => {
  test("owns every field the object sets, except identity and server metadata", () => {
    const obj = widget({ size: 1, containers: [{ name: "ide", image: "code" }] }, { labels: { app: "x" } });
    const mf = updateManagedFields({ old: undefined, updated: obj, manager: "kubectl-create", apiVersion: GV, now: T0, listTypeOf: lists });
    expect(mf).toEqual([
      {
        manager: "kubectl-create",
        operation: "Update",
        apiVersion: GV,
        time: T0,
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
          "f:spec": {
            ".": {},
            "f:containers": { ".": {}, 'k:{"name":"ide"}': { ".": {}, "f:image": {}, "f:name": {} } },
            "f:size": {},
          },
        },
      },
    ]);
  });

  test("keeps the real JSON key order of an entry", () => {
    const mf = updateManagedFields({ old: undefined, updated: widget({ a: 1 }), manager: "m", apiVersion: GV, now: T0, listTypeOf: lists });
    expect(Object.keys(mf[0]!)).toEqual(["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1"]);
  });

  test("an object with nothing to own gets no entry", () => {
    const obj: KObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "default" } };
    expect(updateManagedFields({ old: undefined, updated: obj, manager: "m", apiVersion: "v1", now: T0, listTypeOf: lists })).toEqual([]);
  });

  test("generateName is owned like any other field", () => {
    const obj = widget({ a: 1 }, { generateName: "w-" });
    const mf = updateManagedFields({ old: undefined, updated: obj, manager: "m", apiVersion: GV, now: T0, listTypeOf: lists });
    expect(mf[0]!.fieldsV1["f:metadata"]).toEqual({ "f:generateName": {} });
  });
});

test("the create fast path encodes exactly what the general comparison finds", () => {
  const listsWithSet: ListTypeOf = (path) => {
    const p = path.join(".");
    if (p === "spec.containers") return { type: "map", keys: ["name"] };
    if (p === "spec.tags") return { type: "set" };
    return { type: "atomic" };
  };
  const rich = widget(
    {
      containers: [{ name: "b", ports: [1] }, { name: "a", env: {} }, { name: "a" }, { image: "no-key" }],
      tags: ["z", 1, "a", true],
      empty: {},
      nothing: null,
      list: [],
      nested: { deep: { er: "x" } },
    },
    { labels: { b: "1", a: "2" }, finalizers: ["f"], ownerReferences: [{ uid: "u", name: "n", kind: "K", apiVersion: "v1" }], generateName: "w-" },
  );
  const general = toFieldsV1(withoutServerFields(compareObjects(undefined, rich, listsWithSet).added));
  const fast = newObjectFieldsV1(rich, listsWithSet);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(general));
});

describe("updateManagedFields on update", () => {
  const created = widget({ size: 1, color: "red" });
  const createdFields = updateManagedFields({ old: undefined, updated: created, manager: "creator", apiVersion: GV, now: T0, listTypeOf: lists });
  const live = withFields(created, createdFields);

  test("changed fields move to the writer; the rest stay with their owner", () => {
    const updated = withFields(widget({ size: 2, color: "red" }), createdFields);
    const mf = updateManagedFields({ old: live, updated, manager: "kubectl-edit", apiVersion: GV, now: T1, listTypeOf: lists });
    expect(entry(mf, "kubectl-edit")).toMatchObject({ operation: "Update", time: T1, fieldsV1: { "f:spec": { "f:size": {} } } });
    expect(entry(mf, "creator")!.fieldsV1).toEqual({ "f:spec": { ".": {}, "f:color": {} } });
    expect(entry(mf, "creator")!.time).toBe(T0);
  });

  test("a write that changes nothing leaves managedFields exactly as they were", () => {
    const mf = updateManagedFields({ old: live, updated: live, manager: "other", apiVersion: GV, now: T1, listTypeOf: lists });
    expect(mf).toEqual(createdFields);
  });

  test("changes to server metadata alone are owned by nobody", () => {
    const updated = { ...live, metadata: { ...live.metadata, resourceVersion: "8", generation: 2 } };
    const mf = updateManagedFields({ old: live, updated, manager: "other", apiVersion: GV, now: T1, listTypeOf: lists });
    expect(mf.map((e) => e.manager)).toEqual(["creator"]);
  });

  test("a manager that loses all its fields is dropped", () => {
    const updated = withFields(widget({ size: 5, color: "blue" }), createdFields);
    const mf = updateManagedFields({ old: live, updated, manager: "editor", apiVersion: GV, now: T1, listTypeOf: lists });
    // "creator" still owns spec itself, which the update did not change: a bare leaf on the wire.
    expect(entry(mf, "creator")!.fieldsV1).toEqual({ "f:spec": {} });
    const gone = updateManagedFields({
      old: live,
      updated: withFields({ ...widget({}), spec: undefined } as KObject, createdFields),
      manager: "editor",
      apiVersion: GV,
      now: T1,
      listTypeOf: lists,
    });
    expect(gone).toEqual([]);
  });

  test("removing a field removes it from its owner", () => {
    const updated = withFields(widget({ size: 1 }), createdFields);
    const mf = updateManagedFields({ old: live, updated, manager: "editor", apiVersion: GV, now: T1, listTypeOf: lists });
    expect(mf.map((e) => e.manager)).toEqual(["creator"]);
    expect(entry(mf, "creator")!.fieldsV1).toEqual({ "f:spec": { ".": {}, "f:size": {} } });
  });

  test("the same manager accumulates fields in one entry, with the newest time", () => {
    const first = updateManagedFields({ old: live, updated: withFields(widget({ size: 2, color: "red" }), createdFields), manager: "editor", apiVersion: GV, now: T1, listTypeOf: lists });
    const live2 = withFields(widget({ size: 2, color: "red" }), first);
    const second = updateManagedFields({ old: live2, updated: withFields(widget({ size: 2, color: "blue" }), first), manager: "editor", apiVersion: GV, now: T2, listTypeOf: lists });
    const editor = second.filter((e) => e.manager === "editor");
    expect(editor).toHaveLength(1);
    expect(editor[0]!.time).toBe(T2);
    expect(editor[0]!.fieldsV1).toEqual({ "f:spec": { "f:color": {}, "f:size": {} } });
  });

  test("updates through another apiVersion or the status subresource are separate entries", () => {
    const a = updateManagedFields({ old: live, updated: withFields(widget({ size: 2, color: "red" }), createdFields), manager: "ctl", apiVersion: GV, now: T1, listTypeOf: lists });
    const liveA = withFields(widget({ size: 2, color: "red" }), a);
    const withStatus = { ...liveA, status: { ready: true } };
    const b = updateManagedFields({ old: liveA, updated: withStatus, manager: "ctl", apiVersion: GV, subresource: "status", now: T2, listTypeOf: lists });
    const ctl = b.filter((e) => e.manager === "ctl");
    expect(ctl.map((e) => e.subresource)).toEqual([undefined, "status"]);
    expect(ctl[1]!.fieldsV1).toEqual({ "f:status": { ".": {}, "f:ready": {} } });
    const c = updateManagedFields({ old: liveA, updated: withFields(widget({ size: 2, color: "green" }), a), manager: "ctl", apiVersion: "example.com/v2", now: T2, listTypeOf: lists });
    expect(c.filter((e) => e.manager === "ctl").map((e) => e.apiVersion)).toEqual([GV, "example.com/v2"]);
  });

  test("a status write cannot rewrite managedFields", () => {
    const forged = withFields({ ...live, status: { ready: true } }, []);
    const mf = updateManagedFields({ old: live, updated: forged, manager: "ctl", apiVersion: GV, subresource: "status", now: T1, listTypeOf: lists });
    expect(mf.map((e) => e.manager)).toEqual(["creator", "ctl"]);
  });

  test("sending managedFields: [] wipes them, and the object then stays untracked", () => {
    const wiped = updateManagedFields({ old: live, updated: withFields(widget({ size: 9, color: "red" }), []), manager: "m", apiVersion: GV, now: T1, listTypeOf: lists });
    expect(wiped).toEqual([]);
    const untracked = withFields(widget({ size: 9, color: "red" }), []);
    const next = updateManagedFields({ old: untracked, updated: widget({ size: 10, color: "red" }), manager: "m", apiVersion: GV, now: T2, listTypeOf: lists });
    expect(next).toEqual([]);
  });

  test("managedFields edited by the client are taken as the starting point", () => {
    const edited: ManagedFieldsEntry[] = [{ ...createdFields[0]!, manager: "renamed" }];
    const mf = updateManagedFields({ old: live, updated: withFields(live, edited), manager: "m", apiVersion: GV, now: T1, listTypeOf: lists });
    expect(mf.map((e) => e.manager)).toEqual(["renamed"]);
  });

  test("entries sort by operation, then time, then manager", () => {
    const unsorted: ManagedFieldsEntry[] = [
      { manager: "b", operation: "Update", apiVersion: GV, time: T1, fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:size": {} } } },
      { manager: "a", operation: "Update", apiVersion: GV, time: T1, fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:color": {} } } },
      { manager: "z", operation: "Update", apiVersion: GV, time: T0, fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:x": {} } } },
      { manager: "y", operation: "Apply", apiVersion: GV, time: T2, fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:y": {} } } },
    ];
    const obj = withFields(widget({ size: 1, color: "red", x: 1, y: 1 }), unsorted);
    const mf = updateManagedFields({ old: obj, updated: { ...obj, spec: { size: 1, color: "red", x: 1, y: 1, z: 1 } }, manager: "c", apiVersion: GV, now: T2, listTypeOf: lists });
    expect(mf.map((e) => e.manager)).toEqual(["y", "z", "a", "b", "c"]);
  });

  test("more than ten Update managers: the oldest fold into ancient-changes", () => {
    let obj = widget({});
    let mf: ManagedFieldsEntry[] = [];
    for (let i = 0; i < 12; i++) {
      const next = withFields(widget({ ...(obj.spec as object), [`f${i}`]: i }), mf);
      mf = updateManagedFields({ old: i === 0 ? undefined : obj, updated: next, manager: `m${i}`, apiVersion: GV, now: `2026-01-01T00:00:${String(i).padStart(2, "0")}Z`, listTypeOf: lists });
      obj = withFields(next, mf);
    }
    const updaters = mf.filter((e) => e.operation === "Update");
    expect(updaters).toHaveLength(10);
    const ancient = entry(mf, "ancient-changes")!;
    expect(ancient.fieldsV1).toEqual({ "f:spec": { ".": {}, "f:f0": {}, "f:f1": {}, "f:f2": {} } });
    expect(ancient.time).toBe("2026-01-01T00:00:02Z");
    expect(entry(mf, "m0")).toBeUndefined();
    expect(entry(mf, "m3")).toBeDefined();
  });
});

describe("managerFromUserAgent", () => {
  test("takes the part before the first slash", () => {
    expect(managerFromUserAgent("kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd")).toBe("kubectl");
    expect(managerFromUserAgent("node-fetch")).toBe("node-fetch");
    expect(managerFromUserAgent("")).toBe("");
  });

  test("drops unprintable characters and caps the length at 128 bytes", () => {
    expect(managerFromUserAgent("my\u0001tool/1.0")).toBe("mytool");
    expect(managerFromUserAgent("x".repeat(200))).toHaveLength(128);
    expect(managerFromUserAgent("é".repeat(100))).toHaveLength(64);
  });
});
