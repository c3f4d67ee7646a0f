export interface FlowLimitOptions {
  /** `fixed`: the limit stays at `max`; the signals are still measured (metrics, deadlines, Retry-After). */
  readonly mode: 'adaptive' | 'fixed';
  readonly min: number;
  /** The upper bound, and where the limit starts. */
  readonly max: number;
  /** Queueing delay to steer to, ms. */
  readonly targetQueueMs: number;
  /** Event-loop delay to steer to, ms. */
  readonly targetLoopDelayMs: number;
  /** Largest Retry-After, seconds. */
  readonly retryAfterMaxS: number;
}

/** What the gateway saw over one tick besides the replies. */
export interface TickSample {
  /** The gateway's own event-loop delay over the tick (p90), ms. */
  readonly loopDelayMs: number;
  /** Most requests in flight at once during the tick. */
  readonly peakInflight: number;
  /**
   * Queueing that requests still waiting have already had: the median over pending requests of
   * their age minus the longest recent handling of their route (`expectedHandleMs`). It is what
   * shows a stall — a processor killed, partitions unassigned — when no reply comes back to say so.
   */
  readonly stalledMs: number;
}

/** Largest cut in one tick, and the growth per tick at zero pressure. */
const MAX_CUT = 0.5;
const GROWTH = 0.15;
/** In flight at which any limit is in play (smaller limits: half of them). */
const IN_PLAY = 128;
/** A route's longest handling decays by this per tick (halves in about 10 s). */
const HANDLE_DECAY = 0.985;

/**
 * The adaptive in-flight limit of one gateway, from two signals that do not depend on what routes
 * do: how long requests wait before a processor's handler takes them (stamped on each reply as
 * `fg-queue-ms`, or seen growing on requests still waiting) and the gateway's own event-loop
 * delay. A latency-gradient limit would read a slow route (seconds of `delay`) as congestion;
 * these signals only rise when requests queue. Pure: the caller supplies the clock, the replies
 * and one sample per tick (`FlowControl` every 250 ms).
 *
 * Each tick, pressure = the larger of queueing delay ÷ its target and event-loop delay (sustained
 * over two ticks) ÷ its target. Above 1, with the limit in play (half of it, or 128, in use: a limit
 * far above what is in flight does not cause the queueing), the limit is cut in proportion (at most by half), from what was
 * actually in use, so a cut bites at once; at or below 1 it grows by up to 15 % (+1 at least), faster the
 * further below target, so it comes back within seconds once the pressure is gone. It stays
 * within [min, max] and starts at max: a gateway that sees no congestion never refuses for it.
 */
export class FlowLimit {
  private current: number;
  private lastTickAt: number;
  private samples: number[] = [];
  private replies = 0;
  private readonly handleMax = new Map<string, number>();
  /** Smoothed queueing delay, ms: rises at once with the evidence, falls by half per tick. */
  queueDelayMs = 0;
  /** Event-loop delay sustained over the last two ticks (the smaller of their p90s), ms. */
  loopDelayMs = 0;
  private lastLoopDelayMs = 0;
  /** Replies per second, smoothed: how fast this gateway's backlog drains. */
  replyRate = 0;
  /** The larger of the two signals over their targets, last tick. */
  pressure = 0;

  constructor(private readonly options: FlowLimitOptions, now: number) {
    this.current = options.max;
    this.lastTickAt = now;
  }

  get limit(): number {
    return this.current;
  }

  /**
   * A reply arrived: its queueing (`fg-queue-ms`, clamped to what the round trip leaves after the
   * handling, so a processor's clock ahead of ours cannot inflate it) and its handling time.
   */
  observeReply(route: string, roundTripMs: number, queueMs: number | undefined, handleMs: number | undefined): void {
    this.replies++;
    if (handleMs !== undefined && handleMs > (this.handleMax.get(route) ?? -1)) this.handleMax.set(route, handleMs);
    if (queueMs !== undefined) this.samples.push(Math.min(queueMs, Math.max(0, roundTripMs - (handleMs ?? 0))));
  }

  /** The longest recent handling of `route`, ms; undefined until one of its replies was stamped. */
  expectedHandleMs(route: string): number | undefined {
    return this.handleMax.get(route);
  }

  tick(now: number, sample: TickSample): void {
    const seconds = Math.max(0.001, (now - this.lastTickAt) / 1000);
    this.lastTickAt = now;
    const rate = this.replies / seconds;
    this.replyRate = this.replyRate === 0 ? rate : 0.7 * this.replyRate + 0.3 * rate;
    this.replies = 0;
    const seen = Math.max(percentile(this.samples, 0.9), sample.stalledMs);
    this.samples = [];
    this.queueDelayMs = seen >= this.queueDelayMs ? seen : (this.queueDelayMs + seen) / 2;
    // A lag has to last two ticks to count: one GC pause or a moment without a CPU is no congestion.
    this.loopDelayMs = Math.min(this.lastLoopDelayMs, sample.loopDelayMs);
    this.lastLoopDelayMs = sample.loopDelayMs;
    for (const [route, ms] of this.handleMax) this.handleMax.set(route, ms * HANDLE_DECAY);

    const { min, max, targetQueueMs, targetLoopDelayMs } = this.options;
    this.pressure = Math.max(this.queueDelayMs / targetQueueMs, this.loopDelayMs / targetLoopDelayMs);
    if (this.options.mode === 'fixed') return;
    // A limit not in play (less than half of it, or 128, in use) is not what makes requests
    // queue: a burst far below it, or a busy moment of the machine, must not cut it.
    if (this.pressure > 1 && sample.peakInflight >= Math.min(this.current / 2, IN_PLAY)) {
      const inUse = Math.min(this.current, Math.max(sample.peakInflight, min));
      this.current = Math.max(min, Math.floor(inUse * Math.max(MAX_CUT, 1 / this.pressure)));
    } else if (this.pressure <= 1) {
      this.current = Math.min(max, this.current + Math.max(1, Math.round(this.current * GROWTH * (1 - this.pressure))));
    }
  }

  /** Whether requests queue beyond the target now: only then can a deadline be out of reach. */
  get congested(): boolean {
    return this.queueDelayMs > this.options.targetQueueMs;
  }

  /** Whether a request with `timeoutMs` left would wait longer than that before a processor even takes it. */
  deadlineUnreachable(timeoutMs: number): boolean {
    return this.queueDelayMs >= timeoutMs;
  }

  /**
   * Seconds a refused caller should wait: the queueing above target plus the time this gateway's
   * `inflight` requests take to drain at the measured reply rate, at least 1, at most the bound.
   */
  retryAfterSeconds(inflight: number): number {
    const drainMs = inflight === 0 ? 0 : this.replyRate > 0 ? (inflight / this.replyRate) * 1000 : Infinity;
    const waitMs = Math.max(0, this.queueDelayMs - this.options.targetQueueMs) + drainMs;
    return Math.min(this.options.retryAfterMaxS, Math.max(1, Math.ceil(waitMs / 1000)));
  }
}

/** The q-quantile of `values` (0 for none). Sorts them in place. */
function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor(q * values.length))];
}
