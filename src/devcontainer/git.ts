// Reads one file of a git repository at a branch, a tag or a commit over smart HTTP, with isomorphic-git (the
// operator image has no git binary). Objects go to a temporary git directory that is removed afterwards; no
// working tree is ever checked out. Failures come back as a GitReadError whose `kind` says what to tell the user.
import { mkdtempSync, rmSync } from "node:fs";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import git, { type HttpClient } from "isomorphic-git";

export type GitReadErrorKind = "unreachable" | "auth-required" | "auth-failed" | "bad-ref" | "file-missing" | "not-a-repository" | "other";

export class GitReadError extends Error {
  constructor(
    readonly kind: GitReadErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "GitReadError";
  }
}

/** How to authenticate: a token from the Kode's Secret. Never logged, never part of an error message. */
export interface GitAuth {
  token: string;
  /** Basic auth user name. Git hosts accept a token as the password with any non-empty user (GitHub: x-access-token,
   * GitLab: oauth2, Bitbucket: x-token-auth). Default x-access-token. */
  username?: string;
  /** "basic" (default: what git hosts accept for tokens over HTTPS) or "bearer" (Authorization: Bearer). */
  scheme?: "basic" | "bearer";
}

export interface GitFileRequest {
  url: string;
  /** Branch, tag, full ref (refs/heads/x) or commit sha (7 to 40 hex digits). Default: the remote's HEAD. */
  ref?: string;
  path: string;
  auth?: GitAuth;
  /** Per-request deadline; the read fails with kind "unreachable" after it. */
  timeoutMs?: number;
}

export interface GitFile {
  content: string;
  /** The commit the file was read at. */
  commit: string;
  /** The full ref it was resolved from (refs/heads/main, refs/tags/v1), or the sha itself. */
  resolvedRef: string;
}

/**
 * When and how often the reconciler retries a failed read. Unreachable servers and unknown errors are retried
 * with exponential backoff; auth and ref/file errors only after `userErrorDelayMs` (the user must fix something,
 * and a change to the Kode or its Secret re-queues it at once anyway).
 */
export const GIT_RETRY_POLICY = {
  initialDelayMs: 5_000,
  factor: 2,
  maxDelayMs: 5 * 60_000,
  userErrorDelayMs: 5 * 60_000,
  transient: ["unreachable", "other"] as GitReadErrorKind[],
} as const;

/** The delay before retry number `attempt` (0-based) after an error of `kind`. */
export function gitRetryDelayMs(kind: GitReadErrorKind, attempt: number): number {
  const p = GIT_RETRY_POLICY;
  if (!p.transient.includes(kind)) return p.userErrorDelayMs;
  return Math.min(p.maxDelayMs, p.initialDelayMs * p.factor ** Math.max(0, attempt));
}

const SHA = /^[0-9a-f]{7,40}$/i;

function authHeaders(auth?: GitAuth): Record<string, string> {
  if (!auth) return {};
  if (auth.scheme === "bearer") return { Authorization: `Bearer ${auth.token}` };
  const basic = Buffer.from(`${auth.username || "x-access-token"}:${auth.token}`).toString("base64");
  return { Authorization: `Basic ${basic}` };
}

/** An http client that aborts after timeoutMs (isomorphic-git has no timeout of its own). */
function httpWithTimeout(timeoutMs: number): HttpClient {
  return {
    async request(req) {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), timeoutMs);
      try {
        const res = await fetch(req.url, {
          method: req.method ?? "GET",
          headers: req.headers,
          body: req.body ? await collect(req.body) : undefined,
          signal: ctl.signal,
          redirect: "follow",
        });
        const body = new Uint8Array(await res.arrayBuffer());
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => (headers[k] = v));
        return { url: res.url, method: req.method, statusCode: res.status, statusMessage: res.statusText, headers, body: once(body) };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The body as the async iterator isomorphic-git reads. */
async function* once(chunk: Uint8Array): AsyncIterableIterator<Uint8Array> {
  yield chunk;
}

async function collect(body: AsyncIterableIterator<Uint8Array> | Uint8Array[] | Uint8Array): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  const parts: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) parts.push(chunk);
  return Buffer.concat(parts);
}

/** The URL without any user:password part, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return url;
  }
}

function mapError(e: unknown, req: GitFileRequest): GitReadError {
  if (e instanceof GitReadError) return e;
  const err = e as { code?: string; name?: string; message?: string; data?: { statusCode?: number } };
  const url = redactUrl(req.url);
  const code = err.code ?? err.name;
  const status = err.data?.statusCode;
  if (code === "HttpError" || code === "UserCanceledError") {
    if (status === 401 || code === "UserCanceledError") return new GitReadError(req.auth ? "auth-failed" : "auth-required", req.auth ? `the git server at ${url} refused the token (401): check the token in the Secret` : `the git server at ${url} requires authentication (401): set git.secretRef to a Secret with a token`);
    if (status === 403) return new GitReadError("auth-failed", `the git server at ${url} refused access (403): the token lacks read access to the repository`);
    if (status === 404) return new GitReadError("not-a-repository", `no git repository at ${url} (404)`);
    return new GitReadError("unreachable", `the git server at ${url} answered HTTP ${status ?? "error"}`);
  }
  if (code === "SmartHttpError" || code === "ParseError") return new GitReadError("not-a-repository", `${url} does not speak the git smart HTTP protocol`);
  if (code === "AbortError" || code === "TimeoutError") return new GitReadError("unreachable", `the git server at ${url} did not answer within ${(req.timeoutMs ?? 30_000) / 1000}s`);
  const msg = String(err.message ?? e);
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|Unable to connect|fetch failed|ConnectionRefused|FailedToOpenSocket/i.test(msg + (err.code ?? "")))
    return new GitReadError("unreachable", `cannot reach the git server at ${url}: ${msg.replace(/\s+/g, " ").slice(0, 200)}`);
  return new GitReadError("other", `reading ${req.path} from ${url} failed: ${msg.replace(/\s+/g, " ").slice(0, 200)}`);
}

/** Reads `path` at `ref` from the repository at `url`. Throws GitReadError. */
export async function readGitFile(req: GitFileRequest): Promise<GitFile> {
  const headers = authHeaders(req.auth);
  const client = httpWithTimeout(req.timeoutMs ?? 30_000);
  const common = { http: client, url: req.url, headers } as const;
  const gitdir = mkdtempSync(join(tmpdir(), "kode-git-"));
  try {
    let refs: Awaited<ReturnType<typeof git.listServerRefs>>;
    try {
      refs = await git.listServerRefs({ ...common, protocolVersion: 1, symrefs: true, peelTags: true });
    } catch (e) {
      throw mapError(e, req);
    }
    const target = resolveRef(refs, req.ref);
    await git.init({ fs, gitdir, bare: true, defaultBranch: "kode" });
    await git.addRemote({ fs, gitdir, remote: "origin", url: req.url });
    let commit: string;
    try {
      if (target.kind === "ref") {
        await git.fetch({ ...common, fs, gitdir, ref: target.ref, remoteRef: target.ref, singleBranch: true, depth: 1, tags: false });
        commit = target.commit;
      } else {
        // A commit that is no ref's tip: the protocol (v1) only serves advertised tips, so fetch every branch and
        // tag with history and look for the commit there.
        await git.fetch({ ...common, fs, gitdir, singleBranch: false, tags: true });
        try {
          commit = await git.expandOid({ fs, gitdir, oid: target.sha.toLowerCase() });
          const { type } = await git.readObject({ fs, gitdir, oid: commit, format: "parsed" });
          if (type !== "commit") throw new Error("not a commit");
        } catch {
          throw new GitReadError("bad-ref", `commit ${target.sha} is not in any branch or tag of ${redactUrl(req.url)}`);
        }
      }
    } catch (e) {
      throw mapError(e, req);
    }
    try {
      const { blob } = await git.readBlob({ fs, gitdir, oid: commit, filepath: req.path.replace(/^\/+/, "") });
      return { content: new TextDecoder().decode(blob), commit, resolvedRef: target.kind === "ref" ? target.ref : commit };
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "NotFoundError" || code === "ObjectTypeError")
        throw new GitReadError("file-missing", `${req.path} does not exist at ${req.ref ?? "HEAD"} (commit ${commit.slice(0, 12)}) in ${redactUrl(req.url)}`);
      throw mapError(e, req);
    }
  } finally {
    rmSync(gitdir, { recursive: true, force: true });
  }
}

type Resolved = { kind: "ref"; ref: string; commit: string } | { kind: "sha"; sha: string };

function resolveRef(refs: { ref: string; oid: string; target?: string; peeled?: string }[], ref: string | undefined): Resolved {
  const byName = new Map(refs.map((r) => [r.ref, r]));
  const hit = (name: string): Resolved | undefined => {
    const r = byName.get(name);
    if (!r) return undefined;
    if (r.target) return hit(r.target) ?? { kind: "ref", ref: name, commit: r.oid };
    return { kind: "ref", ref: name, commit: r.peeled ?? r.oid };
  };
  if (!ref || ref === "HEAD") {
    const h = hit("HEAD");
    if (!h) throw new GitReadError("bad-ref", "the repository has no HEAD (is it empty?)");
    return h;
  }
  const named = hit(ref) ?? hit(`refs/heads/${ref}`) ?? hit(`refs/tags/${ref}`);
  if (named) return named;
  if (SHA.test(ref)) {
    const tip = refs.find((r) => r.ref !== "HEAD" && ((r.peeled ?? r.oid).startsWith(ref.toLowerCase()) && r.ref.startsWith("refs/heads/")));
    if (tip && ref.length === 40) return { kind: "ref", ref: tip.ref, commit: tip.peeled ?? tip.oid };
    return { kind: "sha", sha: ref };
  }
  const known = refs.filter((r) => r.ref.startsWith("refs/heads/") || r.ref.startsWith("refs/tags/")).map((r) => r.ref.replace(/^refs\/(heads|tags)\//, ""));
  throw new GitReadError("bad-ref", `no branch or tag "${ref}"${known.length ? ` (known: ${known.slice(0, 10).join(", ")}${known.length > 10 ? ", …" : ""})` : ""}`);
}
