import { describe, expect, test } from "bun:test";
import { MAX_JSON_PATCH_OPERATIONS, PatchError, applyJsonPatch } from "./json-patch.ts";

function patchError(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PatchError) return error;
    throw error;
  }
  throw new Error("expected a PatchError, but nothing was thrown");
}

describe("applyJsonPatch: RFC 6902 appendix A", () => {
  test("A.1 adding an object member", () => {
    expect(applyJsonPatch({ foo: "bar" }, [{ op: "add", path: "/baz", value: "qux" }])).toEqual({ foo: "bar", baz: "qux" });
  });

  test("A.2 adding an array element", () => {
    expect(applyJsonPatch({ foo: ["bar", "baz"] }, [{ op: "add", path: "/foo/1", value: "qux" }])).toEqual({
      foo: ["bar", "qux", "baz"],
    });
  });

  test("A.3 removing an object member", () => {
    expect(applyJsonPatch({ baz: "qux", foo: "bar" }, [{ op: "remove", path: "/baz" }])).toEqual({ foo: "bar" });
  });

  test("A.4 removing an array element", () => {
    expect(applyJsonPatch({ foo: ["bar", "qux", "baz"] }, [{ op: "remove", path: "/foo/1" }])).toEqual({ foo: ["bar", "baz"] });
  });

  test("A.5 replacing a value", () => {
    expect(applyJsonPatch({ baz: "qux", foo: "bar" }, [{ op: "replace", path: "/baz", value: "boo" }])).toEqual({
      baz: "boo",
      foo: "bar",
    });
  });

  test("A.6 moving a value", () => {
    const doc = { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } };
    expect(applyJsonPatch(doc, [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }])).toEqual({
      foo: { bar: "baz" },
      qux: { corge: "grault", thud: "fred" },
    });
  });

  test("A.7 moving an array element", () => {
    const doc = { foo: ["all", "grass", "cows", "eat"] };
    expect(applyJsonPatch(doc, [{ op: "move", from: "/foo/1", path: "/foo/3" }])).toEqual({
      foo: ["all", "cows", "eat", "grass"],
    });
  });

  test("A.8 testing a value: success", () => {
    const doc = { baz: "qux", foo: ["a", 2, "c"] };
    const ops = [
      { op: "test", path: "/baz", value: "qux" },
      { op: "test", path: "/foo/1", value: 2 },
    ];
    expect(applyJsonPatch(doc, ops)).toEqual(doc);
  });

  test("A.9 testing a value: error", () => {
    const error = patchError(() => applyJsonPatch({ baz: "qux" }, [{ op: "test", path: "/baz", value: "bar" }]));
    expect(error.kind).toBe("failed");
    expect(error.message).toBe("testing value /baz failed: test failed");
  });

  test("A.10 adding a nested member object", () => {
    expect(applyJsonPatch({ foo: "bar" }, [{ op: "add", path: "/child", value: { grandchild: {} } }])).toEqual({
      foo: "bar",
      child: { grandchild: {} },
    });
  });

  test("A.11 ignoring unrecognized elements", () => {
    expect(applyJsonPatch({ foo: "bar" }, [{ op: "add", path: "/baz", value: "qux", xyz: 123 }])).toEqual({
      foo: "bar",
      baz: "qux",
    });
  });

  test("A.12 adding to a nonexistent target", () => {
    const error = patchError(() => applyJsonPatch({ foo: "bar" }, [{ op: "add", path: "/baz/bat", value: "qux" }]));
    expect(error.kind).toBe("failed");
    expect(error.message).toContain("doc is missing path");
  });

  // A.13 (an operation object with two "op" members) cannot be expressed once the body is parsed JSON.

  test("A.14 ~ escape ordering", () => {
    const doc = { "/": 9, "~1": 10 };
    expect(applyJsonPatch(doc, [{ op: "test", path: "/~01", value: 10 }])).toEqual(doc);
  });

  test("A.15 comparing strings and numbers", () => {
    const doc = { "/": 9, "~1": 10 };
    expect(patchError(() => applyJsonPatch(doc, [{ op: "test", path: "/~01", value: "10" }])).kind).toBe("failed");
  });

  test("A.16 adding an array value", () => {
    expect(applyJsonPatch({ foo: ["bar"] }, [{ op: "add", path: "/foo/-", value: ["abc", "def"] }])).toEqual({
      foo: ["bar", ["abc", "def"]],
    });
  });
});

describe("applyJsonPatch on Kubernetes objects", () => {
  const deployment = () => ({
    metadata: { name: "web", labels: { app: "web" } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: "a", image: "nginx:1" }, { name: "b", image: "redis" }] } } },
  });

  test("replace spec.replicas and a container image by index", () => {
    const result = applyJsonPatch(deployment(), [
      { op: "replace", path: "/spec/replicas", value: 3 },
      { op: "replace", path: "/spec/template/spec/containers/0/image", value: "nginx:2" },
    ]) as any;
    expect(result.spec.replicas).toBe(3);
    expect(result.spec.template.spec.containers).toEqual([
      { name: "a", image: "nginx:2" },
      { name: "b", image: "redis" },
    ]);
  });

  test("a label key with a slash is addressed with ~1", () => {
    const result = applyJsonPatch(deployment(), [
      { op: "add", path: "/metadata/labels/app.kubernetes.io~1name", value: "web" },
      { op: "add", path: "/metadata/labels/tilde~0key", value: "t" },
    ]) as any;
    expect(result.metadata.labels).toEqual({ app: "web", "app.kubernetes.io/name": "web", "tilde~key": "t" });
  });

  test("add with `-` appends a container; add at index len appends too", () => {
    const appended = applyJsonPatch(deployment(), [
      { op: "add", path: "/spec/template/spec/containers/-", value: { name: "c" } },
      { op: "add", path: "/spec/template/spec/containers/3", value: { name: "d" } },
    ]) as any;
    expect(appended.spec.template.spec.containers.map((c: any) => c.name)).toEqual(["a", "b", "c", "d"]);
  });

  test("add past the end of an array fails", () => {
    const error = patchError(() => applyJsonPatch({ a: [1] }, [{ op: "add", path: "/a/2", value: 3 }]));
    expect(error.kind).toBe("failed");
    expect(error.message).toContain("Unable to access invalid index: 2");
  });

  test("add to an array with a non-numeric index fails", () => {
    expect(patchError(() => applyJsonPatch({ a: [1] }, [{ op: "add", path: "/a/x", value: 3 }])).kind).toBe("failed");
  });

  test("add to a missing parent fails and so does add under a scalar", () => {
    expect(patchError(() => applyJsonPatch({ a: 1 }, [{ op: "add", path: "/b/c", value: 1 }])).kind).toBe("failed");
    expect(patchError(() => applyJsonPatch({ a: 1 }, [{ op: "add", path: "/a/c", value: 1 }])).kind).toBe("failed");
  });

  test("add replaces an existing object member", () => {
    expect(applyJsonPatch({ a: { b: 1 } }, [{ op: "add", path: "/a", value: 2 }])).toEqual({ a: 2 });
  });

  test("add at the root path fails, as in the apiserver's json-patch library", () => {
    expect(patchError(() => applyJsonPatch({ a: 1 }, [{ op: "add", path: "", value: {} }])).kind).toBe("failed");
  });

  test("remove of a missing member or index fails", () => {
    const missingKey = patchError(() => applyJsonPatch({ a: 1 }, [{ op: "remove", path: "/metadata/labels" }]));
    expect(missingKey.kind).toBe("failed");
    const missingMember = patchError(() => applyJsonPatch({ a: 1 }, [{ op: "remove", path: "/b" }]));
    expect(missingMember.message).toContain("Unable to remove nonexistent key: b");
    expect(patchError(() => applyJsonPatch({ a: [1] }, [{ op: "remove", path: "/a/1" }])).kind).toBe("failed");
    expect(patchError(() => applyJsonPatch({ a: [1] }, [{ op: "remove", path: "/a/-" }])).kind).toBe("failed");
  });

  test("replace of a missing object member adds it (apiserver behaviour); a missing array index fails", () => {
    expect(applyJsonPatch({ metadata: { labels: {} } }, [{ op: "replace", path: "/metadata/labels/x", value: "y" }])).toEqual({
      metadata: { labels: { x: "y" } },
    });
    expect(patchError(() => applyJsonPatch({ a: [1] }, [{ op: "replace", path: "/a/1", value: 2 }])).kind).toBe("failed");
    expect(patchError(() => applyJsonPatch({ a: 1 }, [{ op: "replace", path: "/b/c", value: 2 }])).kind).toBe("failed");
  });

  test("negative indices count from the end, as in the apiserver's json-patch library", () => {
    expect(applyJsonPatch({ a: [1, 2, 3] }, [{ op: "remove", path: "/a/-1" }])).toEqual({ a: [1, 2] });
    expect(applyJsonPatch({ a: [1, 2, 3] }, [{ op: "replace", path: "/a/-3", value: 9 }])).toEqual({ a: [9, 2, 3] });
    expect(patchError(() => applyJsonPatch({ a: [1] }, [{ op: "remove", path: "/a/-2" }])).kind).toBe("failed");
  });

  test("replace at the root path swaps the whole document, but only for an object or array", () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: "replace", path: "", value: { b: 2 } }])).toEqual({ b: 2 });
    expect(patchError(() => applyJsonPatch({ a: 1 }, [{ op: "replace", path: "", value: 3 }])).kind).toBe("failed");
  });

  test("move and copy need an existing source", () => {
    expect(patchError(() => applyJsonPatch({ a: 1 }, [{ op: "move", from: "/x", path: "/y" }])).kind).toBe("failed");
    expect(patchError(() => applyJsonPatch({ a: 1 }, [{ op: "copy", from: "/x", path: "/y" }])).kind).toBe("failed");
    expect(patchError(() => applyJsonPatch({ a: [1] }, [{ op: "copy", from: "/a/5", path: "/y" }])).kind).toBe("failed");
  });

  test("a value cannot be moved into one of its own children", () => {
    expect(patchError(() => applyJsonPatch({ a: { b: {} } }, [{ op: "move", from: "/a", path: "/a/b/c" }])).kind).toBe("failed");
  });

  test("copy duplicates a value without aliasing it", () => {
    const result = applyJsonPatch({ a: { b: [1] } }, [
      { op: "copy", from: "/a", path: "/c" },
      { op: "add", path: "/c/b/-", value: 2 },
    ]);
    expect(result).toEqual({ a: { b: [1] }, c: { b: [1, 2] } });
  });

  test("test compares deeply and the root path tests the whole document", () => {
    const doc = { spec: { list: [{ x: 1 }] } };
    expect(applyJsonPatch(doc, [{ op: "test", path: "/spec", value: { list: [{ x: 1 }] } }])).toEqual(doc);
    expect(applyJsonPatch(doc, [{ op: "test", path: "", value: doc }])).toEqual(doc);
    expect(patchError(() => applyJsonPatch(doc, [{ op: "test", path: "/spec/list", value: [{ x: 2 }] }])).kind).toBe("failed");
    expect(patchError(() => applyJsonPatch(doc, [{ op: "test", path: "/spec/list/3", value: 1 }])).kind).toBe("failed");
  });

  test("test of a missing member passes only against null, as in the apiserver's json-patch library", () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: "test", path: "/b", value: null }])).toEqual({ a: 1 });
    expect(patchError(() => applyJsonPatch({ a: 1 }, [{ op: "test", path: "/b", value: 1 }])).kind).toBe("failed");
  });

  test("test against a resourceVersion works as an optimistic lock", () => {
    const obj = { metadata: { resourceVersion: "5" }, spec: { size: 1 } };
    const ops = (rv: string) => [
      { op: "test", path: "/metadata/resourceVersion", value: rv },
      { op: "replace", path: "/spec/size", value: 2 },
    ];
    expect(applyJsonPatch(obj, ops("5"))).toEqual({ metadata: { resourceVersion: "5" }, spec: { size: 2 } });
    expect(patchError(() => applyJsonPatch(obj, ops("4"))).kind).toBe("failed");
  });

  test("a path without a leading slash fails", () => {
    expect(patchError(() => applyJsonPatch({ a: 1 }, [{ op: "replace", path: "a", value: 2 }])).kind).toBe("failed");
  });

  test("a failing operation leaves the input untouched, even after earlier operations succeeded", () => {
    const doc = deployment();
    const before = structuredClone(doc);
    const ops = [
      { op: "replace", path: "/spec/replicas", value: 5 },
      { op: "remove", path: "/spec/template/spec/containers/0" },
      { op: "test", path: "/spec/replicas", value: 1 },
    ];
    expect(patchError(() => applyJsonPatch(doc, ops)).kind).toBe("failed");
    expect(doc).toEqual(before);
  });

  test("a successful patch neither mutates the document nor aliases the operation values", () => {
    const doc = deployment();
    const before = structuredClone(doc);
    const value = { name: "c", env: [{ name: "X" }] };
    const result = applyJsonPatch(doc, [{ op: "add", path: "/spec/template/spec/containers/-", value }]) as any;
    expect(doc).toEqual(before);
    result.spec.template.spec.containers[2].env.push({ name: "Y" });
    expect(value.env).toEqual([{ name: "X" }]);
  });

  test("an empty patch returns an equal copy", () => {
    const doc = deployment();
    const result = applyJsonPatch(doc, []);
    expect(result).toEqual(doc);
    expect(result).not.toBe(doc);
  });
});

describe("applyJsonPatch: malformed patches", () => {
  const malformed: [string, unknown][] = [
    ["an object", { op: "add", path: "/a", value: 1 }],
    ["a string", "[]"],
    ["null", null],
    ["an array of strings", ["add"]],
    ["an array holding null", [null]],
    ["an unknown op", [{ op: "merge", path: "/a", value: 1 }]],
    ["a missing op", [{ path: "/a", value: 1 }]],
    ["a non-string op", [{ op: 1, path: "/a" }]],
    ["a missing path", [{ op: "remove" }]],
    ["a null path", [{ op: "add", path: null, value: 1 }]],
    ["a numeric path", [{ op: "add", path: 1, value: 1 }]],
    ["add without value", [{ op: "add", path: "/a" }]],
    ["replace without value", [{ op: "replace", path: "/a" }]],
    ["test without value", [{ op: "test", path: "/a" }]],
    ["move without from", [{ op: "move", path: "/a" }]],
    ["copy without from", [{ op: "copy", path: "/a" }]],
  ];
  for (const [name, ops] of malformed) {
    test(`${name} is malformed`, () => {
      expect(patchError(() => applyJsonPatch({ a: 1 }, ops)).kind).toBe("malformed");
    });
  }

  test("a malformed operation is reported even after one that would fail", () => {
    const ops = [{ op: "remove", path: "/missing" }, { op: "bogus", path: "/a" }];
    const error = patchError(() => applyJsonPatch({ a: 1 }, ops));
    expect(error.kind).toBe("malformed");
    expect(error.message).toBe("Unexpected kind: bogus");
  });

  test("the messages name the Go types the apiserver reports", () => {
    expect(patchError(() => applyJsonPatch({}, {})).message).toBe("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
    expect(patchError(() => applyJsonPatch({}, [1])).message).toBe(
      "json: cannot unmarshal number into Go value of type jsonpatch.Operation",
    );
  });

  test("a value of null is a value", () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: "add", path: "/b", value: null }])).toEqual({ a: 1, b: null });
  });
});

describe("applyJsonPatch: size limit", () => {
  test(`${MAX_JSON_PATCH_OPERATIONS} operations are allowed`, () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS }, (_, i) => ({ op: "add", path: `/k${i % 10}`, value: i }));
    const result = applyJsonPatch({}, ops) as Record<string, number>;
    expect(result.k9).toBe(MAX_JSON_PATCH_OPERATIONS - 1);
  });

  test("one more is too large, and is checked before anything is applied", () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: "remove", path: "/missing" }));
    const error = patchError(() => applyJsonPatch({}, ops));
    expect(error.kind).toBe("tooLarge");
    expect(error.message).toBe(`The allowed maximum operations in a JSON patch is 10000, got ${MAX_JSON_PATCH_OPERATIONS + 1}`);
  });
});

describe("applyJsonPatch: messages for missing fields", () => {
  test("follow the library's wording per operation", () => {
    expect(patchError(() => applyJsonPatch({}, [{ op: "remove" }])).message).toBe("remove operation failed to decode path: missing value");
    expect(patchError(() => applyJsonPatch({}, [{ op: "replace", value: 1 }])).message).toBe(
      "replace operation failed to decode path: operation missing path field: missing value",
    );
    expect(patchError(() => applyJsonPatch({}, [{ op: "move", path: "/a" }])).message).toBe(
      "move operation failed to decode from: operation, missing from field: missing value",
    );
  });
});
