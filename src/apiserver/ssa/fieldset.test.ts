import { describe, expect, test } from "bun:test";
import {
  difference,
  fieldSetOf,
  formatPath,
  fromFieldsV1,
  has,
  intersection,
  memberPaths,
  setOfPaths,
  toFieldsV1,
  union,
  type ListTypeOf,
} from "./fieldset.ts";

const lists: ListTypeOf = (path) => {
  const p = path.join(".");
  if (p === "spec.containers") return { type: "map", keys: ["name"] };
  // Declared out of order on purpose: FieldsV1 must still sort them.
  if (p === "spec.containers.ports") return { type: "map", keys: ["protocol", "containerPort"] };
  if (p === "spec.tags") return { type: "set" };
  return { type: "atomic" };
};

describe("fieldSetOf + toFieldsV1", () => {
  test("scalars are leaves, objects are not members, list items are", () => {
    const fields = toFieldsV1(
      fieldSetOf(
        {
          spec: {
            size: 3,
            containers: [{ name: "ide", image: "code", ports: [{ protocol: "TCP", containerPort: 8080 }] }],
          },
        },
        lists,
      ),
    );
    expect(fields).toEqual({
      "f:spec": {
        "f:containers": {
          'k:{"name":"ide"}': {
            ".": {},
            "f:image": {},
            "f:name": {},
            "f:ports": { 'k:{"containerPort":8080,"protocol":"TCP"}': { ".": {}, "f:containerPort": {}, "f:protocol": {} } },
          },
        },
        "f:size": {},
      },
    });
  });

  test("keys of a k: element are sorted by name, whatever the item's order", () => {
    const fields = toFieldsV1(
      fieldSetOf({ spec: { containers: [{ name: "a", ports: [{ protocol: "UDP", containerPort: 53 }] }] } }, lists),
    ) as any;
    const ports = fields["f:spec"]["f:containers"]['k:{"name":"a"}']["f:ports"];
    expect(Object.keys(ports)).toEqual(['k:{"containerPort":53,"protocol":"UDP"}']);
  });

  test("set lists use v: with the JSON value; atomic lists are a single leaf", () => {
    const fields = toFieldsV1(fieldSetOf({ spec: { tags: ["b", "a"], args: ["x", "y"] } }, lists)) as any;
    expect(fields["f:spec"]["f:tags"]).toEqual({ 'v:"a"': {}, 'v:"b"': {} });
    expect(Object.keys(fields["f:spec"]["f:tags"])).toEqual(['v:"a"', 'v:"b"']);
    expect(fields["f:spec"]["f:args"]).toEqual({});
  });

  test("an explicit null or empty object is owned; an empty granular list is not", () => {
    const fields = toFieldsV1(fieldSetOf({ spec: { a: null, b: {}, tags: [], args: [] } }, lists)) as any;
    expect(fields["f:spec"]).toEqual({ "f:a": {}, "f:args": {}, "f:b": {} });
  });

  test("metadata.finalizers is a set and ownerReferences are keyed by uid", () => {
    const fields = toFieldsV1(
      fieldSetOf(
        {
          metadata: {
            finalizers: ["example.com/f"],
            ownerReferences: [{ uid: "u1", name: "o", kind: "K", apiVersion: "v1" }],
          },
        },
        () => ({ type: "atomic" }),
      ),
    ) as any;
    expect(Object.keys(fields["f:metadata"]["f:finalizers"])).toEqual(['v:"example.com/f"']);
    expect(Object.keys(fields["f:metadata"]["f:ownerReferences"])).toEqual(['k:{"uid":"u1"}']);
  });

  test("fields sort before keys, keys before values; numbers before strings", () => {
    const set = setOfPaths([['v:"b"'], ["v:2"], ['k:{"name":"x"}'], ["f:z"], ["f:a"], ["v:10"]]);
    expect(Object.keys(toFieldsV1(set))).toEqual(["f:a", "f:z", 'k:{"name":"x"}', "v:2", "v:10", 'v:"b"']);
  });

  test("key JSON escapes HTML characters as Go does", () => {
    const fields = toFieldsV1(fieldSetOf({ spec: { tags: ["a<b&c>"] } }, lists)) as any;
    expect(Object.keys(fields["f:spec"]["f:tags"])).toEqual(['v:"a\\u003cb\\u0026c\\u003e"']);
  });

  test("metadata.managedFields is never part of an object's field set", () => {
    const fields = toFieldsV1(fieldSetOf({ metadata: { managedFields: [{ manager: "x" }], labels: { a: "1" } } }, lists));
    expect(fields).toEqual({ "f:metadata": { "f:labels": { "f:a": {} } } });
  });
});

describe("fromFieldsV1", () => {
  test("round-trips a real-looking FieldsV1", () => {
    const wire = {
      "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
      "f:spec": {
        ".": {},
        "f:containers": { 'k:{"name":"ide"}': { ".": {}, "f:image": {}, "f:name": {} } },
        "f:size": {},
      },
    };
    const set = fromFieldsV1(wire);
    expect(has(set, ["f:spec"])).toBe(true);
    expect(has(set, ["f:metadata"])).toBe(false);
    expect(has(set, ["f:spec", "f:containers"])).toBe(false);
    expect(has(set, ["f:spec", "f:containers", 'k:{"name":"ide"}'])).toBe(true);
    expect(toFieldsV1(set)).toEqual(wire);
  });

  test("skips unknown element kinds and tolerates garbage", () => {
    expect(toFieldsV1(fromFieldsV1({ "x:odd": {}, "f:a": {} }))).toEqual({ "f:a": {} });
    expect(toFieldsV1(fromFieldsV1("nope"))).toEqual({});
  });
});

describe("set algebra", () => {
  const a = setOfPaths([["f:spec", "f:a"], ["f:spec", "f:b"], ["f:spec"]]);
  const b = setOfPaths([["f:spec", "f:b"], ["f:spec", "f:c"]]);

  test("union, difference and intersection work member by member", () => {
    expect(memberPaths(union(a, b))).toEqual([["f:spec"], ["f:spec", "f:a"], ["f:spec", "f:b"], ["f:spec", "f:c"]]);
    expect(memberPaths(difference(a, b))).toEqual([["f:spec"], ["f:spec", "f:a"]]);
    expect(memberPaths(intersection(a, b))).toEqual([["f:spec", "f:b"]]);
  });

  test("difference leaves its inputs untouched", () => {
    difference(a, b);
    expect(memberPaths(a)).toHaveLength(3);
  });

  test("memberPaths lists a node's leaves before descending", () => {
    const s = setOfPaths([["f:spec", "f:containers", 'k:{"name":"a"}', "f:image"], ["f:spec", "f:size"]]);
    expect(memberPaths(s).map(formatPath)).toEqual([".spec.size", '.spec.containers[name="a"].image']);
  });
});

describe("formatPath", () => {
  test("prints paths as Kubernetes conflict messages do", () => {
    expect(formatPath(["f:spec", "f:size"])).toBe(".spec.size");
    expect(formatPath(["f:spec", "f:containers", 'k:{"name":"ide"}', "f:image"])).toBe(
      '.spec.containers[name="ide"].image',
    );
    expect(formatPath(["f:spec", "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}'])).toBe(
      '.spec.ports[containerPort=80,protocol="TCP"]',
    );
    expect(formatPath(["f:metadata", "f:finalizers", 'v:"a"'])).toBe('.metadata.finalizers[="a"]');
    expect(formatPath(["f:metadata", "f:labels", "f:app.kubernetes.io/name"])).toBe(
      ".metadata.labels.app.kubernetes.io/name",
    );
  });
});
