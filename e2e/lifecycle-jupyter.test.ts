// On the wall clock, in the sandbox (embedded API server with RBAC, the operator in process with the shipped RBAC
// and --activity-interval 2s): a Jupyter Kode behind the Envoy sidecar (basic auth, so Jupyter runs with its own
// auth off on loopback), idleTimeout 1m. The pod's port 19003 (the sidecar's health listener) is registered with
// the pod-proxy hook and answered by a small stand-in of the sidecar: Envoy's documented `/stats?format=json`
// (counters that do not move: nobody types) and the two activity routes the bootstrap forwards
// (`/ide/activity/api/status`, `/ide/activity/api/kernels`, GET only), relayed to a REAL Jupyter server (Debian
// python3-jupyter-server + python3-ipykernel). A kernel running time.sleep keeps the Kode Active ("kernel busy");
// once it is done the Kode turns Idle, is warned (IdleSoon with the time) and paused by the operator, keeping its
// storage; resumed, it runs again at the same URL.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENVOY_PROXY_CONFIGS, KODE_TEMPLATES, KODES } from "../src/api/resources.ts";
import { EVENTS, PODS, PVCS } from "../src/kube/resources.ts";
import { runCell } from "../src/lifecycle/testdata/jupyter-kernel.ts";
import { startSandbox, type Sandbox } from "../src/operator/sandbox.ts";
import { eventually } from "./operator-harness.ts";

const PYTHON = ["/usr/bin/python3", "python3"].find((p) => Bun.spawnSync([p, "-c", "import jupyter_server, ipykernel"]).exitCode === 0);

let sandbox: Sandbox;
let dir: string;
let jupyter: ReturnType<typeof Bun.spawn> | undefined;
let sidecar: ReturnType<typeof Bun.serve> | undefined;
let base = "";
const sidecarPaths: string[] = [];

const until = <T>(what: string, check: () => Promise<T | undefined | false>, ms = 60_000) => eventually(what, check, ms, 100) as Promise<T>;
const kode = () => sandbox.client.get<any>(KODES, "nb", "default");
const activity = async () => (await kode())?.status?.activity;
const eventsOf = async () => ((await sandbox.client.list<any>(EVENTS, { namespace: "default" })).items as any[]).filter((e) => e.involvedObject.name === "nb");

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const p = s.port!;
  s.stop(true);
  return p;
}

beforeAll(async () => {
  if (!PYTHON) return;
  dir = mkdtempSync(join(tmpdir(), "kode-lifecycle-jupyter-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // As the operator renders it behind an authenticating sidecar: loopback, no token, no password.
  jupyter = Bun.spawn(
    [PYTHON, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", `--ServerApp.port=${port}`, "--ServerApp.token=", "--ServerApp.password=",
      "--ServerApp.disable_check_xsrf=True", `--ServerApp.root_dir=${dir}`, "--ServerApp.open_browser=False", "--allow-root"],
    { stdout: "ignore", stderr: "ignore", env: { ...process.env, HOME: dir, JUPYTER_RUNTIME_DIR: join(dir, "rt") } },
  );
  await until("jupyter_server to answer", async () => (await fetch(`${base}/api`)).ok, 50_000);
  sidecar = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      sidecarPaths.push(`${url.pathname}${url.search}`);
      if (req.method !== "GET") return new Response("", { status: 404 });
      if (url.pathname === "/stats")
        return Response.json({ stats: [{ name: "http.ide.downstream_rq_total", value: 40 }, { name: "http.ide.downstream_cx_rx_bytes_total", value: 9000 }, { name: "http.ide.downstream_cx_active", value: 0 }] });
      for (const p of ["/api/status", "/api/kernels"]) if (url.pathname === `/ide/activity${p}`) return fetch(`${base}${p}${url.search}`);
      return new Response("", { status: 404 });
    },
  });
  sandbox = await startSandbox({ kubeconfigPath: join(dir, "kubeconfig"), kubeletDelayMs: 20, operator: { activity: { intervalMs: 2_000 } } });
  await sandbox.client.create(ENVOY_PROXY_CONFIGS, { apiVersion: "kode.jacero.io/v1alpha1", kind: "EnvoyProxyConfig", metadata: { name: "basic", namespace: "default" }, spec: { authType: "basic" } });
  await sandbox.client.create(KODE_TEMPLATES, {
    apiVersion: "kode.jacero.io/v1alpha1",
    kind: "KodeTemplate",
    metadata: { name: "notebooks", namespace: "default" },
    spec: { type: "jupyter", image: "quay.io/jupyter/base-notebook:latest", envoyProxyRef: { kind: "EnvoyProxyConfig", name: "basic" }, lifecycle: { idleTimeout: "1m" } },
  });
}, 90_000);
afterAll(async () => {
  await sandbox?.stop();
  sidecar?.stop(true);
  jupyter?.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!PYTHON)("a real Jupyter behind the sidecar, idleTimeout 1m, on the wall clock", () => {
  test("a busy kernel keeps it Active; idle past 1m it is warned and paused; resumed at the same URL", async () => {
    const started = Date.now();
    await sandbox.client.create(KODES, { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name: "nb", namespace: "default" }, spec: { templateRef: { name: "notebooks" }, user: "dev", storage: { resources: { requests: { storage: "1Gi" } } } } });
    await until("the Kode to run", async () => (await kode())?.status?.phase === "Running");
    const url = (await kode()).status.internalURL;
    sandbox.server.hooks.registerPodProxy("default", "nb-0", `http://127.0.0.1:${sidecar!.port}`, 19003);

    // A cell sleeping 40 s: no message for most of it, only the kernel's busy state says it works.
    const cell = await runCell(base, "import time; time.sleep(40)");
    const busy = await until("active: kernel busy", async () => ((await activity())?.reason === "active: kernel busy" ? activity() : undefined), 70_000);
    expect(busy).toMatchObject({ verdict: "Active", signal: "envoy+jupyter" });
    expect(busy.pauseAt).toBeUndefined();
    // The operator reads kernels with no_track_activity, through the sidecar's route, never anything else.
    expect(sidecarPaths.filter((p) => p.startsWith("/ide/activity/api/kernels")).every((p) => p === "/ide/activity/api/kernels?no_track_activity=1")).toBe(true);
    expect(sidecarPaths.every((p) => p.startsWith("/stats?") || p.startsWith("/ide/activity/api/"))).toBe(true);

    // Done: idle, with the reason, the time it became idle and the pause ahead.
    const idle = await until("Idle", async () => ((await activity())?.verdict === "Idle" ? activity() : undefined), 100_000);
    expect(idle.reason).toContain("no notebook activity, kernels idle, 1 connection");
    expect(Date.parse(idle.pauseAt) - Date.parse(idle.idleSince)).toBe(60_000);
    const warning = await until("IdleSoon", async () => (await eventsOf()).find((e) => e.reason === "IdleSoon"));
    expect(warning.type).toBe("Warning");
    expect(warning.message).toContain(`pausing at ${idle.pauseAt}`);

    const paused = await until("Paused", async () => ((await kode())?.status?.phase === "Paused" ? kode() : undefined), 90_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(idle.pauseAt));
    expect(paused.metadata.annotations).toMatchObject({ "kode.jacero.io/paused-by": "operator", "kode.jacero.io/pause-reason": "idle" });
    await until("the pod gone", async () => !(await sandbox.client.get(PODS, "nb-0", "default")));
    expect(await sandbox.client.get(PVCS, "nb-home", "default")).toBeDefined();
    // Every activity reading went through the pod proxy with the operator's own, RBAC-checked, identity.
    expect(sandbox.server.hooks.count({ userAgent: "kode-operator/", resource: "pods/proxy", code: 200 })).toBeGreaterThan(0);
    expect(sandbox.server.hooks.requests({ userAgent: "kode-operator/", code: 403 })).toEqual([]);

    await cell.close();
    await sandbox.client.mergePatch(KODES, "nb", { spec: { paused: false } }, { namespace: "default" });
    const back = await until("Running again", async () => ((await kode())?.status?.phase === "Running" ? kode() : undefined));
    expect(back.status.internalURL).toBe(url);
    expect(Date.now() - started).toBeLessThan(210_000);
  }, 230_000);
});
