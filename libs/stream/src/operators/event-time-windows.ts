import { checkWindowSpec, isWindowStart, WindowSpec, windowStarts } from './window-assigner';

/** Folds the values of one key's window into one value, kept as JSON in the changelog. */
export interface Aggregator<T, A> {
  /** The value of a window before its first event. */
  init(): A;
  /** The value with one more event. Return a new value, never change `acc`: committed state may share it. */
  add(acc: A, value: T): A;
}

/** One key's aggregate in one window. */
export interface WindowResult<A> {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly value: A;
  /** The watermark has reached end + allowed lateness: the value will not change again. */
  readonly final: boolean;
}

export interface EventTimeWindowsOptions<T, A> {
  readonly spec: WindowSpec;
  /** How far the watermark may pass a window's end before the window is final and later events are late. */
  readonly allowedLatenessMs: number;
  /** How far behind the watermark a window's end may fall before it is dropped; at least allowedLatenessMs. */
  readonly retainMs: number;
  readonly aggregator: Aggregator<T, A>;
}

/** The partition-wide part of the state, as JSON (no -Infinity in JSON: null before the first event). */
export interface WindowClock {
  /** Highest event time seen. */
  readonly watermark: number | null;
  /** The watermark at the last `drainFinal`: windows final by then have been emitted. */
  readonly drainedWatermark: number | null;
  /** The spec the windows were cut with: state of another spec would merge or split values silently. */
  readonly spec: WindowSpec;
}

/** One change to persist: a window's value (undefined: dropped), or the clock. */
export type WindowChange<A> =
  | { readonly kind: 'window'; readonly key: string; readonly start: number; readonly value: A | undefined }
  | { readonly kind: 'clock'; readonly clock: WindowClock };

/** What `add` did: aggregated the event into its open windows, or refused it because all of them were final. */
export type WindowAddResult<A> =
  | { readonly kind: 'added'; readonly windows: readonly WindowResult<A>[] }
  | { readonly kind: 'late'; readonly windowStart: number };

/**
 * Event-time windows of one partition, aggregated per key, with allowed lateness (Flink's event-time
 * windows, simplified). The watermark is the highest event time seen in the partition: allowed
 * lateness is the only slack for disorder, so there is one knob, not two. Every change is reported
 * to `onChange` as it happens, one entry per window and key, so the changelog grows with what a
 * record touched, not with how much state there is.
 *
 * @example
 * const windows = new EventTimeWindows({ spec: sliding(10_000, 5_000), allowedLatenessMs: 5_000, retainMs: 60_000,
 *   aggregator: { init: () => 0, add: (n) => n + 1 } }, (change) => changelog.push(change));
 * windows.add('10.0.0.1', Date.parse('2024-05-01T14:03:07Z'), event); // { kind: 'added', windows: [two windows] }
 * for (const window of windows.drainFinal()) publish(window);
 */
export class EventTimeWindows<T, A> {
  private watermarkMs = -Infinity;
  // One number instead of a flag per window: finality is monotonic in a window's end, and a window
  // is only ever created while not final, so "final at the last drain" is exactly "drained".
  private drainedWatermarkMs = -Infinity;
  /** start -> key -> value. */
  private readonly buckets = new Map<number, Map<string, A>>();
  /** The keys of `buckets`, ascending; about (retainMs + allowedLatenessMs) / slide entries. */
  private readonly starts: number[] = [];
  private readonly sizeMs: number;

  constructor(
    private readonly options: EventTimeWindowsOptions<T, A>,
    private readonly onChange: (change: WindowChange<A>) => void = () => undefined,
  ) {
    const { spec, allowedLatenessMs, retainMs } = options;
    checkWindowSpec(spec);
    this.sizeMs = spec.sizeMs;
    if (!Number.isSafeInteger(allowedLatenessMs) || allowedLatenessMs < 0) {
      throw new RangeError(`allowedLatenessMs must be a non-negative integer, got ${allowedLatenessMs}`);
    }
    // Dropping a window before it is final would let a late event recreate it from scratch.
    if (!Number.isSafeInteger(retainMs) || retainMs < allowedLatenessMs) {
      throw new RangeError(`retainMs must be an integer of at least allowedLatenessMs (${allowedLatenessMs}), got ${retainMs}`);
    }
  }

  /** Rebuilds a partition's windows from what `onChange` reported (after a JSON round trip). */
  static restore<T, A>(
    options: EventTimeWindowsOptions<T, A>,
    state: { readonly clock: WindowClock | undefined; readonly windows: Iterable<{ key: string; start: number; value: A }> },
    onChange?: (change: WindowChange<A>) => void,
  ): EventTimeWindows<T, A> {
    const windows = new EventTimeWindows(options, onChange);
    const { clock } = state;
    if (clock) {
      if (JSON.stringify(clock.spec) !== JSON.stringify(options.spec)) {
        throw new RangeError(`state was made with windows ${JSON.stringify(clock.spec)}, not ${JSON.stringify(options.spec)}`);
      }
      for (const field of ['watermark', 'drainedWatermark'] as const) {
        if (clock[field] !== null && !Number.isFinite(clock[field])) throw new RangeError(`bad ${field} in state: ${clock[field]}`);
      }
      windows.watermarkMs = clock.watermark ?? -Infinity;
      windows.drainedWatermarkMs = clock.drainedWatermark ?? -Infinity;
    }
    for (const { key, start, value } of state.windows) {
      if (typeof key !== 'string' || !isWindowStart(options.spec, start)) {
        throw new RangeError(`state window ${JSON.stringify({ key, start })} does not fit windows ${JSON.stringify(options.spec)}`);
      }
      windows.bucketAt(start).set(key, value);
    }
    return windows;
  }

  /** Highest event time seen; -Infinity before the first event. */
  get watermark(): number {
    return this.watermarkMs;
  }

  /** Windows held, over all keys. */
  get size(): number {
    let size = 0;
    for (const bucket of this.buckets.values()) size += bucket.size;
    return size;
  }

  /**
   * Aggregates an event into each of its windows that is not final yet. It is late only when all
   * of them are (Flink's rule: a sliding window's event still counts where it can).
   */
  add(key: string, ts: number, value: T): WindowAddResult<A> {
    const starts = windowStarts(this.options.spec, ts);
    // Judged against the watermark before this event: an event cannot make its own window final.
    const open = starts.filter((start) => !this.isFinal(start + this.sizeMs));
    if (open.length === 0) return { kind: 'late', windowStart: starts[starts.length - 1] };
    const { aggregator } = this.options;
    const added = open.map((start) => {
      const bucket = this.bucketAt(start);
      const next = aggregator.add(bucket.has(key) ? (bucket.get(key) as A) : aggregator.init(), value);
      bucket.set(key, next);
      this.onChange({ kind: 'window', key, start, value: next });
      return { start, value: next };
    });
    if (ts > this.watermarkMs) {
      this.watermarkMs = ts;
      this.reportClock();
      this.evict();
    }
    return { kind: 'added', windows: added.map(({ start, value: v }) => this.view(key, start, v)) };
  }

  /** The windows that became final since the last call, each once ever, ordered by end, then key. */
  drainFinal(): WindowResult<A>[] {
    const drained: WindowResult<A>[] = [];
    for (const start of this.starts) {
      const end = start + this.sizeMs;
      if (!this.isFinal(end)) break; // ascending: no later window is final either
      if (end + this.options.allowedLatenessMs <= this.drainedWatermarkMs) continue;
      const bucket = this.buckets.get(start) ?? new Map<string, A>();
      for (const key of [...bucket.keys()].sort()) drained.push(this.view(key, start, bucket.get(key) as A));
    }
    if (this.drainedWatermarkMs !== this.watermarkMs) {
      this.drainedWatermarkMs = this.watermarkMs;
      this.reportClock();
    }
    this.evict();
    return drained;
  }

  /** The retained windows of `key`, ascending by start. */
  windowsOf(key: string): WindowResult<A>[] {
    const windows: WindowResult<A>[] = [];
    for (const start of this.starts) {
      // Expired windows still waiting for a drain stay in state but are not reported, so what
      // this returns does not depend on when the caller last drained.
      if (this.isExpired(start + this.sizeMs)) continue;
      const bucket = this.buckets.get(start);
      if (bucket?.has(key)) windows.push(this.view(key, start, bucket.get(key) as A));
    }
    return windows;
  }

  private isFinal(end: number): boolean {
    return this.watermarkMs >= end + this.options.allowedLatenessMs;
  }

  private isExpired(end: number): boolean {
    return end < this.watermarkMs - this.options.retainMs;
  }

  private view(key: string, start: number, value: A): WindowResult<A> {
    const end = start + this.sizeMs;
    return { key, start, end, value, final: this.isFinal(end) };
  }

  private reportClock(): void {
    const finite = (ms: number) => (Number.isFinite(ms) ? ms : null);
    this.onChange({
      kind: 'clock',
      clock: { watermark: finite(this.watermarkMs), drainedWatermark: finite(this.drainedWatermarkMs), spec: this.options.spec },
    });
  }

  private bucketAt(start: number): Map<string, A> {
    let bucket = this.buckets.get(start);
    if (bucket === undefined) {
      bucket = new Map();
      this.buckets.set(start, bucket);
      // Out-of-order events open windows behind the newest one, but only within the lateness, so
      // the insertion point is near the end and the walk back is short.
      let i = this.starts.length;
      while (i > 0 && this.starts[i - 1] > start) i -= 1;
      this.starts.splice(i, 0, start);
    }
    return bucket;
  }

  /**
   * Drops expired windows from the front. Only drained ones: an expired window is always final
   * (retainMs >= allowedLatenessMs), but dropping it before a drain would lose its value. Oldest
   * first, and both conditions are monotonic in the end, so stopping at the first keeper is exact.
   */
  private evict(): void {
    while (this.starts.length > 0) {
      const start = this.starts[0];
      const end = start + this.sizeMs;
      if (!this.isExpired(end) || end + this.options.allowedLatenessMs > this.drainedWatermarkMs) return;
      for (const key of this.buckets.get(start)?.keys() ?? []) this.onChange({ kind: 'window', key, start, value: undefined });
      this.buckets.delete(start);
      this.starts.shift();
    }
  }
}
