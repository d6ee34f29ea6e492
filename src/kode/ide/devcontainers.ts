// Dev Containers. Described, not yet supported: a devcontainer image has no web IDE of its own, so the operator
// would have to inject one (e.g. openvscode-server, which listens on 3000) and honour devcontainer.json.
import type { IdeTypeSpec } from "./spec.ts";

export const devcontainers: IdeTypeSpec = {
  type: "devcontainers",
  description: "A Dev Container image with an injected web IDE",
  supported: false,
  unsupportedReason: "not yet supported",
  defaultImage: "mcr.microsoft.com/devcontainers/base:ubuntu",
  defaultPort: 3000,
  env: (ctx) => [{ name: "TZ", value: ctx.tz }],
  // The injected web IDE (openvscode-server) uses relative URLs like code-server: the proxy strips a path prefix.
  pathPrefix: "strip",
  readiness: { kind: "tcp" },
  liveness: { kind: "tcp" },
  activity: { kind: "none", note: "no activity API: use proxy traffic statistics" },
};
