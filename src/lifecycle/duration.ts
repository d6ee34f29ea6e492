// Go-style durations ("30m", "1h30m", "1.5h", "90s"), as time.ParseDuration reads them, in milliseconds.
// Sub-millisecond parts are kept as fractions; callers compare and add, they never need nanoseconds exactly.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3, // U+00B5 micro sign
  "μs": 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** The schema-side pattern (RE2-compatible): one or more <number><unit>, no sign, or "0". */
export const DURATION_PATTERN = "^(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$";

export type Parsed = { ok: true; ms: number } | { ok: false; message: string };

/** Parse a non-negative Go duration. Errors say what was wrong and show the accepted form. */
export function parseDuration(text: string): Parsed {
  const bad = (why: string): Parsed => ({
    ok: false,
    message: `"${text}" is not a duration (${why}); use a number and a unit, e.g. 30m, 1h30m, 90s`,
  });
  if (text === "0") return { ok: true, ms: 0 };
  if (text === "") return bad("empty");
  if (text.startsWith("-")) return bad("negative");
  let rest = text.startsWith("+") ? text.slice(1) : text;
  if (rest === "") return bad("no number");
  let total = 0;
  while (rest !== "") {
    const m = /^([0-9]*)(\.[0-9]*)?/.exec(rest)!;
    const whole = m[1] ?? "";
    const frac = m[2] ?? "";
    if (whole === "" && frac.length <= 1) return bad("a unit needs a number before it");
    rest = rest.slice(m[0].length);
    const unit = /^[^0-9.]+/.exec(rest)?.[0];
    if (!unit) return bad(`missing unit after ${m[0]}`);
    const factor = UNIT_MS[unit];
    if (factor === undefined) return bad(`unknown unit "${unit}"`);
    rest = rest.slice(unit.length);
    total += Number(`${whole || "0"}${frac === "." ? "" : frac}`) * factor;
  }
  if (!Number.isFinite(total)) return bad("too large");
  return { ok: true, ms: total };
}

/** A short human form: 1h30m, 41m, 45s, 2d3h (days for readability in messages; never parsed back). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts: string[] = [];
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s && !d && !h) parts.push(`${s}s`);
  return parts.join("") || "0s";
}
