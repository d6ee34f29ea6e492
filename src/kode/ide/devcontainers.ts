// Dev Containers: any image, with a web IDE added by the operator.
// - The init container `kode-ide-server` (image: the template's IDE server image, default
//   gitpod/openvscode-server) copies a standalone IDE server into the emptyDir `kode-ide` at /kode-ide.
// - The main container runs the user's image (devcontainer.json `image`, else the template's) with
//   `sh -c START_SCRIPT`: remoteEnv exported, postStartCommand started in the background, then the server exec'd
//   as the container's process, bound to the IDE port (127.0.0.1 behind Envoy, where its own auth is off).
// - Without Envoy the server's auth secret comes from the credentials Secret through secretKeyRef only
//   (openvscode-server: written to a 0600 file for --connection-token-file; code-server: $PASSWORD).
// Both servers are glibc builds: an Alpine (musl) user image cannot run them. Layouts and flags are from the
// servers' documented CLIs; neither server can be installed on the test machine, so the start script is tested
// with a stand-in executable that checks the arguments it receives.
import type { EnvVar } from "../../api/types.ts";
import { postStartLines, remoteEnvExports, shq } from "../../devcontainer/lifecycle.ts";
import type { DevcontainerConfig } from "../../devcontainer/config.ts";
import type { IdeLayout } from "../../vscode/vscode.ts";
import type { IdeEnvContext, IdeTypeSpec } from "./spec.ts";
import { secretKeyRef } from "./spec.ts";

export const DEVCONTAINERS_DEFAULT_PORT = 3000;
export const IDE_SERVER_CONTAINER_NAME = "kode-ide-server";
export const IDE_SERVER_VOLUME = "kode-ide";
export const IDE_SERVER_MOUNT = "/kode-ide";

export type IdeServerKind = "openvscode-server" | "code-server";

export interface IdeServer {
  kind: IdeServerKind;
  defaultImage: string;
  /** Where the server lives in its image (copied whole into /kode-ide). */
  sourceDir: string;
  /** Where it keeps settings and extensions, for a given home. */
  layout(home: string, mount?: string): IdeLayout;
}

export const IDE_SERVERS: Record<IdeServerKind, IdeServer> = {
  "openvscode-server": {
    kind: "openvscode-server",
    defaultImage: "gitpod/openvscode-server:latest",
    sourceDir: "/home/.openvscode-server",
    layout: (home, mount = IDE_SERVER_MOUNT) => ({ node: `${mount}/node`, cli: `${mount}/bin/openvscode-server`, userDataDir: `${home}/.openvscode-server/data`, extensionsDir: `${home}/.openvscode-server/extensions` }),
  },
  "code-server": {
    kind: "code-server",
    defaultImage: "codercom/code-server:latest",
    sourceDir: "/usr/lib/code-server",
    layout: (home, mount = IDE_SERVER_MOUNT) => ({ node: `${mount}/lib/node`, cli: `${mount}/bin/code-server`, userDataDir: `${home}/.local/share/code-server`, extensionsDir: `${home}/.local/share/code-server/extensions` }),
  },
};

export const devcontainers: IdeTypeSpec = {
  type: "devcontainers",
  description: "A Dev Container image with an injected web IDE",
  supported: true,
  defaultImage: "mcr.microsoft.com/devcontainers/base:ubuntu",
  defaultPort: DEVCONTAINERS_DEFAULT_PORT,
  env: (ctx) => [{ name: "TZ", value: ctx.tz }],
  // The injected web IDE (openvscode-server) uses relative URLs like code-server: the proxy strips a path prefix.
  pathPrefix: "strip",
  readiness: { kind: "tcp" },
  liveness: { kind: "tcp" },
  // Behind Envoy the server runs without its own auth, so its start page answers 200 (or a redirect to the folder).
  proxiedReadiness: { kind: "http", path: "/" },
  activity: { kind: "none", note: "no activity API: use proxy traffic statistics" },
  // The injected server is VS Code (openvscode-server or code-server): the same keep-alive as code-server's tab.
  // Only the sidecar's traffic is read (openvscode-server has no /healthz).
  activityReading: { envoyFloor: { rxBytesPerMinute: 2048, requestsPerMinute: 2 } },
};

export interface DevcontainersInput {
  ctx: IdeEnvContext;
  behindEnvoy: boolean;
  server: IdeServerKind;
  /** The template's IDE server image (default: the server's). */
  serverImage?: string;
  /** The devcontainer.json (after substitution), if any. */
  config?: DevcontainerConfig;
  /** Where the server volume is mounted (default /kode-ide). */
  serverMount?: string;
}

export interface DevcontainersRender {
  /** The copy init container; it must run before any other init container that uses the server (kode-vscode). */
  initContainer: {
    name: string;
    image: string;
    command: string[];
    volumeMounts: { name: string; mountPath: string }[];
    securityContext: Record<string, unknown>;
  };
  volume: { name: string; emptyDir: Record<string, never> };
  volumeMount: { name: string; mountPath: string };
  /** For the IDE container. */
  command: string[];
  env: EnvVar[];
  /** The folder the IDE opens: devcontainer.json workspaceFolder, else the Kode's workspace path. */
  workspaceFolder: string;
  /** For the kode-vscode init container. */
  layout: IdeLayout;
  bindsLoopback: boolean;
}

/** The env var that carries the IDE's secret into the start script (never a literal). */
export const IDE_SECRET_ENV = "KODE_IDE_SECRET";

/** The start script of the IDE container (run with `sh -c`). */
export function devcontainersStartScript(input: DevcontainersInput): string {
  const { ctx, behindEnvoy } = input;
  const host = behindEnvoy ? "127.0.0.1" : "0.0.0.0";
  const folder = input.config?.workspaceFolder ?? ctx.workspacePath;
  const mount = input.serverMount ?? IDE_SERVER_MOUNT;
  const layout = IDE_SERVERS[input.server].layout(ctx.home, mount);
  const lines = ["set -u", `mkdir -p ${shq(folder)}`, remoteEnvExports(input.config?.remoteEnv).trimEnd(), postStartLines(input.config ?? {}, folder, { unsetEnv: [IDE_SECRET_ENV] }).trimEnd()];
  const common = [`--extensions-dir ${shq(layout.extensionsDir)}`];
  if (input.server === "openvscode-server") {
    let auth = "--without-connection-token";
    if (!behindEnvoy) {
      lines.push(`umask 077; printf '%s' "$${IDE_SECRET_ENV}" > ${mount}/.connection-token; umask 022; unset ${IDE_SECRET_ENV}`);
      auth = `--connection-token-file ${mount}/.connection-token`;
    }
    lines.push(`exec ${mount}/bin/openvscode-server --host ${host} --port ${ctx.port} ${auth} --server-data-dir ${shq(`${ctx.home}/.openvscode-server`)} ${common.join(" ")} --default-folder ${shq(folder)}`);
  } else {
    if (!behindEnvoy) lines.push(`PASSWORD="$${IDE_SECRET_ENV}"; export PASSWORD; unset ${IDE_SECRET_ENV}`);
    lines.push(`exec ${mount}/bin/code-server --bind-addr ${host}:${ctx.port} --auth ${behindEnvoy ? "none" : "password"} --disable-telemetry --user-data-dir ${shq(layout.userDataDir)} ${common.join(" ")} ${shq(folder)}`);
  }
  return `${lines.filter((l) => l).join("\n")}\n`;
}

export function renderDevcontainers(input: DevcontainersInput): DevcontainersRender {
  const server = IDE_SERVERS[input.server];
  const { ctx } = input;
  const mountPath = input.serverMount ?? IDE_SERVER_MOUNT;
  const mount = { name: IDE_SERVER_VOLUME, mountPath };
  const env: EnvVar[] = [{ name: "TZ", value: ctx.tz }, { name: "HOME", value: ctx.home }];
  for (const [name, value] of Object.entries(input.config?.containerEnv ?? {})) env.push({ name, value });
  if (!input.behindEnvoy) env.push(secretKeyRef(IDE_SECRET_ENV, ctx.credentials.secretName, ctx.credentials.passwordKey));
  return {
    initContainer: {
      name: IDE_SERVER_CONTAINER_NAME,
      image: input.serverImage ?? server.defaultImage,
      command: ["sh", "-c", `cp -a ${shq(server.sourceDir)}/. ${shq(mountPath)}/`],
      volumeMounts: [mount],
      securityContext: { runAsUser: ctx.puid, runAsGroup: ctx.pgid, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
    },
    volume: { name: IDE_SERVER_VOLUME, emptyDir: {} },
    volumeMount: mount,
    command: ["sh", "-c", devcontainersStartScript(input)],
    env,
    workspaceFolder: input.config?.workspaceFolder ?? ctx.workspacePath,
    layout: server.layout(ctx.home, mountPath),
    bindsLoopback: input.behindEnvoy,
  };
}

/**
 * containerUser/remoteUser name users of the image, which a pod spec cannot resolve (runAsUser is numeric):
 * the pod runs as the template's uid. A warning says so when the config names a user.
 */
export function devcontainerUserWarning(config: DevcontainerConfig | undefined, uid: number): string | undefined {
  const named = [config?.containerUser, config?.remoteUser].filter((u): u is string => !!u);
  if (!named.length) return undefined;
  return `devcontainer.json names user ${[...new Set(named)].join(", ")}: the pod runs as uid ${uid} from the template (a pod spec takes numeric ids only)`;
}
