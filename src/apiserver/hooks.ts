// Test hooks: fault injection and request counters. Reachable in-process and over HTTP under
// /__kode/hooks/ (a path no real API uses), so tests can say "this controller made zero writes".

export interface FaultRule {
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection; undefined = any. */
  verb?: string;
  /** Plural, optionally with its group ("configmaps", "kodes.kode.jacero.io"); undefined = any. */
  resource?: string;
  /** Only requests whose User-Agent starts with this. */
  userAgent?: string;
  /** Answer with this status code instead of serving (500, 429, 409, ...). */
  status?: number;
  /** Retry-After header in seconds (429/503). */
  retryAfterSeconds?: number;
  message?: string;
  /** Delay before serving (or before the injected failure). */
  latencyMs?: number;
  /** How many matching requests the rule applies to; undefined = until removed. */
  times?: number;
}

export interface RequestRecord {
  verb: string;
  resource: string;
  code: number;
  userAgent: string;
  count: number;
}

/**
 * A rule's resource names a request's "<plural>[.<group>][/<subresource>]" in full or without the group;
 * "widgets" does not cover "widgets.example.com/status" (as in RBAC, a subresource is named separately).
 */
function matchesResource(want: string, resource: string): boolean {
  if (want === resource) return true;
  const [main, ...sub] = resource.split("/");
  return want === [main.split(".")[0], ...sub].join("/");
}

export const WRITE_VERBS = new Set(["create", "update", "patch", "delete", "deletecollection"]);

export interface WatchControl {
  closeWatches(resource?: string): number;
  expireNextWatch(resource?: string): void;
  compact(): void;
}

/** How a Job's pod ended, as a test's stand-in for the container decides (see TestHooks.jobRunner). */
export interface JobPodOutcome {
  exitCode: number;
  /** The container's termination message (what it wrote to /dev/termination-log). */
  message?: string;
}

export class TestHooks {
  /**
   * Runs the pods of Jobs for the simulated kubelet: called with the Job and its pod (Running meanwhile); the
   * pod then terminates as the outcome says and the Job completes or fails. Returning undefined (or no runner)
   * keeps the default: the pod succeeds at once.
   */
  jobRunner: ((job: any, pod: any) => Promise<JobPodOutcome> | undefined) | undefined;
  private faults: (FaultRule & { id: number })[] = [];
  private nextId = 1;
  private records = new Map<string, RequestRecord>();
  private podProxies = new Map<string, string>();
  private podLogs = new Map<string, string>();
  watchControl: WatchControl | undefined;

  injectFault(rule: FaultRule): number {
    const id = this.nextId++;
    this.faults.push({ ...rule, id });
    return id;
  }

  removeFault(id: number) {
    this.faults = this.faults.filter((f) => f.id !== id);
  }

  clearFaults() {
    this.faults = [];
  }

  /** The first rule matching this request, consuming one of its `times`. */
  takeFault(verb: string, resource: string, userAgent: string): FaultRule | undefined {
    const rule = this.faults.find(
      (f) =>
        (f.verb === undefined || f.verb === verb) &&
        (f.resource === undefined || matchesResource(f.resource, resource)) &&
        (f.userAgent === undefined || userAgent.startsWith(f.userAgent)),
    );
    if (!rule) return undefined;
    if (rule.times !== undefined && --rule.times <= 0) this.removeFault(rule.id);
    return rule;
  }

  record(verb: string, resource: string, code: number, userAgent: string) {
    const key = `${verb}\u0000${resource}\u0000${code}\u0000${userAgent}`;
    const r = this.records.get(key);
    if (r) r.count++;
    else this.records.set(key, { verb, resource, code, userAgent, count: 1 });
  }

  /** Request records (copies: a snapshot stays as it was), optionally filtered; `resource` matches the plural with or without its group. */
  requests(filter: { verb?: string; resource?: string; code?: number; userAgent?: string; writesOnly?: boolean } = {}): RequestRecord[] {
    return [...this.records.values()].map((r) => ({ ...r })).filter(
      (r) =>
        (filter.verb === undefined || r.verb === filter.verb) &&
        (filter.resource === undefined || matchesResource(filter.resource, r.resource)) &&
        (filter.code === undefined || r.code === filter.code) &&
        (filter.userAgent === undefined || r.userAgent.startsWith(filter.userAgent)) &&
        (!filter.writesOnly || WRITE_VERBS.has(r.verb)),
    );
  }

  count(filter: Parameters<TestHooks["requests"]>[0] = {}): number {
    return this.requests(filter).reduce((n, r) => n + r.count, 0);
  }

  /** Writes (create/update/patch/delete) made by clients whose User-Agent starts with `userAgent`. */
  writes(userAgent?: string): number {
    return this.count({ userAgent, writesOnly: true });
  }

  resetCounters() {
    this.records.clear();
  }

  closeWatches(resource?: string): number {
    return this.watchControl?.closeWatches(resource) ?? 0;
  }

  expireNextWatch(resource?: string) {
    this.watchControl?.expireNextWatch(resource);
  }

  compactHistory() {
    this.watchControl?.compact();
  }

  /**
   * Route `pods/<name>/proxy/...` of this pod to a loopback URL (e.g. a test's fake IDE). With `port`
   * (a number or a port name) only `pods/<name>:<port>/proxy/...` goes there; without, every port of the
   * pod that has no target of its own does.
   */
  registerPodProxy(namespace: string, pod: string, target: string, port?: string | number) {
    const url = new URL(target);
    if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) throw new Error(`pod proxy targets must be loopback, got ${url.hostname}`);
    this.podProxies.set(podProxyKey(namespace, pod, port), target.replace(/\/$/, ""));
  }

  unregisterPodProxy(namespace: string, pod: string, port?: string | number) {
    this.podProxies.delete(podProxyKey(namespace, pod, port));
  }

  /** The target of `pods/<pod>[:<port>]/proxy`: the port's own one, else the pod-wide default. */
  podProxyTarget(namespace: string, pod: string, port?: string): string | undefined {
    return (port ? this.podProxies.get(podProxyKey(namespace, pod, port)) : undefined) ?? this.podProxies.get(podProxyKey(namespace, pod));
  }

  /** What `pods/<name>/log` serves for a container (every container of the pod when none is named). */
  setPodLog(namespace: string, pod: string, log: string, container?: string) {
    this.podLogs.set(`${namespace}/${pod}/${container ?? ""}`, log);
  }

  podLog(namespace: string, pod: string, container: string): string | undefined {
    return this.podLogs.get(`${namespace}/${pod}/${container}`) ?? this.podLogs.get(`${namespace}/${pod}/`);
  }
}

function podProxyKey(namespace: string, pod: string, port?: string | number): string {
  return port === undefined || port === "" ? `${namespace}/${pod}` : `${namespace}/${pod}:${port}`;
}
