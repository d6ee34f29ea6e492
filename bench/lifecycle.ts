// Activity polling cost (`bun bench/lifecycle.ts`): 1,000 running Kodes of mixed types, --activity-interval 60s.
//
// Three processes: the embedded API server (`kode apiserver`), one loopback stand-in answering every pod's proxy
// target (code-server /healthz, Envoy /stats?format=json and Jupyter /api/status + /api/kernels in their
// documented formats, the Jupyter ones behind the sidecar's /ide/activity route, varied per pod: typing, keep-alive
// only, busy kernels, quiet kernels, no kernels), and this process, which runs only what the operator runs: the
// ActivityPoller over the project's Kubernetes client and, per result, evaluate() with the controller's active
// window plus the status-write policy (activityStatusFields / activityStatusChanged).
// Time is compressed: the poller's clock runs --scale times faster than the wall (default 10, so a 60 s interval
// takes 6 s), and the stand-in answers on the same clock. Measured over --rounds intervals after --warmup ones:
//   requests_per_min    pod-proxy GETs the API server counted (User-Agent of this poller) per interval = per minute
//   cpu_pct_one_core    this process's CPU time per interval / 60 s (the real interval): the operator's added CPU
//   status_writes       writes the policy would make in the window (nothing changes in it: expected 0)
//   polled / never_polled  Kodes with a source / without one (no sidecar and no native signal)
// Prints one JSON line. Flags: --kodes N (1000) --scale S (10) --warmup N (3) --rounds N (3) --concurrency C (16)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { IdeType } from "../src/api/types.ts";
import { ideTypes } from "../src/kode/ide/index.ts";
import { createClient } from "../src/kube/client.ts";
import { loadClientConfig } from "../src/kube/kubeconfig.ts";
import { activityStatusChanged, activityStatusFields, type ActivityStatusFields } from "../src/lifecycle/activity-status.ts";
import { ActivityPoller, clientGetter, type Clock } from "../src/lifecycle/poller.ts";
import { activityTarget } from "../src/lifecycle/targets.ts";
import { activeWindowMs } from "../src/lifecycle/controller.ts";
import { HEALTH_IDE_ACTIVITY_PREFIX } from "../src/envoy/bootstrap.ts";
import { evaluate, type Memory } from "../src/lifecycle/verdict.ts";

const MIN = 60_000;
const ROOT = resolve(import.meta.dir, "..");
const { values: flags } = parseArgs({
  options: {
    kodes: { type: "string", default: "1000" },
    scale: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "16" },
    standin: { type: "boolean" },
    t0: { type: "string" },
    r0: { type: "string" },
  },
});
const SCALE = Number(flags.scale);

/** The compressed clock both processes share: T0 at wall time R0, SCALE times faster. */
const scaledNow = (t0: number, r0: number) => () => t0 + (Date.now() - r0) * SCALE;

/** What each pod is, from its name: "<type>-<variant>-<n>". */
function standIn(t0: number, r0: number) {
  const now = scaledNow(t0, r0);
  const iso = (ms: number) => new Date(ms).toISOString();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      const [, pod, ...rest] = url.pathname.split("/");
      // Jupyter behind the sidecar: the health listener's /ide/activity route forwards to the IDE (auth off).
      const path = `/${rest.join("/")}`.replace(/^\/ide\/activity/, "");
      const variant = pod!.split("-").slice(-2, -1)[0];
      const minutes = (now() - t0) / MIN + 1000;
      if (path === "/stats") {
        const rxPerMin = variant === "typing" ? 60_000 : 600;
        return Response.json({
          stats: [
            { name: "http.ide.downstream_cx_active", value: 1 },
            { name: "http.ide.downstream_cx_rx_bytes_total", value: Math.floor(rxPerMin * minutes) },
            { name: "http.ide.downstream_cx_upgrades_active", value: 1 },
            { name: "http.ide.downstream_rq_total", value: variant === "typing" ? Math.floor(20 * minutes) : 500 },
          ],
        });
      }
      if (path === "/healthz") return Response.json({ status: variant === "alive" ? "alive" : "expired", lastHeartbeat: t0 - 60 * MIN });
      if (path === "/api/status") {
        const last = variant === "recent" ? now() - 10_000 : t0 - 60 * MIN;
        return Response.json({ started: iso(t0 - 120 * MIN), last_activity: iso(last), connections: 1, kernels: variant === "nokernels" ? 0 : 1 });
      }
      if (path === "/api/kernels") {
        if (variant === "nokernels") return Response.json([]);
        const last = variant === "recent" ? now() - 10_000 : t0 - 60 * MIN;
        return Response.json([{ id: "k", name: "python3", last_activity: iso(last), execution_state: variant === "busy" ? "busy" : "idle", connections: 1 }]);
      }
      return new Response("not found", { status: 404 });
    },
  });
  console.log(String(server.port));
}

/** The mix: [type, behind Envoy, variant, share of the Kodes]. */
const MIX: [IdeType, boolean, string, number][] = [
  ["code-server", true, "typing", 0.1],
  ["code-server", true, "keepalive", 0.1],
  ["code-server", false, "alive", 0.1],
  ["code-server", false, "expired", 0.1],
  ["webtop", true, "typing", 0.05],
  ["webtop", true, "keepalive", 0.1],
  ["webtop", false, "none", 0.05],
  ["jupyter", true, "nokernels", 0.05],
  ["jupyter", true, "quiet", 0.05],
  ["jupyter", true, "busy", 0.05],
  ["jupyter", true, "recent", 0.025],
  ["jupyter", false, "none", 0.025],
  ["alnoda", true, "keepalive", 0.1],
  ["devcontainers", true, "typing", 0.05],
  ["devcontainers", false, "none", 0.05],
];

async function waitLine(proc: ReturnType<typeof Bun.spawn>, match: RegExp): Promise<RegExpMatchArray> {
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`process ended before printing ${match}: ${text}`);
    text += new TextDecoder().decode(value);
    const m = text.match(match);
    if (m) {
      reader.releaseLock();
      return m;
    }
  }
}

async function main() {
  const kodes = Number(flags.kodes);
  const dir = mkdtempSync(join(tmpdir(), "kode-bench-lifecycle-"));
  const r0 = Date.now();
  const t0 = Date.parse("2026-12-01T10:00:00Z");
  const kubeconfig = join(dir, "kubeconfig");
  const apiserver = Bun.spawn([process.execPath, join(ROOT, "src/main.ts"), "apiserver", "--port", "0", "--kubeconfig", kubeconfig], { stdout: "pipe", stderr: "inherit" });
  const standin = Bun.spawn([process.execPath, import.meta.path, "--standin", "--t0", String(t0), "--r0", String(r0), "--scale", String(SCALE)], { stdout: "pipe", stderr: "inherit" });
  try {
    const [, url] = await waitLine(apiserver, /listening on (\S+)/);
    const [, standinPort] = await waitLine(standin, /^(\d+)/m);
    const userAgent = "kode-operator/activity-bench";
    const client = createClient(await loadClientConfig({ kubeconfig }), { userAgent, qps: 0 });

    // Pods and their proxy targets (pod-wide: the stand-in tells sources apart by path).
    const plan: { name: string; type: IdeType; envoy: boolean; variant: string }[] = [];
    for (const [type, envoy, variant, share] of MIX)
      for (let i = 0; i < Math.round(share * kodes); i++) plan.push({ name: `${type}-${variant}-${i}`, type, envoy, variant });
    for (let i = 0; i < plan.length; i += 50)
      await Promise.all(
        plan.slice(i, i + 50).map(async (p) => {
          const res = await client.request("POST", "/api/v1/namespaces/default/pods", { metadata: { name: p.name }, spec: { containers: [{ name: "ide", image: "x" }] } });
          if (res.status !== 201) throw new Error(`pod ${p.name}: HTTP ${res.status}`);
          const hook = await fetch(`${url}/__kode/hooks/pod-proxy`, { method: "POST", body: JSON.stringify({ namespace: "default", pod: p.name, target: `http://127.0.0.1:${standinPort}/${p.name}` }) });
          if (hook.status !== 201) throw new Error(`pod-proxy hook: HTTP ${hook.status}`);
        }),
      );

    const now = scaledNow(t0, r0);
    const clock: Clock = { now, setTimeout: (fn, ms) => setTimeout(fn, ms / SCALE), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
    const policy = { idleTimeoutMs: 8 * 60 * MIN, warnBeforeMs: 5 * MIN };
    const stored = new Map<string, ActivityStatusFields>();
    let writes = 0;
    let rounds = 0;
    const verdicts = new Map<string, string>();
    const poller = new ActivityPoller({
      get: clientGetter(client),
      clock,
      concurrency: Number(flags.concurrency),
      onResult: (r): Memory => {
        rounds++;
        const e = evaluate({
          now: r.at, runningSince: t0 - 120 * MIN, policy, readings: r.readings,
          memory: r.memory, floor: r.target.floor, activeWindowMs: activeWindowMs(MIN, policy), noSignalReason: r.target.noSignalReason,
        });
        const prev = stored.get(r.target.key);
        const next = activityStatusFields(e.activity, prev);
        if (activityStatusChanged(prev, next)) {
          writes++;
          stored.set(r.target.key, next);
        }
        verdicts.set(r.target.key, e.activity.reason);
        return e.memory;
      },
    });
    let neverPolled = 0;
    for (const p of plan) {
      const spec = ideTypes[p.type];
      // As the reconciler does: the native signal through the sidecar for a type whose file names sidecar paths.
      const target = activityTarget({ namespace: "default", name: p.name, pod: p.name, spec, port: spec.defaultPort, behindEnvoy: p.envoy, ...(p.envoy && spec.activityReading?.sidecarPaths?.length && { nativeViaSidecar: HEALTH_IDE_ACTIVITY_PREFIX }) });
      if (target.sources.length === 0) neverPolled++;
      poller.upsert(target);
    }
    poller.start();
    const intervalWallMs = MIN / SCALE;
    await Bun.sleep(Number(flags.warmup) * intervalWallMs);

    const count = async () => ((await (await fetch(`${url}/__kode/hooks/requests?userAgent=${encodeURIComponent(userAgent)}`)).json()) as { total: number }).total;
    const req0 = await count();
    const writes0 = writes;
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    await Bun.sleep(Number(flags.rounds) * intervalWallMs);
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - wall0;
    const requests = (await count()) - req0;
    poller.stop();
    const measuredMinutes = (wallMs * SCALE) / MIN;
    const reasons: Record<string, number> = {};
    for (const r of verdicts.values()) reasons[r.split(":")[0]!] = (reasons[r.split(":")[0]!] ?? 0) + 1;
    const result = {
      kodes: plan.length,
      polled: poller.size,
      never_polled: neverPolled,
      interval_s: 60,
      scale: SCALE,
      measured_minutes: Number(measuredMinutes.toFixed(2)),
      requests_per_min: Math.round(requests / measuredMinutes),
      cpu_pct_one_core: Number(((((cpu.user + cpu.system) / 1000) / (wallMs * SCALE)) * 100).toFixed(2)),
      status_writes: writes - writes0,
      status_writes_warmup: writes0,
      results: rounds,
      verdicts: reasons,
      rss_mb: Math.round(process.memoryUsage.rss() / 2 ** 20),
    };
    console.log(JSON.stringify(result));
    client.close();
  } finally {
    apiserver.kill();
    standin.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (flags.standin) standIn(Number(flags.t0), Number(flags.r0));
else await main();
