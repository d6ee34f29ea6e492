import { describe, expect, test } from "bun:test";
import { createLogger, isSecretKey, redact, REDACTED, silentLogger } from "./logger.ts";

function jsonLogger(level: Parameters<typeof createLogger>[1] = "info") {
  const lines: string[] = [];
  const log = createLogger("json", level, { write: (l) => lines.push(l), now: () => new Date("2026-11-25T10:00:00.000Z") });
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("json logger", () => {
  test("writes one JSON object per line with time, level, msg and fields", () => {
    const { log, lines, parsed } = jsonLogger();
    log.info("reconciled", { controller: "kode", key: "ns/a", durationMs: 12 });
    log.warn("slow");
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l.includes("\n")).toBe(false);
    expect(parsed()).toEqual([
      { time: "2026-11-25T10:00:00.000Z", level: "info", msg: "reconciled", controller: "kode", key: "ns/a", durationMs: 12 },
      { time: "2026-11-25T10:00:00.000Z", level: "warn", msg: "slow" },
    ]);
  });

  test("filters by level", () => {
    const { log, parsed } = jsonLogger("warn");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(parsed().map((l) => l.level)).toEqual(["warn", "error"]);
    expect(log.enabled("debug")).toBe(false);
    expect(log.enabled("error")).toBe(true);

    const dbg = jsonLogger("debug");
    dbg.log.debug("d");
    dbg.log.trace("t");
    expect(dbg.parsed().map((l) => l.level)).toEqual(["debug"]);
    const silent = jsonLogger("silent");
    silent.log.error("e");
    expect(silent.lines).toHaveLength(0);
  });

  test("child loggers bind fields; call fields win; reserved names are kept apart", () => {
    const { log, parsed } = jsonLogger();
    const c = log.child({ controller: "kode" }).child({ key: "ns/a" });
    c.info("one", { attempt: 2 });
    c.info("two", { key: "ns/b", msg: "shadow", level: "x" });
    log.info("parent");
    const [one, two, parent] = parsed();
    expect(one).toMatchObject({ msg: "one", controller: "kode", key: "ns/a", attempt: 2 });
    expect(two).toMatchObject({ msg: "two", level: "info", key: "ns/b", "field.msg": "shadow", "field.level": "x" });
    expect(parent.controller).toBeUndefined();
  });

  test("does not collapse repeated identical lines", () => {
    const { log, lines } = jsonLogger();
    for (let i = 0; i < 20; i++) log.info("same", { n: 1 });
    expect(lines).toHaveLength(20);
  });

  test("errors, cycles and bigints serialize", () => {
    const { log, parsed } = jsonLogger();
    const err = Object.assign(new Error("conflict"), { code: 409, reason: "Conflict" });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    log.error("failed", { err, cyclic, big: 10n });
    const [line] = parsed();
    expect(line.err).toEqual({ name: "Error", message: "conflict", code: 409, reason: "Conflict" });
    expect(line.cyclic).toEqual({ a: 1, self: "[Circular]" });
    expect(line.big).toBe("10");
  });

  test("fields are redacted", () => {
    const { log, lines } = jsonLogger();
    log.info("secret seen", { secret: { metadata: { name: "s" }, data: { password: "aHVudGVyMg==" } }, token: "abc123" });
    expect(lines[0]).not.toContain("aHVudGVyMg==");
    expect(lines[0]).not.toContain("abc123");
    const line = JSON.parse(lines[0]);
    expect(line.token).toBe(REDACTED);
    expect(line.secret).toBe(REDACTED);
  });

  test("rejects unknown levels", () => {
    expect(() => createLogger("json", "loud" as never)).toThrow(/unknown log level/);
  });
});

describe("pretty logger", () => {
  test("is created and honours levels", () => {
    const log = createLogger("pretty", "silent");
    log.info("nothing shown", { password: "x" });
    expect(log.enabled("error")).toBe(false);
    expect(createLogger("pretty", "debug").enabled("debug")).toBe(true);
  });
});

describe("redact", () => {
  test("masks values of secret-looking keys at any depth and leaves the input alone", () => {
    const input = {
      metadata: { name: "s1", namespace: "ns" },
      data: { "password": "cGFzcw==" },
      stringData: { anything: "plain" },
      spec: { password: "p", secretName: "keep-me", credentials: [{ token: "t", user: "u" }], "api-key": "k", clientSecret: "c" },
      emptyPassword: "",
    };
    const out = redact(input) as typeof input;
    expect(out).toEqual({
      metadata: { name: "s1", namespace: "ns" },
      data: REDACTED as never,
      stringData: REDACTED as never,
      spec: { password: REDACTED, secretName: "keep-me", credentials: [{ token: REDACTED, user: "u" }], "api-key": REDACTED, clientSecret: REDACTED },
      emptyPassword: "",
    });
    expect(input.spec.password).toBe("p");
  });

  test("key rules", () => {
    for (const k of ["password", "Password", "token", "TOKEN", "secret", "data", "stringData", "binaryData", "apiToken", "db_password", "access-token", "authorization"])
      expect(isSecretKey(k)).toBe(true);
    for (const k of ["metadata", "secretName", "secretRef", "tokenTTL", "name", "dataSource", "user"]) expect(isSecretKey(k)).toBe(false);
  });

  test("primitives, dates, maps and deep values", () => {
    expect(redact("x")).toBe("x");
    expect(redact(null)).toBe(null);
    expect(redact(new Date("2026-01-01T00:00:00Z"))).toBe("2026-01-01T00:00:00.000Z");
    expect(redact(new Map([["token", "t"]]))).toEqual({ token: REDACTED });
    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < 20; i++) deep = { deep };
    expect(JSON.stringify(redact(deep))).toContain("[Truncated]");
  });

  test("silentLogger drops everything", () => {
    silentLogger.child({ a: 1 }).error("x");
    expect(silentLogger.enabled("error")).toBe(false);
  });
});
