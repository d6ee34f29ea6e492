import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import {
  KodeSchema,
  KodeTemplateSchema,
  EnvoyProxyConfigSchema,
  SchemaValidationError,
  formatIssues,
  parseEnvoyProxyConfig,
  parseKode,
  parseKodeClusterTemplate,
  parseKodeTemplate,
  safeParseKode,
  safeParseKodeTemplate,
  ABSOLUTE_PATH,
  RELATIVE_PATH,
  QUANTITY,
  USER_NAME,
} from "./schemas.ts";
import type { Condition, EnvoyProxyConfig, Kode, KodeSpec, KodeStatus, KodeTemplate, KodeTemplateSpec } from "./types.ts";
import { seedExamples } from "./testdata/seed-examples.ts";

// ---------------------------------------------------------------------------------------------------------
// Type level: the valibot output types are assignable to the interfaces in types.ts. These lines fail
// `npx tsc --noEmit -p .` (not bun test) when the schemas and the types drift apart.
type Assert<T extends true> = T;
type Assignable<A, B> = [A] extends [B] ? true : false;
export type _TypeChecks = [
  Assert<Assignable<v.InferOutput<typeof KodeSchema>, Kode>>,
  Assert<Assignable<v.InferOutput<typeof KodeSchema>["spec"], KodeSpec>>,
  Assert<Assignable<NonNullable<v.InferOutput<typeof KodeSchema>["status"]>, KodeStatus>>,
  Assert<Assignable<NonNullable<NonNullable<v.InferOutput<typeof KodeSchema>["status"]>["conditions"]>[number], Condition>>,
  Assert<Assignable<v.InferOutput<typeof KodeTemplateSchema>, KodeTemplate>>,
  Assert<Assignable<v.InferOutput<typeof KodeTemplateSchema>["spec"], KodeTemplateSpec>>,
  Assert<Assignable<v.InferOutput<typeof EnvoyProxyConfigSchema>, EnvoyProxyConfig>>,
  // Not the other way round: types.ts is looser on purpose (e.g. accessModes: string[]); the schemas validate.
];

function typed(x: unknown) {
  const k: Kode = parseKode(x);
  const t: KodeTemplate = parseKodeTemplate(x);
  const c: KodeTemplate = parseKodeClusterTemplate(x);
  const e: EnvoyProxyConfig = parseEnvoyProxyConfig(x);
  const r = safeParseKode(x);
  const maybe: Kode | undefined = r.success ? r.value : undefined;
  return [k, t, c, e, maybe];
}
void typed;

// ---------------------------------------------------------------------------------------------------------

const kode = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "kode.jacero.io/v1alpha1",
  kind: "Kode",
  metadata: { name: "k", namespace: "default" },
  spec: { templateRef: { name: "t" }, ...spec },
  ...extra,
});

describe("parse helpers", () => {
  test("every seed example parses", () => {
    for (const { title, object } of seedExamples()) {
      const parse = object.kind === "Kode" ? safeParseKode : object.kind.startsWith("Envoy") ? null : safeParseKodeTemplate;
      if (parse === null) {
        expect(() => parseEnvoyProxyConfig(object)).not.toThrow();
        continue;
      }
      const r = parse(object);
      expect({ title, issues: r.success ? [] : r.issues }).toEqual({ title, issues: [] });
    }
  });

  test("defaults are applied like the API server does", () => {
    const t = parseKodeTemplate({
      apiVersion: "kode.jacero.io/v1alpha1",
      kind: "KodeClusterTemplate",
      metadata: { name: "t" },
      spec: { type: "webtop", image: "img", envoyProxyRef: { name: "p" } },
    });
    expect(t.spec).toEqual({
      type: "webtop",
      image: "img",
      tz: "UTC",
      puid: 1000,
      pgid: 1000,
      defaultWorkspace: "workspace",
      envoyProxyRef: { kind: "EnvoyProxyConfig", name: "p" },
    });
    expect(parseKode(kode({})).spec.templateRef).toEqual({ kind: "KodeTemplate", name: "t" });
  });

  test("metadata is kept whole; unknown spec fields are dropped (as the server prunes them)", () => {
    const k = parseKode({ ...kode({ later: 1 }), metadata: { name: "k", managedFields: [{ manager: "x" }], labels: { a: "b" } } });
    expect((k.metadata as any).managedFields).toEqual([{ manager: "x" }]);
    expect(k.spec).toEqual({ templateRef: { kind: "KodeTemplate", name: "t" } });
  });

  test("integer quantities become strings", () => {
    const k = parseKode(kode({ storage: { resources: { requests: { storage: 1024 } } } }));
    expect(k.spec.storage?.resources?.requests?.storage).toBe("1024");
  });

  test("conditions: reason/message default to empty, bad timestamps are rejected", () => {
    const ok = parseKode(kode({}, { status: { conditions: [{ type: "Ready", status: "True" }] } }));
    expect(ok.status?.conditions).toEqual([{ type: "Ready", status: "True", reason: "", message: "", lastTransitionTime: "" }]);
    const bad = safeParseKode(kode({}, { status: { conditions: [{ type: "Ready", status: "Yes", lastTransitionTime: "yesterday" }] } }));
    expect(bad.success).toBe(false);
    if (!bad.success) {
      expect(bad.issues.map((i) => i.field).sort()).toEqual(["status.conditions[0].lastTransitionTime", "status.conditions[0].status"]);
    }
  });

  const invalid: [string, unknown, string][] = [
    ["relative home", kode({ home: "home" }), "spec.home"],
    ["workspace with ..", kode({ workspace: "a/../b" }), "spec.workspace"],
    ["missing templateRef.name", { ...kode({}), spec: { templateRef: {} } }, "spec.templateRef.name"],
    ["missing spec", { ...kode({}), spec: undefined }, "spec"],
    ["bad templateRef.kind", kode({ templateRef: { kind: "Template", name: "t" } }), "spec.templateRef.kind"],
    ["bad quantity", kode({ storage: { resources: { requests: { storage: "1 GB" } } } }), "spec.storage.resources.requests.storage"],
    ["bad existingSecret", kode({ existingSecret: "My_Secret" }), "spec.existingSecret"],
    ["wrong apiVersion", { ...kode({}), apiVersion: "v1alpha1" }, "apiVersion"],
  ];
  for (const [title, obj, field] of invalid) {
    test(`reports ${title} at ${field}`, () => {
      const r = safeParseKode(obj);
      expect(r.success).toBe(false);
      if (!r.success) expect(r.issues.map((i) => i.field)).toContain(field);
      expect(() => parseKode(obj)).toThrow(SchemaValidationError);
    });
  }

  test("template issues carry list indices", () => {
    const r = safeParseKodeTemplate({
      apiVersion: "kode.jacero.io/v1alpha1",
      kind: "KodeTemplate",
      metadata: { name: "t" },
      spec: { type: "vim", image: "", env: [{ name: "A" }, { value: "x" }], resources: { limits: { cpu: "two" } } },
    });
    expect(r.success).toBe(false);
    if (!r.success) {
      expect(r.issues.map((i) => i.field).sort()).toEqual(["spec.env[1].name", "spec.image", "spec.resources.limits.cpu", "spec.type"]);
      expect(formatIssues(r.issues)).toContain("spec.type: ");
    }
  });

  test("SchemaValidationError lists the issues", () => {
    try {
      parseKode(kode({ home: "x" }));
      throw new Error("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(SchemaValidationError);
      const err = e as SchemaValidationError;
      expect(err.issues[0]!.field).toBe("spec.home");
      expect(err.message).toStartWith("invalid Kode: spec.home: Invalid value \"x\": must match the regular expression");
    }
  });
});

describe("patterns", () => {
  test("paths", () => {
    for (const ok of ["/", "/config", "/home/me/", "/a/.b/..c/./d"]) expect({ ok, match: ABSOLUTE_PATH.test(ok) }).toEqual({ ok, match: true });
    for (const bad of ["", "config", "/a/../b", "/..", "//x"]) expect({ bad, match: ABSOLUTE_PATH.test(bad) }).toEqual({ bad, match: false });
    for (const ok of ["workspace", "a/b", "a/b/", ".hidden", "..dots", "my-project"]) expect({ ok, match: RELATIVE_PATH.test(ok) }).toEqual({ ok, match: true });
    for (const bad of ["", "/abs", "..", "a/..", "../a", "a//b"]) expect({ bad, match: RELATIVE_PATH.test(bad) }).toEqual({ bad, match: false });
  });

  test("quantities and user names", () => {
    for (const ok of ["1Gi", "500m", "1.5", "1e3", "+2Ki", ".5G"]) expect({ ok, match: QUANTITY.test(ok) }).toEqual({ ok, match: true });
    for (const bad of ["", "1 Gi", "lots", "1GB", "Gi"]) expect({ bad, match: QUANTITY.test(bad) }).toEqual({ bad, match: false });
    for (const ok of ["devuser", "abc", "_svc", "first.last@example.com", "A-1"]) expect({ ok, match: USER_NAME.test(ok) }).toEqual({ ok, match: true });
    for (const bad of ["", "1user", "a:b", "a b", "-x"]) expect({ bad, match: USER_NAME.test(bad) }).toEqual({ bad, match: false });
  });
});
