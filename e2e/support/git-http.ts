// A real git smart-HTTP server for tests: Bun.serve on 127.0.0.1 runs `git http-backend` as a CGI program for
// every request, over bare repositories in a temporary folder. Repositories whose name starts with "private/"
// need `Authorization: Basic <user:token>` (any user name) or `Authorization: Bearer <token>`; the others are
// public. Work clones commit and push into the bare repositories with the real git binary.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const gitAvailable = (): boolean => spawnSync("git", ["--version"]).status === 0;

/** Runs git, throwing with its stderr on failure; returns trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.invalid", GIT_CONFIG_NOSYSTEM: "1", HOME: cwd },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout.trim();
}

export class TestRepo {
  constructor(
    /** The repository's URL on the test server. */
    readonly url: string,
    readonly bare: string,
    readonly work: string,
  ) {}

  /** Writes (string) or deletes (null) files, commits everything and pushes all branches and tags. Returns the sha. */
  commit(files: Record<string, string | null>, message = "change", opts: { mode?: Record<string, "755"> } = {}): string {
    for (const [path, content] of Object.entries(files)) {
      const abs = join(this.work, path);
      if (content === null) rmSync(abs, { force: true, recursive: true });
      else {
        mkdirSync(dirname(abs), { recursive: true });
        writeFileSync(abs, content, { mode: opts.mode?.[path] === "755" ? 0o755 : 0o644 });
      }
    }
    git(this.work, "add", "-A");
    git(this.work, "commit", "-q", "--allow-empty", "-m", message);
    this.push();
    return git(this.work, "rev-parse", "HEAD");
  }

  tag(name: string): void {
    git(this.work, "tag", "-a", "-m", name, name);
    this.push();
  }

  /** Creates (or moves) a branch at the current commit without switching to it. */
  branch(name: string): void {
    git(this.work, "branch", "-f", name);
    this.push();
  }

  checkout(branch: string): void {
    git(this.work, "checkout", "-q", branch);
  }

  private push(): void {
    git(this.work, "push", "-q", "--force", "--all", "origin");
    git(this.work, "push", "-q", "--force", "--tags", "origin");
  }
}

export interface GitHttpServer {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  token: string;
  /** Creates an empty bare repository ("name" or "private/name") with a work clone on branch main. */
  createRepo(name: string): TestRepo;
  /** Removes a bare repository (the server then answers 404 for it). */
  removeRepo(name: string): void;
  /** Requests served, for tests that check the client really went to the server. */
  requests: { method: string; path: string; status: number }[];
  stop(): void;
}

const CGI_ENV_PASSTHROUGH: Record<string, string> = {
  "content-encoding": "HTTP_CONTENT_ENCODING",
  "git-protocol": "HTTP_GIT_PROTOCOL",
};

export function startGitHttp(opts: { token?: string } = {}): GitHttpServer {
  const root = mkdtempSync(join(tmpdir(), "kode-git-http-"));
  const projectRoot = join(root, "repos");
  mkdirSync(projectRoot);
  const token = opts.token ?? "s3cret-token";
  const requests: GitHttpServer["requests"] = [];

  const authorized = (req: Request): boolean => {
    const h = req.headers.get("authorization") ?? "";
    if (h.startsWith("Bearer ")) return h.slice(7) === token;
    if (h.startsWith("Basic ")) {
      const decoded = Buffer.from(h.slice(6), "base64").toString("utf8");
      return decoded.slice(decoded.indexOf(":") + 1) === token;
    }
    return false;
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const record = (res: Response) => {
        requests.push({ method: req.method, path: url.pathname, status: res.status });
        return res;
      };
      if (url.pathname.startsWith("/private/") && !authorized(req))
        return record(new Response("authentication required\n", { status: 401, headers: { "WWW-Authenticate": 'Basic realm="test"' } }));
      const body = req.method === "POST" ? Buffer.from(await req.arrayBuffer()) : Buffer.alloc(0);
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: decodeURIComponent(url.pathname),
        REQUEST_METHOD: req.method,
        QUERY_STRING: url.search.replace(/^\?/, ""),
        CONTENT_TYPE: req.headers.get("content-type") ?? "",
        CONTENT_LENGTH: String(body.length),
        REMOTE_ADDR: "127.0.0.1",
        GIT_CONFIG_NOSYSTEM: "1",
        HOME: root,
      };
      for (const [header, name] of Object.entries(CGI_ENV_PASSTHROUGH)) {
        const v = req.headers.get(header);
        if (v) env[name] = v;
      }
      const proc = Bun.spawn(["git", "http-backend"], { env, stdin: body, stdout: "pipe", stderr: "pipe" });
      const out = Buffer.from(await new Response(proc.stdout).arrayBuffer());
      await proc.exited;
      return record(cgiResponse(out));
    },
  });

  const base = `http://127.0.0.1:${server.port}`;
  return {
    url: base,
    token,
    requests,
    createRepo(name) {
      const bare = join(projectRoot, `${name}.git`);
      mkdirSync(dirname(bare), { recursive: true });
      git(root, "init", "-q", "--bare", "-b", "main", bare);
      const work = mkdtempSync(join(root, "work-"));
      git(work, "init", "-q", "-b", "main");
      git(work, "remote", "add", "origin", bare);
      return new TestRepo(`${base}/${name}.git`, bare, work);
    },
    removeRepo(name) {
      rmSync(join(projectRoot, `${name}.git`), { recursive: true, force: true });
    },
    stop() {
      server.stop(true);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** CGI output: header lines (Status: gives the code), a blank line, the body. */
function cgiResponse(out: Buffer): Response {
  let sep = out.indexOf("\r\n\r\n");
  let sepLen = 4;
  const lf = out.indexOf("\n\n");
  if (sep < 0 || (lf >= 0 && lf < sep)) {
    sep = lf;
    sepLen = 2;
  }
  if (sep < 0) return new Response(`bad CGI output: ${out.toString("utf8").slice(0, 200)}`, { status: 502 });
  const headers = new Headers();
  let status = 200;
  for (const line of out.subarray(0, sep).toString("utf8").split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const k = line.slice(0, i).trim();
    const v = line.slice(i + 1).trim();
    if (k.toLowerCase() === "status") status = Number.parseInt(v, 10);
    else headers.append(k, v);
  }
  return new Response(out.subarray(sep + sepLen), { status, headers });
}
