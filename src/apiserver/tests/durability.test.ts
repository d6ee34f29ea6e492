// --data-dir durability: `kode apiserver` as a child process, a concurrent burst of writes, kill -9 in
// the middle of it, restart on the same directory. Every acknowledged create/update must be there
// with its content, every acknowledged delete gone, and resourceVersions must keep increasing.
// Writes that were in flight when the process died may land either way, but never half-way.
import { afterAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { widgetCrd } from "../testing.ts";
import { waitForListening } from "../wait-for-url.ts";

const ROOT = resolve(import.meta.dir, "../../..");
const CM = "/api/v1/namespaces/default/configmaps";
const WIDGETS = "/apis/example.com/v1/namespaces/default/widgets";
const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

const dirs: string[] = [];
const procs = new Set<Subprocess>();
afterAll(async () => {
  for (const p of procs) {
    p.kill(9);
    await p.exited;
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "kode-durability-"));
  dirs.push(d);
  return d;
}

interface Running {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  url: string;
}

/** Start `kode apiserver` (the same Bun binary that runs the tests, so kill -9 hits the server itself). */
async function start(dataDir: string): Promise<Running> {
  const proc = Bun.spawn(
    [process.execPath, "src/main.ts", "apiserver", "--data-dir", dataDir, "--port", "0", "--kubeconfig", join(dataDir, "kubeconfig")],
    { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  procs.add(proc);
  try {
    return { proc, url: await waitForListening(proc.stdout, 20_000) };
  } catch (e) {
    proc.kill(9);
    throw new Error(`apiserver did not start: ${(e as Error).message}\n${await new Response(proc.stderr).text()}`);
  }
}

async function stop(r: Running, signal: "SIGTERM" | "SIGKILL") {
  r.proc.kill(signal);
  const code = await r.proc.exited;
  procs.delete(r.proc);
  return code;
}

interface Reply {
  status: number;
  body: any;
}

async function call(base: string, method: string, path: string, body?: unknown, contentType = "application/json"): Promise<Reply> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": contentType, accept: "application/json", "user-agent": "kode-durability-test" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed };
}

/** What a key must look like: present with a token, absent, or (write in flight at the kill) either. */
type State = { present: true; token: string } | { present: false };
type Expect = State | { either: [State, State] };

const tokenOf = (path: string, body: any): string => (path.startsWith(WIDGETS) ? body.spec?.tags?.[0] : body.data?.v);
const stateOf = (path: string, r: Reply): State => (r.status === 200 ? { present: true, token: tokenOf(path, r.body) } : { present: false });
const same = (a: State, b: State) => JSON.stringify(a) === JSON.stringify(b);

/** Check every key against the model, then resolve in-flight writes to what actually happened. */
async function verify(base: string, model: Map<string, Expect>) {
  const problems: string[] = [];
  await Promise.all(
    [...model].map(async ([path, want]) => {
      const r = await call(base, "GET", path);
      if (r.status !== 200 && r.status !== 404) problems.push(`${path}: HTTP ${r.status}`);
      const got = stateOf(path, r);
      const ok = "either" in want ? want.either.some((s) => same(s, got)) : same(want, got);
      if (!ok) problems.push(`${path}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      model.set(path, got);
    }),
  );
  expect(problems).toEqual([]);
}

const maxRvOf = (r: Reply) => Number(r.body?.metadata?.resourceVersion ?? 0);

/**
 * Run `ops` writes with `concurrency` workers; SIGKILL the server right after the `killAfter`-th
 * acknowledgement. Each key gets at most one write, so its expected state is unambiguous.
 */
async function burst(r: Running, model: Map<string, Expect>, round: number, killAfter: number, ops = 240, concurrency = 12) {
  const present = [...model].filter(([, s]) => "present" in s && s.present).map(([k]) => k);
  const plan: { path: string; run: () => Promise<Reply>; next: State; expectStatus: number }[] = [];
  for (let i = 0; i < ops; i++) {
    const token = `r${round}-op${i}`;
    const kind = i % 4;
    if (kind === 0 || kind === 3 || present.length === 0) {
      const widget = i % 8 === 3;
      const name = `k-${round}-${i}`;
      const path = widget ? `${WIDGETS}/${name}` : `${CM}/${name}`;
      const obj = widget
        ? { apiVersion: "example.com/v1", kind: "Widget", metadata: { name }, spec: { size: 1 + (i % 5), tags: [token] } }
        : { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { v: token } };
      plan.push({ path, run: () => call(r.url, "POST", widget ? WIDGETS : CM, obj), next: { present: true, token }, expectStatus: 201 });
    } else if (kind === 1) {
      const path = present.shift()!;
      const patch = path.startsWith(WIDGETS) ? { spec: { tags: [token] } } : { data: { v: token } };
      plan.push({ path, run: () => call(r.url, "PATCH", path, patch, "application/merge-patch+json"), next: { present: true, token }, expectStatus: 200 });
    } else {
      const path = present.shift()!;
      plan.push({ path, run: () => call(r.url, "DELETE", path), next: { present: false }, expectStatus: 200 });
    }
  }

  let acks = 0;
  let killed = false;
  let maxRv = 0;
  const unexpected: string[] = [];
  let nextOp = 0;
  const worker = async () => {
    while (!killed && nextOp < plan.length) {
      const op = plan[nextOp++];
      const before = model.get(op.path) ?? { present: false };
      model.set(op.path, { either: ["either" in before ? before.either[0] : before, op.next] });
      let reply: Reply;
      try {
        reply = await op.run();
      } catch {
        continue; // the connection died with the server: not acknowledged
      }
      maxRv = Math.max(maxRv, maxRvOf(reply));
      if (reply.status !== op.expectStatus) {
        unexpected.push(`${op.path}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
        continue;
      }
      model.set(op.path, op.next);
      if (++acks >= killAfter && !killed) {
        killed = true;
        r.proc.kill(9);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (!killed) r.proc.kill(9);
  await r.proc.exited;
  procs.delete(r.proc);
  expect(unexpected).toEqual([]);
  return { acks, maxRv };
}

describe("durability of --data-dir", () => {
  test(
    "kill -9 in the middle of a write burst loses no acknowledged write, at several points",
    async () => {
      const dir = tempDir();
      const model = new Map<string, Expect>();
      let r = await start(dir);
      expect((await call(r.url, "POST", CRDS, widgetCrd())).status).toBe(201);
      let maxSeen = maxRvOf(await call(r.url, "GET", CM));
      for (const [round, killAfter] of [5, 60, 170].entries()) {
        const { acks, maxRv } = await burst(r, model, round, killAfter);
        expect(acks).toBeGreaterThanOrEqual(killAfter);
        maxSeen = Math.max(maxSeen, maxRv);
        r = await start(dir);
        await verify(r.url, model);
        // resourceVersions continue above everything any client saw before the crash.
        const list = await call(r.url, "GET", CM);
        expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(maxSeen);
        const fresh = await call(r.url, "POST", CM, { metadata: { name: `after-${round}` }, data: { v: `after-${round}` } });
        expect(fresh.status).toBe(201);
        expect(Number(fresh.body.metadata.resourceVersion)).toBeGreaterThan(maxSeen);
        model.set(`${CM}/after-${round}`, { present: true, token: `after-${round}` });
        maxSeen = maxRvOf(fresh);
        // The custom resources are served again after the crash (the CRD came back from disk).
        expect((await call(r.url, "GET", WIDGETS)).status).toBe(200);
      }
      expect([...model.values()].filter((s) => "present" in s && s.present).length).toBeGreaterThan(100);
      await stop(r, "SIGKILL");
    },
    120_000,
  );

  test(
    "a clean restart keeps CRDs and their resources, and does not duplicate the seeded namespaces",
    async () => {
      const dir = tempDir();
      let r = await start(dir);
      const crd = await call(r.url, "POST", CRDS, widgetCrd());
      expect(crd.status).toBe(201);
      const w = await call(r.url, "POST", WIDGETS, { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w1" }, spec: { color: "red" } });
      expect(w.status).toBe(201);
      const gone = await call(r.url, "POST", CM, { metadata: { name: "gone" }, data: {} });
      expect((await call(r.url, "DELETE", `${CM}/gone`)).status).toBe(200);
      const nsBefore = await call(r.url, "GET", "/api/v1/namespaces");
      const seeds = ["default", "kube-node-lease", "kube-public", "kube-system"];
      expect(nsBefore.body.items.map((n: any) => n.metadata.name)).toEqual(seeds);
      let lastRv = Number(nsBefore.body.metadata.resourceVersion);
      expect(lastRv).toBeGreaterThan(maxRvOf(gone));

      for (let restart = 0; restart < 2; restart++) {
        expect(await stop(r, "SIGTERM")).toBe(0);
        r = await start(dir);
        const crdAfter = await call(r.url, "GET", `${CRDS}/widgets.example.com`);
        expect(crdAfter.status).toBe(200);
        expect(crdAfter.body.metadata.uid).toBe(crd.body.metadata.uid);
        const discovery = await call(r.url, "GET", "/apis/example.com/v1");
        expect(discovery.status).toBe(200);
        expect(discovery.body.resources.map((x: any) => x.name)).toContain("widgets");
        const wAfter = await call(r.url, "GET", `${WIDGETS}/w1`);
        expect(wAfter.status).toBe(200);
        expect(wAfter.body.metadata.uid).toBe(w.body.metadata.uid);
        expect(wAfter.body.spec).toEqual({ color: "red", size: 3 });
        expect((await call(r.url, "GET", `${CM}/gone`)).status).toBe(404);
        const ns = await call(r.url, "GET", "/api/v1/namespaces");
        expect(ns.body.items.map((n: any) => n.metadata.name)).toEqual(seeds);
        expect(ns.body.items.map((n: any) => n.metadata.uid)).toEqual(nsBefore.body.items.map((n: any) => n.metadata.uid));
        expect(Number(ns.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(lastRv);
        const next = await call(r.url, "POST", WIDGETS, { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: `w-${restart}` }, spec: {} });
        expect(next.status).toBe(201);
        expect(Number(next.body.metadata.resourceVersion)).toBeGreaterThan(lastRv);
        lastRv = maxRvOf(next);
      }
      expect(await stop(r, "SIGTERM")).toBe(0);
    },
    60_000,
  );
});
