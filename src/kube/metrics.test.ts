import { describe, expect, test } from "bun:test";
import { escapeLabelValue, formatNumber, METRICS_CONTENT_TYPE, Registry } from "./metrics.ts";

interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface ParsedFamily {
  help?: string;
  type?: string;
  samples: ParsedSample[];
}

/** A small parser for the text format 0.0.4, strict enough to catch malformed output. */
function parseExposition(text: string): Map<string, ParsedFamily> {
  expect(text.endsWith("\n")).toBe(true);
  const families = new Map<string, ParsedFamily>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const line of text.slice(0, -1).split("\n")) {
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      expect(family(m[1]).help).toBeUndefined();
      family(m[1]).help = m[2].replace(/\\n/g, "\n").replace(/\\\\/g, "\\");
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      expect(family(m[1]).type).toBeUndefined();
      family(m[1]).type = m[2];
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`malformed line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const body = m[2].slice(1, -1);
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
      let pos = 0;
      while (pos < body.length) {
        re.lastIndex = pos;
        const l = re.exec(body);
        if (!l) throw new Error(`malformed labels: ${m[2]}`);
        labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
        pos = re.lastIndex;
      }
    }
    const value = m[3] === "+Inf" ? Infinity : m[3] === "-Inf" ? -Infinity : Number(m[3]);
    if (m[3] !== "NaN") expect(Number.isNaN(value)).toBe(false);
    const base = families.has(m[1]) ? m[1] : m[1].replace(/_(bucket|sum|count)$/, "");
    expect(families.has(base)).toBe(true); // samples follow their HELP/TYPE block
    family(base).samples.push({ name: m[1], labels, value });
  }
  return families;
}

describe("Registry exposition", () => {
  test("counters and gauges with labels, HELP/TYPE lines, escaping", () => {
    const r = new Registry({ processMetrics: false });
    const reconciles = r.counter("kode_reconcile_total", "Reconciliations by controller and result.\nSecond line with \\ backslash.", ["controller", "result"]);
    reconciles.inc({ controller: "kode", result: "success" });
    reconciles.inc({ controller: "kode", result: "success" }, 2);
    reconciles.inc({ controller: "kode", result: "error" });
    const depth = r.gauge("workqueue_depth", "Current depth of the queue.", ["name"]);
    depth.set({ name: 'we"ird\\name\nx' }, 5);
    depth.dec({ name: 'we"ird\\name\nx' });
    const up = r.gauge("leader", "1 when leading.");
    up.set(undefined, 1);
    const unused = r.counter("never_total", "Never incremented.");
    expect(unused.get()).toBe(0);

    const text = r.expose();
    const f = parseExposition(text);
    expect(f.get("kode_reconcile_total")).toEqual({
      help: "Reconciliations by controller and result.\nSecond line with \\ backslash.",
      type: "counter",
      samples: [
        { name: "kode_reconcile_total", labels: { controller: "kode", result: "success" }, value: 3 },
        { name: "kode_reconcile_total", labels: { controller: "kode", result: "error" }, value: 1 },
      ],
    });
    expect(f.get("workqueue_depth")!.samples).toEqual([{ name: "workqueue_depth", labels: { name: 'we"ird\\name\nx' }, value: 4 }]);
    expect(text).toContain('workqueue_depth{name="we\\"ird\\\\name\\nx"} 4\n');
    expect(f.get("leader")!.samples).toEqual([{ name: "leader", labels: {}, value: 1 }]);
    expect(f.get("never_total")!.samples).toEqual([{ name: "never_total", labels: {}, value: 0 }]);
    expect(METRICS_CONTENT_TYPE).toBe("text/plain; version=0.0.4; charset=utf-8");
  });

  test("histograms: cumulative monotonic buckets, +Inf equals _count, _sum", () => {
    const r = new Registry({ processMetrics: false });
    const h = r.histogram("reconcile_duration_seconds", "Time per reconcile.", ["controller"], [0.1, 1, 0.5]);
    for (const v of [0.05, 0.1, 0.3, 0.7, 2, 30]) h.observe({ controller: "kode" }, v);
    h.observe({ controller: "other" }, 0.2);
    const stop = h.startTimer({ controller: "timed" });
    expect(stop()).toBeGreaterThanOrEqual(0);

    const f = parseExposition(r.expose()).get("reconcile_duration_seconds")!;
    expect(f.type).toBe("histogram");
    for (const controller of ["kode", "other", "timed"]) {
      const mine = f.samples.filter((s) => s.labels.controller === controller);
      const buckets = mine.filter((s) => s.name.endsWith("_bucket"));
      expect(buckets.map((b) => b.labels.le)).toEqual(["0.1", "0.5", "1", "+Inf"]);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
      const count = mine.find((s) => s.name === "reconcile_duration_seconds_count")!.value;
      expect(buckets.at(-1)!.value).toBe(count);
      expect(mine.some((s) => s.name === "reconcile_duration_seconds_sum")).toBe(true);
    }
    const kode = f.samples.filter((s) => s.labels.controller === "kode");
    expect(kode.filter((s) => s.name.endsWith("_bucket")).map((s) => s.value)).toEqual([2, 3, 4, 6]);
    expect(kode.find((s) => s.name.endsWith("_sum"))!.value).toBeCloseTo(33.15);
    expect(kode.find((s) => s.name.endsWith("_count"))!.value).toBe(6);
  });

  test("process metrics are present by default", () => {
    const r = new Registry();
    const f = parseExposition(r.expose());
    expect(f.get("process_resident_memory_bytes")!.samples[0].value).toBeGreaterThan(0);
    expect(f.get("process_cpu_seconds_total")!.type).toBe("counter");
    expect(f.get("process_cpu_seconds_total")!.samples[0].value).toBeGreaterThan(0);
    const start = f.get("process_start_time_seconds")!.samples[0].value;
    expect(Number.isInteger(start)).toBe(true);
    expect(start).toBeLessThanOrEqual(Date.now() / 1000);
    expect(start).toBeGreaterThan(Date.now() / 1000 - 3600);
  });

  test("custom collectors, remove, re-registration and validation", () => {
    const r = new Registry({ processMetrics: false });
    r.registerCollector(() => [{ name: "queue_items", help: "Items.", type: "gauge", samples: [{ name: "queue_items", labels: { q: "a" }, value: 7 }] }]);
    const c = r.counter("things_total", "Things.", ["kind"]);
    expect(r.counter("things_total", "Things.", ["kind"])).toBe(c);
    expect(() => r.gauge("things_total", "Things.", ["kind"])).toThrow(/already registered/);
    c.inc({ kind: "a" });
    c.inc({ kind: "b" });
    c.remove({ kind: "a" });
    expect(c.get({ kind: "a" })).toBe(0);
    const f = parseExposition(r.expose());
    expect(f.get("things_total")!.samples.map((s) => s.labels.kind)).toEqual(["b"]);
    expect(f.get("queue_items")!.samples[0].value).toBe(7);

    expect(() => c.inc({ kind: "a", extra: "x" })).toThrow(/unknown label "extra"/);
    expect(() => c.inc({ kind: "a" }, -1)).toThrow(/cannot increase/);
    expect(() => r.counter("bad-name", "x")).toThrow(/invalid metric name/);
    expect(() => r.counter("ok", "x", ["__reserved"])).toThrow(/invalid label name/);
    expect(() => r.histogram("h", "x", ["le"])).toThrow(/reserved/);
    expect(new Registry({ processMetrics: false }).expose()).toBe("");
  });

  test("number formatting and escaping helpers", () => {
    expect(formatNumber(Infinity)).toBe("+Inf");
    expect(formatNumber(-Infinity)).toBe("-Inf");
    expect(formatNumber(NaN)).toBe("NaN");
    expect(formatNumber(0.25)).toBe("0.25");
    expect(formatNumber(1e21)).toBe("1e+21");
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });
});
