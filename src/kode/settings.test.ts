import { describe, expect, test } from "bun:test";
import type { Kode, KodeTemplateSpec } from "../api/types.ts";
import { resolveSettings } from "./settings.ts";

const kode = (spec: Partial<Kode["spec"]> = {}): Kode =>
  ({ apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name: "k", namespace: "ns" }, spec: { templateRef: { kind: "KodeTemplate", name: "t" }, ...spec } }) as Kode;
const template = (spec: Partial<KodeTemplateSpec>): KodeTemplateSpec => ({ type: "code-server", image: "img", ...spec }) as KodeTemplateSpec;

describe("the home directory: the Kode's, else the template's, else the image type's", () => {
  test.each([
    ["code-server", "/config"],
    ["webtop", "/config"],
    ["jupyter", "/home/jovyan"],
  ] as const)("%s without a home anywhere: %s", (type, home) => {
    expect(resolveSettings(kode(), template({ type })).home).toBe(home);
  });

  test("the template's defaultHome beats the type's; the Kode's beats both", () => {
    expect(resolveSettings(kode(), template({ type: "jupyter", defaultHome: "/data/" })).home).toBe("/data");
    expect(resolveSettings(kode({ home: "/srv/me" }), template({ type: "jupyter", defaultHome: "/data" })).home).toBe("/srv/me");
    expect(resolveSettings(kode(), template({ type: "jupyter" })).workspacePath).toBe("/home/jovyan/workspace");
  });
});
