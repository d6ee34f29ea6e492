import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxPath } from "../../e2e/support/busybox.ts";
import type { DevcontainerConfig } from "./config.ts";
import { createCommandsScript, lifecycleFailureMessage, parseLifecycleReport, postStartLines, remoteEnvExports, renderCreateInitContainer, substituteConfig } from "./lifecycle.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs a script exactly as the container does (`sh -c SCRIPT`) with a temporary HOME. */
async function runSh(script: string, home: string, env: Record<string, string> = {}, path = process.env.PATH!) {
  const p = Bun.spawn([path === process.env.PATH ? "sh" : join(path, "sh"), "-c", script], { env: { PATH: path, HOME: home, KODE_REPORT_FILE: join(home, "termination-log"), ...env }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = [await new Response(p.stdout).text(), await new Response(p.stderr).text(), await p.exited];
  return { out, err, code, report: existsSync(join(home, "termination-log")) ? readFileSync(join(home, "termination-log"), "utf8") : undefined };
}

function tmpHome() {
  const d = mkdtempSync(join(tmpdir(), "kode-lifecycle-"));
  dirs.push(d);
  return d;
}

describe("create commands script (run with sh)", () => {
  test("string, array and object forms run in order in the workspace; once per volume", async () => {
    const home = tmpHome();
    const ws = join(home, "workspace");
    const cfg: DevcontainerConfig = {
      remoteEnv: { GREETING: "hello ${containerEnv:USERX:world}", DOLLAR: 'a$b"c' },
      onCreateCommand: "echo on-create $GREETING; pwd > oncreate.pwd; echo \"$DOLLAR\" > dollar.txt",
      updateContentCommand: ["sh", "-c", "echo update >> order.txt"],
      postCreateCommand: { one: "echo first-line; echo second-line", two: ["sh", "-c", "echo from-two"] },
    };
    const script = createCommandsScript(cfg, ws)!;
    const r1 = await runSh(script, home);
    expect(r1.code).toBe(0);
    expect(r1.out).toContain("on-create hello world\n");
    // The named commands run in parallel: their lines may interleave, each line stays whole.
    expect(r1.out).toContain("[one] first-line\n");
    expect(r1.out).toContain("[one] second-line\n");
    expect(r1.out.indexOf("[one] first-line")).toBeLessThan(r1.out.indexOf("[one] second-line"));
    expect(r1.out).toContain("[two] from-two\n");
    expect(readFileSync(join(ws, "oncreate.pwd"), "utf8").trim()).toBe(ws);
    expect(readFileSync(join(ws, "dollar.txt"), "utf8")).toBe('a$b"c\n');
    expect(r1.report).toBe("onCreateCommand=0\nupdateContentCommand=0\npostCreateCommand=0\n");
    expect(readFileSync(join(home, ".kode/devcontainer/created"), "utf8")).toBe(r1.report!);
    expect(lifecycleFailureMessage(parseLifecycleReport(r1.report))).toBeUndefined();

    const r2 = await runSh(script, home);
    expect(r2.code).toBe(0);
    expect(r2.out).not.toContain("on-create");
    expect(r2.out).toContain("create commands already ran on this volume");
    expect(r2.report).toBe("created=already\n");
    expect(readFileSync(join(ws, "order.txt"), "utf8")).toBe("update\n");
    expect(parseLifecycleReport(r2.report).already).toBe(true);
  });

  test("a failing command is reported, later create commands are skipped, the container exits 0", async () => {
    const home = tmpHome();
    const script = createCommandsScript({ onCreateCommand: { ok: "true", bad: "echo broken >&2; exit 3" }, postCreateCommand: "echo never" }, join(home, "w"))!;
    const r = await runSh(script, home);
    expect(r.code).toBe(0);
    expect(r.out).toContain("[bad] broken");
    expect(r.out).toContain("[kode] onCreateCommand: bad exited with 3");
    expect(r.out).not.toContain("never");
    expect(r.report).toBe("onCreateCommand=3\npostCreateCommand=skipped\n");
    const rep = parseLifecycleReport(r.report);
    expect(rep.results).toEqual({ onCreateCommand: 3, postCreateCommand: "skipped" });
    expect(lifecycleFailureMessage(rep)).toStartWith("onCreateCommand exited with 3: see `kubectl logs <pod> -c kode-devcontainer-create`");
  });

  test("an array command is exec'd without a shell (no word splitting or expansion)", async () => {
    const home = tmpHome();
    const script = createCommandsScript({ onCreateCommand: ["sh", "-c", 'printf "%s|" "$0" "$1" > args.txt', "a b", "$HOME"] }, home)!;
    expect((await runSh(script, home)).code).toBe(0);
    expect(readFileSync(join(home, "args.txt"), "utf8")).toBe("a b|$HOME|");
  });

  test.skipIf(!busyboxPath())("under busybox sh and tools (Alpine images): object form, failure, once per volume", async () => {
    const home = tmpHome();
    const script = createCommandsScript({ onCreateCommand: { a: "echo from-a", b: "exit 2" }, postCreateCommand: "echo never" }, join(home, "w"))!;
    const r = await runSh(script, home, {}, busyboxPath()!);
    expect(r.code).toBe(0);
    expect(r.out).toContain("[a] from-a");
    expect(r.report).toBe("onCreateCommand=2\npostCreateCommand=skipped\n");
    expect((await runSh(script, home, {}, busyboxPath()!)).report).toBe("created=already\n");
  });
  test("no create commands: no script", () => {
    expect(createCommandsScript({ image: "x", postStartCommand: "x" }, "/w")).toBeUndefined();
  });
});

describe("postStartCommand lines", () => {
  test("run in the background with prefixed output; the status file records the exit code", async () => {
    const home = tmpHome();
    const lines = postStartLines({ postStartCommand: "echo started; exit 4" }, home);
    const r = await runSh(`${lines}wait\necho ide-would-start`, home);
    expect(r.code).toBe(0);
    expect(r.out).toContain("[postStartCommand] started\n");
    expect(r.out).toContain("[postStartCommand] [kode] postStartCommand: exit code 4\n");
    expect(r.out).toEndWith("ide-would-start\n");
    expect(readFileSync(join(home, ".kode/devcontainer/postStart.status"), "utf8")).toBe("postStartCommand=4\n");
  });
  test("the IDE does not wait for it", async () => {
    const home = tmpHome();
    const lines = postStartLines({ postStartCommand: "sleep 1; echo done" }, home);
    const r = await runSh(`${lines}echo ide-started\nwait`, home);
    expect(r.out.indexOf("ide-started")).toBeGreaterThanOrEqual(0);
    expect(r.out.indexOf("ide-started")).toBeLessThan(r.out.indexOf("[postStartCommand] done"));
  });
});

describe("variables", () => {
  test("workspace folder, devcontainerId, localEnv default; containerEnv left for the shell", () => {
    const { config, warnings } = substituteConfig(
      { containerEnv: { WS: "${containerWorkspaceFolder}", BASE: "${localWorkspaceFolderBasename}", ID: "${devcontainerId}", TOK: "${localEnv:TOKEN:none}" }, remoteEnv: { P: "${containerEnv:PATH}" }, postCreateCommand: ["ls", "${containerWorkspaceFolder}"] },
      { workspaceFolder: "/home/u/workspace/app", devcontainerId: "uid-1" },
    );
    expect(config.containerEnv).toEqual({ WS: "/home/u/workspace/app", BASE: "app", ID: "uid-1", TOK: "none" });
    expect(config.remoteEnv).toEqual({ P: "${containerEnv:PATH}" });
    expect(config.postCreateCommand).toEqual(["ls", "/home/u/workspace/app"]);
    expect(warnings).toEqual(['${localEnv:TOKEN} has no local machine to read from in a pod: used its default "none"']);
  });
  test("remoteEnv exports expand the container's own variables in the shell", async () => {
    const text = remoteEnvExports({ PATH: "${containerEnv:PATH}:/opt/x", GONE: null, LIT: "`x` $y" });
    expect(text).toBe('export PATH="${PATH}:/opt/x"\nunset GONE\nexport LIT="\\`x\\` \\$y"\n');
    const home = tmpHome();
    const r = await runSh(`GONE=1\n${text}echo "$PATH|\${GONE:-unset}|$LIT"`, home, { PATH: "/usr/bin:/bin" });
    expect(r.out).toBe("/usr/bin:/bin:/opt/x|unset|`x` $y\n");
  });
});

describe("renderCreateInitContainer", () => {
  test("the user's image, home, containerEnv, the exact script", () => {
    const cfg = { containerEnv: { A: "1" }, postCreateCommand: "make" };
    const c = renderCreateInitContainer({ config: cfg, image: "node:22", home: "/home/dev", homeVolumeName: "home", workspaceFolder: "/home/dev/workspace", securityContext: { runAsUser: 1000 } })!;
    expect(c.name).toBe("kode-devcontainer-create");
    expect(c.image).toBe("node:22");
    expect(c.command).toEqual(["sh", "-c", createCommandsScript(cfg, "/home/dev/workspace")!]);
    expect(c.env).toEqual([{ name: "HOME", value: "/home/dev" }, { name: "A", value: "1" }]);
    expect(c.volumeMounts).toEqual([{ name: "home", mountPath: "/home/dev" }]);
    expect(renderCreateInitContainer({ config: { postStartCommand: "x" }, image: "i", home: "/h", homeVolumeName: "home", workspaceFolder: "/h", securityContext: {} })).toBeUndefined();
  });
});
