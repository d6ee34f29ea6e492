import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxPath } from "../../e2e/support/busybox.ts";
import { gitAvailable, startGitHttp, type GitHttpServer } from "../../e2e/support/git-http.ts";
import { dotfilesProblem, FETCH_SCRIPT, INSTALL_SCRIPT, parseDotfilesReport, renderDotfilesInitContainers } from "./dotfiles.ts";

const hasGit = gitAvailable();
if (!hasGit) console.log("skipping the dotfiles scripts: no git binary");

const homes: string[] = [];
afterEach(() => {
  for (const d of homes.splice(0)) rmSync(d, { recursive: true, force: true });
});
const newHome = () => {
  const d = mkdtempSync(join(tmpdir(), "kode-dotfiles-home-"));
  homes.push(d);
  return d;
};

/** Runs both init containers' scripts in order, exactly as rendered (`sh -c SCRIPT`, the rendered env). */
async function runInit(home: string, env: Record<string, string>, path = process.env.PATH!) {
  const reportFile = join(home, "..", `${home.split("/").pop()}.termination-log`);
  const outputs: string[] = [];
  for (const script of [FETCH_SCRIPT, INSTALL_SCRIPT]) {
    rmSync(reportFile, { force: true });
    const p = Bun.spawn([path === process.env.PATH ? "sh" : join(path, "sh"), "-c", script], {
      env: { PATH: path, HOME: home, KODE_REPORT_FILE: reportFile, GIT_CONFIG_NOSYSTEM: "1", ...env },
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = (await new Response(p.stdout).text()) + (await new Response(p.stderr).text());
    expect(await p.exited).toBe(0);
    outputs.push(out);
  }
  const message = existsSync(reportFile) ? readFileSync(reportFile, "utf8") : "";
  homes.push(reportFile);
  return { out: outputs.join(""), message, report: parseDotfilesReport(message) };
}

describe.skipIf(!hasGit)("dotfiles scripts against a repository over loopback", () => {
  let server: GitHttpServer;
  beforeAll(() => {
    server = startGitHttp({ token: "dot-token" });
  });
  afterAll(() => server.stop());

  test("install script: runs once per commit; a new commit runs it again", async () => {
    const repo = server.createRepo("u/dots-install");
    const c1 = repo.commit({ "install.sh": '#!/bin/sh\necho "ran $(pwd)" >> "$HOME/install.log"\necho installing\n', "setup.sh": "echo wrong > $HOME/setup.log\n" }, "one", { mode: { "install.sh": "755" } });
    const home = newHome();
    const env = { KODE_DOTFILES_URL: repo.url };
    const r1 = await runInit(home, env);
    expect(r1.message).toBe(`result=installed\ncommit=${c1}\nscript=install.sh\nexit=0\n`);
    expect(r1.out).toContain("installing");
    expect(readFileSync(join(home, "install.log"), "utf8")).toBe(`ran ${home}/.dotfiles\n`);
    expect(existsSync(join(home, "setup.log"))).toBe(false);

    const r2 = await runInit(home, env);
    expect(r2.report).toMatchObject({ result: "unchanged", commit: c1 });
    expect(readFileSync(join(home, "install.log"), "utf8")).toBe(`ran ${home}/.dotfiles\n`);

    const c2 = repo.commit({ "README.md": "x" }, "two");
    const r3 = await runInit(home, env);
    expect(r3.report).toMatchObject({ result: "installed", commit: c2, exitCode: 0 });
    expect(readFileSync(join(home, "install.log"), "utf8").split("\n").length).toBe(3);
  });

  test("a non-executable script runs with sh; the order is install.sh, install, bootstrap.sh, bootstrap, setup.sh, setup", async () => {
    const repo = server.createRepo("u/dots-order");
    repo.commit({ "setup": "echo setup > $HOME/which\n", "bootstrap": "echo bootstrap > $HOME/which\n" });
    const home = newHome();
    const r = await runInit(home, { KODE_DOTFILES_URL: repo.url });
    expect(r.report).toMatchObject({ result: "installed", script: "bootstrap" });
    expect(readFileSync(join(home, "which"), "utf8")).toBe("bootstrap\n");
  });

  test("installScript names the script; a missing one is reported", async () => {
    const repo = server.createRepo("u/dots-named");
    repo.commit({ "scripts/mine.sh": "echo mine > $HOME/which\n", "install.sh": "echo default > $HOME/which\n" });
    const home = newHome();
    expect((await runInit(home, { KODE_DOTFILES_URL: repo.url, KODE_DOTFILES_INSTALL_SCRIPT: "scripts/mine.sh" })).report.script).toBe("scripts/mine.sh");
    expect(readFileSync(join(home, "which"), "utf8")).toBe("mine\n");
    const home2 = newHome();
    const r = await runInit(home2, { KODE_DOTFILES_URL: repo.url, KODE_DOTFILES_INSTALL_SCRIPT: "nope.sh" });
    expect(r.report).toMatchObject({ result: "failed", script: "nope.sh", error: "not found" });
    expect(dotfilesProblem(r.report)).toStartWith("dotfiles installScript nope.sh not found");
  });

  test("a failing install script is reported and the container still exits 0", async () => {
    const repo = server.createRepo("u/dots-fail");
    const c = repo.commit({ "install.sh": "echo about to fail\nexit 3\n" });
    const home = newHome();
    const r = await runInit(home, { KODE_DOTFILES_URL: repo.url });
    expect(r.message).toBe(`result=failed\ncommit=${c}\nscript=install.sh\nexit=3\n`);
    expect(r.out).toContain("about to fail");
    expect(dotfilesProblem(r.report)).toBe("dotfiles install.sh exited with 3 (see `kubectl logs <pod> -c kode-dotfiles`; the IDE runs anyway)");
    // Not retried at every start: only a new commit runs it again.
    expect((await runInit(home, { KODE_DOTFILES_URL: repo.url })).report.result).toBe("unchanged");
  });

  test("no script: top-level dotfiles are linked, existing files are never overwritten, stale links go", async () => {
    const repo = server.createRepo("u/dots-link");
    const c1 = repo.commit({ ".bashrc": "repo bashrc", ".vimrc": "repo vimrc", ".config/app.conf": "x", ".gitignore": "*.swp", "README.md": "r" });
    const home = newHome();
    writeFileSync(join(home, ".bashrc"), "mine");
    const r1 = await runInit(home, { KODE_DOTFILES_URL: repo.url });
    expect(r1.message).toBe(`result=linked\ncommit=${c1}\nconflicts=1\nconflict=.bashrc\n`);
    expect(readFileSync(join(home, ".bashrc"), "utf8")).toBe("mine");
    expect(readlinkSync(join(home, ".vimrc"))).toBe(join(home, ".dotfiles/.vimrc"));
    expect(readFileSync(join(home, ".config/app.conf"), "utf8")).toBe("x");
    expect(existsSync(join(home, ".gitignore"))).toBe(false);
    expect(existsSync(join(home, "README.md"))).toBe(false);
    expect(readFileSync(join(home, ".kode/dotfiles/conflicts"), "utf8")).toBe(".bashrc\n");
    expect(dotfilesProblem(r1.report)).toBe("1 dotfile not linked because home already has it: .bashrc (see `kubectl logs <pod> -c kode-dotfiles`; the IDE runs anyway)");

    const r2 = await runInit(home, { KODE_DOTFILES_URL: repo.url });
    expect(r2.message).toBe(`result=unchanged\ncommit=${c1}\nconflicts=1\nconflict=.bashrc\n`);

    const c2 = repo.commit({ ".vimrc": null, ".zshrc": "z" });
    const r3 = await runInit(home, { KODE_DOTFILES_URL: repo.url });
    expect(r3.report).toMatchObject({ result: "linked", commit: c2, conflictCount: 1 });
    expect(existsSync(join(home, ".vimrc")) || lstatSync(join(home, ".vimrc"), { throwIfNoEntry: false }) !== undefined).toBe(false);
    expect(readFileSync(join(home, ".zshrc"), "utf8")).toBe("z");
  });

  test("a branch, a tag and a commit", async () => {
    const repo = server.createRepo("u/dots-refs");
    const c1 = repo.commit({ ".a": "1" });
    repo.tag("v1");
    repo.branch("stable");
    const c2 = repo.commit({ ".a": "2" });
    for (const [ref, commit, content] of [["v1", c1, "1"], ["stable", c1, "1"], [c1, c1, "1"], ["main", c2, "2"]]) {
      const home = newHome();
      const r = await runInit(home, { KODE_DOTFILES_URL: repo.url, KODE_DOTFILES_REF: ref });
      expect(r.report).toMatchObject({ result: "linked", commit });
      expect(readFileSync(join(home, ".a"), "utf8")).toBe(content);
    }
    const bad = await runInit(newHome(), { KODE_DOTFILES_URL: repo.url, KODE_DOTFILES_REF: "no-such-branch" });
    expect(bad.report.result).toBe("fetch-failed");
    expect(bad.report.error).toContain("git fetch of no-such-branch failed");
  });

  test("private repository: the token from the Secret; wrong or missing token fails cleanly; the token is not stored", async () => {
    const repo = server.createRepo("private/u/dots");
    const c = repo.commit({ ".p": "private" });
    const noToken = await runInit(newHome(), { KODE_DOTFILES_URL: repo.url });
    expect(noToken.report.result).toBe("fetch-failed");
    const wrong = await runInit(newHome(), { KODE_DOTFILES_URL: repo.url, KODE_GIT_TOKEN: "nope" });
    expect(wrong.report.result).toBe("fetch-failed");
    const home = newHome();
    const ok = await runInit(home, { KODE_DOTFILES_URL: repo.url, KODE_GIT_TOKEN: "dot-token", KODE_GIT_USERNAME: "oauth2" });
    expect(ok.report).toMatchObject({ result: "linked", commit: c });
    const stored = Bun.spawnSync(["grep", "-r", "-l", "dot-token", join(home)]).stdout.toString();
    expect(stored).toBe("");
    expect(ok.out).not.toContain("dot-token");
  });

  test("a ~/.dotfiles the operator did not create is left alone", async () => {
    const repo = server.createRepo("u/dots-mine");
    repo.commit({ ".a": "1" });
    const home = newHome();
    mkdirSync(join(home, ".dotfiles"));
    writeFileSync(join(home, ".dotfiles/keep"), "mine");
    const r = await runInit(home, { KODE_DOTFILES_URL: repo.url });
    expect(r.report.result).toBe("fetch-failed");
    expect(r.report.error).toContain("exists and was not created by kode");
    expect(readFileSync(join(home, ".dotfiles/keep"), "utf8")).toBe("mine");
    expect(existsSync(join(home, ".a"))).toBe(false);
  });

  test("an unreachable server", async () => {
    const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = s.port;
    s.stop(true);
    const r = await runInit(newHome(), { KODE_DOTFILES_URL: `http://127.0.0.1:${port}/x.git` });
    expect(r.report.result).toBe("fetch-failed");
    expect(dotfilesProblem(r.report)).toContain("dotfiles could not be fetched: git fetch of HEAD failed");
  });
});

const busybox = busyboxPath();
if (hasGit && !busybox) console.log("skipping the dotfiles scripts under busybox: busybox is not installed");

describe.skipIf(!hasGit || !busybox)("dotfiles scripts under busybox sh and tools (as in alpine/git and Alpine IDE images)", () => {
  let server: GitHttpServer;
  beforeAll(() => {
    server = startGitHttp({ token: "bb-token" });
  });
  afterAll(() => server.stop());

  test("private repo with a token, link fallback with a conflict, then an install script on a new commit", async () => {
    const repo = server.createRepo("private/u/bb");
    const c1 = repo.commit({ ".bashrc": "repo", ".vimrc": "v" });
    const home = newHome();
    writeFileSync(join(home, ".bashrc"), "mine");
    const env = { KODE_DOTFILES_URL: repo.url, KODE_GIT_TOKEN: "bb-token" };
    const r1 = await runInit(home, env, busybox!);
    expect(r1.message).toBe(`result=linked\ncommit=${c1}\nconflicts=1\nconflict=.bashrc\n`);
    expect(readlinkSync(join(home, ".vimrc"))).toBe(join(home, ".dotfiles/.vimrc"));
    expect((await runInit(home, env, busybox!)).report.result).toBe("unchanged");
    const c2 = repo.commit({ "install.sh": "echo bb > $HOME/bb.txt\n" });
    expect((await runInit(home, env, busybox!)).message).toBe(`result=installed\ncommit=${c2}\nscript=install.sh\nexit=0\n`);
    expect(readFileSync(join(home, "bb.txt"), "utf8")).toBe("bb\n");
  });
});

describe("renderDotfilesInitContainers", () => {
  test("fetch in the git image, install in the IDE image, non-root, token through secretKeyRef only", () => {
    const [fetch, install] = renderDotfilesInitContainers({
      dotfiles: { url: "https://git.example/u/dots.git", ref: "main", secretRef: { name: "dots-token" }, installScript: "bin/setup" },
      home: "/config",
      homeVolumeName: "home",
      uid: 1000,
      gid: 1000,
      ideImage: "lscr.io/linuxserver/code-server:latest",
    });
    expect(fetch.name).toBe("kode-dotfiles-fetch");
    expect(fetch.image).toBe("alpine/git:latest");
    expect(fetch.command).toEqual(["sh", "-c", FETCH_SCRIPT]);
    expect(fetch.env).toEqual([
      { name: "HOME", value: "/config" },
      { name: "KODE_DOTFILES_URL", value: "https://git.example/u/dots.git" },
      { name: "KODE_DOTFILES_REF", value: "main" },
      { name: "KODE_GIT_TOKEN", valueFrom: { secretKeyRef: { name: "dots-token", key: "token" } } },
      { name: "KODE_GIT_USERNAME", valueFrom: { secretKeyRef: { name: "dots-token", key: "username", optional: true } } },
    ]);
    expect(install.name).toBe("kode-dotfiles");
    expect(install.image).toBe("lscr.io/linuxserver/code-server:latest");
    expect(install.env).toEqual([{ name: "HOME", value: "/config" }, { name: "KODE_DOTFILES_INSTALL_SCRIPT", value: "bin/setup" }]);
    for (const c of [fetch, install]) {
      expect(c.volumeMounts).toEqual([{ name: "home", mountPath: "/config" }]);
      expect(c.securityContext).toEqual({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
    }
  });
});
