// postStartCommand's result in status: the real devcontainers start script run by /bin/sh (and busybox sh), its
// output taken as the IDE container's log, read back through a pods/log answer into EnvironmentReady.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxPath } from "../../e2e/support/busybox.ts";
import type { Kode, KodeTemplateSpec } from "../api/types.ts";
import { createCommandsScript, parsePostStartLog, redactOutputLine } from "../devcontainer/lifecycle.ts";
import { IDE_SECRET_ENV, renderDevcontainers } from "./ide/devcontainers.ts";
import type { IdeEnvContext } from "./ide/spec.ts";
import { environmentOfPod, type PostStartMemo } from "./init-reports.ts";
import { deriveStatus } from "./status.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SECRET = "the-Kode-password-9f2";
// The IDE server stand-in: prints like a server does, waits for postStartCommand to finish, then exits.
const SERVER = `#!/bin/sh
echo "server: listening on $2:$4"
i=0; while [ ! -s "$HOME/.kode/devcontainer/postStart.status" ]; do i=$((i+1)); [ $i -gt 200 ] && break; sleep 0.05; done
sleep 0.1
echo "server: extension host started"
`;

/** Runs the IDE container's command as kubelet would (sh -c, env resolved from the Secret); stdout+stderr is its log. */
async function runIdeContainer(postStartCommand: string | string[] | Record<string, string>, shellPath?: string) {
  const root = mkdtempSync(join(tmpdir(), "kode-poststart-"));
  dirs.push(root);
  const mount = join(root, "kode-ide");
  const home = join(root, "home");
  mkdirSync(join(mount, "bin"), { recursive: true });
  mkdirSync(home);
  writeFileSync(join(mount, "bin", "openvscode-server"), SERVER);
  chmodSync(join(mount, "bin", "openvscode-server"), 0o755);
  const ctx: IdeEnvContext = { port: 3000, home, workspacePath: `${home}/workspace`, puid: 1000, pgid: 1000, tz: "UTC", user: "dev", credentials: { secretName: "k-auth", passwordKey: "password" } };
  const r = renderDevcontainers({ ctx, behindEnvoy: false, server: "openvscode-server", serverMount: mount, config: { postStartCommand } });
  const env = Object.fromEntries(r.env.map((e) => [e.name, e.value ?? SECRET]));
  const path = shellPath ?? process.env.PATH!;
  const cmd = shellPath ? [join(shellPath, "sh"), ...r.command.slice(1)] : r.command;
  const p = Bun.spawn(cmd, { env: { PATH: path, ...env, HOME: home }, stdout: "pipe", stderr: "pipe" });
  const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
  expect(await p.exited).toBe(0);
  return out + err;
}

const FAILING = [
  "echo installing tools",
  `echo "ide env: [\${${IDE_SECRET_ENV}:-none}]"`,
  "echo DB_PASSWORD=hunter2",
  "echo token ghp_0123456789abcdefghijABCDEFGHIJ0123456789",
  "echo step two done",
  "echo 'tools: make: *** [all] Error 2' >&2",
  "exit 3",
].join("; ");

describe("postStartCommand's result from the IDE container's log (real start script)", () => {
  for (const shell of ["sh", "busybox sh"] as const)
    test.skipIf(shell === "busybox sh" && !busyboxPath())(`a failing command under ${shell}: exit code and the last lines, redacted; the IDE's secret is not in its environment`, async () => {
      const log = await runIdeContainer(FAILING, shell === "sh" ? undefined : busyboxPath());
      expect(log).toContain("server: listening on 0.0.0.0:3000");
      expect(log).toContain("[postStartCommand] [kode] postStartCommand finished: 3");
      expect(log).toContain("[postStartCommand] ide env: [none]");
      expect(log).not.toContain(SECRET);
      expect(parsePostStartLog(log, [SECRET])).toEqual({
        exitCode: 3,
        tail: ["ide env: [none]", "<line hidden: it may hold a secret>", "<line hidden: it may hold a secret>", "step two done", "tools: make: *** [all] Error 2"],
      });
    });

  test("a successful command, the object form (each line named), and a log that has not got there yet", async () => {
    const log = await runIdeContainer({ db: "echo db up", web: "echo web up" });
    const r = parsePostStartLog(log)!;
    expect(r.exitCode).toBe(0);
    expect([...r.tail].sort()).toEqual(["[db] db up", "[web] web up"]);
    const cut = log.slice(0, log.indexOf("[postStartCommand] [kode] postStartCommand finished"));
    expect(parsePostStartLog(cut)).toBeUndefined();
    expect(parsePostStartLog("server: listening\n")).toBeUndefined();
  });

  test("redaction: known secrets anywhere, long opaque strings, secret-like words hide the line, long lines cut", () => {
    expect(redactOutputLine(`connecting as u:${SECRET}@db`, [SECRET])).toBe("connecting as u:<redacted>@db");
    expect(redactOutputLine("sha 0123456789abcdef0123456789abcdef01234567 ok")).toBe("sha <redacted> ok");
    expect(redactOutputLine("export API_KEY=abc")).toBe("<line hidden: it may hold a secret>");
    expect(redactOutputLine("x".repeat(10) + " " + "y ".repeat(200)).length).toBe(160);
    expect(redactOutputLine("tab\there\u001b[31m")).toBe("tab here [31m");
  });
});

describe("EnvironmentReady from the IDE container's log (pods/log)", () => {
  const kode: Kode = { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name: "k", namespace: "n", uid: "u1", generation: 1 }, spec: { templateRef: { name: "t" }, devcontainer: { config: { postStartCommand: "make tools" } } } };
  const template: KodeTemplateSpec = { type: "devcontainers", image: "img" };
  const pod = (restartCount = 0, startedAt = "2026-12-01T10:00:00Z") => ({
    metadata: { name: "k-0", namespace: "n", uid: "pod-1" },
    status: { initContainerStatuses: [{ name: "kode-ide-server", state: { terminated: { exitCode: 0, message: "" } } }], containerStatuses: [{ name: "ide", restartCount, state: { running: { startedAt } } }] },
  });
  function client(logs: (string | number)[]) {
    const requests: string[] = [];
    return {
      requests,
      request: async (method: string, path: string) => {
        requests.push(`${method} ${path}`);
        const next = logs.length > 1 ? logs.shift()! : logs[0];
        return typeof next === "number" ? new Response("no kubelet", { status: next }) : new Response(next);
      },
    };
  }

  test("failed: EnvironmentReady=False with the exit code and the tail, read once per container start; the Kode stays Ready", async () => {
    const log = await runIdeContainer(FAILING);
    const c = client([500, "server: listening\n", log]);
    let now = Date.parse("2026-12-01T10:00:01Z");
    const deps = { client: c, postStartReads: new Map<string, PostStartMemo>(), clock: () => now };
    const input = { kode, template, secrets: [SECRET] };

    // The log cannot be read yet (no kubelet answer), then it has no result yet: read again with backoff.
    expect(await environmentOfPod(deps, "n/k", pod(), input)).toEqual({ problems: [], notes: ["postStartCommand has not finished yet"], requeueAfterMs: 2_000 });
    now += 2_000;
    expect((await environmentOfPod(deps, "n/k", pod(), input)).requeueAfterMs).toBe(4_000);
    now += 1_000;
    expect((await environmentOfPod(deps, "n/k", pod(), input)).requeueAfterMs).toBe(3_000);
    expect(c.requests.length).toBe(2);
    now += 3_000;
    const env = await environmentOfPod(deps, "n/k", pod(), input);
    expect(c.requests).toEqual(Array(3).fill("GET /api/v1/namespaces/n/pods/k-0/log?container=ide&limitBytes=262144"));
    expect(env.postStartExitCode).toBe(3);
    expect(env.problems).toEqual([
      'ide: postStartCommand exited with 3; last output: "ide env: [none]", "<line hidden: it may hold a secret>", "<line hidden: it may hold a secret>", "step two done", "tools: make: *** [all] Error 2" (see `kubectl logs <pod> -c ide`; the IDE runs anyway)',
    ]);
    expect(env.requeueAfterMs).toBeUndefined();
    // Settled: no more reads for this start.
    await environmentOfPod(deps, "n/k", pod(), input);
    expect(c.requests.length).toBe(3);

    const status = deriveStatus({ kode, generation: 1, problems: [], deleting: false, now: "2026-12-01T10:01:00Z", template: { kind: "KodeTemplate", name: "t" }, type: "devcontainers", statefulSet: { metadata: { name: "k", generation: 1 }, spec: { replicas: 1 }, status: { readyReplicas: 1, observedGeneration: 1 } }, environmentProblems: env.problems, environmentNotes: env.notes, devcontainer: { source: "inline", postStartExitCode: env.postStartExitCode } });
    expect(status.conditions!.find((x) => x.type === "EnvironmentReady")).toMatchObject({ status: "False", reason: "InitContainerProblems", message: env.problems![0] });
    expect(status.conditions!.find((x) => x.type === "Ready")!.status).toBe("True");
    expect(status.devcontainer).toEqual({ source: "inline", postStartExitCode: 3 });
    expect(JSON.stringify(status)).not.toContain("hunter2");
    expect(JSON.stringify(status)).not.toContain("ghp_");

    // A restart of the IDE container: its new log is read.
    c.requests.length = 0;
    const ok = await runIdeContainer("echo fine");
    const c2 = client([ok]);
    const again = await environmentOfPod({ ...deps, client: c2 }, "n/k", pod(1, "2026-12-01T10:05:00Z"), input);
    expect(c2.requests.length).toBe(1);
    expect(again).toEqual({ problems: [], notes: ["postStartCommand exited with 0"], postStartExitCode: 0 });
    const okStatus = deriveStatus({ kode, generation: 1, problems: [], deleting: false, now: "t", environmentProblems: again.problems, environmentNotes: again.notes });
    expect(okStatus.conditions!.find((x) => x.type === "EnvironmentReady")!.message).toBe("dotfiles, VS Code settings, clone and create commands reported no problem; postStartCommand exited with 0");
  });

  test("no postStartCommand, another type, or no running IDE container: the log is never read", async () => {
    const c = client(["x"]);
    const deps = { client: c, postStartReads: new Map<string, PostStartMemo>() };
    await environmentOfPod(deps, "n/k", pod(), { kode: { ...kode, spec: { templateRef: { name: "t" }, devcontainer: { config: { image: "x" } } } }, template, secrets: [] });
    await environmentOfPod(deps, "n/k", pod(), { kode, template: { type: "code-server", image: "x" }, secrets: [] });
    const notRunning = { ...pod(), status: { ...pod().status, containerStatuses: [{ name: "ide", restartCount: 0, state: {} }] } };
    expect(await environmentOfPod(deps, "n/k", notRunning, { kode, template, secrets: [] })).toEqual({ problems: [] });
    expect(c.requests).toEqual([]);
  });
});

describe("a failed create command: its last lines from the create container's log", () => {
  test("the real create script run by sh: its log tail (redacted, without the [kode] lines) joins the EnvironmentReady message, read once", async () => {
    const home = mkdtempSync(join(tmpdir(), "kode-create-"));
    dirs.push(home);
    const script = createCommandsScript({ onCreateCommand: "echo fetching deps", postCreateCommand: `echo compiling; echo "using token ${"x".repeat(40)}"; echo 'error: cannot find module foo' >&2; exit 2` }, join(home, "workspace"))!;
    const p = Bun.spawn(["sh", "-c", script], { env: { PATH: process.env.PATH!, HOME: home, KODE_REPORT_FILE: join(home, "termination-log") }, stdout: "pipe", stderr: "pipe" });
    const log = (await new Response(p.stdout).text()) + (await new Response(p.stderr).text());
    expect(await p.exited).toBe(0);
    const message = await Bun.file(join(home, "termination-log")).text();
    expect(message).toBe("onCreateCommand=0\npostCreateCommand=2\n");
    const requests: string[] = [];
    const client = { request: async (_m: string, path: string) => (requests.push(path), new Response(log)) };
    const pod = {
      metadata: { name: "k-0", namespace: "n", uid: "pod-1" },
      status: { initContainerStatuses: [{ name: "kode-devcontainer-create", state: { terminated: { exitCode: 0, message, finishedAt: "2026-12-01T10:00:00Z" } } }] },
    };
    const deps = { client, postStartReads: new Map<string, PostStartMemo>() };
    const kode: Kode = { apiVersion: "kode.jacero.io/v1alpha1", kind: "Kode", metadata: { name: "k", namespace: "n" }, spec: { templateRef: { name: "t" } } };
    const env = await environmentOfPod(deps, "n/k", pod, { kode, template: { type: "devcontainers", image: "i" }, secrets: [] });
    expect(env.problems).toEqual([
      'kode-devcontainer-create: postCreateCommand exited with 2: see `kubectl logs <pod> -c kode-devcontainer-create`; the IDE runs anyway. Delete ~/.kode/devcontainer/created to run the create commands again. Last output: "fetching deps", "compiling", "<line hidden: it may hold a secret>", "error: cannot find module foo".',
    ]);
    expect(requests).toEqual(["/api/v1/namespaces/n/pods/k-0/log?container=kode-devcontainer-create&tailLines=200"]);
    await environmentOfPod(deps, "n/k", pod, { kode, template: { type: "devcontainers", image: "i" }, secrets: [] });
    expect(requests.length).toBe(1);
  });
});
