// What the operator's init containers report: each writes key=value lines to its termination message, which
// kubelet copies to the Pod's initContainerStatuses[].state.terminated.message (lastState after a restart).
// They always exit 0 (the IDE starts anyway); a failure becomes a condition message and a Warning Event.
// postStartCommand runs in the IDE container, which does not terminate: its result comes from that container's log.
import { CLONE_CONTAINER_NAME, parseCloneReport } from "../devcontainer/clone.ts";
import { CREATE_CONTAINER_NAME, lifecycleFailureMessage, parseLifecycleReport, parsePostStartLog, POST_START_TAIL_LINES, postStartMessage, redactOutputLine, type PostStartReport } from "../devcontainer/lifecycle.ts";
import { fromInline } from "../devcontainer/source.ts";
import type { Kode, KodeTemplateSpec } from "../api/types.ts";
import { devcontainerSourceOf, type ResolvedDevcontainer } from "./render-environment.ts";
import { IDE_CONTAINER } from "./render.ts";
import type { KubeClient } from "../kube/types.ts";
import { dotfilesProblem, INSTALL_CONTAINER_NAME, parseDotfilesReport } from "../dotfiles/dotfiles.ts";
import { parseVscodeReport, VSCODE_CONTAINER_NAME, vscodeProblem } from "../vscode/vscode.ts";

type Terminated = { exitCode?: number; message?: string };
export interface ObservedPod {
  metadata?: { name?: string };
  status?: { initContainerStatuses?: { name: string; state?: { terminated?: Terminated }; lastState?: { terminated?: Terminated } }[] };
}

const READERS: Record<string, (message: string | undefined) => string | undefined> = {
  [CLONE_CONTAINER_NAME]: (m) => {
    const r = parseCloneReport(m);
    return r.result === "failed" ? `the repository could not be cloned into the workspace${r.error ? `: ${r.error.trim()}` : ""} (see \`kubectl logs <pod> -c ${CLONE_CONTAINER_NAME}\`; the IDE runs anyway)` : undefined;
  },
  [CREATE_CONTAINER_NAME]: (m) => lifecycleFailureMessage(parseLifecycleReport(m)),
  [INSTALL_CONTAINER_NAME]: (m) => dotfilesProblem(parseDotfilesReport(m)),
  [VSCODE_CONTAINER_NAME]: (m) => vscodeProblem(parseVscodeReport(m)),
};

/** The problems the operator's init containers of this pod reported, in init order, each prefixed with its container. */
export function initContainerProblems(pod: ObservedPod | undefined): string[] {
  const out: string[] = [];
  for (const s of pod?.status?.initContainerStatuses ?? []) {
    const read = Object.hasOwn(READERS, s.name) ? READERS[s.name] : undefined;
    if (!read) continue;
    const terminated = s.state?.terminated ?? s.lastState?.terminated;
    if (!terminated) continue;
    const problem = read(terminated.message);
    if (problem) out.push(`${s.name}: ${problem}`);
  }
  return out;
}

// ---- postStartCommand: it runs in the IDE container itself, which does not terminate, so its result is read from
// that container's log (pods/<pod>/log, the line parsePostStartLog looks for). One read per container start once it
// is there; before that the log is read again with backoff, for at most POST_START_WATCH_MS after the start.

/** How long after the IDE container started its log is watched for postStartCommand's result. */
export const POST_START_WATCH_MS = 60 * 60_000;
/** The head of the log read first (postStartCommand's output starts with the container); then its tail. */
const LOG_HEAD_BYTES = 256 * 1024;
const LOG_TAIL_LINES = 1000;

export interface PostStartMemo {
  /** pod uid / restart count / startedAt of the IDE container this is about. */
  start: string;
  report?: PostStartReport;
  attempts: number;
  nextReadAt: number;
}

export interface PostStartDeps {
  client: Pick<KubeClient, "request">;
  postStartReads?: Map<string, PostStartMemo>;
  clock?: () => number;
}

export type PostStartObservation =
  | { state: "finished"; report: PostStartReport }
  | { state: "running"; requeueAfterMs?: number }
  | { state: "unknown" };

type ContainerStatus = { name: string; restartCount?: number; state?: { running?: { startedAt?: string } } };

/** postStartCommand's result for the pod's current IDE container, reading its log only when needed. */
export async function observePostStart(deps: PostStartDeps, key: string, pod: ObservedPod & { metadata?: { namespace?: string; uid?: string } }, container: string, secrets: string[]): Promise<PostStartObservation> {
  const status = (pod.status as { containerStatuses?: ContainerStatus[] } | undefined)?.containerStatuses?.find((c) => c.name === container);
  const startedAt = status?.state?.running?.startedAt;
  if (!startedAt || !pod.metadata?.name || !pod.metadata.namespace) return { state: "unknown" };
  const start = `${pod.metadata.uid ?? ""}/${status.restartCount ?? 0}/${startedAt}`;
  const memos = deps.postStartReads ?? new Map<string, PostStartMemo>();
  let memo = memos.get(key);
  if (memo?.start !== start) memo = { start, attempts: 0, nextReadAt: 0 };
  if (memo.report) return { state: "finished", report: memo.report };
  const now = (deps.clock ?? Date.now)();
  const started = Date.parse(startedAt);
  if (Number.isFinite(started) && now - started > POST_START_WATCH_MS) return { state: "running" };
  if (now < memo.nextReadAt) return { state: "running", requeueAfterMs: memo.nextReadAt - now };
  const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/log?container=${encodeURIComponent(container)}`;
  const read = async (query: string) => {
    try {
      const res = await deps.client.request("GET", `${path}&${query}`);
      return res.ok ? await res.text() : (await res.body?.cancel(), undefined);
    } catch {
      return undefined;
    }
  };
  let report: PostStartReport | undefined;
  const head = await read(`limitBytes=${LOG_HEAD_BYTES}`);
  if (head !== undefined) report = parsePostStartLog(head, secrets);
  if (!report && head !== undefined && new TextEncoder().encode(head).length >= LOG_HEAD_BYTES) {
    const tail = await read(`tailLines=${LOG_TAIL_LINES}`);
    if (tail !== undefined) report = parsePostStartLog(tail, secrets);
  }
  if (report) {
    memos.set(key, { start, report, attempts: memo.attempts + 1, nextReadAt: 0 });
    return { state: "finished", report };
  }
  const delay = Math.min(2_000 * 2 ** memo.attempts, 60_000);
  memos.set(key, { start, attempts: memo.attempts + 1, nextReadAt: now + delay });
  return { state: "running", requeueAfterMs: delay };
}

/** Forget a deleted Kode's postStartCommand reads. */
export const forgetPostStart = (deps: { postStartReads?: Map<string, PostStartMemo> }, key: string) => deps.postStartReads?.delete(key);

export interface PodEnvironment {
  /** Problems for EnvironmentReady (undefined: nothing observed yet, no condition). */
  problems?: string[];
  notes?: string[];
  postStartExitCode?: number;
  requeueAfterMs?: number;
}

/**
 * A failed create command (kode-devcontainer-create) gets the last lines of that container's log in its message,
 * read once per run of the container (they are its own output; the [kode] lines are left out), redacted.
 */
async function withCreateOutput(deps: PostStartDeps, key: string, pod: ObservedPod & { metadata?: { namespace?: string; uid?: string } }, problems: string[], secrets: string[]): Promise<string[]> {
  const i = problems.findIndex((p) => p.startsWith(`${CREATE_CONTAINER_NAME}: `));
  const status = pod.status?.initContainerStatuses?.find((c) => c.name === CREATE_CONTAINER_NAME);
  const ran = (status?.state?.terminated ?? status?.lastState?.terminated) as ({ finishedAt?: string } & Terminated) | undefined;
  if (i < 0 || !ran || !pod.metadata?.name || !pod.metadata.namespace) return problems;
  const memos = deps.postStartReads ?? new Map<string, PostStartMemo>();
  const memoKey = `${key}#${CREATE_CONTAINER_NAME}`;
  const start = `${pod.metadata.uid ?? ""}/${ran.finishedAt ?? ""}`;
  let tail = memos.get(memoKey)?.start === start ? memos.get(memoKey)!.report?.tail : undefined;
  if (!tail) {
    const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/log?container=${CREATE_CONTAINER_NAME}&tailLines=200`;
    let text: string | undefined;
    try {
      const res = await deps.client.request("GET", path);
      text = res.ok ? await res.text() : (await res.body?.cancel(), undefined);
    } catch {
      text = undefined;
    }
    // An unreadable log is not retried: the message without the lines is still right.
    tail = text === undefined ? [] : text.split("\n").filter((l) => l.trim() && !l.startsWith("[kode] ")).slice(-POST_START_TAIL_LINES).map((l) => redactOutputLine(l, secrets));
    memos.set(memoKey, { start, report: { exitCode: ran.exitCode ?? 0, tail }, attempts: 1, nextReadAt: 0 });
  }
  if (!tail.length) return problems;
  const out = [...problems];
  out[i] = `${out[i]} Last output: ${tail.map((l) => JSON.stringify(l)).join(", ")}.`;
  return out;
}

/** Whether the Kode's devcontainer.json (read by the reconciler, or inline) has a postStartCommand. */
function hasPostStart(kode: Kode, template: KodeTemplateSpec, devcontainer: ResolvedDevcontainer | undefined): boolean {
  if (template.type !== "devcontainers") return false;
  const inline = devcontainerSourceOf(kode, template)?.config;
  const config = devcontainer?.config ?? (inline ? fromInline(inline).config : undefined);
  return config?.postStartCommand !== undefined;
}

/** What EnvironmentReady says of this pod: the init containers' reports, and postStartCommand's result. */
export async function environmentOfPod(
  deps: PostStartDeps,
  key: string,
  pod: ObservedPod & { metadata?: { namespace?: string; uid?: string } },
  input: { kode: Kode; template: KodeTemplateSpec; devcontainer?: ResolvedDevcontainer; secrets: string[] },
): Promise<PodEnvironment> {
  const out: PodEnvironment = {};
  if (pod.status?.initContainerStatuses?.length) out.problems = await withCreateOutput(deps, key, pod, initContainerProblems(pod), input.secrets);
  if (!hasPostStart(input.kode, input.template, input.devcontainer)) return out;
  const seen = await observePostStart(deps, key, pod, IDE_CONTAINER, input.secrets);
  if (seen.state === "unknown") return out;
  out.problems ??= [];
  if (seen.state === "running") {
    out.notes = ["postStartCommand has not finished yet"];
    if (seen.requeueAfterMs !== undefined) out.requeueAfterMs = seen.requeueAfterMs;
    return out;
  }
  out.postStartExitCode = seen.report.exitCode;
  if (seen.report.exitCode === 0) out.notes = [postStartMessage(seen.report)];
  else out.problems.push(`${IDE_CONTAINER}: ${postStartMessage(seen.report)}`);
  return out;
}
