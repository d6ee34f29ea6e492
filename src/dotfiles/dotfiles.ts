// Dotfiles: two operator-owned init containers, rendered by a pure function.
//
//   kode-dotfiles-fetch   (git image, default alpine/git): fetches the ref into ~/.dotfiles (one commit, no
//                         history), never touching a ~/.dotfiles the operator did not create.
//   kode-dotfiles         (the IDE image: install scripts expect the IDE's shell and tools, e.g. bash): when the
//                         fetched commit differs from the one last applied, runs the first of installScript,
//                         install.sh, install, bootstrap.sh, bootstrap, setup.sh, setup; with none, links the
//                         repository's top-level dotfiles into home. An existing file is never overwritten:
//                         it is listed in ~/.kode/dotfiles/conflicts instead.
//
// Both always exit 0: a broken dotfiles repository must not keep the IDE from starting (the IDE is where the user
// fixes it, and a failing init container would block the pod in a restart loop). What happened is written to the
// termination message (kubelet copies it into initContainerStatuses[].state.terminated.message), which the
// operator turns into a condition and an Event with parseDotfilesReport. The token never leaves the environment
// of the fetch container: it is sent as an HTTP header through GIT_CONFIG_* variables, never stored in
// ~/.dotfiles/.git/config and never on a command line.
import * as v from "valibot";
import { objectName, RELATIVE_PATH, str } from "../api/common.ts";

export const DEFAULT_GIT_IMAGE = "alpine/git:latest";
export const FETCH_CONTAINER_NAME = "kode-dotfiles-fetch";
export const INSTALL_CONTAINER_NAME = "kode-dotfiles";
export const DOTFILES_STATE_DIR = ".kode/dotfiles";
export const INSTALL_SCRIPT_CANDIDATES = ["install.sh", "install", "bootstrap.sh", "bootstrap", "setup.sh", "setup"];
/** Repository metadata that is not a dotfile to link. */
export const NOT_LINKED = [".git", ".github", ".gitignore", ".gitmodules", ".gitattributes"];
/** The Secret keys of secretRef. */
export const TOKEN_KEY = "token";
export const USERNAME_KEY = "username";
const MAX_REPORTED_CONFLICTS = 20;

export const DotfilesSchema = v.pipe(
  v.object({
    url: v.pipe(v.string(), v.regex(/^https?:\/\/\S+$/), v.description("Dotfiles repository URL over HTTP(S).")),
    ref: v.optional(str("Branch, tag or commit sha. Unset: the repository's default branch.")),
    secretRef: v.optional(
      v.pipe(
        v.object({ name: objectName("Secret in the Kode's namespace.") }),
        v.description(`A Secret with key "${TOKEN_KEY}" (sent as the HTTP Basic password) and optionally "${USERNAME_KEY}" (default x-access-token).`),
      ),
    ),
    installScript: v.optional(v.pipe(v.string(), v.regex(RELATIVE_PATH), v.description(`Script in the repository to run. Unset: the first of ${INSTALL_SCRIPT_CANDIDATES.join(", ")}; with none, top-level dotfiles are linked into home.`))),
  }),
  v.description("A dotfiles repository cloned into ~/.dotfiles and installed before the IDE starts; again only when the ref's commit changes."),
);
export type Dotfiles = v.InferOutput<typeof DotfilesSchema>;

/** The Kode's dotfiles replace the template's default as a whole. */
export const effectiveDotfiles = (kode?: Dotfiles, template?: Dotfiles): Dotfiles | undefined => kode ?? template;

const COMMON = `set -u
state="$HOME/${DOTFILES_STATE_DIR}"
dest="$HOME/.dotfiles"
report="\${KODE_REPORT_FILE:-/dev/termination-log}"
mkdir -p "$state"
`;

/** The fetch container's script (run with `sh -c`). Env: HOME, KODE_DOTFILES_URL, KODE_DOTFILES_REF, KODE_GIT_TOKEN, KODE_GIT_USERNAME. */
export const FETCH_SCRIPT = `${COMMON}rm -f "$state/fetched" "$state/fetch.error"
fail() {
  printf '%s\\n' "$1" > "$state/fetch.error"
  echo "[kode] dotfiles: $1"
  printf 'result=fetch-failed\\n' > "$report" 2>/dev/null
  exit 0
}
export GIT_TERMINAL_PROMPT=0
if [ -n "\${KODE_GIT_TOKEN:-}" ]; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader
  GIT_CONFIG_VALUE_0="Authorization: Basic $(printf '%s:%s' "\${KODE_GIT_USERNAME:-x-access-token}" "$KODE_GIT_TOKEN" | base64 | tr -d '\\n')"
  export GIT_CONFIG_VALUE_0
fi
if [ -e "$dest" ] && [ ! -f "$state/owned" ]; then
  fail "$dest exists and was not created by kode: left alone (move it away to get the dotfiles repository)"
fi
if [ ! -d "$dest/.git" ]; then
  rm -rf "$dest"
  git init -q "$dest" || fail "cannot create $dest"
  touch "$state/owned"
fi
ref="\${KODE_DOTFILES_REF:-HEAD}"
echo "[kode] dotfiles: fetching $ref from $KODE_DOTFILES_URL"
git -C "$dest" fetch -q --depth 1 "$KODE_DOTFILES_URL" "$ref" 2> "$state/fetch.log" || fail "git fetch of $ref failed: $(tail -n 3 "$state/fetch.log" | tr '\\n' ' ')"
commit=$(git -C "$dest" rev-parse 'FETCH_HEAD^{commit}') || fail "$ref is not a commit"
if [ "$(git -C "$dest" rev-parse -q --verify 'HEAD^{commit}' 2>/dev/null)" != "$commit" ]; then
  git -C "$dest" checkout -q --detach "$commit" 2> "$state/fetch.log" || fail "cannot check out $commit in $dest (local changes?): $(tail -n 3 "$state/fetch.log" | tr '\\n' ' ')"
fi
echo "$commit" > "$state/fetched"
echo "[kode] dotfiles: at $commit"
`;

/** The install container's script (run with `sh -c`). Env: HOME, KODE_DOTFILES_INSTALL_SCRIPT (optional). */
export const INSTALL_SCRIPT = `${COMMON}if [ -f "$state/fetch.error" ]; then
  { echo "result=fetch-failed"; printf 'error=%s\\n' "$(head -c 1000 "$state/fetch.error")"; } > "$report" 2>/dev/null
  exit 0
fi
if [ ! -f "$state/fetched" ]; then
  echo "result=fetch-failed" > "$report" 2>/dev/null
  exit 0
fi
commit=$(cat "$state/fetched")
if [ -f "$state/applied" ] && [ "$(cat "$state/applied")" = "$commit" ]; then
  echo "[kode] dotfiles: $commit already applied"
  { echo "result=unchanged"; echo "commit=$commit"; grep -v '^result=\\|^commit=' "$state/report" 2>/dev/null; } > "$report" 2>/dev/null
  exit 0
fi
: > "$state/conflicts"
script=""
if [ -n "\${KODE_DOTFILES_INSTALL_SCRIPT:-}" ]; then
  script="$KODE_DOTFILES_INSTALL_SCRIPT"
  [ -f "$dest/$script" ] || script="missing:$script"
else
  for s in ${INSTALL_SCRIPT_CANDIDATES.join(" ")}; do
    if [ -f "$dest/$s" ]; then script="$s"; break; fi
  done
fi
case "$script" in
missing:*)
  echo "[kode] dotfiles: installScript \${script#missing:} not found in the repository"
  { echo "result=failed"; echo "commit=$commit"; echo "script=\${script#missing:}"; echo "error=not found"; } > "$state/report"
  ;;
"")
  for f in "$dest"/.[!.]* "$dest"/..?*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    name=\${f##*/}
    case " ${NOT_LINKED.join(" ")} " in *" $name "*) continue ;; esac
    target="$HOME/$name"
    if [ -L "$target" ] && [ "$(readlink "$target")" = "$f" ]; then continue; fi
    if [ -e "$target" ] || [ -L "$target" ]; then echo "$name" >> "$state/conflicts"; continue; fi
    ln -s "$f" "$target" && echo "[kode] dotfiles: linked ~/$name"
  done
  for l in "$HOME"/.[!.]* "$HOME"/..?*; do
    [ -L "$l" ] || continue
    case "$(readlink "$l")" in "$dest"/*) [ -e "$l" ] || { rm -f "$l"; echo "[kode] dotfiles: removed stale link ~/\${l##*/}"; } ;; esac
  done
  { echo "result=linked"; echo "commit=$commit"; } > "$state/report"
  ;;
*)
  echo "[kode] dotfiles: running $script"
  if [ -x "$dest/$script" ]; then (cd "$dest" && "./$script"); else (cd "$dest" && sh "./$script"); fi </dev/null
  rc=$?
  echo "[kode] dotfiles: $script exited with $rc"
  if [ "$rc" = 0 ]; then result=installed; else result=failed; fi
  { echo "result=$result"; echo "commit=$commit"; echo "script=$script"; echo "exit=$rc"; } > "$state/report"
  ;;
esac
n=$(grep -c . "$state/conflicts")
if [ "$n" != 0 ]; then
  echo "[kode] dotfiles: not overwritten (already in home): $(tr '\\n' ' ' < "$state/conflicts")"
  echo "conflicts=$n" >> "$state/report"
  head -n ${MAX_REPORTED_CONFLICTS} "$state/conflicts" | sed 's/^/conflict=/' >> "$state/report"
fi
echo "$commit" > "$state/applied"
cp "$state/report" "$report" 2>/dev/null
exit 0
`;

export interface DotfilesReport {
  result: "installed" | "linked" | "unchanged" | "failed" | "fetch-failed" | "unknown";
  commit?: string;
  script?: string;
  exitCode?: number;
  error?: string;
  conflictCount: number;
  /** The first conflicts (at most 20; conflictCount has them all). */
  conflicts: string[];
}

/** Reads the install container's termination message. */
export function parseDotfilesReport(message: string | undefined): DotfilesReport {
  const r: DotfilesReport = { result: "unknown", conflictCount: 0, conflicts: [] };
  for (const line of (message ?? "").split("\n")) {
    const i = line.indexOf("=");
    if (i < 0) continue;
    const [k, val] = [line.slice(0, i), line.slice(i + 1)];
    if (k === "result" && ["installed", "linked", "unchanged", "failed", "fetch-failed"].includes(val)) r.result = val as DotfilesReport["result"];
    else if (k === "commit") r.commit = val;
    else if (k === "script") r.script = val;
    else if (k === "exit") r.exitCode = Number(val);
    else if (k === "error") r.error = val;
    else if (k === "conflicts") r.conflictCount = Number(val);
    else if (k === "conflict") r.conflicts.push(val);
  }
  return r;
}

/** A message for a Warning Event / condition, or undefined when nothing needs the user's attention. */
export function dotfilesProblem(r: DotfilesReport): string | undefined {
  const parts: string[] = [];
  if (r.result === "fetch-failed") parts.push(`dotfiles could not be fetched${r.error ? `: ${r.error}` : ""}`);
  if (r.result === "failed") parts.push(r.exitCode !== undefined ? `dotfiles ${r.script} exited with ${r.exitCode}` : `dotfiles installScript ${r.script} ${r.error ?? "failed"}`);
  if (r.conflictCount) parts.push(`${r.conflictCount} dotfile${r.conflictCount === 1 ? "" : "s"} not linked because home already has ${r.conflictCount === 1 ? "it" : "them"}: ${r.conflicts.join(", ")}${r.conflictCount > r.conflicts.length ? ", …" : ""}`);
  if (!parts.length) return undefined;
  return `${parts.join("; ")} (see \`kubectl logs <pod> -c ${INSTALL_CONTAINER_NAME}\`; the IDE runs anyway)`;
}

export interface DotfilesRenderInput {
  dotfiles: Dotfiles;
  /** Absolute home path (the home volume's mount path). */
  home: string;
  homeVolumeName: string;
  uid: number;
  gid: number;
  /** The IDE's image: install scripts run with its shell and tools. */
  ideImage: string;
  /** The template's git image (default alpine/git). */
  gitImage?: string;
}

export type InitContainer = {
  name: string;
  image: string;
  command: string[];
  env: { name: string; value?: string; valueFrom?: Record<string, unknown> }[];
  volumeMounts: { name: string; mountPath: string }[];
  securityContext: Record<string, unknown>;
  terminationMessagePolicy: "File";
};

/** Non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp. */
export const restrictedSecurityContext = (uid: number, gid: number) => ({
  runAsUser: uid,
  runAsGroup: gid,
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
});

/** The two init containers, in order (fetch, then install). */
export function renderDotfilesInitContainers(input: DotfilesRenderInput): InitContainer[] {
  const d = input.dotfiles;
  const mounts = [{ name: input.homeVolumeName, mountPath: input.home }];
  const base = { volumeMounts: mounts, securityContext: restrictedSecurityContext(input.uid, input.gid), terminationMessagePolicy: "File" as const };
  const fetchEnv: InitContainer["env"] = [
    { name: "HOME", value: input.home },
    { name: "KODE_DOTFILES_URL", value: d.url },
  ];
  if (d.ref) fetchEnv.push({ name: "KODE_DOTFILES_REF", value: d.ref });
  if (d.secretRef) {
    fetchEnv.push({ name: "KODE_GIT_TOKEN", valueFrom: { secretKeyRef: { name: d.secretRef.name, key: TOKEN_KEY } } });
    fetchEnv.push({ name: "KODE_GIT_USERNAME", valueFrom: { secretKeyRef: { name: d.secretRef.name, key: USERNAME_KEY, optional: true } } });
  }
  const installEnv: InitContainer["env"] = [{ name: "HOME", value: input.home }];
  if (d.installScript) installEnv.push({ name: "KODE_DOTFILES_INSTALL_SCRIPT", value: d.installScript });
  return [
    { name: FETCH_CONTAINER_NAME, image: input.gitImage ?? DEFAULT_GIT_IMAGE, command: ["sh", "-c", FETCH_SCRIPT], env: fetchEnv, ...base },
    { name: INSTALL_CONTAINER_NAME, image: input.ideImage, command: ["sh", "-c", INSTALL_SCRIPT], env: installEnv, ...base },
  ];
}
