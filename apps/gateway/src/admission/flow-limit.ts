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
/** In flight at which any limit is in play (smaller limits: when 90 % of them are in use). */
const IN_PLAY = 128;
const IN_PLAY_SHARE = 0.9;
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
 * Each tick, pressure = the larger of queueing delay ÷ its target and event-loop delay ÷ its target,
 * each sustained over two ticks (the smaller of the two readings): one pause of a processor or of
 * the machine is no congestion. Above 1, with the limit in play (90 % of it, or 128, in use: a limit
 * that is not reached does not cause the queueing), the limit is cut in proportion (at most by half),
 * from what was actually in use, so a cut bites at once. At or below 1 it grows by up to 15 %, less
 * near the target, but by √limit at least, so a small limit does not creep back by one a tick while
 * it refuses. It stays within [min, max] and starts at max: a gateway that sees no congestion never
 * refuses for it.
 *
 * One cut per round trip, as TCP does: after a cut, only requests admitted after it say whether the
 * new limit still queues, or whether the event loop still lags with it; until they reply, the limit
 * holds. The backlog a pause left drains with the queueing it had before the cut. The first version
 * read that backlog as fresh evidence, read single spikes, called any limit in play at half of it
 * and grew back by one a tick: on a busy 2-core machine, where the queueing's p90 sits at 10–15 ms
 * at 1000 req/s, one 150 ms pause of a processor took a gateway from 1024 to 8 and kept it there,
 * refusing thousands of requests (bench/results/ab-flow-limit.md).
 */
export class FlowLimit {
  private current: number;
  private lastTickAt: number;
  /** Queueing of this tick's replies, ms; and of those admitted since the last cut. */
  private samples: number[] = [];
  private sinceCut: number[] = [];
  private lastCutAt = -Infinity;
  private replies = 0;
  private readonly handleMax = new Map<string, number>();
  /** Smoothed queueing delay, ms: rises at once with the evidence, falls by half per tick. */
  queueDelayMs = 0;
  /** Event-loop delay sustained over the last two ticks (the smaller of their p90s), ms. */
  loopDelayMs = 0;
  private lastLoopDelayMs = 0;
  private lastQueueSinceCutMs = 0;
  /** Replies per second, smoothed: how fast this gateway's backlog drains. */
  replyRate = 0;
  /** The larger of the two signals over their targets, last tick, from requests admitted since the last cut. */
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
  observeReply(route: string, admittedAt: number, now: number, queueMs: number | undefined, handleMs: number | undefined): void {
    this.replies++;
    if (handleMs !== undefined && handleMs > (this.handleMax.get(route) ?? -1)) this.handleMax.set(route, handleMs);
    if (queueMs === undefined) return;
    const queued = Math.min(queueMs, Math.max(0, now - admittedAt - (handleMs ?? 0)));
    this.samples.push(queued);
    if (admittedAt >= this.lastCutAt) this.sinceCut.push(queued);
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
    const stale = this.samples.length > 0 && this.sinceCut.length === 0;
    const seen = Math.max(percentile(this.samples, 0.9), sample.stalledMs);
    // A stall counts for a cut only with the time since the last one: the requests stalled before it say nothing of it.
    const seenSinceCut = Math.max(percentile(this.sinceCut, 0.9), Math.min(sample.stalledMs, now - this.lastCutAt));
    this.samples = [];
    this.sinceCut = [];
    this.queueDelayMs = seen >= this.queueDelayMs ? seen : (this.queueDelayMs + seen) / 2;
    // A lag has to last two ticks to count: one GC pause or a moment without a CPU is no congestion.
    this.loopDelayMs = Math.min(this.lastLoopDelayMs, sample.loopDelayMs);
    this.lastLoopDelayMs = sample.loopDelayMs;
    for (const [route, ms] of this.handleMax) this.handleMax.set(route, ms * HANDLE_DECAY);

    const { min, max, targetQueueMs, targetLoopDelayMs } = this.options;
    // Queueing has to last two ticks as well: one pause of a processor is no congestion either.
    const queueSinceCutMs = Math.min(this.lastQueueSinceCutMs, seenSinceCut);
    this.lastQueueSinceCutMs = seenSinceCut;
    this.pressure = Math.max(queueSinceCutMs / targetQueueMs, this.loopDelayMs / targetLoopDelayMs);
    // Fixed; or replies only from before the last cut: no word yet on the limit it set.
    if (this.options.mode === 'fixed' || stale) return;
    // A limit not in play (less than 90 % of it, or 128, in use) is not what makes requests
    // queue: a burst far below it, or a busy moment of the machine, must not cut it.
    if (this.pressure > 1 && sample.peakInflight >= Math.min(this.current * IN_PLAY_SHARE, IN_PLAY)) {
      const inUse = Math.min(this.current, Math.max(sample.peakInflight, min));
      this.current = Math.max(min, Math.floor(inUse * Math.max(MAX_CUT, 1 / this.pressure)));
      this.lastCutAt = now;
    } else if (this.pressure <= 1) {
      // At least √limit: a small limit left by a cut must not creep back by one a tick while it refuses.
      const growth = Math.max(Math.ceil(Math.sqrt(this.current)), Math.round(this.current * GROWTH * (1 - this.pressure)));
      this.current = Math.min(max, this.current + growth);
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
