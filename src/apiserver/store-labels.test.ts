import { describe, expect, test } from "bun:test";
import { Store } from "./store.ts";

const R = "/configmaps";
const cm = (namespace: string, name: string, labels?: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace, name, labels } });

function names(objs: { metadata: { namespace?: string; name?: string } }[]) {
  return objs.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
}

describe("label index of the store", () => {
  test("equality, set and existence candidates come back in key order, per namespace or across all", () => {
    const s = new Store();
    s.put(R, cm("b", "z", { app: "x" }), undefined);
    s.put(R, cm("a", "y", { app: "x", tier: "web" }), undefined);
    s.put(R, cm("a", "b", { app: "other" }), undefined);
    s.put(R, cm("a", "a"), undefined);
    expect(names(s.listLabelled(R, undefined, [{ key: "app", values: ["x"] }]))).toEqual(["a/y", "b/z"]);
    expect(names(s.listLabelled(R, "a", [{ key: "app", values: ["x"] }]))).toEqual(["a/y"]);
    expect(names(s.listLabelled(R, undefined, [{ key: "app", values: ["x", "other"] }]))).toEqual(["a/b", "a/y", "b/z"]);
    expect(names(s.listLabelled(R, undefined, [{ key: "app" }]))).toEqual(["a/b", "a/y", "b/z"]);
    expect(names(s.listLabelled(R, undefined, [{ key: "app" }, { key: "tier", values: ["web"] }]))).toEqual(["a/y"]);
    expect(names(s.listLabelled(R, undefined, [{ key: "missing" }]))).toEqual([]);
    expect(names(s.listLabelled(R, undefined, [{ key: "app", values: ["nope"] }]))).toEqual([]);
  });

  test("a label change or a delete moves the object out of the old value's candidates", () => {
    const s = new Store();
    const first = s.put(R, cm("a", "one", { app: "x" }), undefined);
    s.put(R, cm("a", "two", { app: "x" }), undefined);
    s.put(R, cm("a", "one", { app: "y" }), first);
    expect(names(s.listLabelled(R, "a", [{ key: "app", values: ["x"] }]))).toEqual(["a/two"]);
    expect(names(s.listLabelled(R, "a", [{ key: "app", values: ["y"] }]))).toEqual(["a/one"]);
    s.remove(R, s.get(R, "a", "two")!);
    expect(names(s.listLabelled(R, "a", [{ key: "app", values: ["x"] }]))).toEqual([]);
    const one = s.get(R, "a", "one")!;
    s.put(R, cm("a", "one"), one);
    expect(names(s.listLabelled(R, "a", [{ key: "app" }]))).toEqual([]);
  });

  test("__proto__ is an ordinary label key", () => {
    const s = new Store();
    const labels = JSON.parse('{"__proto__":"v"}') as Record<string, string>;
    s.put(R, cm("a", "p", labels), undefined);
    expect(names(s.listLabelled(R, "a", [{ key: "__proto__", values: ["v"] }]))).toEqual(["a/p"]);
  });
});
