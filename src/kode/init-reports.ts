// What the operator's init containers report: each writes key=value lines to its termination message, which
// kubelet copies to the Pod's initContainerStatuses[].state.terminated.message (lastState after a restart).
// They always exit 0 (the IDE starts anyway); a failure becomes a condition message and a Warning Event.
import { CLONE_CONTAINER_NAME, parseCloneReport } from "../devcontainer/clone.ts";
import { CREATE_CONTAINER_NAME, lifecycleFailureMessage, parseLifecycleReport } from "../devcontainer/lifecycle.ts";
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
