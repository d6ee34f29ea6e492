// linuxserver/code-server: VS Code in the browser.
// Image facts (see /work/shared/reference/envoy-ides-backup.md §3.1, §6.2):
// - the s6 service runs `code-server --bind-addr [::]:8443 ... ${DEFAULT_WORKSPACE:-/config/workspace}` over plain HTTP;
// - code-server's `$PORT` overrides the port of --bind-addr,
//   so PORT is how a template moves the listen port. The image's internal s6 readiness check keeps probing 8443,
//   which is why PORT is only set when the port really differs;
// - auth is on (AUTH=password) iff PASSWORD or HASHED_PASSWORD is set;
// - every URL the UI uses is relative, so under a path prefix it runs as is once the proxy strips the prefix;
// - GET /healthz is unauthenticated, does not count as activity, and answers {status, lastHeartbeat}.
import { type IdeTypeSpec, linuxserverBaseEnv, passwordEnv, portEnvIfChanged } from "./spec.ts";

export const CODE_SERVER_IMAGE_PORT = 8443;

export const codeServer: IdeTypeSpec = {
  type: "code-server",
  description: "VS Code in the browser (linuxserver/code-server)",
  supported: true,
  defaultImage: "lscr.io/linuxserver/code-server:latest",
  defaultPort: CODE_SERVER_IMAGE_PORT,
  env: (ctx) => [
    ...linuxserverBaseEnv(ctx),
    ...portEnvIfChanged("PORT", ctx, CODE_SERVER_IMAGE_PORT),
    { name: "DEFAULT_WORKSPACE", value: ctx.workspacePath },
    passwordEnv("PASSWORD", ctx),
  ],
  pathPrefix: "strip",
  readiness: { kind: "http", path: "/healthz" },
  liveness: { kind: "http", path: "/healthz" },
  activity: {
    kind: "http",
    path: "/healthz",
    note: "JSON {status: alive|expired, lastHeartbeat: epoch ms}; alive while any TCP connection is open",
  },
  // An open tab sends VS Code's remote-protocol keep-alive every 5 s on each of its two websockets (a few dozen
  // bytes each, ~1 KiB/min in all) and no HTTP requests; typing, file opens and terminal input go well above this.
  // Not yet calibrated with a real browser: the floor sits at twice the keep-alive estimate.
  activityReading: { native: "code-server", envoyFloor: { rxBytesPerMinute: 2048, requestsPerMinute: 2 } },
};
