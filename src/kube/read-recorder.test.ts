import { describe, expect, test } from "bun:test";
import { specVersion, type ChildCache } from "./cache.ts";
import { readsUnchanged, ReadRecorder } from "./read-recorder.ts";
import type { KubeObject } from "./types.ts";

function mapCache(objs: KubeObject[]): ChildCache & { objs: KubeObject[] } {
  return {
    objs,
    get(ns, name) {
      return this.objs.find((o) => o.metadata.namespace === ns && o.metadata.name === name);
    },
    controlledBy(uid) {
      return this.objs.filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === uid));
    },
  };
}
const obj = (name: string, rv: string, owner?: string): KubeObject => ({
  metadata: { name, namespace: "ns", resourceVersion: rv, ...(owner && { ownerReferences: [{ apiVersion: "v1", kind: "X", name: "x", uid: owner, controller: true }] }) },
});

describe("ReadRecorder", () => {
  test("records each read with what it saw, absences and lists included", () => {
    const a = mapCache([obj("one", "5"), obj("child", "7", "u1")]);
    const rec = new ReadRecorder({ a });
    rec.caches.a.get("ns", "one");
    rec.caches.a.get("ns", "missing");
    rec.caches.a.controlledBy!("u1");
    expect(rec.recorded()).toEqual([
      { cache: "a", query: ["get", "ns", "one"], seen: "5" },
      { cache: "a", query: ["get", "ns", "missing"], seen: "-" },
      { cache: "a", query: ["controlledBy", "u1"], seen: "child@7" },
    ]);
  });

  test("unchanged until any answer differs: a new version, an object appearing, a new controlled child", () => {
    const a = mapCache([obj("one", "5")]);
    const rec = new ReadRecorder({ a });
    rec.caches.a.get("ns", "one");
    rec.caches.a.get("ns", "missing");
    rec.caches.a.controlledBy!("u1");
    const reads = rec.recorded();
    expect(readsUnchanged(reads, { a })).toBe(true);
    a.objs = [obj("one", "6")];
    expect(readsUnchanged(reads, { a })).toBe(false);
    a.objs = [obj("one", "5"), obj("missing", "1")];
    expect(readsUnchanged(reads, { a })).toBe(false);
    a.objs = [obj("one", "5"), obj("c", "1", "u1")];
    expect(readsUnchanged(reads, { a })).toBe(false);
    a.objs = [obj("one", "5")];
    expect(readsUnchanged(reads, { a })).toBe(true);
  });

  test("a cache read by spec (specVersion): a status write leaves the read unchanged, a spec change does not", () => {
    const t = (rv: string, generation: number): KubeObject => ({ metadata: { name: "tpl", namespace: "ns", uid: "u-1", resourceVersion: rv, generation } });
    const templates = { ...mapCache([t("10", 1)]), versionOf: specVersion };
    const rec = new ReadRecorder({ templates });
    rec.caches.templates.get("ns", "tpl");
    const reads = rec.recorded();
    expect(reads).toEqual([{ cache: "templates", query: ["get", "ns", "tpl"], seen: "u-1/g1" }]);
    templates.objs = [t("11", 1)];
    expect(readsUnchanged(reads, { templates })).toBe(true);
    templates.objs = [t("12", 2)];
    expect(readsUnchanged(reads, { templates })).toBe(false);
    templates.objs = [];
    expect(readsUnchanged(reads, { templates })).toBe(false);
  });
});
