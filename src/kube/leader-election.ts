// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection package does it.
// The server keeps no timers: each candidate decides a lease has expired when its record has not
// changed for leaseDurationSeconds *on the candidate's own clock*, so clock skew between replicas
// does not matter. The leader renews every retryPeriod and steps down when it could not renew for
// renewDeadline, which is shorter than the lease, so two replicas never both believe they lead.
import { kubeErrorFromResponse } from "./errors.ts";
import { formatMicroTime } from "./events.ts";
import { silentLogger, type Logger } from "./logger.ts";
import { LEASES } from "./resources.ts";
import type { KubeClient, KubeObject } from "./types.ts";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or early when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
    }),
};

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  [field: string]: unknown;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectorOptions {
  client: KubeClient;
  /** Namespace and name of the Lease, e.g. kode-system / kode-operator-leader. */
  namespace: string;
  name: string;
  /** Unique per replica, e.g. the pod name plus a random suffix. */
  identity: string;
  /** How long a lease is honoured without renewal (default 15). */
  leaseDurationSeconds?: number;
  /** The leader steps down when it could not renew for this long (default 10 s). */
  renewDeadlineMs?: number;
  /** Interval between attempts to acquire or renew (default 2 s). */
  retryPeriodMs?: number;
  /** Called when this replica becomes leader; `signal` aborts when it stops leading. May return a
   * promise that settles once the work it started has stopped; it is awaited before the lease is released. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once when this replica stops leading (lost, released or cancelled). */
  onStoppedLeading?: () => void;
  /** Called when the observed leader changes (including to this replica). */
  onNewLeader?: (identity: string) => void;
  /** Release the lease when run()'s signal aborts while leading (default true). */
  releaseOnCancel?: boolean;
  clock?: Clock;
  logger?: Logger;
}

type Attempt = "leading" | "held" | "error";

export class LeaderElector {
  private readonly client: KubeClient;
  private readonly namespace: string;
  private readonly name: string;
  readonly identity: string;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;

  /** The last Lease read or written, and when (on our clock) its record last changed. */
  private observed: Lease | undefined;
  private observedRecord = "";
  private observedTime = 0;
  private leading = false;
  private runAbort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private releaseRequested = false;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.client = opts.client;
    this.namespace = opts.namespace;
    this.name = opts.name;
    this.identity = opts.identity;
    this.leaseDurationSeconds = opts.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.clock = opts.clock ?? realClock;
    this.log = (opts.logger ?? silentLogger).child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
    if (!opts.identity) throw new Error("leader election: identity must not be empty");
    if (!Number.isInteger(this.leaseDurationSeconds) || this.leaseDurationSeconds < 1)
      throw new Error(`leader election: leaseDurationSeconds must be a positive integer, got ${this.leaseDurationSeconds}`);
    if (!(this.leaseDurationSeconds * 1000 > this.renewDeadlineMs))
      throw new Error("leader election: leaseDurationSeconds must be longer than the renew deadline");
    if (!(this.renewDeadlineMs > this.retryPeriodMs * 1.2))
      throw new Error("leader election: the renew deadline must exceed 1.2 × the retry period");
    if (!(this.retryPeriodMs > 0)) throw new Error("leader election: retryPeriodMs must be positive");
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder of the lease as last observed ("" when released, undefined before the first read). */
  leader(): string | undefined {
    return this.observed?.spec?.holderIdentity;
  }

  /**
   * Campaigns until this replica leads, then renews until leadership is lost or `signal` aborts.
   * Resolves when it no longer leads (client-go's contract: the caller usually exits then, since
   * work started as leader may not have stopped cleanly). Call again to campaign anew.
   */
  run(signal?: AbortSignal): Promise<void> {
    if (this.running) throw new Error("leader election: run() is already running");
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    if (signal?.aborted) ac.abort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    this.runAbort = ac;
    this.releaseRequested = false;
    this.running = this.campaign(ac.signal).finally(() => {
      signal?.removeEventListener("abort", onAbort);
      this.running = undefined;
      this.runAbort = undefined;
    });
    return this.running;
  }

  /**
   * Stops leading and empties the lease holder, so another replica takes over on its next attempt
   * instead of waiting for the lease to expire. Returns whether the lease was released.
   */
  async release(): Promise<boolean> {
    if (this.running) {
      const wasLeading = this.leading;
      this.releaseRequested = true;
      this.runAbort!.abort();
      await this.running;
      return wasLeading;
    }
    return this.releaseLease();
  }

  private async campaign(signal: AbortSignal) {
    this.log.debug("campaigning for leadership");
    while (!signal.aborted) {
      if ((await this.tryAcquireOrRenew()) === "leading") break;
      await this.clock.sleep(jitter(this.retryPeriodMs), signal);
    }
    if (signal.aborted) return;

    this.leading = true;
    this.log.info("became leader");
    const leaderAbort = new AbortController();
    const work = Promise.resolve()
      .then(() => this.opts.onStartedLeading(leaderAbort.signal))
      .catch((e) => this.log.error("onStartedLeading failed", { err: e }));

    const lost = await this.renewLoop(signal);
    this.leading = false;
    leaderAbort.abort();
    if (lost) this.log.error("leader election lost", { reason: lost });
    else this.log.info("stopping leadership");
    // The previous holder's work must be stopped before another replica can take over at once.
    await work;
    if (!lost && (this.releaseRequested || (this.opts.releaseOnCancel ?? true))) await this.releaseLease();
    safeCall(() => this.opts.onStoppedLeading?.(), this.log, "onStoppedLeading");
  }

  /** Renews until the signal aborts (returns undefined) or leadership is lost (returns why). */
  private async renewLoop(signal: AbortSignal): Promise<string | undefined> {
    let lastRenew = this.clock.now();
    while (!signal.aborted) {
      await this.clock.sleep(this.retryPeriodMs, signal);
      if (signal.aborted) return undefined;
      for (;;) {
        const remaining = lastRenew + this.renewDeadlineMs - this.clock.now();
        if (remaining <= 0) return `could not renew the lease for ${this.renewDeadlineMs} ms`;
        const attempt = await this.withDeadline(this.tryAcquireOrRenew(), remaining, signal);
        if (signal.aborted) return undefined;
        if (attempt === "leading") {
          lastRenew = this.clock.now();
          break;
        }
        if (attempt === "held") return `the lease is held by ${JSON.stringify(this.leader() ?? "")}`;
        await this.clock.sleep(Math.min(this.retryPeriodMs, Math.max(0, lastRenew + this.renewDeadlineMs - this.clock.now())), signal);
        if (signal.aborted) return undefined;
      }
    }
    return undefined;
  }

  private async withDeadline(p: Promise<Attempt>, ms: number, signal: AbortSignal): Promise<Attempt> {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await Promise.race([p, this.clock.sleep(ms, stop.signal).then((): Attempt => "error")]);
    } finally {
      signal.removeEventListener("abort", onAbort);
      stop.abort();
    }
  }

  /** One attempt: read the lease (or reuse the one we wrote last), and take or renew it when allowed. */
  private async tryAcquireOrRenew(): Promise<Attempt> {
    const now = this.clock.now();
    // Fast path: the leader renews from the lease it wrote last; a conflict falls back to a read.
    if (this.leading && this.observed?.spec?.holderIdentity === this.identity) {
      const r = await this.update(this.observed, now);
      if (r !== "conflict") return r;
    }

    let lease: Lease | undefined;
    try {
      lease = await this.client.get<Lease>(LEASES, this.name, this.namespace);
    } catch (e) {
      this.log.debug("reading the lease failed", { err: e });
      return "error";
    }
    if (!lease) return this.create(now);
    this.observe(lease, now);

    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseDurationSeconds) * 1000;
    if (holder && holder !== this.identity && this.observedTime + durationMs > now) return "held";
    const r = await this.update(lease, now);
    return r === "conflict" ? "held" : r;
  }

  private async create(now: number): Promise<Attempt> {
    const lease: Lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.leaseDurationSeconds,
        acquireTime: formatMicroTime(now),
        renewTime: formatMicroTime(now),
        leaseTransitions: 0,
      },
    };
    try {
      this.observe(await this.client.create(LEASES, lease), now);
      return "leading";
    } catch (e) {
      if (codeOf(e) === 409) return "held"; // another replica created it first
      this.log.debug("creating the lease failed", { err: e });
      return "error";
    }
  }

  /** PUT with the resourceVersion just read: a concurrent writer makes it fail with 409. */
  private async update(lease: Lease, now: number): Promise<Attempt | "conflict"> {
    const old = lease.spec ?? {};
    const mine = old.holderIdentity === this.identity;
    const body: Lease = {
      ...lease,
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      spec: {
        ...old,
        holderIdentity: this.identity,
        leaseDurationSeconds: this.leaseDurationSeconds,
        acquireTime: mine && old.acquireTime ? old.acquireTime : formatMicroTime(now),
        renewTime: formatMicroTime(now),
        leaseTransitions: mine ? (old.leaseTransitions ?? 0) : (old.leaseTransitions ?? 0) + 1,
      },
    };
    const r = await this.put(body);
    if (r === "conflict" || r === "error") return r;
    this.observe(r, now);
    return "leading";
  }

  private async put(lease: Lease): Promise<Lease | "conflict" | "error"> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases/${encodeURIComponent(this.name)}`;
    try {
      const res = await this.client.request("PUT", path, lease);
      if (res.ok) return (await res.json()) as Lease;
      const err = await kubeErrorFromResponse(res, `PUT ${path}`);
      if (err.code === 409) return "conflict";
      this.log.debug("updating the lease failed", { err });
      return "error";
    } catch (e) {
      this.log.debug("updating the lease failed", { err: e });
      return "error";
    }
  }

  private async releaseLease(): Promise<boolean> {
    let lease: Lease | undefined;
    try {
      lease = await this.client.get<Lease>(LEASES, this.name, this.namespace);
    } catch (e) {
      this.log.warn("releasing the lease failed", { err: e });
      return false;
    }
    if (!lease || lease.spec?.holderIdentity !== this.identity) return false;
    const now = this.clock.now();
    const r = await this.put({
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: "",
        // As client-go: a 1 s lease, so even candidates that miss the empty holder wait little.
        leaseDurationSeconds: 1,
        acquireTime: formatMicroTime(now),
        renewTime: formatMicroTime(now),
        leaseTransitions: lease.spec.leaseTransitions ?? 0,
      },
    });
    if (typeof r === "string") {
      this.log.warn("releasing the lease failed", { result: r });
      return false;
    }
    this.observe(r, now);
    this.log.info("released the lease");
    return true;
  }

  private observe(lease: Lease, now: number) {
    const s = lease.spec ?? {};
    const record = JSON.stringify([s.holderIdentity, s.leaseDurationSeconds, s.acquireTime, s.renewTime, s.leaseTransitions]);
    const previousHolder = this.observed?.spec?.holderIdentity;
    this.observed = lease;
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedTime = now;
    }
    const holder = s.holderIdentity ?? "";
    if (holder && holder !== previousHolder) safeCall(() => this.opts.onNewLeader?.(holder), this.log, "onNewLeader");
  }
}

/** client-go's wait.Jitter with factor 1.2: between d and 2.2 × d. */
function jitter(ms: number): number {
  return ms + Math.random() * 1.2 * ms;
}

function safeCall(f: () => void, log: Logger, what: string) {
  try {
    f();
  } catch (e) {
    log.error(`${what} failed`, { err: e });
  }
}

function codeOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "number" ? code : undefined;
}
