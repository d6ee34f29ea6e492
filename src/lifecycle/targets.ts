// What the poller reads for one Kode, from its IDE type's file and whether the Envoy sidecar is in front.
//
// One request per Kode per interval where possible:
// - behind the sidecar the IDE binds 127.0.0.1, so the pod proxy (which dials the pod IP) cannot reach it; the
//   sidecar's stats on its health listener are the one source, and the only one that tells input from an open
//   tab. A type may still name a native reader the sidecar forwards (`nativeViaSidecar`, for Jupyter's busy
//   kernels), which then costs a second request;
// - without the sidecar the IDE's own endpoint is the one source (code-server /healthz; Jupyter /api/status, plus
//   /api/kernels only when kernels exist and nothing else already says "active");
// - a type with neither (webtop, alnoda, devcontainers without a sidecar) is never polled.
import { ENVOY_HEALTH_PORT } from "../envoy/validate.ts";
import type { IdeTypeSpec } from "../kode/ide/spec.ts";
import type { TrafficFloor } from "./verdict.ts";

/** Used for a type whose file does not name its own floor. */
export const DEFAULT_ENVOY_FLOOR: TrafficFloor = { rxBytesPerMinute: 4096, requestsPerMinute: 2 };

export type PollSource =
  | { kind: "code-server"; port: number; path: string }
  /**
   * Jupyter with its own auth off (behind an authenticating sidecar, read through the sidecar's health listener).
   * kernelsOnly: only /api/kernels (busy kernels and their times), because the sidecar's stats are read too.
   */
  | { kind: "jupyter"; port: number; pathPrefix: string; kernelsOnly?: boolean }
  | { kind: "envoy"; port: number };

export interface ActivityTarget {
  /** namespace/name of the Kode. */
  key: string;
  namespace: string;
  /** The Kode's running pod. */
  pod: string;
  /** Empty: nothing to read; the poller never polls it. */
  sources: PollSource[];
  floor: TrafficFloor;
  noSignalReason: string;
  /** Jupyter's last_activity newer than this already means "active" (/api/kernels is not read); default the poller's. */
  activeWindowMs?: number;
}

export interface TargetInput {
  namespace: string;
  name: string;
  pod: string;
  spec: IdeTypeSpec;
  /** The IDE's listen port (template port or the type's default). */
  port: number;
  behindEnvoy: boolean;
  /** A path prefix on the sidecar's health listener that forwards to the IDE (read the native signal through it too). */
  nativeViaSidecar?: string;
}

export function activityTarget(input: TargetInput): ActivityTarget {
  const { spec, behindEnvoy } = input;
  const native = spec.activityReading?.native;
  const sources: PollSource[] = [];
  const nativeSource = (port: number, prefix: string): PollSource | undefined => {
    if (native === "code-server") return { kind: "code-server", port, path: `${prefix}${spec.activity.kind === "http" ? spec.activity.path : "/healthz"}` };
    if (native === "jupyter") return { kind: "jupyter", port, pathPrefix: prefix, ...(behindEnvoy && { kernelsOnly: true }) };
    return undefined;
  };
  if (behindEnvoy) {
    sources.push({ kind: "envoy", port: ENVOY_HEALTH_PORT });
    const via = input.nativeViaSidecar !== undefined ? nativeSource(ENVOY_HEALTH_PORT, input.nativeViaSidecar) : undefined;
    if (via) sources.push(via);
  } else if (native !== "jupyter") {
    // Jupyter without the sidecar keeps its token, and the API server's pod proxy drops the Authorization header;
    // the only other way, ?token= in the URL, would put the password into the API server's request logs.
    const own = nativeSource(input.port, "");
    if (own) sources.push(own);
  }
  return {
    key: `${input.namespace}/${input.name}`,
    namespace: input.namespace,
    pod: input.pod,
    sources,
    floor: spec.activityReading?.envoyFloor ?? DEFAULT_ENVOY_FLOOR,
    noSignalReason: behindEnvoy
      ? `no activity signal for type ${spec.type}`
      : native === "jupyter"
        ? "no activity signal for type jupyter without a sidecar (its API needs the token, which the pod proxy cannot carry)"
        : `no activity signal for type ${spec.type} without a sidecar`,
  };
}

/** The API server's pod proxy path for one source: works from a laptop and in a cluster (RBAC: pods/proxy get). */
export function podProxyPath(namespace: string, pod: string, port: number, path: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}:${port}/proxy${path}`;
}
