import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as v from "valibot";
import { gitAvailable, startGitHttp, type GitHttpServer } from "../../e2e/support/git-http.ts";
import { readGitFile } from "./git.ts";
import { DevcontainerSourceSchema, fromConfigMap, fromGitFile, fromInline, gitRequest, sourceProblem } from "./source.ts";

describe("sources", () => {
  test("exactly one of config, configMapRef, git", () => {
    expect(sourceProblem({ config: {} })).toBeUndefined();
    expect(sourceProblem({})).toBe("devcontainer must set exactly one of config, configMapRef, git (has none)");
    expect(sourceProblem({ config: {}, git: { url: "https://x/y.git" } })).toBe("devcontainer must set exactly one of config, configMapRef, git (has config and git)");
  });
  test("the schema fragment accepts the three forms and refuses a non-HTTP URL", () => {
    expect(v.safeParse(DevcontainerSourceSchema, { git: { url: "https://git.example/r.git", ref: "main", secretRef: { name: "tok" } } }).success).toBe(true);
    expect(v.safeParse(DevcontainerSourceSchema, { configMapRef: { name: "dc" } }).success).toBe(true);
    expect(v.safeParse(DevcontainerSourceSchema, { git: { url: "git@github.com:o/r.git" } }).success).toBe(false);
    expect(v.safeParse(DevcontainerSourceSchema, { git: { url: "https://x/r.git", path: "../etc/passwd" } }).success).toBe(false);
  });
  test("inline", () => {
    expect(fromInline({ image: "x", build: {} }).unsupported.map((u) => u.property)).toEqual(["build"]);
  });
  test("ConfigMap: missing, missing key, JSONC content with source in messages", () => {
    expect(fromConfigMap({ name: "dc" }, undefined).errors).toEqual(["ConfigMap dc not found"]);
    expect(fromConfigMap({ name: "dc" }, { other: "{}" }).errors).toEqual(["ConfigMap dc has no key devcontainer.json (it has other)"]);
    expect(fromConfigMap({ name: "dc", key: "dc.json" }, { "dc.json": '// c\n{"image": "node:22",}' }).config).toEqual({ image: "node:22" });
    expect(fromConfigMap({ name: "dc" }, { "devcontainer.json": "{ nope" }).errors[0]).toStartWith("ConfigMap dc key devcontainer.json: line 1, column 3:");
  });
  test("git request: default path, token from the Secret, missing Secret or key", () => {
    expect(gitRequest({ url: "https://h/r.git" }).request).toEqual({ url: "https://h/r.git", ref: undefined, path: ".devcontainer/devcontainer.json", auth: undefined });
    expect(gitRequest({ url: "https://h/r.git", secretRef: { name: "s" } }).problem).toBe("Secret s (git.secretRef) not found");
    expect(gitRequest({ url: "https://h/r.git", secretRef: { name: "s" } }, { user: "x" }).problem).toBe('Secret s has no key "token"');
    expect(gitRequest({ url: "https://h/r.git", secretRef: { name: "s" } }, { token: "t", username: "oauth2" }).request!.auth).toEqual({ token: "t", username: "oauth2" });
  });
});

describe.skipIf(!gitAvailable())("git source end to end (git http-backend)", () => {
  let server: GitHttpServer;
  beforeAll(() => {
    server = startGitHttp({ token: "tkn" });
  });
  afterAll(() => server.stop());
  test("a private repo: request from the Secret, read, parse; a broken file then fixed", async () => {
    const repo = server.createRepo("private/dev");
    repo.commit({ ".devcontainer/devcontainer.json": '{ "image": "node:22", "features": {} }' });
    const src = { url: repo.url, ref: "main", secretRef: { name: "git-token" } };
    const { request } = gitRequest(src, { token: "tkn" });
    const f = await readGitFile(request!);
    const parsed = fromGitFile(src, f.content, f.commit);
    expect(parsed.config).toEqual({ image: "node:22" });
    expect(parsed.unsupported.map((u) => u.property)).toEqual(["features"]);

    const broken = repo.commit({ ".devcontainer/devcontainer.json": '{ "image": "node:22"\n  "x": 1 }' });
    const f2 = await readGitFile(request!);
    expect(fromGitFile(src, f2.content, f2.commit).errors).toEqual([`.devcontainer/devcontainer.json at ${broken.slice(0, 12)}: line 2, column 3: ',' expected`]);

    repo.commit({ ".devcontainer/devcontainer.json": '{ "image": "node:24" }' });
    const f3 = await readGitFile(request!);
    expect(fromGitFile(src, f3.content, f3.commit)).toEqual({ config: { image: "node:24" }, errors: [], unsupported: [], warnings: [] });
  });
});
