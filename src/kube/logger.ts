// Structured logging on consola: JSON lines for machines (the default in a cluster), consola's own
// output for people. Every field passes through `redact`, so a Secret logged by mistake shows no values.
import { createConsola, type ConsolaInstance, type LogObject } from "consola/core";

export type LogLevel = "silent" | "error" | "warn" | "info" | "debug" | "trace";
export type LogFormat = "json" | "pretty";
export type LogFields = Record<string, unknown>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  trace(msg: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line (e.g. {controller, key}). */
  child(fields: LogFields): Logger;
  enabled(level: Exclude<LogLevel, "silent">): boolean;
}

export interface LoggerOptions {
  /** Where JSON lines go; default: one line on stderr. Tests pass a function collecting lines. */
  write?: (line: string) => void;
  /** Wall clock for the `time` field. */
  now?: () => Date;
}

export const LOG_LEVELS: readonly LogLevel[] = ["silent", "error", "warn", "info", "debug", "trace"];

// consola's numeric levels.
const CONSOLA_LEVEL: Record<LogLevel, number> = { silent: Number.NEGATIVE_INFINITY, error: 0, warn: 1, info: 3, debug: 4, trace: 5 };
const RESERVED = new Set(["time", "level", "msg"]);

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function createLogger(format: LogFormat = "json", level: LogLevel = "info", opts: LoggerOptions = {}): Logger {
  if (!isLogLevel(level)) throw new Error(`unknown log level "${level}"; use one of ${LOG_LEVELS.join(", ")}`);
  const consola =
    format === "json"
      ? createConsola({
          level: CONSOLA_LEVEL[level],
          // consola collapses repeated identical lines by default; a log shipper must see every line.
          throttle: 0,
          reporters: [{ log: (obj) => (opts.write ?? writeStderr)(jsonLine(obj, opts.now)) }],
        })
      : // The full consola (its fancy reporter) costs ~20 ms to load, so JSON logging never loads it.
        (require("consola") as typeof import("consola")).createConsola({ level: CONSOLA_LEVEL[level], throttle: 0 });
  return new ConsolaLogger(consola, format, {});
}

/** A logger that drops everything: the default for library code given none. */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  trace() {},
  child: () => silentLogger,
  enabled: () => false,
};

class ConsolaLogger implements Logger {
  constructor(
    private readonly consola: ConsolaInstance,
    private readonly format: LogFormat,
    private readonly bound: LogFields,
  ) {}

  error(msg: string, fields?: LogFields) {
    this.emit("error", msg, fields);
  }
  warn(msg: string, fields?: LogFields) {
    this.emit("warn", msg, fields);
  }
  info(msg: string, fields?: LogFields) {
    this.emit("info", msg, fields);
  }
  debug(msg: string, fields?: LogFields) {
    this.emit("debug", msg, fields);
  }
  trace(msg: string, fields?: LogFields) {
    this.emit("trace", msg, fields);
  }

  child(fields: LogFields): Logger {
    return new ConsolaLogger(this.consola, this.format, { ...this.bound, ...fields });
  }

  enabled(level: Exclude<LogLevel, "silent">): boolean {
    return CONSOLA_LEVEL[level] <= this.consola.level;
  }

  private emit(level: Exclude<LogLevel, "silent">, msg: string, fields: LogFields | undefined) {
    if (!this.enabled(level)) return; // skip redaction work for lines nobody sees
    const all = redact(fields ? { ...this.bound, ...fields } : this.bound) as LogFields;
    if (this.format === "json") this.consola[level](msg, all);
    else {
      const suffix = logfmt(all);
      this.consola[level](suffix ? `${msg} ${suffix}` : msg);
    }
  }
}

// console.error writes the line as given (no format substitution for a single argument) and, unlike a
// first process.stderr.write in Bun, costs nothing at startup.
function writeStderr(line: string) {
  console.error(line);
}

function jsonLine(obj: LogObject, now?: () => Date): string {
  const [msg, fields] = obj.args as [unknown, LogFields | undefined];
  const out: LogFields = {
    time: (now?.() ?? obj.date).toISOString(),
    level: obj.type === "fatal" ? "error" : obj.type,
    msg: typeof msg === "string" ? msg : String(msg),
  };
  for (const [k, v] of Object.entries(fields ?? {})) out[RESERVED.has(k) ? `field.${k}` : k] = v;
  try {
    return JSON.stringify(out, jsonReplacer);
  } catch (e) {
    return JSON.stringify({ time: out.time, level: out.level, msg: out.msg, logError: `fields not serializable: ${(e as Error).message}` });
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  return value;
}

function logfmt(fields: LogFields): string {
  return Object.entries(fields)
    .map(([k, v]) => {
      if (typeof v !== "string") return `${k}=${JSON.stringify(v, jsonReplacer) ?? "undefined"}`;
      return `${k}=${/^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)}`;
    })
    .join(" ");
}

// ---- redaction ----

export const REDACTED = "[REDACTED]";

// Keys whose values are secret, compared after lower-casing and dropping "-" and "_". `data` covers
// Secret.data; "metadata" or "secretName" are not secret and stay readable.
const SECRET_KEYS = new Set([
  "password",
  "passwd",
  "token",
  "secret",
  "data",
  "stringdata",
  "binarydata",
  "apikey",
  "privatekey",
  "authorization",
  "cookie",
]);
const SECRET_SUFFIXES = ["password", "token", "secret"];

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, "");
  return SECRET_KEYS.has(k) || SECRET_SUFFIXES.some((s) => k.endsWith(s));
}

/**
 * A copy of `value` in which the values of secret-looking keys (password, token, secret, data, …) are
 * replaced by "[REDACTED]". Errors become {name, message, code?, reason?}; cycles and depth are bounded.
 */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Error) return errorFields(value);
  if (value instanceof Date) return value.toISOString();
  if (seen.has(value)) return "[Circular]";
  if (depth >= 8) return "[Truncated]";
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
    if (value instanceof Map) return redact(Object.fromEntries(value), depth, seen);
    const out: LogFields = {};
    for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) && v !== undefined && v !== "" ? REDACTED : redact(v, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

function errorFields(e: Error): LogFields {
  const out: LogFields = { name: e.name, message: e.message };
  const extra = e as Error & { code?: unknown; reason?: unknown };
  if (extra.code !== undefined) out.code = extra.code;
  if (extra.reason !== undefined) out.reason = extra.reason;
  return out;
}
