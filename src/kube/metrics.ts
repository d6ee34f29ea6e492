// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
// exposition format 0.0.4. No dependency; enough for /metrics of one operator.
import { readdirSync } from "node:fs";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type Labels = Record<string, string | number>;
export type MetricType = "counter" | "gauge" | "histogram";

/** One sample line: name (with suffix), labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** What a collector contributes at scrape time. */
export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

export type Collector = () => MetricFamily[];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

abstract class Metric {
  protected readonly series = new Map<string, { labels: Record<string, string> }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name "${name}"`);
    for (const l of labelNames)
      if (!LABEL_NAME.test(l) || l.startsWith("__")) throw new Error(`metric ${name}: invalid label name "${l}"`);
  }

  abstract readonly type: MetricType;
  abstract collect(): MetricFamily;

  /** Normalizes labels to exactly the declared names (missing ones are ""), keyed for the series map. */
  protected key(labels: Labels | undefined): [string, Record<string, string>] {
    const out: Record<string, string> = {};
    for (const k of Object.keys(labels ?? {}))
      if (!this.labelNames.includes(k)) throw new Error(`metric ${this.name}: unknown label "${k}" (declared: ${this.labelNames.join(", ") || "none"})`);
    for (const l of this.labelNames) out[l] = String(labels?.[l] ?? "");
    return [this.labelNames.map((l) => out[l]).join("\u0000"), out];
  }

  /** Forgets one labelled series (e.g. of a deleted object), or all of them. */
  remove(labels?: Labels) {
    if (labels === undefined) this.series.clear();
    else this.series.delete(this.key(labels)[0]);
  }
}

type ValueSeries = { labels: Record<string, string>; value: number };

export class Counter extends Metric {
  readonly type = "counter";
  protected declare readonly series: Map<string, ValueSeries>;

  inc(labels?: Labels, value = 1) {
    if (!(value >= 0)) throw new Error(`counter ${this.name}: cannot increase by ${value}`);
    const [k, l] = this.key(labels);
    const s = this.series.get(k);
    if (s) s.value += value;
    else this.series.set(k, { labels: l, value });
  }

  get(labels?: Labels): number {
    return this.series.get(this.key(labels)[0])?.value ?? 0;
  }

  collect(): MetricFamily {
    // A counter without labels reports 0 before its first increment, so dashboards see it exist.
    const samples = [...this.series.values()].map((s) => ({ name: this.name, labels: s.labels, value: s.value }));
    if (samples.length === 0 && this.labelNames.length === 0) samples.push({ name: this.name, labels: {}, value: 0 });
    return { name: this.name, help: this.help, type: this.type, samples };
  }
}

export class Gauge extends Metric {
  readonly type = "gauge";
  protected declare readonly series: Map<string, ValueSeries>;

  set(labels: Labels | undefined, value: number) {
    const [k, l] = this.key(labels);
    const s = this.series.get(k);
    if (s) s.value = value;
    else this.series.set(k, { labels: l, value });
  }

  inc(labels?: Labels, value = 1) {
    const [k, l] = this.key(labels);
    const s = this.series.get(k);
    if (s) s.value += value;
    else this.series.set(k, { labels: l, value });
  }

  dec(labels?: Labels, value = 1) {
    this.inc(labels, -value);
  }

  get(labels?: Labels): number {
    return this.series.get(this.key(labels)[0])?.value ?? 0;
  }

  collect(): MetricFamily {
    const samples = [...this.series.values()].map((s) => ({ name: this.name, labels: s.labels, value: s.value }));
    if (samples.length === 0 && this.labelNames.length === 0) samples.push({ name: this.name, labels: {}, value: 0 });
    return { name: this.name, help: this.help, type: this.type, samples };
  }
}

type HistogramSeries = { labels: Record<string, string>; counts: number[]; sum: number; count: number };

export class Histogram extends Metric {
  readonly type = "histogram";
  protected declare readonly series: Map<string, HistogramSeries>;
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[] = DEFAULT_BUCKETS) {
    super(name, help, labelNames);
    if (labelNames.includes("le")) throw new Error(`histogram ${name}: "le" is reserved`);
    const sorted = [...new Set(buckets)].filter((b) => Number.isFinite(b)).sort((a, b) => a - b);
    if (sorted.length === 0) throw new Error(`histogram ${name}: needs at least one finite bucket`);
    this.buckets = sorted;
  }

  observe(labels: Labels | undefined, value: number) {
    const [k, l] = this.key(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels: l, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    // Non-cumulative per bucket here; made cumulative when collected.
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** Starts a timer; the returned function observes the elapsed seconds and returns them. */
  startTimer(labels?: Labels): (more?: Labels) => number {
    const start = performance.now();
    return (more) => {
      const seconds = (performance.now() - start) / 1000;
      this.observe({ ...labels, ...more }, seconds);
      return seconds;
    };
  }

  collect(): MetricFamily {
    const samples: Sample[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((b, i) => {
        cumulative += s.counts[i];
        samples.push({ name: `${this.name}_bucket`, labels: { ...s.labels, le: formatNumber(b) }, value: cumulative });
      });
      samples.push({ name: `${this.name}_bucket`, labels: { ...s.labels, le: "+Inf" }, value: s.count });
      samples.push({ name: `${this.name}_sum`, labels: s.labels, value: s.sum });
      samples.push({ name: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, samples };
  }
}

export interface RegistryOptions {
  /** Register process_resident_memory_bytes, process_cpu_seconds_total, process_start_time_seconds, … (default true). */
  processMetrics?: boolean;
}

export class Registry {
  private readonly metrics = new Map<string, Metric>();
  private readonly collectors: Collector[] = [];

  constructor(opts: RegistryOptions = {}) {
    if (opts.processMetrics ?? true) this.registerCollector(processMetrics);
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** A function called at every scrape (e.g. queue depth read from the queue, process metrics). */
  registerCollector(collect: Collector) {
    this.collectors.push(collect);
  }

  get(name: string): Counter | Gauge | Histogram | undefined {
    return this.metrics.get(name) as Counter | Gauge | Histogram | undefined;
  }

  /** The text exposition format 0.0.4. */
  expose(): string {
    const families = [...[...this.metrics.values()].map((m) => m.collect()), ...this.collectors.flatMap((c) => c())];
    const lines: string[] = [];
    const seen = new Set<string>();
    for (const f of families) {
      if (seen.has(f.name)) continue; // the format allows one block per family
      seen.add(f.name);
      lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
      for (const s of f.samples) lines.push(`${s.name}${formatLabels(s.labels)} ${formatNumber(s.value)}`);
    }
    return lines.length ? `${lines.join("\n")}\n` : "";
  }

  private add<M extends Metric>(metric: M): M {
    const existing = this.metrics.get(metric.name);
    if (existing) {
      // Registering the same metric twice (e.g. two controllers sharing a name) returns the first.
      if (existing.type === metric.type && existing.labelNames.join() === metric.labelNames.join()) return existing as M;
      throw new Error(`metric ${metric.name} is already registered as a ${existing.type} with labels [${existing.labelNames.join(", ")}]`);
    }
    this.metrics.set(metric.name, metric);
    return metric;
  }
}

export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

// ---- process metrics ----

// When this process started, in seconds since the epoch.
const START_TIME_SECONDS = Math.floor((performance.timeOrigin || Date.now() - process.uptime() * 1000) / 1000);

function processMetrics(): MetricFamily[] {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const families: MetricFamily[] = [
    gaugeFamily("process_resident_memory_bytes", "Resident memory size in bytes.", mem.rss),
    // What of the resident memory is the JavaScript heap (the rest: the runtime, its allocator, code, buffers).
    gaugeFamily("process_heap_used_bytes", "JavaScript heap in use, in bytes.", mem.heapUsed),
    gaugeFamily("process_heap_total_bytes", "JavaScript heap reserved, in bytes.", mem.heapTotal),
    gaugeFamily("process_external_memory_bytes", "Memory held outside the JavaScript heap by its objects (buffers), in bytes.", mem.external),
    {
      name: "process_cpu_seconds_total",
      help: "Total user and system CPU time spent in seconds.",
      type: "counter",
      samples: [{ name: "process_cpu_seconds_total", labels: {}, value: (cpu.user + cpu.system) / 1e6 }],
    },
    gaugeFamily("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", START_TIME_SECONDS),
  ];
  const fds = openFds();
  if (fds !== undefined) families.push(gaugeFamily("process_open_fds", "Number of open file descriptors.", fds));
  return families;
}

function gaugeFamily(name: string, help: string, value: number): MetricFamily {
  return { name, help, type: "gauge", samples: [{ name, labels: {}, value }] };
}

function openFds(): number | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return undefined;
  }
}
