// The rendered Jupyter container run against the real jupyter_server (Debian python3-jupyter-server 1.23).
// What differs from the pod, and why:
// - the launcher: `python3 -m jupyter_server` instead of the image's start-notebook.py (which is not on this
//   machine and passes the same flags on to `jupyter lab`, a jupyter_server extension app);
// - `--allow-root` is appended when this test runs as root (jupyter_server refuses root without it; the pod
//   runs as a non-root uid unless the template allows a root start);
// - env: the rendered env with secretKeyRef resolved from a fake Secret, plus HOME and PATH.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EnvVar } from "../../api/types.ts";
import { jupyter, jupyterContainer, JUPYTER_WRAPPER } from "./jupyter.ts";
import type { IdeEnvContext } from "./spec.ts";

const PYTHON = "/usr/bin/python3";
const hasJupyter = existsSync(PYTHON) && Bun.spawnSync([PYTHON, "-c", "import jupyter_server"]).exitCode === 0;
if (!hasJupyter) console.log("skipping the real-Jupyter checks: Debian's python3-jupyter-server is not installed");
const isRoot = process.getuid?.() === 0;

const SECRET = { name: "k-auth", data: { password: "tok-s3cret-123" } };
const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

function ctxFor(home: string, port: number): IdeEnvContext {
  return { port, home, workspacePath: `${home}/workspace`, puid: 1000, pgid: 100, tz: "UTC", user: "jovyan", credentials: { secretName: SECRET.name, passwordKey: "password" } };
}

function resolveEnv(env: EnvVar[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    if (e.value !== undefined) out[e.name] = e.value;
    else {
      const ref = (e.valueFrom as { secretKeyRef: { name: string; key: string } }).secretKeyRef;
      expect(ref.name).toBe(SECRET.name);
      out[e.name] = SECRET.data[ref.key as "password"];
    }
  }
  return out;
}

async function freePort(): Promise<number> {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const p = s.port!;
  s.stop(true);
  return p;
}

async function startJupyter(behindEnvoy: boolean) {
  const home = mkdtempSync(join(tmpdir(), "kode-jupyter-"));
  tmp.push(home);
  const port = await freePort();
  const ctx = ctxFor(home, port);
  const c = jupyterContainer({ ctx, behindEnvoy, launcher: [PYTHON, "-m", "jupyter_server"] });
  const args = isRoot ? [...c.args, "--allow-root"] : c.args;
  const proc = Bun.spawn(args, { env: { PATH: process.env.PATH!, HOME: home, ...resolveEnv(c.env) }, stdout: "pipe", stderr: "pipe" });
  let log = "";
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) log += new TextDecoder().decode(chunk);
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  const deadline = Date.now() + 100_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api`);
      if (r.status === 200) break;
    } catch {}
    if (proc.exitCode !== null) throw new Error(`jupyter exited with ${proc.exitCode}:\n${log}`);
    if (Date.now() > deadline) throw new Error(`jupyter did not answer on ${port}:\n${log}`);
    await Bun.sleep(200);
  }
  return { home, port, ctx, proc, log: () => log, url: (p: string) => `http://127.0.0.1:${port}${p}` };
}

/** Lines where jupyter_server says a flag or option is unknown or deprecated. */
const complaints = (log: string) => log.split("\n").filter((l) => /not recognized|Unrecognized|unrecognized|deprecated|DEPRECATED|is not a valid/.test(l));

describe.skipIf(!hasJupyter)("the rendered container against jupyter_server", () => {
  test("without Envoy: listens on the rendered port, refuses without the token, accepts it, serves the workspace", async () => {
    const j = await startJupyter(false);
    try {
      expect(await (await fetch(j.url("/api"))).json()).toEqual({ version: "1.23.3" });
      const anon = await fetch(j.url("/api/status"), { redirect: "manual" });
      expect([302, 403]).toContain(anon.status);
      const wrong = await fetch(j.url("/api/status"), { headers: { Authorization: "token nope" }, redirect: "manual" });
      expect([302, 403]).toContain(wrong.status);
      const ok = await fetch(j.url("/api/status"), { headers: { Authorization: `token ${SECRET.data.password}` } });
      expect(ok.status).toBe(200);
      expect(Object.keys((await ok.json()) as object).sort()).toEqual(["connections", "kernels", "last_activity", "started"]);
      // The notebook root is home/workspace, created by the wrapper.
      writeFileSync(join(j.ctx.workspacePath, "hello.ipynb"), JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }));
      const list = (await (await fetch(j.url("/api/contents"), { headers: { Authorization: `token ${SECRET.data.password}` } })).json()) as { content: { name: string }[] };
      expect(list.content.map((f) => f.name)).toEqual(["hello.ipynb"]);
      expect(j.log()).toContain(`Serving notebooks from local directory: ${j.ctx.workspacePath}`);
      expect(complaints(j.log())).toEqual([]);
      expect(j.log()).not.toContain(SECRET.data.password);
    } finally {
      j.proc.kill("SIGKILL");
      await j.proc.exited;
    }
  }, 150_000);

  test("behind Envoy: 127.0.0.1 only, no token needed", async () => {
    const j = await startJupyter(true);
    try {
      const r = await fetch(j.url("/api/status"));
      expect(r.status).toBe(200);
      expect(j.log()).toContain(`http://127.0.0.1:${j.port}/`);
      expect(j.log()).not.toContain("0.0.0.0");
      expect(complaints(j.log())).toEqual([]);
    } finally {
      j.proc.kill("SIGKILL");
      await j.proc.exited;
    }
  }, 150_000);

  test("the complaint detector catches an unknown flag (so the checks above can fail)", async () => {
    const port = await freePort();
    const home = mkdtempSync(join(tmpdir(), "kode-jupyter-"));
    tmp.push(home);
    const proc = Bun.spawn([PYTHON, "-m", "jupyter_server", `--ServerApp.port=${port}`, "--ServerApp.ip=127.0.0.1", "--ServerApp.no_such_option=1", ...(isRoot ? ["--allow-root"] : [])], { env: { PATH: process.env.PATH!, HOME: home }, stdout: "pipe", stderr: "pipe" });
    let log = "";
    const deadline = Date.now() + 100_000;
    const reader = (async () => {
      for await (const chunk of proc.stderr) log += new TextDecoder().decode(chunk);
    })();
    while (!/not recognized/.test(log) && Date.now() < deadline && proc.exitCode === null) await Bun.sleep(100);
    proc.kill("SIGKILL");
    await proc.exited;
    await reader;
    expect(complaints(log).length).toBeGreaterThan(0);
  }, 150_000);
});

describe("render", () => {
  const ctx = ctxFor("/home/jovyan", 8888);
  test("without Envoy: token only through secretKeyRef, non-root, flags", () => {
    const c = jupyterContainer({ ctx, behindEnvoy: false });
    expect(c.args).toEqual(["sh", "-c", JUPYTER_WRAPPER, "kode-jupyter", "start-notebook.py", "--ServerApp.ip=0.0.0.0", "--ServerApp.port=8888", "--ServerApp.root_dir=/home/jovyan/workspace", "--ServerApp.open_browser=False"]);
    expect(c.env).toEqual([
      { name: "TZ", value: "UTC" },
      { name: "KODE_NOTEBOOK_ROOT", value: "/home/jovyan/workspace" },
      { name: "JUPYTER_TOKEN", valueFrom: { secretKeyRef: { name: "k-auth", key: "password" } } },
    ]);
    expect(c.securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false });
    expect(c.bindsLoopback).toBe(false);
  });
  test("behind Envoy: loopback, auth off, no token env", () => {
    const c = jupyterContainer({ ctx, behindEnvoy: true });
    expect(c.args.slice(5)).toEqual(["--ServerApp.ip=127.0.0.1", "--ServerApp.port=8888", "--ServerApp.root_dir=/home/jovyan/workspace", "--ServerApp.open_browser=False", "--ServerApp.token=", "--ServerApp.password="]);
    expect(c.env.map((e) => e.name)).toEqual(["TZ", "KODE_NOTEBOOK_ROOT"]);
    expect(c.bindsLoopback).toBe(true);
  });
  test("root start only when allowed: then NB_UID/NB_GID", () => {
    const c = jupyterContainer({ ctx, behindEnvoy: false, allowRootStart: true });
    expect(c.env.filter((e) => e.name.startsWith("NB_"))).toEqual([{ name: "NB_UID", value: "1000" }, { name: "NB_GID", value: "100" }]);
    expect(c.securityContext).toMatchObject({ runAsUser: 0 });
    expect(jupyterContainer({ ctx, behindEnvoy: false }).env.some((e) => e.name.startsWith("NB_"))).toBe(false);
  });
  test("type facts", () => {
    expect(jupyter.defaultPort).toBe(8888);
    expect(jupyter.readiness).toEqual({ kind: "http", path: "/api" });
  });
});
