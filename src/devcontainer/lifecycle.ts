// Lifecycle commands as the shell scripts the pod runs.
//
// - Create commands (onCreateCommand, updateContentCommand, postCreateCommand, in that order) run in the
//   operator-owned init container `kode-devcontainer-create`, in the user's image, with the home volume mounted.
//   They run once per volume: a marker `$HOME/.kode/devcontainer/created` records that they ran (and how they
//   ended); delete it to run them again. A failing command stops the later create commands (as the Dev
//   Containers CLI does) but the init container still exits 0, so the IDE starts and the user can fix things.
// - postStartCommand runs at every start in the IDE container itself, in the background before the IDE server
//   is exec'd (so services it starts keep running), without the IDE's secret in its environment; its output is
//   prefixed `[postStartCommand]` in that container's log, ending with the line
//   `[kode] postStartCommand finished: <code>`, and
//   its exit code goes to `$HOME/.kode/devcontainer/postStart.status`. The operator reads that log
//   (`parsePostStartLog`): the exit code and a short, redacted tail of the output go into status.
// - Output: every line a command prints appears in the container's log (`kubectl logs <pod> -c
//   kode-devcontainer-create`), prefixed with the command's name for the object form.
// - Result: the create container writes `name=exit-code` lines (or `name=skipped`, `created=already`) to its
//   termination message file, which the kubelet copies into the pod status
//   (initContainerStatuses[].state.terminated.message); `parseLifecycleReport` reads it back for conditions
//   and Events. No exit code is ever non-zero because of a user command.
import { LIFECYCLE_PROPERTIES, type DevcontainerConfig, type LifecycleCommand } from "./config.ts";

/** POSIX shell single-quoting. */
export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export const CREATE_CONTAINER_NAME = "kode-devcontainer-create";
export const LIFECYCLE_STATE_DIR = ".kode/devcontainer";
const CREATE_PHASES = LIFECYCLE_PROPERTIES.filter((p) => p !== "postStartCommand");

/** The variables of the spec that make sense in a pod. */
export interface SubstitutionContext {
  /** The folder the IDE opens (workspaceFolder of the config, else the Kode's workspace path). */
  workspaceFolder: string;
  /** A stable id for ${devcontainerId} (e.g. the Kode's uid). */
  devcontainerId: string;
}

/**
 * Applies ${containerWorkspaceFolder}, ${containerWorkspaceFolderBasename}, ${localWorkspaceFolder}(Basename)
 * (the same folder: there is no local machine), ${devcontainerId}, and ${localEnv:NAME[:default]} (the default,
 * or empty, with a warning). ${containerEnv:NAME[:default]} is kept for the shell (see remoteEnvExports).
 */
export function substitute(value: string, ctx: SubstitutionContext, warnings: string[]): string {
  const base = ctx.workspaceFolder.replace(/\/+$/, "").split("/").pop() ?? "";
  return value.replace(/\$\{([A-Za-z]+)(?::([A-Za-z_][A-Za-z0-9_]*))?(?::([^}]*))?\}/g, (whole, kind: string, name?: string, dflt?: string) => {
    switch (kind) {
      case "containerWorkspaceFolder":
      case "localWorkspaceFolder":
        return ctx.workspaceFolder;
      case "containerWorkspaceFolderBasename":
      case "localWorkspaceFolderBasename":
        return base;
      case "devcontainerId":
        return ctx.devcontainerId;
      case "localEnv":
      case "env":
        warnings.push(`\${${kind}:${name}} has no local machine to read from in a pod: ${dflt !== undefined ? `used its default "${dflt}"` : "replaced by an empty string"}`);
        return dflt ?? "";
      case "containerEnv":
        return whole;
      default:
        warnings.push(`unknown variable ${whole} left as is`);
        return whole;
    }
  });
}

/** Substitutes variables in every string of the config the pod uses. */
export function substituteConfig(config: DevcontainerConfig, ctx: SubstitutionContext): { config: DevcontainerConfig; warnings: string[] } {
  const warnings: string[] = [];
  const s = (x: string) => substitute(x, ctx, warnings);
  const cmd = (c: LifecycleCommand | undefined): LifecycleCommand | undefined => {
    if (c === undefined) return undefined;
    if (typeof c === "string") return s(c);
    if (Array.isArray(c)) return c.map(s);
    return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v === "string" ? s(v) : v.map(s)]));
  };
  const env = <T extends string | null>(e?: Record<string, T>) => (e ? Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? v : s(v)])) as Record<string, T> : undefined);
  const out: DevcontainerConfig = { ...config, containerEnv: env(config.containerEnv), remoteEnv: env(config.remoteEnv) };
  for (const p of LIFECYCLE_PROPERTIES) out[p] = cmd(config[p]);
  if (config.workspaceFolder) out.workspaceFolder = s(config.workspaceFolder);
  for (const k of Object.keys(out) as (keyof DevcontainerConfig)[]) if (out[k] === undefined) delete out[k];
  return { config: out, warnings };
}

/**
 * `export`/`unset` lines for remoteEnv. ${containerEnv:NAME} becomes the shell's ${NAME} (the container's own
 * environment, e.g. the image's PATH), ${containerEnv:NAME:default} becomes ${NAME:-default}.
 */
export function remoteEnvExports(remoteEnv: Record<string, string | null> | undefined): string {
  if (!remoteEnv) return "";
  const lines: string[] = [];
  for (const [name, value] of Object.entries(remoteEnv)) {
    if (value === null) {
      lines.push(`unset ${name}`);
      continue;
    }
    let out = "";
    let last = 0;
    const re = /\$\{containerEnv:([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g;
    for (let m = re.exec(value); m; m = re.exec(value)) {
      out += dq(value.slice(last, m.index));
      out += m[2] !== undefined ? `\${${m[1]}:-${dq(m[2])}}` : `\${${m[1]}}`;
      last = m.index + m[0].length;
    }
    out += dq(value.slice(last));
    lines.push(`export ${name}="${out}"`);
  }
  return `${lines.join("\n")}\n`;
}

/** Escapes text for the inside of a double-quoted shell string. */
const dq = (s: string) => s.replace(/[\\"$`]/g, (c) => `\\${c}`);

/** Shell lines that run one lifecycle command and leave its exit code in $rc. */
function runCommand(phase: string, c: LifecycleCommand): string {
  if (typeof c === "string") return `sh -c ${shq(c)}\nrc=$?`;
  if (Array.isArray(c)) return `${c.map(shq).join(" ")}\nrc=$?`;
  // Object form: the named commands run in parallel; each line of output is prefixed with its name.
  const lines = [`rm -f "$state/run/${phase}".*`];
  for (const [name, cmd] of Object.entries(c)) {
    const invoke = typeof cmd === "string" ? `sh -c ${shq(cmd)}` : cmd.map(shq).join(" ");
    lines.push(`( { ${invoke}; } </dev/null 2>&1; echo $? > "$state/run/${phase}".${shq(name)} ) | kode_prefix ${shq(name)} &`);
  }
  lines.push("wait", "rc=0");
  for (const name of Object.keys(c)) lines.push(`r=$(cat "$state/run/${phase}".${shq(name)} 2>/dev/null || echo 127); [ "$r" = 0 ] || { rc=$r; echo "[kode] ${phase}: ${name.replace(/['"\\$`]/g, "")} exited with $r"; }`);
  return lines.join("\n");
}

const PRELUDE = `set -u
state="$HOME/${LIFECYCLE_STATE_DIR}"
report="\${KODE_REPORT_FILE:-/dev/termination-log}"
mkdir -p "$state/run"
kode_prefix() { while IFS= read -r line || [ -n "$line" ]; do printf '[%s] %s\\n' "$1" "$line"; done; }
`;

/**
 * The script of the create init container (run with `sh -c`), or undefined when the config has no create
 * commands. Needs HOME; runs in `workspaceFolder` (created if missing).
 */
export function createCommandsScript(config: DevcontainerConfig, workspaceFolder: string): string | undefined {
  const phases = CREATE_PHASES.filter((p) => config[p] !== undefined);
  if (!phases.length) return undefined;
  const parts = [
    PRELUDE,
    remoteEnvExports(config.remoteEnv),
    `if [ -f "$state/created" ]; then
  echo "[kode] create commands already ran on this volume ($(tr '\\n' ' ' < "$state/created")); delete $state/created to run them again"
  printf 'created=already\\n' > "$report" 2>/dev/null
  exit 0
fi
mkdir -p ${shq(workspaceFolder)} && cd ${shq(workspaceFolder)} || cd "$HOME"
: > "$state/created.partial"
failed=""
`,
  ];
  for (const p of phases) {
    parts.push(`if [ -n "$failed" ]; then
  echo "[kode] ${p}: skipped ($failed failed)"
  echo "${p}=skipped" >> "$state/created.partial"
else
  echo "[kode] ${p}: running"
${indent(runCommand(p, config[p]!))}
  echo "[kode] ${p}: exit code $rc"
  echo "${p}=$rc" >> "$state/created.partial"
  [ "$rc" = 0 ] || failed=${p}
fi
`);
  }
  parts.push(`mv "$state/created.partial" "$state/created"
cp "$state/created" "$report" 2>/dev/null
exit 0
`);
  return parts.join("");
}

/**
 * Shell lines for the IDE container's start script: run postStartCommand in the background (output prefixed
 * in the container log, exit code in $HOME/.kode/devcontainer/postStart.status). Empty without one.
 */
export function postStartLines(config: DevcontainerConfig, workspaceFolder: string, opts: { unsetEnv?: string[] } = {}): string {
  const c = config.postStartCommand;
  if (c === undefined) return "";
  const unset = opts.unsetEnv?.length ? `unset ${opts.unsetEnv.join(" ")}\n  ` : "";
  return `( ${unset}${PRELUDE.replace(/\n/g, "\n  ")}cd ${shq(workspaceFolder)} 2>/dev/null || cd "$HOME"
  : > "$state/postStart.status"
${indent(runCommand("postStartCommand", c))}
  echo "postStartCommand=$rc" > "$state/postStart.status"
  echo "[kode] postStartCommand: exit code $rc"
  echo "${POST_START_DONE} $rc"
) </dev/null 2>&1 | while IFS= read -r line || [ -n "$line" ]; do printf '[postStartCommand] %s\\n' "$line"; done &
`;
}

/** The last line postStartCommand's part of the IDE container's log ends with (after the prefix): the exit code. */
export const POST_START_DONE = "[kode] postStartCommand finished:";
export const POST_START_PREFIX = "[postStartCommand] ";
/** How many lines of output status shows (the log has them all). */
export const POST_START_TAIL_LINES = 5;
const TAIL_LINE_CHARS = 160;

export interface PostStartReport {
  exitCode: number;
  /** The last lines of the command's own output (without the operator's [kode] lines), redacted. */
  tail: string[];
}

/**
 * postStartCommand's result from the IDE container's log (what \`kubectl logs <pod> -c ide\` shows), or undefined
 * while it has not finished. Only lines with its prefix count; the IDE server's own lines are ignored. \`secrets\`
 * are strings that must never appear in status (e.g. the Kode's password), replaced wherever they occur.
 */
export function parsePostStartLog(log: string, secrets: string[] = []): PostStartReport | undefined {
  const lines = log.split("\n").filter((l) => l.startsWith(POST_START_PREFIX)).map((l) => l.slice(POST_START_PREFIX.length).replace(/\r$/, ""));
  let done = -1;
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].startsWith(`${POST_START_DONE} `)) { done = i; break; }
  if (done < 0) return undefined;
  const exitCode = Number(lines[done].slice(POST_START_DONE.length + 1).trim());
  if (!Number.isInteger(exitCode)) return undefined;
  const output = lines.slice(0, done).filter((l) => !l.startsWith("[kode] "));
  return { exitCode, tail: output.slice(-POST_START_TAIL_LINES).map((l) => redactOutputLine(l, secrets)) };
}

const SECRET_WORDS = /pass(word|wd)?|secret|token|api[-_]?key|credential|authorization|bearer|private[-_ ]?key/i;
const OPAQUE = /[A-Za-z0-9+/_=-]{32,}/g;

/**
 * One line of a user command's output as status may show it: a line that names a secret-like thing is hidden
 * whole, known secrets and long opaque strings (tokens, keys, hashes) are replaced, and it is cut short.
 */
export function redactOutputLine(line: string, secrets: string[] = []): string {
  let out = line;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("<redacted>");
  if (SECRET_WORDS.test(out)) return "<line hidden: it may hold a secret>";
  out = out.replace(OPAQUE, "<redacted>").replace(/[\u0000-\u001f\u007f]/g, " ");
  return out.length > TAIL_LINE_CHARS ? `${out.slice(0, TAIL_LINE_CHARS - 1)}…` : out;
}

/** What the EnvironmentReady condition says of a finished postStartCommand (the tail only for a failure). */
export function postStartMessage(r: PostStartReport): string {
  const tail = r.tail.length ? `; last output: ${r.tail.map((l) => JSON.stringify(l)).join(", ")}` : "";
  return r.exitCode === 0
    ? "postStartCommand exited with 0"
    : `postStartCommand exited with ${r.exitCode}${tail} (see \`kubectl logs <pod> -c ide\`; the IDE runs anyway)`;
}

/**
 * forwardPorts as the ports a pod can offer: a number, or "localhost:<port>" / "127.0.0.1:<port>" (the container
 * itself). Another host (a compose service) has no meaning in a pod: a warning, not forwarded.
 */
export function forwardedPorts(config: DevcontainerConfig, warnings: string[]): number[] {
  const out: number[] = [];
  for (const p of config.forwardPorts ?? []) {
    const m = typeof p === "string" ? /^(.*):(\d+)$/.exec(p) : undefined;
    const port = typeof p === "number" ? p : m && ["localhost", "127.0.0.1"].includes(m[1]) ? Number(m[2]) : undefined;
    if (port === undefined) warnings.push(`devcontainer.json forwardPorts ${JSON.stringify(p)}: only the container's own ports can be forwarded in a pod; not forwarded`);
    else if (!out.includes(port)) out.push(port);
  }
  return out;
}

const indent = (s: string) => s.split("\n").map((l) => (l ? `  ${l}` : l)).join("\n");

/** Reads the create container's termination message: phase → exit code, "skipped", or {already: true}. */
export function parseLifecycleReport(message: string | undefined): { already: boolean; results: Record<string, number | "skipped"> } {
  const results: Record<string, number | "skipped"> = {};
  let already = false;
  for (const line of (message ?? "").split("\n")) {
    const m = /^([A-Za-z]+)=(\S+)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === "created" && m[2] === "already") already = true;
    else if ((LIFECYCLE_PROPERTIES as readonly string[]).includes(m[1])) results[m[1]] = m[2] === "skipped" ? "skipped" : Number(m[2]);
  }
  return { already, results };
}

/** A one-line summary of failures for a condition message / Event, or undefined when all succeeded. */
export function lifecycleFailureMessage(report: ReturnType<typeof parseLifecycleReport>): string | undefined {
  const failed = Object.entries(report.results).filter(([, r]) => r !== 0 && r !== "skipped");
  if (!failed.length) return undefined;
  return `${failed.map(([p, r]) => `${p} exited with ${r}`).join(", ")}: see \`kubectl logs <pod> -c ${CREATE_CONTAINER_NAME}\`; the IDE runs anyway. Delete ~/${LIFECYCLE_STATE_DIR}/created to run the create commands again.`;
}

/** The create-commands init container (the user's image), or undefined without create commands. */
export function renderCreateInitContainer(input: {
  config: DevcontainerConfig;
  image: string;
  home: string;
  homeVolumeName: string;
  workspaceFolder: string;
  securityContext: Record<string, unknown>;
  /** Extra mounts the IDE container has (e.g. the IDE server volume). */
  volumeMounts?: { name: string; mountPath: string }[];
}) {
  const script = createCommandsScript(input.config, input.workspaceFolder);
  if (!script) return undefined;
  return {
    name: CREATE_CONTAINER_NAME,
    image: input.image,
    command: ["sh", "-c", script],
    env: [{ name: "HOME", value: input.home }, ...Object.entries(input.config.containerEnv ?? {}).map(([name, value]) => ({ name, value }))],
    volumeMounts: [{ name: input.homeVolumeName, mountPath: input.home }, ...(input.volumeMounts ?? [])],
    securityContext: input.securityContext,
    terminationMessagePolicy: "File" as const,
  };
}
