// Falco in the operator: the rules ConfigMap (one key, reconciled on template and ConfigMap changes, written only
// when its data differs) and the webhook server (Falcosidekick's webhook output) that turns an alert for a Kode's
// pod into a Warning Event, the SecurityAlert condition and the template's response.
import type { Server } from "bun";
import type { Condition, Kode, KodeStatus, KodeTemplate } from "../api/types.ts";
import { childNames, LABEL_KODE_NAME } from "../kode/render.ts";
import { Informer } from "../kube/informer.ts";
import type { Logger } from "../kube/logger.ts";
import { runWorkers, WorkQueue, type ReconcileResult } from "../kube/queue.ts";
import { CONFIGMAPS, SECRETS } from "../kube/resources.ts";
import type { KubeClient, KubeObject } from "../kube/types.ts";
import { alertCondition, alertEventMessage, pendingSecurityAlert, withSecurityAlert, type FalcoResponse } from "./alerts.ts";
import { applyRules, rulesData } from "./configmap.ts";
import { falcoEnabled } from "./labels.ts";
import { pauseForSecurity } from "./pause.ts";
import { FALCO_RULES_CONFIGMAP } from "./rules.ts";
import { falcoWebhook, type FalcoAlert } from "./webhook.ts";

export const TOKEN_KEY = "token";
const FIELD_MANAGER = "kode-operator";

export interface FalcoOptions {
  /** Falco's namespace: where the rules ConfigMap kode-falco-rules goes. Unset: no ConfigMap. */
  namespace?: string;
  /** The webhook server (Falcosidekick's webhook.address points here). Unset: no server. */
  webhook?: { port: number; address?: string };
  /** The Secret whose key "token" is the webhook's bearer token. Without it every post is refused (401). */
  tokenSecret?: { namespace: string; name: string };
}

export interface FalcoDeps {
  /** Reads (informers). */
  client: KubeClient;
  /** Writes (fenced: nothing leaves once leadership is lost). */
  writer: () => KubeClient;
  kodes: { get(ns: string | undefined, name: string): KubeObject | undefined };
  pods: { get(ns: string | undefined, name: string): KubeObject | undefined };
  templateOf(kode: Kode): KodeTemplate | undefined;
  /** Every KodeTemplate and KodeClusterTemplate in the caches. */
  templates(): KodeTemplate[];
  events: { event(obj: KubeObject, type: "Normal" | "Warning", reason: string, message: string): unknown };
  /** RFC 3339 now. */
  now(): string;
  /** The reconciler's memo of status written but not yet in the cache. */
  writtenStatus?: Map<string, { resourceVersion: string; status: KodeStatus; at: number }>;
  /** Alerts taken, for the reconciler to write (KodeDeps.securityAlerts). */
  securityAlerts: Map<string, Condition>;
  /** Drop the Kode's "nothing to do" memo, so that its next pass really runs. */
  forgetSettled(key: string): void;
  enqueueKode(key: string): void;
  /** Whether the caches are synced and this replica leads: otherwise the webhook answers 503. */
  running(): boolean;
  log: Logger;
}

export interface Falco {
  /** Informers to start with the operator's (after the Kodes and templates). */
  informers: Informer<KubeObject>[];
  /** Something the rules depend on changed (a template). */
  rulesChanged(): void;
  /** Start the rules worker (once the caches synced). */
  startWorkers(): Promise<void>;
  /** The webhook server, when configured. */
  server?: Server<unknown>;
  url?: string;
  stop(): Promise<void>;
}

type Secret = KubeObject & { data?: Record<string, string> };

export function startFalco(opts: FalcoOptions, deps: FalcoDeps): Falco {
  const log = deps.log.child({ component: "falco" });
  const informers: Informer<KubeObject>[] = [];
  const queue = new WorkQueue({ name: "falco" });
  const rulesKey = "rules";

  // The rules ConfigMap: this name in that namespace only (a user's ConfigMap of the name too, to see the conflict).
  const ns = opts.namespace;
  const rulesInformer = ns ? new Informer<KubeObject>(deps.client, CONFIGMAPS, { namespace: ns, fieldSelector: `metadata.name=${FALCO_RULES_CONFIGMAP}`, logger: log.child({ informer: "falco-rules" }) }) : undefined;
  if (rulesInformer) {
    informers.push(rulesInformer);
    const changed = () => queue.add(rulesKey);
    rulesInformer.on("add", changed).on("update", changed).on("delete", changed);
  }
  const tokenInformer = opts.tokenSecret
    ? new Informer<Secret>(deps.client, SECRETS, { namespace: opts.tokenSecret.namespace, fieldSelector: `metadata.name=${opts.tokenSecret.name}`, logger: log.child({ informer: "falco-token" }) })
    : undefined;
  if (tokenInformer) informers.push(tokenInformer as Informer<KubeObject>);

  /** What was last reported (a conflict by the object's resourceVersion, bad rules by template generation): once each. */
  const reported = new Map<string, string>();
  const reportOnce = (key: string, version: string, report: () => void) => {
    if (reported.get(key) === version) return;
    reported.set(key, version);
    report();
  };

  async function reconcileRules(): Promise<ReconcileResult> {
    if (!ns || !rulesInformer) return;
    const { data, skipped } = rulesData(deps.templates());
    for (const s of skipped)
      reportOnce(`rules/${s.template.kind}/${s.template.metadata.namespace ?? ""}/${s.template.metadata.name}`, String(s.template.metadata.generation ?? s.template.metadata.resourceVersion), () =>
        deps.events.event(s.template as unknown as KubeObject, "Warning", "FalcoRulesInvalid", `the template's Falco rules are left out of ${ns}/${FALCO_RULES_CONFIGMAP}: ${s.problems.join("; ")}`),
      );
    const live = rulesInformer.get(ns, FALCO_RULES_CONFIGMAP) as (KubeObject & { data?: Record<string, string> }) | undefined;
    let outcome: Awaited<ReturnType<typeof applyRules>>;
    try {
      outcome = await applyRules(deps.writer(), ns, live, data, FIELD_MANAGER);
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
      reportOnce("namespace", "missing", () => log.warn("falco rules not written: the namespace does not exist", { namespace: ns }));
      return { requeueAfterMs: 30_000 };
    }
    reported.delete("namespace");
    if (outcome.action === "conflict") {
      reportOnce("conflict", live?.metadata.resourceVersion ?? "", () => {
        log.warn("falco rules ConfigMap conflict", { namespace: ns, name: FALCO_RULES_CONFIGMAP, message: outcome.message });
        deps.events.event(live!, "Warning", "FalcoRulesConflict", outcome.message);
      });
      return;
    }
    reported.delete("conflict");
    if (outcome.action !== "unchanged") log.info("falco rules written", { namespace: ns, action: outcome.action, files: Object.keys(data).length });
  }

  // ---- alerts ----
  const token = () => {
    if (!tokenInformer || !opts.tokenSecret) return undefined;
    const s = tokenInformer.get(opts.tokenSecret.namespace, opts.tokenSecret.name) as Secret | undefined;
    const b64 = s?.data?.[TOKEN_KEY];
    const t = b64 === undefined ? "" : Buffer.from(b64, "base64").toString("utf8").trim();
    return t || undefined;
  };

  function resolveKode(alert: FalcoAlert): string | { ignored: string } | undefined {
    const pod = deps.pods.get(alert.namespace, alert.pod);
    const name = pod?.metadata.labels?.[LABEL_KODE_NAME];
    if (!pod || !name || childNames(name).pod !== alert.pod) return undefined;
    if (!pod.metadata.ownerReferences?.some((o) => o.kind === "StatefulSet" && o.name === childNames(name).statefulSet)) return undefined;
    const kode = deps.kodes.get(alert.namespace, name) as unknown as Kode | undefined;
    if (!kode) return undefined;
    const template = deps.templateOf(kode);
    if (!falcoEnabled(template?.spec)) return { ignored: `Falco is not enabled in the template of Kode ${alert.namespace}/${name}` };
    return name;
  }

  /** The status as the next reconcile will see it: the memo of its last write, and an alert not yet written. */
  function current(key: string, kode: Kode): Kode {
    const memo = deps.writtenStatus?.get(key);
    const base = memo && memo.resourceVersion !== kode.metadata.resourceVersion && Date.now() - memo.at < 10_000 ? { ...kode, status: memo.status } : kode;
    const pending = pendingSecurityAlert(deps.securityAlerts, key, base);
    return pending ? withSecurityAlert(base, pending) : base;
  }

  /** Whether the status (our last write, or the cache) shows this condition, waiting up to 10 s. */
  async function written(key: string, c: Condition): Promise<boolean> {
    const shows = (conditions: Condition[] | undefined) => conditions?.some((x) => x.type === c.type && x.message === c.message && x.lastTransitionTime === c.lastTransitionTime && x.reason === c.reason);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const [ns, name] = key.split("/");
      const cached = deps.kodes.get(ns, name) as unknown as Kode | undefined;
      if (!cached) return false;
      if (shows(cached.status?.conditions) || shows(deps.writtenStatus?.get(key)?.status.conditions)) return true;
      await Bun.sleep(25);
    }
    return false;
  }

  async function record(k: { namespace: string; name: string }, alert: FalcoAlert): Promise<void> {
    const key = `${k.namespace}/${k.name}`;
    const cached = deps.kodes.get(k.namespace, k.name) as unknown as Kode | undefined;
    if (!cached) return;
    const response: FalcoResponse = deps.templateOf(cached)?.spec.falco?.response ?? "record";
    const kode = current(key, cached);
    const condition = alertCondition(kode.status?.conditions, kode.metadata.annotations, alert, response, kode.metadata.generation, deps.now());
    // The reconciler writes it (with the isolation, when that is the response), one pass per Kode at a time.
    deps.securityAlerts.set(key, condition);
    deps.forgetSettled(key);
    deps.enqueueKode(key);
    deps.events.event(cached as unknown as KubeObject, "Warning", "SecurityAlert", alertEventMessage(alert, response));
    if (response === "pause" && !(kode.spec as { paused?: boolean }).paused) {
      const paused = await pauseForSecurity(deps.writer(), k, FIELD_MANAGER);
      if (!paused.paused) log.info("falco pause not done", { kode: key, reason: paused.reason });
    }
    log.warn("falco alert", { kode: key, rule: alert.rule, priority: alert.priority, response });
    // Answer once the status holds it (so a crash after the answer loses nothing): 503 otherwise, post again.
    if (!(await written(key, condition))) throw new Error(`the SecurityAlert of ${key} is not written yet`);
  }

  const handler = falcoWebhook({ token, resolveKode, record });
  let server: Server<unknown> | undefined;
  if (opts.webhook) {
    server = Bun.serve({
      hostname: opts.webhook.address ?? "0.0.0.0",
      port: opts.webhook.port,
      fetch: async (req) => {
        if (!deps.running()) return Response.json({ error: "not ready: caches not synced or not the leader; post again" }, { status: 503 });
        try {
          return await handler(req);
        } catch (e) {
          log.warn("falco alert not recorded", { error: (e as Error).message });
          return Response.json({ error: "the alert could not be recorded; post again" }, { status: 503 });
        }
      },
    });
    log.info("falco webhook listening", { address: `${server.hostname}:${server.port}`, bearerFrom: opts.tokenSecret ? `Secret ${opts.tokenSecret.namespace}/${opts.tokenSecret.name}` : "none (every post refused)" });
  }

  let workers: Promise<void> | undefined;
  return {
    informers,
    rulesChanged: () => {
      if (ns) queue.add(rulesKey);
    },
    startWorkers: async () => {
      if (!ns) return;
      queue.add(rulesKey);
      workers = runWorkers(queue, 1, async () => reconcileRules());
    },
    server,
    url: server ? `http://${server.hostname}:${server.port}` : undefined,
    async stop() {
      await queue.shutDown({ drain: false });
      await workers;
      await server?.stop(true);
    },
  };
}
