// The devcontainer.json of a devcontainers Kode, for render: inline (checked by validate), from a ConfigMap (the
// cache, a recorded read) or from git (I/O, here and never in render). The last good git read is kept in memory
// per Kode and, so that it survives an operator restart, in the operator-owned ConfigMap <kode>-devcontainer
// (rendered from it: the text, the source and the commit). A later failure of the same source (an outage) keeps
// it, so the pod does not roll, also in a new operator process whose first read fails; a failure with nothing good
// to keep is Ready=False with the git error, retried with backoff.
import { redactUrl, GitReadError, gitRetryDelayMs, readGitFile, type GitFile, type GitFileRequest, type GitReadErrorKind } from "../devcontainer/git.ts";
import { DEFAULT_CONFIGMAP_KEY, DEFAULT_DEVCONTAINER_PATH, fromConfigMap, fromGitFile, fromInline, gitRequest } from "../devcontainer/source.ts";
import type { Kode, KodeTemplateSpec } from "../api/types.ts";
import type { Cache } from "../kube/cache.ts";
import type { KubeObject } from "../kube/types.ts";
import { isControlledBy } from "../kube/children.ts";
import { API_VERSION } from "../api/types.ts";
import { devcontainerSourceOf, KEPT_DEVCONTAINER_KEY, keptDevcontainerName, ANNOTATION_DEVCONTAINER_COMMIT, ANNOTATION_DEVCONTAINER_SOURCE, type ResolvedDevcontainer } from "./render-environment.ts";
import { devcontainerProblems } from "./validate-environment.ts";
import type { Problem } from "./validate.ts";

/** How often a git source is read again to follow a moving branch (a pass that reads nothing new writes nothing). */
export const GIT_REFRESH_MS = 5 * 60_000;
/** Setting (or changing) this annotation on a Kode reads its devcontainer.json from git again now. */
export const ANNOTATION_REFRESH = "kode.jacero.io/refresh";

export interface GitMemo {
  /** The request (url, ref, path, and the Secret's resourceVersion) the entry is for. */
  request: string;
  /** url, ref and path only. */
  sourceId: string;
  file?: GitFile;
  readAt?: number;
  /** Consecutive failures, for the backoff. */
  failures: number;
  lastError?: { kind: GitReadErrorKind; message: string };
  /** Not before this time (ms): read again. */
  nextReadAt: number;
}

export interface DevcontainerDeps {
  secrets: Cache<KubeObject & { data?: Record<string, string> }>;
  configMaps: Cache<KubeObject & { data?: Record<string, string> }>;
  /** Last git reads by Kode key. */
  gitReads?: Map<string, GitMemo>;
  readGit?: (req: GitFileRequest) => Promise<GitFile>;
  clock?: () => number;
  events: { event(obj: KubeObject, type: "Normal" | "Warning", reason: string, message: string): unknown };
}

export interface DevcontainerResolution {
  input?: ResolvedDevcontainer;
  problems: Problem[];
  warnings: string[];
  requeueAfterMs?: number;
  status?: { source: string; commit?: string };
}

const decodeAll = (data: Record<string, string> | undefined) =>
  data && Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));

export async function resolveDevcontainer(deps: DevcontainerDeps, kode: Kode, template: KodeTemplateSpec): Promise<DevcontainerResolution> {
  if (template.type !== "devcontainers") return { problems: [], warnings: [] };
  const source = devcontainerSourceOf(kode, template);
  const ns = kode.metadata.namespace!;
  if (!source) return { problems: [], warnings: [] };
  if (source.config) return { problems: [], warnings: fromInline(source.config).warnings, status: { source: "inline" } };

  if (source.configMapRef) {
    const ref = source.configMapRef;
    const cm = deps.configMaps.get(ns, ref.name);
    const where = `ConfigMap ${ns}/${ref.name} key ${ref.key ?? DEFAULT_CONFIGMAP_KEY}`;
    if (!cm) return { problems: [{ reason: "DevcontainerSourceNotFound", message: `${where} (devcontainer.configMapRef) does not exist; create it` }], warnings: [] };
    const r = fromConfigMap(ref, (cm.data ?? {}) as Record<string, string>);
    const problems = devcontainerProblems(r);
    if (problems.length || !r.config) return { problems: problems.length ? problems : [{ reason: "InvalidDevcontainer", message: r.errors.join("; ") }], warnings: r.warnings };
    return { input: { config: r.config }, problems: [], warnings: r.warnings, status: { source: where } };
  }

  const git = source.git!;
  const secret = git.secretRef ? deps.secrets.get(ns, git.secretRef.name) : undefined;
  const req = gitRequest(git, git.secretRef ? decodeAll(secret?.data) : undefined);
  if (!req.request) return { problems: [{ reason: "DevcontainerGitSecret", message: `${req.problem}; create it with a "token" key` }], warnings: [] };
  const where = `${redactUrl(git.url)} ${git.path ?? DEFAULT_DEVCONTAINER_PATH}${git.ref ? ` at ${git.ref}` : ""}`;
  const key = `${ns}/${kode.metadata.name}`;
  // A change of the Kode (its generation, or the refresh annotation) or of its Secret reads again at once.
  const requestId = JSON.stringify([git.url, git.ref ?? "", git.path ?? "", secret?.metadata.resourceVersion ?? "", kode.metadata.generation ?? 0, kode.metadata.annotations?.[ANNOTATION_REFRESH] ?? ""]);
  const now = (deps.clock ?? Date.now)();
  const memos = deps.gitReads ?? new Map<string, GitMemo>();
  let memo = memos.get(key);
  // Another url/ref/path starts afresh; the same source asked again keeps its last good read through a failure.
  const sourceId = keptSourceId(git);
  if (memo?.request !== requestId) memo = { request: requestId, sourceId, ...(memo?.sourceId === sourceId && memo.file && { file: memo.file, readAt: memo.readAt }), failures: 0, nextReadAt: 0 };
  // Nothing in memory (a new operator process): the read this Kode's ConfigMap keeps, if it is of the same source.
  if (!memo.file) {
    const kept = keptRead(deps, kode, sourceId);
    if (kept) memo = { ...memo, file: kept };
  }
  if (now >= memo.nextReadAt) {
    try {
      const file = await (deps.readGit ?? readGitFile)({ ...req.request, timeoutMs: 20_000 });
      if (memo.lastError && memo.file) deps.events.event(kode as unknown as KubeObject, "Normal", "DevcontainerGitRecovered", `read ${where} again at ${file.commit.slice(0, 12)}`);
      memo = { request: requestId, sourceId, file, readAt: now, failures: 0, nextReadAt: now + GIT_REFRESH_MS };
    } catch (e) {
      const kind: GitReadErrorKind = e instanceof GitReadError ? e.kind : "other";
      const message = e instanceof GitReadError ? e.message : `git read failed: ${(e as Error).message}`;
      const changed = memo.lastError?.message !== message;
      memo = { ...memo, failures: memo.failures + 1, lastError: { kind, message }, nextReadAt: now + gitRetryDelayMs(kind, memo.failures) };
      // An outage with a good read of the same request: keep it (the pod does not roll), say so once.
      if (memo.file && changed) deps.events.event(kode as unknown as KubeObject, "Warning", "DevcontainerGitUnavailable", `${message}; keeping devcontainer.json from commit ${memo.file.commit.slice(0, 12)}`);
    }
    memos.set(key, memo);
  }
  const requeueAfterMs = Math.max(1_000, memo.nextReadAt - now);
  if (!memo.file) {
    const err = memo.lastError!;
    return { problems: [{ reason: "DevcontainerGitError", message: `reading ${where}: ${err.message} (${err.kind}; retried with backoff, at once when the Kode or its Secret changes)` }], warnings: [], requeueAfterMs };
  }
  const r = fromGitFile(git, memo.file.content, memo.file.commit);
  const problems = devcontainerProblems(r);
  const status = { source: where, commit: memo.file.commit };
  if (problems.length || !r.config) return { problems: problems.length ? problems : [{ reason: "InvalidDevcontainer", message: r.errors.join("; ") }], warnings: r.warnings, requeueAfterMs, status };
  return { input: { config: r.config, commit: memo.file.commit, kept: { content: memo.file.content, source: sourceId, commit: memo.file.commit } }, problems: [], warnings: r.warnings, requeueAfterMs, status };
}

/** What identifies a git source in the kept ConfigMap: url (credentials removed), path and ref. */
const keptSourceId = (git: { url: string; ref?: string; path?: string }) => `${redactUrl(git.url)} ${git.path ?? DEFAULT_DEVCONTAINER_PATH}${git.ref ? ` at ${git.ref}` : ""}`;

/** The read kept in <kode>-devcontainer: only from a ConfigMap this Kode controls, for the same source. */
function keptRead(deps: DevcontainerDeps, kode: Kode, sourceId: string): GitFile | undefined {
  const cm = deps.configMaps.get(kode.metadata.namespace, keptDevcontainerName(kode.metadata.name));
  if (!cm || !kode.metadata.uid) return undefined;
  const owner = { apiVersion: API_VERSION, kind: "Kode", name: kode.metadata.name, namespace: kode.metadata.namespace, uid: kode.metadata.uid };
  if (!isControlledBy(cm, owner)) return undefined;
  const a = cm.metadata.annotations ?? {};
  const content = cm.data?.[KEPT_DEVCONTAINER_KEY];
  const commit = a[ANNOTATION_DEVCONTAINER_COMMIT];
  if (a[ANNOTATION_DEVCONTAINER_SOURCE] !== sourceId || content === undefined || !commit || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit)) return undefined;
  return { content, commit, resolvedRef: commit };
}

/** Forget a deleted Kode's git reads and the warnings last shown for it. */
export const forgetDevcontainer = (deps: { gitReads?: Map<string, GitMemo>; devcontainerWarnings?: Map<string, string> }, key: string) => {
  deps.gitReads?.delete(key);
  deps.devcontainerWarnings?.delete(key);
};

/**
 * The warnings of a resolved devcontainer.json that are new: those of another source or commit than the status
 * records, or (with the memo) warnings that changed since they were last shown, e.g. after a ConfigMap edit. A
 * Kode first seen by this process with an unchanged source shows nothing: its warnings were shown before.
 */
export function newDevcontainerWarnings(deps: { devcontainerWarnings?: Map<string, string> }, key: string, kode: Kode, dc: DevcontainerResolution): string[] {
  if (!dc.status) return [];
  const text = dc.warnings.join("\n");
  const sourceChanged = dc.status.commit !== kode.status?.devcontainer?.commit || dc.status.source !== kode.status?.devcontainer?.source;
  const shown = deps.devcontainerWarnings?.get(key);
  deps.devcontainerWarnings?.set(key, text);
  return (shown === undefined ? sourceChanged : shown !== text) ? dc.warnings : [];
}
