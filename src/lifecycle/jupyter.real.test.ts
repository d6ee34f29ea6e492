// The activity readers against a real Jupyter server (Debian python3-jupyter-server + python3-ipykernel) on
// loopback: the fields parsed are the server's own, polling does not count as activity, a busy kernel is seen.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseJupyterStatus } from "./signals.ts";
import { runCell } from "./testdata/jupyter-kernel.ts";
import { evaluate } from "./verdict.ts";

const PYTHON = ["/usr/bin/python3", "python3"].find((p) => Bun.spawnSync([p, "-c", "import jupyter_server, ipykernel"]).exitCode === 0);
const TOKEN = "t0ken-for-tests";

let proc: ReturnType<typeof Bun.spawn> | undefined;
let base = "";
let dir = "";

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const p = s.port!;
  s.stop(true);
  return p;
}

const api = (path: string, init?: RequestInit) =>
  fetch(`${base}${path}`, { ...init, headers: { Authorization: `token ${TOKEN}`, ...(init?.headers ?? {}) } });

async function reading() {
  const status = await (await api("/api/status")).json();
  const kernels = await (await api("/api/kernels?no_track_activity=1")).json();
  return parseJupyterStatus(status, kernels);
}

describe.skipIf(!PYTHON)("activity of a real Jupyter server", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kode-jupyter-"));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    proc = Bun.spawn(
      [PYTHON!, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", `--ServerApp.port=${port}`, `--ServerApp.token=${TOKEN}`,
        `--ServerApp.root_dir=${dir}`, "--ServerApp.open_browser=False", "--allow-root"],
      { stdout: "ignore", stderr: "ignore", env: { ...process.env, HOME: dir, JUPYTER_RUNTIME_DIR: join(dir, "rt") } },
    );
    for (const end = Date.now() + 50_000; Date.now() < end; ) {
      try {
        if ((await fetch(`${base}/api`)).ok) return;
      } catch {}
      await Bun.sleep(100);
    }
    throw new Error("jupyter_server did not start");
  }, 60_000);
  afterAll(() => {
    proc?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  test("/api/status needs the token", async () => {
    expect((await fetch(`${base}/api/status`)).status).toBe(403);
  });

  test("polling status and kernels does not move last_activity", async () => {
    const first = await reading();
    await Bun.sleep(1100);
    const second = await reading();
    expect(first.ok && second.ok).toBe(true);
    if (first.ok && second.ok && first.sample.kind === "jupyter" && second.sample.kind === "jupyter") {
      expect(second.sample.lastActivity).toBe(first.sample.lastActivity);
      expect(second.sample.kernels).toBe(0);
    }
  });

  test("a kernel running time.sleep is busy and keeps the Kode active; idle again after", async () => {
    const cell = await runCell(base, "import time; time.sleep(8)", { token: TOKEN });
    let busy: Awaited<ReturnType<typeof reading>> | undefined;
    // The kernel has started the cell; the server's view follows from the same stream, and stays busy for 8 s.
    for (const end = Date.now() + 30_000; Date.now() < end && !busy; ) {
      const r = await reading();
      if (r.ok && r.sample.kind === "jupyter" && r.sample.busyKernels === 1) busy = r;
      else await Bun.sleep(100);
    }
    expect(busy).toBeDefined();
    const now = Date.now() + 3 * 3_600_000; // hours later: only the busy kernel can keep it active
    const e = evaluate({
      now, runningSince: now - 4 * 3_600_000, policy: { idleTimeoutMs: 1_800_000, warnBeforeMs: 300_000 }, readings: [busy!],
      memory: {}, floor: { rxBytesPerMinute: 0, requestsPerMinute: 0 }, activeWindowMs: 120_000, noSignalReason: "-",
    });
    expect(e.activity.verdict).toBe("Active");
    expect(e.activity.reason).toBe("active: kernel busy");
    expect(e.action).toEqual({ kind: "none" });
    if (busy!.ok && busy!.sample.kind === "jupyter") expect(busy!.sample.connections).toBe(1);

    let idle: Awaited<ReturnType<typeof reading>> | undefined;
    for (const end = Date.now() + 30_000; Date.now() < end && !idle; ) {
      const r = await reading();
      if (r.ok && r.sample.kind === "jupyter" && r.sample.busyKernels === 0) idle = r;
      else await Bun.sleep(100);
    }
    await cell.close();
    expect(idle).toBeDefined();
    const later = evaluate({
      now, runningSince: now - 4 * 3_600_000, policy: { idleTimeoutMs: 1_800_000, warnBeforeMs: 300_000 }, readings: [idle!],
      memory: {}, floor: { rxBytesPerMinute: 0, requestsPerMinute: 0 }, activeWindowMs: 120_000, noSignalReason: "-",
    });
    expect(later.activity.verdict).toBe("Idle");
    expect(later.action).toEqual({ kind: "pause", reason: "idle" });
  }, 150_000);
});
