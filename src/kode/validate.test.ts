import { describe, expect, test } from "bun:test";
import type { Kode, KodeTemplateSpec } from "../api/types.ts";
import { MAX_KODE_NAME_LENGTH, validateKodeInput } from "./validate.ts";

const kode = (spec: Partial<Kode["spec"]> = {}, name = "alice"): Kode => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "Kode",
  metadata: { name, namespace: "dev", uid: "u" },
  spec: { templateRef: { name: "tpl" }, ...spec },
});
const tpl = (spec: Partial<KodeTemplateSpec> = {}): KodeTemplateSpec => ({ type: "code-server", image: "img", ...spec });
const reasons = (k: Kode, t: KodeTemplateSpec) => validateKodeInput(k, t).map((p) => p.reason);

describe("validateKodeInput", () => {
  test("a plain Kode is fine, for both supported types", () => {
    expect(validateKodeInput(kode(), tpl())).toEqual([]);
    expect(validateKodeInput(kode(), tpl({ type: "webtop" }))).toEqual([]);
    expect(
      validateKodeInput(
        kode({ home: "/home/a", workspace: "src/x", storage: { resources: { requests: { storage: "1.5Gi" } }, accessModes: ["ReadWriteOncePod"] } }),
        tpl({ resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "1Gi" } } }),
      ),
    ).toEqual([]);
  });

  test("NameTooLong above 52 characters, fine at 52", () => {
    expect(reasons(kode({}, "a".repeat(MAX_KODE_NAME_LENGTH)), tpl())).toEqual([]);
    const p = validateKodeInput(kode({}, "a".repeat(53)), tpl());
    expect(p.map((x) => x.reason)).toEqual(["NameTooLong"]);
    expect(p[0].message).toContain("53");
    expect(p[0].message).toContain("52");
    expect(p[0].message).toContain("shorter name");
  });

  test("InvalidName: names that are not DNS-1035 labels (leading digit, dots)", () => {
    expect(reasons(kode({}, "1alice"), tpl())).toEqual(["InvalidName"]);
    expect(reasons(kode({}, "alice.dev"), tpl())).toEqual(["InvalidName"]);
    expect(reasons(kode({}, "alice-2"), tpl())).toEqual([]);
  });

  test("every type is supported; an unknown type is UnsupportedType naming the five", () => {
    for (const type of ["jupyter", "alnoda", "devcontainers"] as const) expect(validateKodeInput(kode(), tpl({ type }))).toEqual([]);
    const p = validateKodeInput(kode(), tpl({ type: "vim" as never }));
    expect(p.map((x) => x.reason)).toContain("UnsupportedType");
    expect(p.find((x) => x.reason === "UnsupportedType")!.message).toContain("code-server, webtop, jupyter, alnoda or devcontainers");
  });

  test("MissingImage only when there is neither an image nor a type default", () => {
    expect(reasons(kode(), tpl({ image: "" }))).toEqual([]);
    expect(reasons(kode(), tpl({ type: "vim" as never, image: "" }))).toContain("MissingImage");
  });

  test("InvalidPort", () => {
    for (const port of [0, -1, 65536, 80.5]) expect(reasons(kode(), tpl({ port }))).toEqual(["InvalidPort"]);
    expect(reasons(kode(), tpl({ port: 65535 }))).toEqual([]);
  });

  test("InvalidHome: not absolute, root, '..', ':' — from the Kode or the template", () => {
    expect(reasons(kode({ home: "config" }), tpl())).toEqual(["InvalidHome"]);
    expect(reasons(kode({ home: "/" }), tpl())).toEqual(["InvalidHome"]);
    expect(reasons(kode({ home: "//" }), tpl())).toEqual(["InvalidHome"]);
    expect(reasons(kode({ home: "/home/../etc" }), tpl())).toEqual(["InvalidHome"]);
    expect(reasons(kode({ home: "/a:b" }), tpl())).toEqual(["InvalidHome"]);
    const p = validateKodeInput(kode(), tpl({ defaultHome: "relative" }));
    expect(p.map((x) => x.reason)).toEqual(["InvalidHome"]);
    expect(p[0].message).toContain("defaultHome");
    expect(validateKodeInput(kode({ home: "x" }), tpl())[0].message).toContain("spec.home");
    // The Kode's valid home hides an invalid template default.
    expect(reasons(kode({ home: "/ok" }), tpl({ defaultHome: "bad" }))).toEqual([]);
    expect(reasons(kode({ home: "/home/..dots/ok" }), tpl())).toEqual([]);
  });

  test("InvalidWorkspace: absolute or with '..'", () => {
    expect(reasons(kode({ workspace: "/abs" }), tpl())).toEqual(["InvalidWorkspace"]);
    expect(reasons(kode({ workspace: "../escape" }), tpl())).toEqual(["InvalidWorkspace"]);
    expect(reasons(kode({ workspace: "a/../../b" }), tpl())).toEqual(["InvalidWorkspace"]);
    expect(reasons(kode(), tpl({ defaultWorkspace: "/abs" }))).toEqual(["InvalidWorkspace"]);
    expect(reasons(kode({ workspace: "" }), tpl())).toEqual([]);
    expect(reasons(kode({ workspace: "a..b" }), tpl())).toEqual([]);
  });

  test("InvalidStorageQuantity for invalid and non-positive sizes, from the Kode or the template", () => {
    for (const size of ["1GB", "-1", "0", "ten", "1 Gi"]) {
      const p = validateKodeInput(kode({ storage: { resources: { requests: { storage: size } } } }), tpl());
      expect(p.map((x) => x.reason)).toEqual(["InvalidStorageQuantity"]);
      expect(p[0].message).toContain(size);
    }
    expect(reasons(kode(), tpl({ storage: { resources: { requests: { storage: "1GB" } } } }))).toEqual(["InvalidStorageQuantity"]);
    // The Kode's valid size overrides the template's invalid one.
    expect(reasons(kode({ storage: { resources: { requests: { storage: "1Gi" } } } }), tpl({ storage: { resources: { requests: { storage: "1GB" } } } }))).toEqual([]);
    for (const size of ["1Gi", "500M", "1.5Gi", "1e3", "0.5"])
      expect(reasons(kode({ storage: { resources: { requests: { storage: size } } } }), tpl())).toEqual([]);
  });

  test("MissingStorageSize when storage is declared without size or claim", () => {
    expect(reasons(kode({ storage: { storageClassName: "fast" } }), tpl())).toEqual(["MissingStorageSize"]);
    expect(reasons(kode({ storage: { keepVolume: true } }), tpl())).toEqual(["MissingStorageSize"]);
    expect(reasons(kode({ storage: { keepVolume: false } }), tpl())).toEqual([]);
    expect(reasons(kode({ storage: {} }), tpl())).toEqual([]);
    expect(reasons(kode({ storage: { existingVolumeClaim: "data" } }), tpl())).toEqual([]);
  });

  test("InvalidAccessMode", () => {
    expect(reasons(kode({ storage: { accessModes: ["RWO"], resources: { requests: { storage: "1Gi" } } } }), tpl())).toEqual(["InvalidAccessMode"]);
  });

  test("InvalidVolumeClaimName", () => {
    expect(reasons(kode({ storage: { existingVolumeClaim: "My_Data" } }), tpl())).toEqual(["InvalidVolumeClaimName"]);
  });

  test("template resources: InvalidResourceQuantity and InvalidResources (request above limit)", () => {
    expect(reasons(kode(), tpl({ resources: { limits: { memory: "2GB" } } }))).toEqual(["InvalidResourceQuantity"]);
    expect(reasons(kode(), tpl({ resources: { requests: { cpu: "-1" } } }))).toEqual(["InvalidResourceQuantity"]);
    const p = validateKodeInput(kode(), tpl({ resources: { requests: { memory: "2Gi" }, limits: { memory: "1Gi" } } }));
    expect(p.map((x) => x.reason)).toEqual(["InvalidResources"]);
    expect(p[0].message).toContain("2Gi");
    expect(reasons(kode(), tpl({ resources: { requests: { memory: "1024Mi" }, limits: { memory: "1Gi" } } }))).toEqual([]);
  });

  test("every problem is reported, not only the first", () => {
    const r = reasons(kode({ home: "rel", workspace: "/abs", storage: { resources: { requests: { storage: "1GB" } } } }, "9".repeat(60)), tpl({ type: "vim" as never, image: "x", port: 80 }));
    expect(r).toEqual(["NameTooLong", "InvalidName", "UnsupportedType", "InvalidHome", "InvalidWorkspace", "InvalidStorageQuantity"]);
  });

  test("messages say what to do", () => {
    const r = validateKodeInput(kode({ home: "rel", workspace: "/abs" }, "9".repeat(60)), tpl({ type: "alnoda" }));
    for (const p of r) {
      expect(p.reason).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(p.message.length).toBeGreaterThan(30);
    }
  });
});
