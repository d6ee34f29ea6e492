import { describe, expect, test } from "bun:test";
import { IDE_TYPES } from "../../api/types.ts";
import { ideTypes, ideTypeSpec } from "./index.ts";
import type { IdeEnvContext } from "./spec.ts";

const ctx: IdeEnvContext = {
  port: 1234,
  home: "/config",
  workspacePath: "/config/workspace",
  puid: 1000,
  pgid: 1000,
  tz: "UTC",
  user: "abc",
  credentials: { secretName: "k-auth", passwordKey: "password" },
};

describe("ideTypes registry", () => {
  test("every IdeType is described, under its own name", () => {
    expect(Object.keys(ideTypes).sort()).toEqual([...IDE_TYPES].sort());
    for (const t of IDE_TYPES) expect(ideTypes[t].type).toBe(t);
  });
  test("every type is supported", () => {
    for (const t of ["code-server", "webtop", "jupyter", "alnoda", "devcontainers"] as const) {
      expect(ideTypes[t].supported).toBe(true);
      expect(ideTypes[t].unsupportedReason).toBeUndefined();
    }
  });
  test("ideTypeSpec rejects names that are not types (including prototype keys)", () => {
    expect(ideTypeSpec("webtop")).toBe(ideTypes.webtop);
    expect(ideTypeSpec("toString")).toBeUndefined();
    expect(ideTypeSpec("")).toBeUndefined();
  });
  for (const t of IDE_TYPES)
    test(`${t}: sane description`, () => {
      const s = ideTypes[t];
      expect(s.defaultImage).toMatch(/\S+:\S+/);
      expect(Number.isInteger(s.defaultPort) && s.defaultPort > 0).toBe(true);
      for (const p of [s.readiness, s.liveness]) if (p.kind === "http") expect(p.path.startsWith("/")).toBe(true);
      const env = s.env(ctx);
      expect(new Set(env.map((e) => e.name)).size).toBe(env.length);
      // Secrets never as literal values: anything named like a secret comes from a secretKeyRef.
      for (const e of env) if (/PASSWORD|TOKEN/.test(e.name)) expect(e.value).toBeUndefined();
    });
});

describe("image facts", () => {
  test("code-server: 8443, PORT moves it, /healthz probe and activity", () => {
    const s = ideTypes["code-server"];
    expect(s.defaultPort).toBe(8443);
    expect(s.env({ ...ctx, port: 8443 }).find((e) => e.name === "PORT")).toBeUndefined();
    expect(s.env(ctx).find((e) => e.name === "PORT")).toEqual({ name: "PORT", value: "1234" });
    expect(s.readiness).toEqual({ kind: "http", path: "/healthz" });
    expect(s.activity.kind).toBe("http");
  });
  test("webtop: 3000, CUSTOM_PORT moves it, TCP probes, no activity signal", () => {
    const s = ideTypes.webtop;
    expect(s.defaultPort).toBe(3000);
    expect(s.env({ ...ctx, port: 3000 }).find((e) => e.name === "CUSTOM_PORT")).toBeUndefined();
    expect(s.env(ctx).find((e) => e.name === "CUSTOM_PORT")?.value).toBe("1234");
    expect(s.env(ctx).find((e) => e.name === "CUSTOM_USER")).toEqual({ name: "CUSTOM_USER", value: "abc" });
    expect(s.readiness.kind).toBe("tcp");
    expect(s.activity.kind).toBe("none");
  });
  test("jupyter: 8888 and /api/status activity", () => {
    expect(ideTypes.jupyter.defaultPort).toBe(8888);
    expect(ideTypes.jupyter.activity).toMatchObject({ kind: "http", path: "/api/status" });
  });
});
