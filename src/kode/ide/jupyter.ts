// Jupyter docker-stacks images (quay.io/jupyter/*-notebook). Image facts (see
// /work/shared/reference/envoy-ides-backup.md §3.2, §6.4, and checked against jupyter_server 1.23 in jupyter.test.ts):
// - ENTRYPOINT `tini -g --`, CMD `start-notebook.py`, which passes its arguments to `jupyter lab`; the image's
//   config sets ip 0.0.0.0 and port $JUPYTER_PORT (8888); command-line flags override both;
// - the token comes from $JUPYTER_TOKEN (jupyter_server reads it when no token flag is given), so it reaches the
//   pod through secretKeyRef only; `--ServerApp.token=` (empty) turns token auth off;
// - `--IdentityProvider.token` (jupyter_server 2) is silently ignored by 1.x, while ServerApp.* flags work in
//   both (2.x maps ServerApp.token to the identity provider with a deprecation warning), hence ServerApp.*;
// - NB_UID/NB_GID/CHOWN_HOME only act when the container starts as root (start.sh then drops to NB_USER);
// - GET /api answers {"version"} without auth (readiness); GET /api/status needs the token (activity).
import type { EnvVar } from "../../api/types.ts";
import type { IdeEnvContext, IdeTypeSpec } from "./spec.ts";
import { passwordEnv } from "./spec.ts";

export const JUPYTER_IMAGE_PORT = 8888;
export const JUPYTER_DEFAULT_HOME = "/home/jovyan";
/** The docker-stacks launcher (on PATH in the image). */
export const JUPYTER_LAUNCHER = ["start-notebook.py"];
/** jovyan's uid and the users group of docker-stacks images. */
export const JUPYTER_IMAGE_UID = 1000;
export const JUPYTER_IMAGE_GID = 100;

export const jupyter: IdeTypeSpec = {
  type: "jupyter",
  description: "JupyterLab (jupyter docker-stacks)",
  supported: true,
  defaultImage: "quay.io/jupyter/base-notebook:latest",
  defaultHome: JUPYTER_DEFAULT_HOME,
  defaultPort: JUPYTER_IMAGE_PORT,
  env: (ctx) => [{ name: "TZ", value: ctx.tz }, passwordEnv("JUPYTER_TOKEN", ctx)],
  pathPrefix: "serve",
  // GET /api returns the server version without authentication.
  readiness: { kind: "http", path: "/api" },
  liveness: { kind: "http", path: "/api" },
  activity: {
    kind: "http",
    path: "/api/status",
    note: "JSON {started, last_activity, kernels, connections}; needs the token; polling it is not activity",
  },
  // An open JupyterLab tab polls the server (kernels, sessions, terminals, contents: about one request every 3 s,
  // ~20/min, a few KiB); running a cell or typing in a notebook goes above this. An estimate, not calibrated with
  // a real browser. Behind the sidecar, /api/status and /api/kernels are forwarded so busy kernels still count.
  activityReading: { native: "jupyter", envoyFloor: { rxBytesPerMinute: 16_384, requestsPerMinute: 30 }, sidecarPaths: ["/api/status", "/api/kernels"] },
};

export interface JupyterContainerInput {
  ctx: IdeEnvContext;
  /** Envoy authenticates: listen on 127.0.0.1 with Jupyter's own auth off. */
  behindEnvoy: boolean;
  /** The template allows a root start (then NB_UID/NB_GID apply and start.sh drops to that user). */
  allowRootStart?: boolean;
  /** Replaces the image's launcher; for running the same flags with another Jupyter (tests). */
  launcher?: string[];
}

export interface JupyterContainer {
  /** Kubernetes `args` (the image's ENTRYPOINT tini stays): a tiny sh wrapper that creates the notebook root, then execs the launcher with the flags. */
  args: string[];
  env: EnvVar[];
  securityContext: Record<string, unknown>;
  /** Whether Jupyter listens on 127.0.0.1 only (behind Envoy). The token env is already left out then. */
  bindsLoopback: boolean;
}

/** The shell wrapper: the notebook root must exist before Jupyter starts (the home volume starts empty). */
export const JUPYTER_WRAPPER = 'mkdir -p "$KODE_NOTEBOOK_ROOT" && exec "$@"';

/** The flags jupyter_server is started with (exactly these; every one known to jupyter_server 1.23 and 2.x). */
export function jupyterFlags(ctx: IdeEnvContext, behindEnvoy: boolean): string[] {
  const flags = [
    `--ServerApp.ip=${behindEnvoy ? "127.0.0.1" : "0.0.0.0"}`,
    `--ServerApp.port=${ctx.port}`,
    `--ServerApp.root_dir=${ctx.workspacePath}`,
    "--ServerApp.open_browser=False",
    // Path routing: everything (API, static files, websockets) is served below the prefix.
    ...(ctx.basePath && ctx.basePath !== "/" ? [`--ServerApp.base_url=${ctx.basePath}`] : []),
  ];
  // Behind Envoy: no token, no password (Envoy is the only way in). Otherwise $JUPYTER_TOKEN applies.
  if (behindEnvoy) flags.push("--ServerApp.token=", "--ServerApp.password=");
  return flags;
}

export function jupyterContainer(input: JupyterContainerInput): JupyterContainer {
  const { ctx, behindEnvoy } = input;
  const env: EnvVar[] = [
    { name: "TZ", value: ctx.tz },
    { name: "KODE_NOTEBOOK_ROOT", value: ctx.workspacePath },
  ];
  if (!behindEnvoy) env.push(passwordEnv("JUPYTER_TOKEN", ctx));
  let securityContext: Record<string, unknown>;
  if (input.allowRootStart) {
    env.push({ name: "NB_UID", value: String(ctx.puid) }, { name: "NB_GID", value: String(ctx.pgid) }, { name: "CHOWN_HOME", value: "yes" });
    // start.sh needs root to usermod/chown and then drops to NB_UID with setpriv/sudo.
    securityContext = { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, allowPrivilegeEscalation: true };
  } else {
    securityContext = {
      runAsUser: ctx.puid,
      runAsGroup: ctx.pgid,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    };
  }
  return {
    args: ["sh", "-c", JUPYTER_WRAPPER, "kode-jupyter", ...(input.launcher ?? JUPYTER_LAUNCHER), ...jupyterFlags(ctx, behindEnvoy)],
    env,
    securityContext,
    bindsLoopback: behindEnvoy,
  };
}
