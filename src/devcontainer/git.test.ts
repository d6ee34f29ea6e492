import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { gitAvailable, startGitHttp, type GitHttpServer, type TestRepo } from "../../e2e/support/git-http.ts";
import { GitReadError, gitRetryDelayMs, readGitFile } from "./git.ts";

const PATH = ".devcontainer/devcontainer.json";
const hasGit = gitAvailable();
if (!hasGit) console.log("skipping git reads: no git binary to serve repositories with `git http-backend`");

async function readError(p: Promise<unknown>): Promise<GitReadError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GitReadError) return e;
    throw e;
  }
  throw new Error("expected a GitReadError");
}

describe.skipIf(!hasGit)("readGitFile against git http-backend", () => {
  let server: GitHttpServer;
  let pub: TestRepo;
  let priv: TestRepo;
  const sha: Record<string, string> = {};
  beforeAll(() => {
    server = startGitHttp({ token: "tok-123" });
    pub = server.createRepo("team/app");
    sha.v1 = pub.commit({ [PATH]: '{ "image": "one" }' }, "first");
    pub.tag("v1.0");
    sha.v2 = pub.commit({ [PATH]: '{ "image": "two" }' }, "second");
    pub.branch("release");
    sha.v3 = pub.commit({ [PATH]: '{ "image": "three" }', "other.txt": "x" }, "third");
    priv = server.createRepo("private/secret-app");
    sha.priv = priv.commit({ [PATH]: '{ "image": "private" }' }, "p");
  });
  afterAll(() => server.stop());

  test("default ref is the remote HEAD (main)", async () => {
    const f = await readGitFile({ url: pub.url, path: PATH });
    expect(f.content).toBe('{ "image": "three" }');
    expect(f.commit).toBe(sha.v3);
    expect(f.resolvedRef).toBe("refs/heads/main");
  });
  test("a branch", async () => {
    const f = await readGitFile({ url: pub.url, ref: "release", path: PATH });
    expect(f.content).toBe('{ "image": "two" }');
    expect(f.commit).toBe(sha.v2);
  });
  test("an annotated tag, by short and full name", async () => {
    for (const ref of ["v1.0", "refs/tags/v1.0"]) {
      const f = await readGitFile({ url: pub.url, ref, path: PATH });
      expect(f.content).toBe('{ "image": "one" }');
      expect(f.commit).toBe(sha.v1);
    }
  });
  test("a commit that is no ref's tip (full and abbreviated sha)", async () => {
    for (const ref of [sha.v1, sha.v1.slice(0, 10)]) {
      const f = await readGitFile({ url: pub.url, ref, path: PATH });
      expect(f.content).toBe('{ "image": "one" }');
      expect(f.commit).toBe(sha.v1);
    }
  });
  test("a commit that is a branch tip", async () => {
    const f = await readGitFile({ url: pub.url, ref: sha.v3, path: "other.txt" });
    expect(f.content).toBe("x");
  });
  test("bad ref: unknown branch names the known ones", async () => {
    const e = await readError(readGitFile({ url: pub.url, ref: "nope", path: PATH }));
    expect(e.kind).toBe("bad-ref");
    expect(e.message).toContain('no branch or tag "nope"');
    expect(e.message).toContain("release");
  });
  test("bad ref: a sha that does not exist", async () => {
    const e = await readError(readGitFile({ url: pub.url, ref: "0123456789abcdef0123456789abcdef01234567", path: PATH }));
    expect(e.kind).toBe("bad-ref");
  });
  test("file missing at the ref", async () => {
    const e = await readError(readGitFile({ url: pub.url, ref: "v1.0", path: "other.txt" }));
    expect(e.kind).toBe("file-missing");
    expect(e.message).toContain("other.txt does not exist at v1.0");
  });
  test("private repo: no token → auth-required; wrong token → auth-failed; right token (basic and bearer) → content", async () => {
    expect((await readError(readGitFile({ url: priv.url, path: PATH }))).kind).toBe("auth-required");
    const wrong = await readError(readGitFile({ url: priv.url, path: PATH, auth: { token: "wrong-token-xyz" } }));
    expect(wrong.kind).toBe("auth-failed");
    expect(wrong.message).not.toContain("wrong-token-xyz");
    const basic = await readGitFile({ url: priv.url, path: PATH, auth: { token: "tok-123" } });
    expect(basic.content).toBe('{ "image": "private" }');
    const bearer = await readGitFile({ url: priv.url, path: PATH, auth: { token: "tok-123", scheme: "bearer" } });
    expect(bearer.commit).toBe(sha.priv);
  });
  test("missing repository, then fixed", async () => {
    const e = await readError(readGitFile({ url: `${server.url}/team/later.git`, path: PATH }));
    expect(e.kind).toBe("not-a-repository");
    const later = server.createRepo("team/later");
    later.commit({ [PATH]: "{}" });
    expect((await readGitFile({ url: later.url, path: PATH })).content).toBe("{}");
  });
  test("an empty repository has no HEAD", async () => {
    const empty = server.createRepo("team/empty");
    const e = await readError(readGitFile({ url: empty.url, path: PATH }));
    expect(e.kind).toBe("bad-ref");
  });
});

describe("readGitFile without a server", () => {
  test("unreachable: nothing listens on the port", async () => {
    const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = s.port;
    s.stop(true);
    const e = await readError(readGitFile({ url: `http://127.0.0.1:${port}/x.git`, path: PATH, timeoutMs: 5000 }));
    expect(e.kind).toBe("unreachable");
    expect(e.message).toContain(`127.0.0.1:${port}`);
  });
  test("a server that is not git", async () => {
    const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("<html>hello</html>", { headers: { "content-type": "text/html" } }) });
    try {
      const e = await readError(readGitFile({ url: `http://127.0.0.1:${s.port}/x.git`, path: PATH }));
      expect(e.kind).toBe("not-a-repository");
    } finally {
      s.stop(true);
    }
  });
  test("retry policy: transient errors back off exponentially to a cap, user errors wait long", () => {
    expect([0, 1, 2, 3].map((a) => gitRetryDelayMs("unreachable", a))).toEqual([5000, 10000, 20000, 40000]);
    expect(gitRetryDelayMs("unreachable", 20)).toBe(300000);
    expect(gitRetryDelayMs("bad-ref", 0)).toBe(300000);
    expect(gitRetryDelayMs("auth-failed", 3)).toBe(300000);
  });
});
