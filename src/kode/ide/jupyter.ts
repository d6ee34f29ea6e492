// Jupyter docker-stacks (see /work/shared/reference/envoy-ides-backup.md §3.2, §6.4). Described, not yet supported:
// the image's home is /home/jovyan, NB_UID/NB_GID need the container to start as root, and the token must come
// from the credentials Secret.
import type { IdeTypeSpec } from "./spec.ts";
import { passwordEnv, portEnvIfChanged } from "./spec.ts";

export const JUPYTER_IMAGE_PORT = 8888;

export const jupyter: IdeTypeSpec = {
  type: "jupyter",
  description: "JupyterLab (jupyter docker-stacks)",
  supported: false,
  unsupportedReason: "not yet supported",
  defaultImage: "quay.io/jupyter/base-notebook:latest",
  defaultPort: JUPYTER_IMAGE_PORT,
  env: (ctx) => [
    { name: "NB_UID", value: String(ctx.puid) },
    { name: "NB_GID", value: String(ctx.pgid) },
    { name: "TZ", value: ctx.tz },
    ...portEnvIfChanged("JUPYTER_PORT", ctx, JUPYTER_IMAGE_PORT),
    passwordEnv("JUPYTER_TOKEN", ctx),
    // start-notebook passes NOTEBOOK_ARGS to jupyter: ServerApp.base_url serves everything below the prefix.
    ...(ctx.basePath !== "/" ? [{ name: "NOTEBOOK_ARGS", value: `--ServerApp.base_url=${ctx.basePath}` }] : []),
  ],
  pathPrefix: "serve",
  // GET /api returns the server version without authentication.
  readiness: { kind: "http", path: "/api" },
  liveness: { kind: "http", path: "/api" },
  activity: {
    kind: "http",
    path: "/api/status",
    note: "JSON {started, last_activity, kernels, connections}; needs the token; polling it is not activity",
  },
};
