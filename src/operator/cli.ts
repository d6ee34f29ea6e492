// `kode operator`: the operator against a cluster (kubeconfig, context, or in-cluster service account).
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createClient } from "../kube/client.ts";
import { loadClientConfig } from "../kube/kubeconfig.ts";
import { createLogger, isLogLevel, type LogFormat, type Logger } from "../kube/logger.ts";
import { Registry } from "../kube/metrics.ts";
import { apiRequestCounter, startOperator, type OperatorOptions } from "./operator.ts";
import { parseActivityInterval } from "../lifecycle/poller.ts";
import type { FalcoOptions } from "../falco/controller.ts";

export const OPERATOR_USAGE = `Usage: kode operator [flags]

Runs the kode-operator controllers until SIGTERM/SIGINT.

Flags:
  --kubeconfig FILE          kubeconfig (default: $KUBECONFIG, in-cluster service account, ~/.kube/config)
  --context NAME             kubeconfig context
  --namespace NS             watch only this namespace (repeatable; default: all)
  --leader-elect             elect a leader with a Lease (for several replicas)
  --leader-election-namespace NS  namespace of the Lease (default: the pod's namespace, else kode-system)
  --metrics-address ADDR     Prometheus /metrics (default :8080; 0 disables)
  --health-address ADDR      /healthz and /readyz (default :8081)
  --resync DURATION          periodic resync of every Kode, e.g. 10m (default 10m)
  --concurrency N            concurrent Kode reconciles (default 4)
  --activity-interval DURATION  how often each running Kode's activity is read, e.g. 60s (default 60s, at least 1s;
                             0: no activity polling and no automatic pauses)
  --qps N                    client-side API rate limit (default 50; burst is twice)
  --gateway-api              manage HTTPRoutes for templates with access.gateway (needs the Gateway API CRDs)
  --no-ingress               do not manage Ingresses (a cluster without networking.k8s.io/v1 Ingress)
  --falco-namespace NS       write the Falco rules ConfigMap kode-falco-rules there (Falco's namespace)
  --falco-webhook-port N     serve the Falcosidekick webhook on this port (unset: no webhook)
  --falco-webhook-address A  the webhook's bind address (default 0.0.0.0)
  --falco-token-secret NS/NAME  Secret whose key "token" is the webhook's bearer token (without it every post is refused)
  --log-format json|pretty   (default json)
  --log-level LEVEL          error, warn, info, debug, trace (default info)
`;

/** "90s", "10m", "1h30m", "250ms" → milliseconds. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms"];
    consumed += m[0].length;
  }
  if (!text || consumed !== text.length) throw new Error(`invalid duration "${text}": use e.g. 30s, 10m, 1h`);
  return total;
}

/** The --falco-* flags as the operator's falco options (undefined when none is given); bad values throw. */
export function parseFalcoFlags(values: { "falco-namespace"?: string; "falco-webhook-port"?: string; "falco-webhook-address"?: string; "falco-token-secret"?: string }): FalcoOptions | undefined {
  const out: FalcoOptions = {};
  const ns = values["falco-namespace"];
  if (ns !== undefined) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63) throw new Error(`--falco-namespace must be a namespace name, got ${JSON.stringify(ns)}`);
    out.namespace = ns;
  }
  const port = values["falco-webhook-port"];
  if (port !== undefined) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--falco-webhook-port must be a port number (0-65535), got ${JSON.stringify(port)}`);
    out.webhook = { port: n, ...(values["falco-webhook-address"] && { address: values["falco-webhook-address"] }) };
  } else if (values["falco-webhook-address"]) throw new Error("--falco-webhook-address needs --falco-webhook-port");
  const secret = values["falco-token-secret"];
  if (secret !== undefined) {
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(secret);
    if (!m) throw new Error(`--falco-token-secret must be NAMESPACE/NAME, got ${JSON.stringify(secret)}`);
    out.tokenSecret = { namespace: m[1], name: m[3] };
  }
  return Object.keys(out).length ? out : undefined;
}

function podNamespace(): string | undefined {
  const file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
  return existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
}

/** Stop gracefully on SIGTERM/SIGINT (or when the operator stops by itself); returns what ended it. */
export async function runUntilSignal(stop: () => Promise<void>, done: Promise<void>, log: Logger): Promise<string> {
  const signal = await Promise.race([
    new Promise<string>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    }),
    done.then(() => "stopped"),
  ]);
  log.info("shutting down", { signal });
  await stop();
  return signal;
}

/** The flags `kode operator` and `kode sandbox` share (the sandbox has its own --kubeconfig and --log-format). */
export const SHARED_FLAGS = {
  namespace: { type: "string", multiple: true },
  "leader-elect": { type: "boolean" },
  "leader-election-namespace": { type: "string" },
  resync: { type: "string", default: "10m" },
  concurrency: { type: "string", default: "4" },
  "activity-interval": { type: "string", default: "60s" },
  qps: { type: "string", default: "50" },
  "gateway-api": { type: "boolean" },
  "no-ingress": { type: "boolean" },
  "log-level": { type: "string", default: "info" },
  "falco-namespace": { type: "string" },
  "falco-webhook-port": { type: "string" },
  "falco-webhook-address": { type: "string" },
  "falco-token-secret": { type: "string" },
} as const;

type SharedValues = { [K in keyof typeof SHARED_FLAGS]?: (typeof SHARED_FLAGS)[K] extends { multiple: true } ? string[] : (typeof SHARED_FLAGS)[K]["type"] extends "boolean" ? boolean : string };

/** The operator options the shared flags give; throws a message naming the flag on a bad value. */
export function sharedOperatorOptions(values: SharedValues): Pick<OperatorOptions, "namespaces" | "resyncMs" | "concurrency" | "activity" | "leaderElection" | "routes" | "falco"> & { qps: number; level: string } {
  const level = values["log-level"] ?? "info";
  if (!isLogLevel(level)) throw new Error(`--log-level: unknown level ${level}`);
  const qps = Number(values.qps ?? "50");
  const concurrency = Number(values.concurrency ?? "4");
  if (!(qps > 0)) throw new Error(`--qps must be a positive number, got ${values.qps}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency must be a positive integer, got ${values.concurrency}`);
  const falco = parseFalcoFlags(values);
  const activity = parseActivityInterval(values["activity-interval"]);
  if (!activity.ok) throw new Error(activity.message);
  return {
    namespaces: values.namespace,
    resyncMs: parseDuration(values.resync ?? "10m"),
    concurrency,
    qps,
    level,
    activity: { intervalMs: activity.ms },
    leaderElection: values["leader-elect"] ? { namespace: values["leader-election-namespace"] ?? podNamespace() ?? "kode-system" } : undefined,
    routes: { ingress: !values["no-ingress"], gateway: !!values["gateway-api"] },
    ...(falco && { falco }),
  };
}

export async function operatorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...SHARED_FLAGS,
      kubeconfig: { type: "string" },
      context: { type: "string" },
      "metrics-address": { type: "string", default: ":8080" },
      "health-address": { type: "string", default: ":8081" },
      "log-format": { type: "string", default: "json" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(OPERATOR_USAGE);
    return 0;
  }
  const format = values["log-format"] as LogFormat;
  if (format !== "json" && format !== "pretty") throw new Error(`--log-format must be json or pretty, got ${format}`);
  const { qps, level, ...shared } = sharedOperatorOptions(values);
  if (!isLogLevel(level)) throw new Error(`--log-level: unknown level ${level}`);
  const log = createLogger(format, level);

  const config = await loadClientConfig({ kubeconfig: values.kubeconfig, context: values.context });
  const metrics = new Registry();
  const client = createClient(config, { qps, burst: qps * 2, onResponse: apiRequestCounter(metrics) });
  log.info("starting kode-operator", { server: config.server, namespaces: values.namespace ?? "all", leaderElect: !!values["leader-elect"] });
  const op = startOperator({
    client,
    metrics,
    ...shared,
    healthAddress: values["health-address"],
    metricsAddress: values["metrics-address"],
    logger: log,
  });
  await runUntilSignal(() => op.stop(), op.done, log);
  client.close();
  // As controller-runtime's manager: a replica that lost its lease exits non-zero, and is restarted to
  // campaign again with fresh caches, rather than resuming with the state of a term another leader followed.
  if (op.lostLeadership) {
    log.error("leader election lost; exiting");
    return 1;
  }
  return 0;
}
