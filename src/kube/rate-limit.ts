// Client-side token bucket (like client-go's QPS/Burst): requests wait for a token instead of failing.
// Reservation style (golang.org/x/time/rate): each caller takes a token at once, possibly driving the
// balance negative, and waits until the bucket would have refilled to that point. Callers are thus
// served in arrival order and no timer has to wake a queue.

export interface TokenBucketOptions {
  /** Sustained requests per second; <= 0 or Infinity disables limiting. Default 50. */
  qps?: number;
  /** Tokens available at once; default 100. */
  burst?: number;
  /** Milliseconds clock (injectable for tests). */
  now?: () => number;
  /** How to wait (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
}

export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  private tokens: number;
  private last: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Requests that had to wait, and for how long in total: for metrics. */
  throttledRequests = 0;
  throttledMs = 0;

  constructor(opts: TokenBucketOptions = {}) {
    this.qps = opts.qps ?? 50;
    this.burst = Math.max(1, opts.burst ?? 100);
    this.now = opts.now ?? (() => performance.now());
    this.sleep = opts.sleep ?? ((ms) => Bun.sleep(ms));
    this.tokens = this.burst;
    this.last = this.now();
  }

  get unlimited(): boolean {
    return !(this.qps > 0) || this.qps === Infinity;
  }

  /** Tokens available now (negative while callers are waiting). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Take a token; the number of milliseconds the caller must wait before using it. */
  reserve(): number {
    if (this.unlimited) return 0;
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    return (-this.tokens / this.qps) * 1000;
  }

  /** Take a token without waiting, or return false (and take nothing). */
  tryTake(): boolean {
    if (this.unlimited) return true;
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Take a token, waiting as long as needed. */
  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait <= 0) return;
    this.throttledRequests++;
    this.throttledMs += wait;
    await this.sleep(wait);
  }

  private refill() {
    const now = this.now();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.qps);
  }
}
