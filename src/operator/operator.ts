// Wires the runtime (src/kube) to the kinds (src/kode, src/template): informers feed work queues, workers
// reconcile. The watch half of the hybrid delivers changes at once; the resync half (every `resyncMs`)
// re-queues everything, and costs no writes when nothing drifted.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { ENVOY_PROXY_CLUSTER_CONFIGS, ENVOY_PROXY_CONFIGS, KODE_CLUSTER_TEMPLATES, KODE_TEMPLATES, KODES } from "../api/resources.ts";
import { KODE_PHASES, type EnvoyProxyConfig, type Kode, type KodeTemplate } from "../api/types.ts";
import { envoyConfigKey, reconcileEnvoyConfig } from "../envoy/reconcile.ts";
import { OidcDiscoveryCache } from "../envoy/oidc.ts";
import { envoyConfigKeyOf } from "../kode/resolve-envoy.ts";
import { reconcileKode, templateKeyOf, type KodeDeps } from "../kode/reconcile.ts";
import { childNames, MANAGED_BY } from "../kode/render.ts";
import { envoyChildNames } from "../envoy/render.ts";
import { objectKey, specVersion, type Cache, type ChildCache } from "../kube/cache.ts";
import { controllerUids } from "../kube/children.ts";
import { fencedClient, FencedError } from "../kube/client.ts";
import { EventRecorder } from "../kube/events.ts";
import { startOperatorHttp, type OperatorHttp } from "../kube/http.ts";
import { shareLastApplied } from "../kube/apply.ts";
import { Informer, stripUnread, stripUnreadAndSpec, type InformerOptions } from "../kube/informer.ts";
import { LeaderElector } from "../kube/leader-election.ts";
import { silentLogger, type Logger } from "../kube/logger.ts";
import { Registry } from "../kube/metrics.ts";
import { runWorkers, WorkQueue, type ReconcileResult } from "../kube/queue.ts";
import { CONFIGMAPS, NAMESPACES, NETWORK_POLICIES, PODS, PVCS, SECRETS, SERVICES, STATEFULSETS } from "../kube/resources.ts";
import type { KubeClient, KubeObject, ResourceRef } from "../kube/types.ts";
import { reconcileTemplate, templateKey } from "../template/reconcile.ts";
import { MultiNamespaceInformer } from "./multi-informer.ts";
import { routeClaimsIndex } from "../access/claims.ts";
import { HTTPROUTES, INGRESSES } from "../access/routes.ts";
import { DEFAULT_USER } from "../kode/settings.ts";
import { OWNER_LABEL } from "../kode/access.ts";
import { CRONJOBS, DATA_JOB_OF_LABEL, JOBS, passwordSecretName, BACKUP_OF_UID_LABEL } from "../backup/config.ts";
import { templateBackupOf } from "../backup/backup-plan.ts";
import { restoreOf, restoreSecretNames } from "../backup/restore-render.ts";
import { VOLUME_SNAPSHOTS } from "../backup/volume-snapshot.ts";
import { lifecycleMetrics } from "../lifecycle/metrics.ts";
import { createLifecycle } from "../lifecycle/controller.ts";
import { clientGetter, type Clock, type HttpGet } from "../lifecycle/poller.ts";
import { startFalco, type Falco, type FalcoOptions } from "../falco/controller.ts";

export interface OperatorOptions {
  client: KubeClient;
  /** The registry the client's onResponse hook reports API requests to (see apiRequestCounter). */
  metrics?: Registry;
  /** Watch only these namespaces (default: all). */
  namespaces?: string[];
  /** Periodic resync of every Kode and template (default 10 minutes). */
  resyncMs?: number;
  /** Concurrent Kode reconciles (default 4). */
  concurrency?: number;
  leaderElection?: { namespace: string; name?: string; identity?: string; leaseDurationSeconds?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  healthAddress?: string;
  metricsAddress?: string;
  logger?: Logger;
  /** Wall clock (tests). */
  now?: () => number;
  /**
   * Route kinds the operator manages (template access): Ingress (default on) and the Gateway API's HTTPRoute
   * (default off: a cluster without the Gateway API CRDs has no such kind to watch).
   */
  routes?: { ingress?: boolean; gateway?: boolean };
  /** At most this long between looks at a paused Kode whose archive delay runs (default 1 minute; tests shorten it). */
  archiveRecheckMs?: number;
  /** OpenID discovery: re-fetch interval of a good result (default 10 minutes), timeout, first retry after a failure. */
  oidc?: { refreshMs?: number; timeoutMs?: number; backoffMs?: number };
  /**
   * Activity polling and automatic pauses (src/lifecycle): the interval (--activity-interval, default 60s), and for
   * tests the clock, the HTTP getter (default: GETs through the API server's pod proxy) and the jitter's randomness.
   */
  activity?: { intervalMs?: number; clock?: Clock; get?: HttpGet; random?: () => number };
  /** Falco: the rules ConfigMap's namespace, the webhook server, its token Secret (src/falco/README.md). */
  falco?: FalcoOptions;
  /**
   * VolumeSnapshots (snapshot.storage.k8s.io/v1): default "auto", watched when the API server serves the kind at
   * start (the snapshot controller's CRDs are installed); false never.
   */
  volumeSnapshots?: "auto" | false;
}

export interface RunningOperator {
  /** Resolves once caches are synced and workers run (immediately after leadership with --leader-elect). */
  ready: Promise<void>;
  metrics: Registry;
  /** The activity poller (its request counter and targets) and one round on demand (tests and the benchmark). */
  lifecycle: Pick<ReturnType<typeof createLifecycle>, "poller" | "runDue">;
  http: OperatorHttp | undefined;
  /** The Falco webhook's URL, when it listens. */
  falcoWebhookUrl?: string;
  /** Stop workers and watches, release leadership. */
  stop(): Promise<void>;
  /** Resolves when the operator stopped on its own (lost leadership). */
  done: Promise<void>;
  /** Whether it stopped because the lease was lost (the process should exit non-zero and start afresh). */
  readonly lostLeadership: boolean;
}

const asKode = (o: KubeObject) => o as unknown as Kode;
const asTemplate = (o: KubeObject) => o as unknown as KodeTemplate;

const CHILD_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

/** The counter of API requests by verb and code, for createClient's onResponse hook. */
export function apiRequestCounter(metrics: Registry): (method: string, status: number) => void {
  const requests = metrics.counter("kode_api_requests_total", "Kubernetes API requests by verb and response code (0: no response).", ["verb", "code"]);
  return (method, status) => requests.inc({ verb: method, code: status });
}

/** Whether a template update can change what its Kodes render: spec (generation), identity, or deletion. */
export function templateSpecChanged(t: KubeObject, old: KubeObject): boolean {
  if (t.metadata.uid !== old.metadata.uid || t.metadata.deletionTimestamp !== old.metadata.deletionTimestamp) return true;
  if (t.metadata.generation !== undefined && old.metadata.generation !== undefined) return t.metadata.generation !== old.metadata.generation;
  return JSON.stringify(t.spec) !== JSON.stringify(old.spec);
}

/** A strong password: 24 random bytes, URL-safe base64 (32 characters). */
export function generatePassword(): string {
  return randomBytes(24).toString("base64url");
}

function stripUnreadSharingRecords(obj: KubeObject): void {
  stripUnread(obj);
  shareLastApplied(obj);
}

export function startOperator(opts: OperatorOptions): RunningOperator {
  const log = opts.logger ?? silentLogger;
  // One clock for conditions, Events and the lifecycle (a test's injected clock drives all of them).
  const now = opts.now ?? opts.activity?.clock?.now ?? Date.now;
  const client = opts.client;
  const resyncPeriodMs = opts.resyncMs ?? 10 * 60_000;
  const informer = <T extends KubeObject>(ref: ResourceRef, extra: { labelSelector?: string; resync?: boolean; keep?: InformerOptions["keep"]; transform?: InformerOptions["transform"] } = {}) =>
    new MultiNamespaceInformer<T>(
      (namespace) =>
        new Informer<T>(client, ref, {
          namespace,
          labelSelector: extra.labelSelector,
          keep: extra.keep,
          resyncPeriodMs: extra.resync ? resyncPeriodMs : 0,
          // Nothing here reads managedFields (without them the caches of 1,000 Kodes are ~30 % smaller) nor
          // kubectl's copy of the last applied object; our own record of it is one shared text per shape.
          transform: extra.transform ?? stripUnreadSharingRecords,
          logger: log.child({ informer: ref.plural }),
        }),
      ref.namespaced ? opts.namespaces : undefined,
    );

  const kodes = informer<Kode & KubeObject>(KODES, { resync: true });
  const templates = informer<KodeTemplate & KubeObject>(KODE_TEMPLATES, { resync: true });
  const clusterTemplates = informer<KodeTemplate & KubeObject>(KODE_CLUSTER_TEMPLATES, { resync: true });
  // Secrets are watched unfiltered (a user's existingSecret carries no label of ours) but the cache keeps only
  // those something refers to: our children, a Kode's existingSecret, an OAuth2 client Secret, and any
  // Secret bearing a child's name (so a user's object in the way is seen, and seen going away).
  const secrets = informer<KubeObject & { data?: Record<string, string> }>(SECRETS, { keep: (s) => secretWanted(s) });
  const statefulSets = informer(STATEFULSETS, { labelSelector: CHILD_SELECTOR });
  const services = informer(SERVICES, { labelSelector: CHILD_SELECTOR });
  const pvcs = informer(PVCS, { labelSelector: CHILD_SELECTOR });
  const envoyConfigs = informer<EnvoyProxyConfig & KubeObject>(ENVOY_PROXY_CONFIGS, { resync: true });
  const envoyClusterConfigs = informer<EnvoyProxyConfig & KubeObject>(ENVOY_PROXY_CLUSTER_CONFIGS, { resync: true });
  // ConfigMaps are watched unfiltered (a devcontainer.configMapRef names the user's own, without our label); the
  // cache keeps our children and the referenced ones.
  const configMaps = informer(CONFIGMAPS, { keep: (c) => configMapWanted(c) });
  const networkPolicies = informer(NETWORK_POLICIES, { labelSelector: CHILD_SELECTOR });
  // The Kodes' pods (they carry the pod template's labels): what their init containers report goes into status.
  // Their metadata and status are all that is read: the spec (a copy of the StatefulSet's pod template) is not kept.
  const pods = informer(PODS, { labelSelector: CHILD_SELECTOR, transform: stripUnreadAndSpec });
  // Data Jobs (src/backup): backups, verifications, restores of a paused Kode, and the backup CronJob.
  const jobs = informer(JOBS, { labelSelector: CHILD_SELECTOR });
  const cronJobs = informer(CRONJOBS, { labelSelector: CHILD_SELECTOR });
  const ingresses = opts.routes?.ingress !== false ? informer(INGRESSES, { labelSelector: CHILD_SELECTOR }) : undefined;
  const httpRoutes = opts.routes?.gateway ? informer(HTTPROUTES, { labelSelector: CHILD_SELECTOR }) : undefined;
  const routeInformers = [ingresses, httpRoutes].filter((i) => i !== undefined);
  // Namespaces for the owner label (kode.jacero.io/owner): a user's namespace admits only that user's Kodes.
  const namespaces = informer(NAMESPACES);
  const all = [kodes, templates, clusterTemplates, secrets, statefulSets, services, pvcs, envoyConfigs, envoyClusterConfigs, configMaps, networkPolicies, pods, jobs, cronJobs, ...routeInformers, namespaces];

  // Children by controller uid: what the generic child step prunes and removes.
  const asChildCache = <T extends KubeObject>(inf: MultiNamespaceInformer<T>): ChildCache<T> => {
    inf.addIndex("controller", controllerUids);
    return { get: (ns, name) => inf.get(ns, name), controlledBy: (uid) => inf.byIndex("controller", uid) };
  };
  const [secretChildren, statefulSetChildren, serviceChildren, pvcChildren, configMapChildren, networkPolicyChildren, jobChildren, cronJobChildren, podChildren] = [secrets, statefulSets, services, pvcs, configMaps, networkPolicies, jobs, cronJobs, pods].map(asChildCache) as [
    ChildCache<KubeObject & { data?: Record<string, string> }>,
    ...ChildCache[],
  ];
  kodes.addIndex("template", (k) => [templateKeyOf(asKode(k))]);
  // Kodes refused a route: any Kode or template change may free it, so they are looked at again then.
  kodes.addIndex("routeConflict", (k) => (asKode(k).status?.conditions?.some((c) => c.type === "Ready" && c.reason === "RouteConflict") ? ["yes"] : []));
  // Which Kodes claim which host and path, kept one Kode at a time from the Kode and template events below.
  const routeClaims = routeClaimsIndex(DEFAULT_USER);
  const accessOf = (k: KubeObject) => (byKindKey(templateKeyOf(asKode(k))) as KodeTemplate | undefined)?.spec?.access;
  const requeueRouteConflicts = () => {
    for (const k of kodes.byIndex("routeConflict", "yes")) kodeQueue.add(keyOf(k));
  };
  for (const t of [templates, clusterTemplates]) t.addIndex("envoy", (o) => [envoyConfigKeyOf(asTemplate(o)) ?? ""].filter(Boolean));
  kodes.addIndex("secret", (k) => secretNamesOf(asKode(k)).map((n) => `${k.metadata.namespace}/${n}`));

  /** Every Secret a Kode refers to by name: its own children's names and its existingSecret. */
  function secretNamesOf(k: Kode): string[] {
    const names = [childNames(k.metadata.name).secret, envoyChildNames(k.metadata.name).secret];
    if (k.spec?.existingSecret) names.push(k.spec.existingSecret);
    if (k.metadata.uid) names.push(passwordSecretName(k.metadata.name, k.metadata.uid));
    names.push(...backupSecretsOf(k));
    if (k.spec?.devcontainer?.git?.secretRef) names.push(k.spec.devcontainer.git.secretRef.name);
    // The repository password Secret a spec.restore reads (this Kode's, or its from.kode's).
    names.push(...restoreSecretNames(k, kodes as never));
    return names;
  }
  /** The platform's S3 credentials and CA Secrets the Kode's template names for backups (in the Kode's namespace). */
  function backupSecretsOf(k: Kode): string[] {
    const template = byKindKey(templateKeyOf(k));
    const s3 = template && templateBackupOf(asTemplate(template).spec ?? {})?.s3;
    return s3 ? [s3.credentialsSecretRef.name, ...(s3.caSecretRef ? [s3.caSecretRef.name] : [])] : [];
  }
  /** The user's Secrets a Kode needs to exist (existingSecret, the OAuth2 client Secret of its Envoy config). */
  function referencedSecretsOf(k: Kode): string[] {
    const names: string[] = [];
    if (k.spec?.existingSecret) names.push(k.spec.existingSecret);
    const template = byKindKey(templateKeyOf(k));
    const configKey = template && envoyConfigKeyOf(asTemplate(template));
    const clientSecret = configKey && (byKindKey(configKey) as (EnvoyProxyConfig & KubeObject) | undefined)?.spec?.oauth2?.clientSecretRef?.name;
    if (clientSecret) names.push(clientSecret);
    // The token Secret of a git devcontainer.json source (the Kode's, else the template's).
    const git = (k.spec?.devcontainer ?? (template && asTemplate(template).spec?.devcontainer))?.git;
    if (git?.secretRef) names.push(git.secretRef.name);
    names.push(...backupSecretsOf(k));
    return names;
  }
  /** The user's ConfigMap a Kode's devcontainer.json is read from (the Kode's source, else the template's). */
  function referencedConfigMapsOf(k: Kode): string[] {
    const template = byKindKey(templateKeyOf(k));
    const ref = (k.spec?.devcontainer ?? (template && asTemplate(template).spec?.devcontainer))?.configMapRef;
    return ref ? [ref.name] : [];
  }
  function configMapWanted(c: KubeObject): boolean {
    if (c.metadata.labels?.["app.kubernetes.io/managed-by"] === MANAGED_BY) return true;
    if (kodes.byIndex("configmap", keyOf(c)).length) return true;
    for (const inf of [templates, clusterTemplates]) for (const t of inf.list()) if (asTemplate(t).spec?.devcontainer?.configMapRef?.name === c.metadata.name) return true;
    return false;
  }
  /** A template or Envoy config by its "<Kind>/<namespace>/<name>" key. */
  function byKindKey(key: string): KubeObject | undefined {
    const [kind, ns, ...rest] = key.split("/");
    const name = rest.join("/");
    const inf = { KodeTemplate: templates, KodeClusterTemplate: clusterTemplates, EnvoyProxyConfig: envoyConfigs, EnvoyProxyClusterConfig: envoyClusterConfigs }[kind];
    return inf?.get(ns || undefined, name);
  }
  function oauthClientSecretNames(): Set<string> {
    const names = new Set<string>();
    for (const c of [...envoyConfigs.list(), ...envoyClusterConfigs.list()]) {
      const n = (c as unknown as EnvoyProxyConfig).spec?.oauth2?.clientSecretRef?.name;
      if (n) names.add(n);
    }
    return names;
  }
  function secretWanted(s: KubeObject): boolean {
    if (s.metadata.labels?.["app.kubernetes.io/managed-by"] === MANAGED_BY) return true;
    // A repository password Secret (it outlives its Kode): a restore from that Kode reads it.
    if (s.metadata.labels?.[BACKUP_OF_UID_LABEL]) return true;
    if (kodes.byIndex("secret", keyOf(s)).length) return true;
    return oauthClientSecretNames().has(s.metadata.name) || oidcCaSecretKeys().has(keyOf(s)) || templateBackupSecretNames().has(s.metadata.name);
  }
  /** The S3 credentials and CA Secret names templates' backups name (looked up in each Kode's namespace). */
  function templateBackupSecretNames(): Set<string> {
    const names = new Set<string>();
    for (const inf of [templates, clusterTemplates])
      for (const t of inf.list()) {
        const s3 = templateBackupOf(asTemplate(t).spec ?? {})?.s3;
        if (s3) names.add(s3.credentialsSecretRef.name);
        if (s3?.caSecretRef) names.add(s3.caSecretRef.name);
      }
    return names;
  }
  /** "<namespace>/<name>" of every private CA an oauth2 config names (caSecretRef). */
  function oidcCaSecretKeys(): Set<string> {
    const keys = new Set<string>();
    for (const c of [...envoyConfigs.list(), ...envoyClusterConfigs.list()]) {
      const ref = (c as unknown as EnvoyProxyConfig).spec?.oauth2?.caSecretRef;
      const ns = ref?.namespace ?? c.metadata.namespace;
      if (ref && ns) keys.add(`${ns}/${ref.name}`);
    }
    return keys;
  }
  // Kodes restoring another Kode's backups: that Kode's status.backup names the repository.
  kodes.addIndex("restoreFrom", (k) => {
    const from = restoreOf(asKode(k))?.from?.kode;
    return from ? [`${k.metadata.namespace}/${from}`] : [];
  });
  kodes.addIndex("fromSnapshot", (k) => {
    const snapshot = (asKode(k).spec?.storage as { fromSnapshot?: string } | undefined)?.fromSnapshot;
    return snapshot ? [`${k.metadata.namespace}/${snapshot}`] : [];
  });
  kodes.addIndex("configmap", (k) => (asKode(k).spec?.devcontainer?.configMapRef ? [`${k.metadata.namespace}/${asKode(k).spec.devcontainer!.configMapRef!.name}`] : []));

  // Metrics.
  const metrics = opts.metrics ?? new Registry();
  const reconciles = metrics.counter("kode_reconcile_total", "Reconciles by controller and result.", ["controller", "result"]);
  const duration = metrics.histogram("kode_reconcile_duration_seconds", "Reconcile duration by controller and result.", ["controller", "result"]);
  const depth = metrics.gauge("kode_workqueue_depth", "Keys waiting in the work queue.", ["controller"]);
  const phases = metrics.gauge("kode_kodes", "Kodes by phase.", ["phase"]);
  const backupRuns = metrics.counter("kode_backup_jobs_total", "Finished backup and verify Jobs by kind and result (recorded in status.backup).", ["kind", "result"]);
  const backupDuration = metrics.histogram("kode_backup_duration_seconds", "How long backup and verify Jobs' containers ran.", ["kind", "result"], [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400]);
  const backupBytes = metrics.counter("kode_backup_bytes_added_total", "Bytes successful backups added to their repositories (after deduplication and compression).");
  metrics.registerCollector(() => {
    depth.set({ controller: "kode" }, kodeQueue.depth);
    depth.set({ controller: "template" }, templateQueue.depth);
    depth.set({ controller: "envoyproxyconfig" }, envoyQueue.depth);
    const counts: Record<string, number> = Object.fromEntries(KODE_PHASES.map((p) => [p, 0]));
    for (const k of kodes.list()) {
      const phase = asKode(k).status?.phase ?? "Pending";
      counts[phase] = (counts[phase] ?? 0) + 1;
    }
    for (const [phase, n] of Object.entries(counts)) phases.set({ phase }, n);
    return [];
  });

  // Resync work takes at most half the workers: the others stay free for a new or changed Kode.
  const kodeQueue = new WorkQueue({ name: "kode", lowConcurrency: Math.ceil((opts.concurrency ?? 4) / 2) });
  const templateQueue = new WorkQueue({ name: "template" });
  const envoyQueue = new WorkQueue({ name: "envoyproxyconfig" });
  const keyOf = objectKey;

  // Event routing: every change leads to the keys whose desired state it may affect.
  // A resync (the informer hands the same object as old and new) is background work: it goes behind every
  // change, so 1,000 settled Kodes being re-checked never delay a new one.
  const onKode = (k: KubeObject, old?: KubeObject, deleted = false) => {
    if (old === k) {
      kodeQueue.addLow(keyOf(k));
      templateQueue.addLow(templateKeyOf(asKode(k)));
      return;
    }
    if (deleted) routeClaims.remove(k.metadata.namespace, k.metadata.name);
    else routeClaims.set(asKode(k), accessOf(k));
    requeueRouteConflicts();
    for (const d of kodes.byIndex("restoreFrom", keyOf(k))) {
      const [password] = restoreSecretNames(asKode(d), kodes as never);
      if (password) void secrets.recheck(d.metadata.namespace, password).then(() => kodeQueue.add(keyOf(d)));
      else kodeQueue.add(keyOf(d));
    }
    templateQueue.add(templateKeyOf(asKode(k)));
    if (old && templateKeyOf(asKode(old)) !== templateKeyOf(asKode(k))) templateQueue.add(templateKeyOf(asKode(old)));
    // Secrets it no longer refers to leave the cache; ones it newly refers to are fetched before it reconciles.
    const ns = k.metadata.namespace;
    const now = deleted ? [] : referencedSecretsOf(asKode(k));
    const before = old ? referencedSecretsOf(asKode(old)) : [];
    const gone = deleted ? [...secretNamesOf(asKode(k)), ...referencedSecretsOf(asKode(k))] : before.filter((n) => !now.includes(n));
    for (const n of gone) void secrets.recheck(ns, n);
    if (!deleted) return enqueueKode(k);
    kodeQueue.add(keyOf(k));
  };
  /** Queue a Kode whose inputs changed, once the user's Secrets it refers to are in the cache. */
  const enqueueKode = (k: KubeObject) => {
    const ns = k.metadata.namespace;
    const missing = referencedSecretsOf(asKode(k)).filter((n) => !secrets.get(ns, n));
    const missingConfigMaps = referencedConfigMapsOf(asKode(k)).filter((n) => !configMaps.get(ns, n));
    if (!missing.length && !missingConfigMaps.length) return kodeQueue.add(keyOf(k));
    void Promise.all([...missing.map((n) => secrets.recheck(ns, n)), ...missingConfigMaps.map((n) => configMaps.recheck(ns, n))]).then(() => kodeQueue.add(keyOf(k)));
  };
  kodes.on("add", (k) => onKode(k)).on("update", (k, old) => onKode(k, old)).on("delete", (k) => onKode(k, undefined, true));
  const onTemplate = (t: KubeObject, old?: KubeObject, deleted = false) => {
    const key = templateKey(asTemplate(t));
    if (old === t) return templateQueue.addLow(key);
    templateQueue.add(key);
    requeueRouteConflicts();
    // A status-only update (our own kodes count) or a resync changes nothing a Kode renders from: re-queueing
    // every Kode of the template on each of those made a burst of creates cost ~4x the reconciles.
    if (old && !templateSpecChanged(t, old)) return;
    for (const k of kodes.byIndex("template", key)) {
      routeClaims.set(asKode(k), deleted ? undefined : asTemplate(t).spec?.access);
      enqueueKode(k);
    }
  };
  for (const inf of [templates, clusterTemplates])
    inf.on("add", (t) => onTemplate(t)).on("update", (t, old) => onTemplate(t, old)).on("delete", (t) => onTemplate(t, undefined, true));
  /** Kodes whose template names this Envoy config ("<Kind>/<namespace>/<name>"), optionally only in one namespace. */
  const kodesOfEnvoyConfig = (configKey: string, namespace?: string) => {
    const found: KubeObject[] = [];
    for (const inf of [templates, clusterTemplates])
      for (const t of inf.byIndex("envoy", configKey))
        for (const k of kodes.byIndex("template", templateKey(asTemplate(t)))) if (!namespace || k.metadata.namespace === namespace) found.push(k);
    return found;
  };
  const onEnvoyConfig = (c: KubeObject, old?: KubeObject) => {
    const key = envoyConfigKey(c as unknown as EnvoyProxyConfig);
    if (old === c) return envoyQueue.addLow(key);
    envoyQueue.add(key);
    if (old && !templateSpecChanged(c, old)) return;
    // A private CA the config now names may have been left out of the Secret cache so far.
    const ca = (c as unknown as EnvoyProxyConfig).spec?.oauth2?.caSecretRef;
    if (ca && (ca.namespace ?? c.metadata.namespace)) void secrets.recheck(ca.namespace ?? c.metadata.namespace, ca.name).then(() => envoyQueue.add(key));
    const clientSecret = (c as unknown as EnvoyProxyConfig).spec?.oauth2?.clientSecretRef?.name;
    const previous = old ? (old as unknown as EnvoyProxyConfig).spec?.oauth2?.clientSecretRef?.name : undefined;
    for (const k of kodesOfEnvoyConfig(key)) {
      if (previous && previous !== clientSecret) void secrets.recheck(k.metadata.namespace, previous);
      enqueueKode(k);
    }
  };
  for (const inf of [envoyConfigs, envoyClusterConfigs])
    inf.on("add", (c) => onEnvoyConfig(c)).on("update", (c, old) => onEnvoyConfig(c, old)).on("delete", (c) => onEnvoyConfig(c));
  const onNamespace = (n: KubeObject, old?: KubeObject) => {
    if (old && old.metadata.labels?.[OWNER_LABEL] === n.metadata.labels?.[OWNER_LABEL]) return;
    for (const k of kodes.list()) if (k.metadata.namespace === n.metadata.name) kodeQueue.add(keyOf(k));
  };
  namespaces.on("add", (n) => onNamespace(n)).on("update", (n, old) => onNamespace(n, old)).on("delete", (n) => onNamespace(n));
  const onChild = (o: KubeObject) => {
    const owner = o.metadata.labels?.["kode.jacero.io/name"] ?? o.metadata.labels?.[DATA_JOB_OF_LABEL];
    if (owner && o.metadata.namespace) kodeQueue.add(`${o.metadata.namespace}/${owner}`);
  };
  for (const inf of [statefulSets, services, pvcs, networkPolicies, pods, jobs, cronJobs, ...routeInformers]) inf.on("add", onChild).on("update", onChild).on("delete", onChild);
  // A ConfigMap: its Kode when it is a child, and the Kodes whose devcontainer (own or template's) names it.
  const onConfigMap = (c: KubeObject) => {
    if (c.metadata.labels?.["app.kubernetes.io/managed-by"] === MANAGED_BY) onChild(c);
    for (const k of kodes.byIndex("configmap", keyOf(c))) kodeQueue.add(keyOf(k));
    for (const inf of [templates, clusterTemplates])
      for (const t of inf.list())
        if (asTemplate(t).spec?.devcontainer?.configMapRef?.name === c.metadata.name)
          for (const k of kodes.byIndex("template", templateKey(asTemplate(t)))) if (k.metadata.namespace === c.metadata.namespace) kodeQueue.add(keyOf(k));
  };
  configMaps.on("add", onConfigMap).on("update", onConfigMap).on("delete", onConfigMap);
  const onSecret = (s: KubeObject) => {
    onChild(s);
    for (const k of kodes.byIndex("secret", keyOf(s))) kodeQueue.add(keyOf(k));
    // An OAuth2 client secret lives in each Kode's namespace under the name the config gives.
    for (const c of [...envoyConfigs.list(), ...envoyClusterConfigs.list()])
      if ((c as unknown as EnvoyProxyConfig).spec?.oauth2?.clientSecretRef?.name === s.metadata.name)
        for (const k of kodesOfEnvoyConfig(envoyConfigKey(c as unknown as EnvoyProxyConfig), s.metadata.namespace)) kodeQueue.add(keyOf(k));
  };
  const onCaSecret = (s: KubeObject) => {
    for (const c of [...envoyConfigs.list(), ...envoyClusterConfigs.list()]) {
      const ref = (c as unknown as EnvoyProxyConfig).spec?.oauth2?.caSecretRef;
      if (ref?.name === s.metadata.name && (ref.namespace ?? c.metadata.namespace) === s.metadata.namespace) {
        envoyQueue.add(envoyConfigKey(c as unknown as EnvoyProxyConfig));
        for (const k of kodesOfEnvoyConfig(envoyConfigKey(c as unknown as EnvoyProxyConfig))) kodeQueue.add(keyOf(k));
      }
    }
  };
  secrets.on("add", onCaSecret).on("update", onCaSecret).on("delete", onCaSecret);
  secrets.on("add", onSecret).on("update", onSecret).on("delete", onSecret);

  // Discovery results by issuer: a changed one (first answer, failure, recovery, rotated keys) re-renders its Kodes.
  const oidc = new OidcDiscoveryCache({
    ...opts.oidc,
    now,
    onChange: (key) => {
      for (const c of [...envoyConfigs.list(), ...envoyClusterConfigs.list()]) {
        const issuer = (c as unknown as EnvoyProxyConfig).spec?.oauth2?.issuer;
        if (issuer && (key === issuer || key.startsWith(`${issuer}\u0000`))) for (const k of kodesOfEnvoyConfig(envoyConfigKey(c as unknown as EnvoyProxyConfig))) kodeQueue.add(keyOf(k));
      }
    },
  });
  // Every write goes through `writer`: fenced, so that once leadership is lost (or the operator stops) requests
  // in flight are aborted and none is sent any more. Informers read through the plain client.
  const term = new AbortController();
  const writer = fencedClient(client, term.signal);
  const events = new EventRecorder({ client: writer, component: "kode-operator", logger: log.child({ component: "events" }), now });
  const iso = () => new Date(now()).toISOString().replace(/\.\d+Z$/, "Z");
  // A Kode renders from its template's and Envoy config's identity and spec only: their status writes (the
  // template counts its Kodes) must not unsettle every Kode using them, or each new Kode costs a full
  // re-render of its template's Kodes at the next resync.
  const bySpec = <T extends KubeObject>(inf: MultiNamespaceInformer<T>): Cache<T> => ({ get: (ns, n) => inf.get(ns, n), versionOf: specVersion });
  const lifecycleMetricSet = lifecycleMetrics(metrics);
  // --activity-interval 0: no activity polling, no automatic pauses (spec.paused still works).
  const lifecycleOn = opts.activity?.intervalMs !== 0;
  const lifecycle = createLifecycle({
    client: writer,
    get: opts.activity?.get ?? clientGetter(writer),
    kodes: kodes as never,
    templates: templates as never,
    clusterTemplates: clusterTemplates as never,
    pods: pods as never,
    events,
    enqueue: (key) => kodeQueue.add(key),
    intervalMs: lifecycleOn ? opts.activity?.intervalMs : undefined,
    clock: opts.activity?.clock,
    random: opts.activity?.random,
    metrics: lifecycleMetricSet,
    log: log.child({ component: "lifecycle" }),
  });
  const kodeDeps: KodeDeps = {
    client: writer,
    kodes: kodes as never,
    templates: bySpec(templates) as never,
    clusterTemplates: bySpec(clusterTemplates) as never,
    secrets: secretChildren,
    statefulSets: statefulSetChildren,
    services: serviceChildren,
    pvcs: pvcChildren,
    envoyConfigs: bySpec(envoyConfigs) as never,
    envoyClusterConfigs: bySpec(envoyClusterConfigs) as never,
    configMaps: configMapChildren,
    networkPolicies: networkPolicyChildren,
    ...(ingresses && { ingresses: asChildCache(ingresses) }),
    ...(httpRoutes && { httpRoutes: asChildCache(httpRoutes) }),
    routeClaims,
    oidc,
    namespaces: namespaces as never,
    events,
    now: iso,
    generatePassword,
    writtenStatus: new Map(),
    settled: new Map(),
    gitReads: new Map(),
    postStartReads: new Map(),
    devcontainerWarnings: new Map(),
    pods: podChildren as never,
    jobs: jobChildren,
    cronJobs: cronJobChildren,
    ...(opts.archiveRecheckMs !== undefined && { archiveRecheckMs: opts.archiveRecheckMs }),
    backupObserved: (_kode, r) => {
      const result = r.result.ok ? "success" : "failure";
      backupRuns.inc({ kind: r.kind, result });
      if (r.seconds !== undefined) backupDuration.observe({ kind: r.kind, result }, r.seconds);
      const added = (r.result as { bytesAdded?: unknown }).bytesAdded;
      if (r.result.ok && typeof added === "number") backupBytes.inc({}, added);
    },
    log,
    lifecycleMetrics: lifecycleMetricSet,
    ...(lifecycleOn && { activity: lifecycle.activity, activityTargets: lifecycle.targets }),
  };

  let falco: Falco | undefined;
  if (opts.falco && (opts.falco.namespace || opts.falco.webhook)) {
    falco = startFalco(opts.falco, {
      client,
      writer: () => writer,
      kodes: kodes as never,
      pods: pods as never,
      templateOf: (k) => byKindKey(templateKeyOf(k)) as KodeTemplate | undefined,
      templates: () => [...templates.list(), ...clusterTemplates.list()].map(asTemplate),
      events,
      now: iso,
      writtenStatus: kodeDeps.writtenStatus,
      securityAlerts: (kodeDeps.securityAlerts ??= new Map()),
      forgetSettled: (key) => kodeDeps.settled?.delete(key),
      enqueueKode: (key) => kodeQueue.add(key),
      running: () => running,
      log,
    });
    for (const inf of [templates, clusterTemplates]) inf.on("add", () => falco!.rulesChanged()).on("update", (t, old) => (old === t || templateSpecChanged(t, old) ? falco!.rulesChanged() : undefined)).on("delete", () => falco!.rulesChanged());
    all.push(...(falco.informers as never[]));
  }

  const timed = (controller: string, fn: (key: string) => Promise<ReconcileResult>) => async (key: string) => {
    const end = duration.startTimer({ controller });
    try {
      const result = await fn(key);
      reconciles.inc({ controller, result: "success" });
      end({ result: "success" });
      return result;
    } catch (e) {
      // Cut off by the fence (leadership lost, stopping): not a failure of the reconcile.
      if (term.signal.aborted || e instanceof FencedError) {
        log.debug("reconcile cut off", { controller, key });
        return;
      }
      reconciles.inc({ controller, result: "error" });
      end({ result: "error" });
      log.warn("reconcile failed", { controller, key, error: (e as Error).message });
      throw e;
    }
  };

  let running = false;
  let stopping = false;
  const workersDone: Promise<void>[] = [];
  // VolumeSnapshots only where the kind is served: an informer for a missing kind would never sync.
  let volumeSnapshotsProbed = false;
  const watchVolumeSnapshots = async () => {
    if (volumeSnapshotsProbed || opts.volumeSnapshots === false) return;
    volumeSnapshotsProbed = true;
    try {
      await client.list(VOLUME_SNAPSHOTS, { limit: 1, ...(opts.namespaces?.length && { namespace: opts.namespaces[0] }) });
    } catch (e) {
      log.info("VolumeSnapshots are not available; snapshot requests get a reason", { code: (e as { code?: number }).code, error: (e as Error).message });
      return;
    }
    const inf = informer(VOLUME_SNAPSHOTS);
    inf.on("add", onChild).on("update", onChild).on("delete", onChild);
    // A user's snapshot named by spec.storage.fromSnapshot: the Kodes of that namespace waiting for it.
    inf.on("add", (o) => {
      for (const k of kodes.byIndex("fromSnapshot", `${o.metadata.namespace}/${o.metadata.name}`)) kodeQueue.add(keyOf(k));
    });
    kodeDeps.volumeSnapshots = asChildCache(inf);
    all.push(inf as never);
  };
  const runControllers = async () => {
    await watchVolumeSnapshots();
    // Which Secrets and ConfigMaps the caches keep depends on the Kodes, templates and Envoy configs: those first.
    const later = [secrets, configMaps] as MultiNamespaceInformer<KubeObject>[];
    const first = all.filter((i) => !later.includes(i as never));
    for (const inf of first) inf.start();
    await Promise.all(first.map((i) => i.waitForSync()));
    if (stopping) return;
    for (const inf of later) inf.start();
    await Promise.all(later.map((i) => i.waitForSync()));
    if (stopping) return;
    running = true;
    if (lifecycleOn) lifecycle.start();
    if (falco) workersDone.push(falco.startWorkers());
    log.info("caches synced; starting workers", { kodes: kodes.size, templates: templates.size + clusterTemplates.size });
    workersDone.push(runWorkers(kodeQueue, opts.concurrency ?? 4, timed("kode", (key) => reconcileKode(kodeDeps, key))));
    workersDone.push(
      runWorkers(
        envoyQueue,
        1,
        timed("envoyproxyconfig", (key) =>
          reconcileEnvoyConfig({ client: writer, envoyConfigs: envoyConfigs as never, envoyClusterConfigs: envoyClusterConfigs as never, events, now: iso, oidc, secrets: secretChildren }, key),
        ),
      ),
    );
    workersDone.push(
      runWorkers(
        templateQueue,
        1,
        timed("template", (key) =>
          reconcileTemplate({ client: writer, templates: templates as never, clusterTemplates: clusterTemplates as never, kodesUsing: (k) => kodes.countByIndex("template", k), now: iso }, key),
        ),
      ),
    );
  };

  const http =
    opts.healthAddress !== undefined
      ? startOperatorHttp({
          healthAddress: opts.healthAddress,
          metricsAddress: opts.metricsAddress ?? "0",
          registry: metrics,
          // A standby replica waiting for the lease is healthy and ready: it takes over when the leader goes.
          checks: { ready: () => running || (!!opts.leaderElection && !stopping) || "caches not synced yet" },
        })
      : undefined;

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopped: Promise<void> | undefined;
  /**
   * "lost": leadership is gone, another replica may lead already: fence at once (requests in flight are
   * aborted, nothing more is sent), drop the queues. "graceful": let the reconciles in flight finish (and,
   * without leader election, the queued keys), flush Events, then fence.
   */
  const stopAll = (how: "graceful" | "lost") =>
    (stopped ??= (async () => {
      stopping = true;
      running = false;
      lifecycle.stop();
      if (how === "lost") term.abort();
      const drain = how === "graceful" && !opts.leaderElection;
      await Promise.all([kodeQueue, templateQueue, envoyQueue].map((q) => q.shutDown({ drain })));
      await Promise.all(workersDone);
      if (how === "graceful") await events.flush().catch(() => {});
      term.abort();
      await falco?.stop();
      await Promise.all(all.map((i) => i.stop()));
    })());

  let ready: Promise<void>;
  let elector: LeaderElector | undefined;
  let releasing = false;
  let lostLeadership = false;
  const electionAbort = new AbortController();
  if (opts.leaderElection) {
    let resolveReady!: () => void;
    ready = new Promise((r) => (resolveReady = r));
    elector = new LeaderElector({
      client,
      namespace: opts.leaderElection.namespace,
      name: opts.leaderElection.name ?? "kode-operator-leader",
      identity: opts.leaderElection.identity ?? `${hostname()}_${randomBytes(4).toString("hex")}`,
      leaseDurationSeconds: opts.leaderElection.leaseDurationSeconds,
      renewDeadlineMs: opts.leaderElection.renewDeadlineMs,
      retryPeriodMs: opts.leaderElection.retryPeriodMs,
      logger: log.child({ component: "leader-election" }),
      onStartedLeading: async (signal) => {
        log.info("became leader");
        const ended = new Promise<void>((r) => {
          const onEnd = () => {
            // Lost (not given up by stop()): no write may leave from here on, not even one in flight.
            if (!releasing) term.abort();
            r();
          };
          if (signal.aborted) onEnd();
          else signal.addEventListener("abort", onEnd, { once: true });
        });
        await runControllers();
        resolveReady();
        await ended;
        await stopAll(releasing ? "graceful" : "lost");
      },
      onStoppedLeading: () => {
        lostLeadership = !releasing;
        log.info("stopped leading");
      },
    });
    void elector.run(electionAbort.signal).then(() => resolveDone());
  } else {
    ready = runControllers();
  }

  return {
    ready,
    metrics,
    lifecycle: { poller: lifecycle.poller, runDue: () => lifecycle.runDue() },
    http,
    ...(falco?.url && { falcoWebhookUrl: falco.url }),
    done,
    get lostLeadership() {
      return lostLeadership;
    },
    async stop() {
      if (elector) {
        releasing = true;
        electionAbort.abort();
        await elector.release().catch(() => false);
      }
      await stopAll("graceful");
      await http?.stop();
      resolveDone();
    },
  };
}
