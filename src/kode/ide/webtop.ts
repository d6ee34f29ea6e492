// linuxserver/webtop: a Linux desktop in the browser (Selkies since 2025-06, KasmVNC before).
// Image facts (see /work/shared/reference/envoy-ides-backup.md §3.3, §6.3):
// - nginx serves HTTP on 3000 (CUSTOM_PORT) and self-signed HTTPS on 3001;
// - CUSTOM_USER + PASSWORD turn on HTTP basic auth in nginx (no PASSWORD: no auth);
// - with basic auth on, GET / answers 401, so probes are TCP;
// - SUBFOLDER=/prefix/ makes nginx serve the desktop below a path prefix (the proxy passes the prefix through);
// - there is no activity endpoint; an idle detector must use proxy traffic statistics;
// - browsers inside the desktop need a larger /dev/shm than the container runtime's 64Mi default.
import { type IdeTypeSpec, linuxserverBaseEnv, passwordEnv, portEnvIfChanged, usernameEnv } from "./spec.ts";

export const WEBTOP_IMAGE_PORT = 3000;

export const webtop: IdeTypeSpec = {
  type: "webtop",
  description: "A Linux desktop in the browser (linuxserver/webtop)",
  supported: true,
  defaultImage: "lscr.io/linuxserver/webtop:latest",
  defaultPort: WEBTOP_IMAGE_PORT,
  env: (ctx) => [
    ...linuxserverBaseEnv(ctx),
    ...portEnvIfChanged("CUSTOM_PORT", ctx, WEBTOP_IMAGE_PORT),
    usernameEnv("CUSTOM_USER", ctx),
    passwordEnv("PASSWORD", ctx),
    ...(ctx.basePath && ctx.basePath !== "/" ? [{ name: "SUBFOLDER", value: ctx.basePath }] : []),
  ],
  pathPrefix: "serve",
  readiness: { kind: "tcp" },
  liveness: { kind: "tcp" },
  activity: { kind: "none", note: "Selkies has no activity API: use client-to-server bytes on /websocket at the proxy" },
  extraVolumes: [{ volume: { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } }, mountPath: "/dev/shm" }],
  // The desktop streams frames server-to-client all the time (tx says nothing); the client sends acks and stats
  // on its websocket even when nobody touches it, more than VS Code's keep-alive. Mouse moves and keys add
  // kilobytes per minute. Not yet calibrated with a real browser.
  activityReading: { envoyFloor: { rxBytesPerMinute: 8192, requestsPerMinute: 2 } },
};
