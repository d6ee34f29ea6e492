import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxPath } from "../../e2e/support/busybox.ts";
import { gitAvailable, startGitHttp, type GitHttpServer } from "../../e2e/support/git-http.ts";
import { CLONE_SCRIPT, parseCloneReport, renderCloneInitContainer } from "./clone.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function clone(env: Record<string, string>, path = process.env.PATH!) {
  const home = mkdtempSync(join(tmpdir(), "kode-clone-"));
  dirs.push(home);
  const dir = join(home, "workspace");
  const report = join(home, "termination-log");
  if (env.PREFILL) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "mine.txt"), "mine");
  }
  const p = Bun.spawn([path === process.env.PATH ? "sh" : join(path, "sh"), "-c", CLONE_SCRIPT], { env: { PATH: path, HOME: home, KODE_CLONE_DIR: dir, KODE_REPORT_FILE: report, GIT_CONFIG_NOSYSTEM: "1", ...env }, stdout: "pipe", stderr: "pipe" });
  const out = (await new Response(p.stdout).text()) + (await new Response(p.stderr).text());
  expect(await p.exited).toBe(0);
  return { dir, out, report: parseCloneReport(readFileSync(report, "utf8")) };
}

describe.skipIf(!gitAvailable())("workspace clone (the exact script, real git over loopback)", () => {
  let server: GitHttpServer;
  beforeAll(() => {
    server = startGitHttp({ token: "ctok" });
  });
  afterAll(() => server.stop());

  test("clones at a ref into an empty workspace, with history; the token is not stored", async () => {
    const repo = server.createRepo("private/app");
    const c1 = repo.commit({ "README.md": "one" });
    repo.tag("v1");
    repo.commit({ "README.md": "two" });
    const r = await clone({ KODE_CLONE_URL: repo.url, KODE_CLONE_REF: "v1", KODE_GIT_TOKEN: "ctok" });
    expect(r.report).toEqual({ result: "cloned", commit: c1 });
    expect(readFileSync(join(r.dir, "README.md"), "utf8")).toBe("one");
    expect(readFileSync(join(r.dir, ".git/config"), "utf8")).not.toContain("ctok");
    expect(r.out).not.toContain("ctok");
  });
  test.skipIf(!busyboxPath())("under busybox sh and tools (alpine/git): clone, then a failure cleaned up", async () => {
    const repo = server.createRepo("private/app-bb");
    const c = repo.commit({ "README.md": "bb" });
    const ok = await clone({ KODE_CLONE_URL: repo.url, KODE_GIT_TOKEN: "ctok" }, busyboxPath()!);
    expect(ok.report).toEqual({ result: "cloned", commit: c });
    const bad = await clone({ KODE_CLONE_URL: repo.url, KODE_GIT_TOKEN: "ctok", KODE_CLONE_REF: "nope" }, busyboxPath()!);
    expect(bad.report.result).toBe("failed");
    expect(Bun.spawnSync(["ls", "-A", bad.dir]).stdout.toString()).toBe("");
  });
  test("a workspace with content is left alone", async () => {
    const repo = server.createRepo("app2");
    repo.commit({ "README.md": "x" });
    const r = await clone({ KODE_CLONE_URL: repo.url, PREFILL: "1" });
    expect(r.report.result).toBe("present");
    expect(readFileSync(join(r.dir, "mine.txt"), "utf8")).toBe("mine");
    expect(existsSync(join(r.dir, "README.md"))).toBe(false);
  });
  test("a wrong token or a bad ref fails cleanly and leaves the workspace empty", async () => {
    const repo = server.createRepo("private/app3");
    repo.commit({ "README.md": "x" });
    const r1 = await clone({ KODE_CLONE_URL: repo.url, KODE_GIT_TOKEN: "wrong" });
    expect(r1.report.result).toBe("failed");
    const r2 = await clone({ KODE_CLONE_URL: repo.url, KODE_GIT_TOKEN: "ctok", KODE_CLONE_REF: "nope" });
    expect(r2.report.result).toBe("failed");
    expect(r2.report.error).toContain("nope");
    expect(Bun.spawnSync(["ls", "-A", r2.dir]).stdout.toString()).toBe("");
  });
});

test("render: git image, token via secretKeyRef", () => {
  const c = renderCloneInitContainer({ git: { url: "https://h/r.git", secretRef: { name: "t" } }, dir: "/home/u/workspace", home: "/home/u", homeVolumeName: "home", uid: 1000, gid: 1000 });
  expect(c.image).toBe("alpine/git:latest");
  expect(c.env.find((e) => e.name === "KODE_GIT_TOKEN")).toEqual({ name: "KODE_GIT_TOKEN", valueFrom: { secretKeyRef: { name: "t", key: "token" } } });
});
