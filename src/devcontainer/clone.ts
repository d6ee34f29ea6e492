// For a git source: the repository is cloned into the workspace before the IDE starts, by the operator-owned
// init container `kode-devcontainer-clone` (git image, default alpine/git). It clones only into a missing or
// empty folder: a folder with anything in it (the user's work from an earlier start) is never touched. The
// token (optional) is sent through GIT_CONFIG_* variables, so it is not stored in the clone's .git/config: the
// user sets up their own credentials for pushing. Always exits 0; the result is in the termination message.
import { DEFAULT_GIT_IMAGE, restrictedSecurityContext } from "../dotfiles/dotfiles.ts";
import type { GitSource } from "./source.ts";
import { GIT_TOKEN_KEY, GIT_USERNAME_KEY } from "./source.ts";

export const CLONE_CONTAINER_NAME = "kode-devcontainer-clone";

/** Env: HOME, KODE_CLONE_URL, KODE_CLONE_REF (optional), KODE_CLONE_DIR, KODE_GIT_TOKEN/USERNAME (optional). */
export const CLONE_SCRIPT = `set -u
report="\${KODE_REPORT_FILE:-/dev/termination-log}"
dir="$KODE_CLONE_DIR"
export GIT_TERMINAL_PROMPT=0
if [ -n "\${KODE_GIT_TOKEN:-}" ]; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader
  GIT_CONFIG_VALUE_0="Authorization: Basic $(printf '%s:%s' "\${KODE_GIT_USERNAME:-x-access-token}" "$KODE_GIT_TOKEN" | base64 | tr -d '\\n')"
  export GIT_CONFIG_VALUE_0
fi
if [ -d "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
  echo "[kode] $dir is not empty: not cloning (the workspace is the user's)"
  echo "clone=present" > "$report" 2>/dev/null
  exit 0
fi
mkdir -p "$dir"
log=$(mktemp 2>/dev/null || echo "$dir.clone.log")
echo "[kode] cloning $KODE_CLONE_URL into $dir"
if git clone -q "$KODE_CLONE_URL" "$dir" 2> "$log" && { [ -z "\${KODE_CLONE_REF:-}" ] || git -C "$dir" checkout -q "$KODE_CLONE_REF" 2>> "$log"; }; then
  echo "[kode] cloned at $(git -C "$dir" rev-parse HEAD)"
  { echo "clone=cloned"; echo "commit=$(git -C "$dir" rev-parse HEAD)"; } > "$report" 2>/dev/null
else
  err=$(tail -n 3 "$log" | tr '\\n' ' ')
  echo "[kode] clone failed: $err"
  rm -rf "$dir" && mkdir -p "$dir"
  { echo "clone=failed"; printf 'error=%s\\n' "$err"; } > "$report" 2>/dev/null
fi
rm -f "$log"
exit 0
`;

export function parseCloneReport(message: string | undefined): { result?: "cloned" | "present" | "failed"; commit?: string; error?: string } {
  const out: { result?: "cloned" | "present" | "failed"; commit?: string; error?: string } = {};
  for (const line of (message ?? "").split("\n")) {
    const i = line.indexOf("=");
    if (i < 0) continue;
    const [k, v] = [line.slice(0, i), line.slice(i + 1)];
    if (k === "clone" && (v === "cloned" || v === "present" || v === "failed")) out.result = v;
    else if (k === "commit") out.commit = v;
    else if (k === "error") out.error = v;
  }
  return out;
}

export function renderCloneInitContainer(input: { git: GitSource; dir: string; home: string; homeVolumeName: string; uid: number; gid: number; gitImage?: string }) {
  const env: { name: string; value?: string; valueFrom?: Record<string, unknown> }[] = [
    { name: "HOME", value: input.home },
    { name: "KODE_CLONE_URL", value: input.git.url },
    { name: "KODE_CLONE_DIR", value: input.dir },
  ];
  if (input.git.ref) env.push({ name: "KODE_CLONE_REF", value: input.git.ref });
  if (input.git.secretRef) {
    env.push({ name: "KODE_GIT_TOKEN", valueFrom: { secretKeyRef: { name: input.git.secretRef.name, key: GIT_TOKEN_KEY } } });
    env.push({ name: "KODE_GIT_USERNAME", valueFrom: { secretKeyRef: { name: input.git.secretRef.name, key: GIT_USERNAME_KEY, optional: true } } });
  }
  return {
    name: CLONE_CONTAINER_NAME,
    image: input.gitImage ?? DEFAULT_GIT_IMAGE,
    command: ["sh", "-c", CLONE_SCRIPT],
    env,
    volumeMounts: [{ name: input.homeVolumeName, mountPath: input.home }],
    securityContext: restrictedSecurityContext(input.uid, input.gid),
    terminationMessagePolicy: "File" as const,
  };
}
