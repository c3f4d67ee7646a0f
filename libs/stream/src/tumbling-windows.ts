/** How a partition's tumbling windows are cut, how long they stay open and how long they are kept. */
export interface TumblingWindowsOptions {
  /** Window length; windows are [start, start + sizeMs) aligned to the epoch. */
  readonly sizeMs: number;
  /** How far the watermark may pass a window's end before the window is final and later events are late. */
  readonly allowedLatenessMs: number;
  /** How far behind the watermark a window's end may fall before the window is dropped; at least allowedLatenessMs. */
  readonly retainMs: number;
}

/** One key's count in one window. */
export interface WindowCount {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly count: number;
  /** The watermark has reached end + allowed lateness: the count will not change again. */
  readonly final: boolean;
}

/** An event to count: its key and its event time, epoch ms. */
export interface KeyedEvent {
  readonly key: string;
  readonly ts: number;
}

/** What `add` did with an event: counted it, or refused it because its window was already final. */
export type WindowAddResult =
  | { readonly kind: 'counted'; readonly window: WindowCount }
  | { readonly kind: 'late'; readonly windowStart: number };

/** A partition's windows as plain JSON data, for `TumblingWindows.restore`. */
export interface TumblingWindowsState {
  /** Highest event time seen; null before the first event (JSON has no -Infinity). */
  readonly watermark: number | null;
  /** The watermark at the last `drainFinal`: windows final by then have been emitted. Null if never drained. */
  readonly drainedWatermark: number | null;
  readonly lateCount: number;
  /** Retained windows, ascending by start, then key. */
  readonly windows: readonly { readonly key: string; readonly start: number; readonly count: number }[];
}

/**
 * Event-time tumbling window counts per key for one partition, with allowed lateness (Flink's
 * TumblingEventTimeWindows, simplified). The watermark is the highest event time seen on the
 * partition: allowed lateness is the only slack for disorder, so there is one knob, not two.
 *
 * @example
 * const windows = new TumblingWindows({ sizeMs: 60_000, allowedLatenessMs: 5_000, retainMs: 600_000 });
 * windows.add({ key: '192.168.0.12', ts: Date.parse('2024-05-01T14:03:07Z') }); // { kind: 'counted', window: { count: 1, ... } }
 * for (const window of windows.drainFinal()) publish(window);
 * await store.put(partition, JSON.stringify(windows.snapshot()));
 */
export class TumblingWindows {
  private watermarkMs = -Infinity;
  // One number instead of a flag per window: finality is monotonic in a window's end, and a window
  // is only ever created while not final, so "final at the last drain" is exactly "drained".
  private drainedWatermarkMs = -Infinity;
  private late = 0;
  /** start -> key -> count. */
  private readonly buckets = new Map<number, Map<string, number>>();
  /** The keys of `buckets`, ascending; short (about (retainMs + allowedLatenessMs) / sizeMs entries). */
  private readonly starts: number[] = [];

  constructor(private readonly options: TumblingWindowsOptions) {
    const { sizeMs, allowedLatenessMs, retainMs } = options;
    if (!Number.isSafeInteger(sizeMs) || sizeMs <= 0) throw new RangeError(`sizeMs must be a positive integer, got ${sizeMs}`);
    if (!Number.isSafeInteger(allowedLatenessMs) || allowedLatenessMs < 0) {
      throw new RangeError(`allowedLatenessMs must be a non-negative integer, got ${allowedLatenessMs}`);
    }
    // Dropping a window before it is final would let a late event recreate it with a count of 1.
    if (!Number.isSafeInteger(retainMs) || retainMs < allowedLatenessMs) {
      throw new RangeError(`retainMs must be an integer of at least allowedLatenessMs (${allowedLatenessMs}), got ${retainMs}`);
    }
  }

  /** Rebuilds a partition's windows from `snapshot()` output (after a JSON round trip). */
  static restore(options: TumblingWindowsOptions, state: TumblingWindowsState): TumblingWindows {
    const windows = new TumblingWindows(options);
    for (const field of ['watermark', 'drainedWatermark'] as const) {
      if (state[field] !== null && !Number.isFinite(state[field])) throw new RangeError(`bad ${field} in state: ${state[field]}`);
    }
    windows.watermarkMs = state.watermark ?? -Infinity;
    windows.drainedWatermarkMs = state.drainedWatermark ?? -Infinity;
    if (!Number.isSafeInteger(state.lateCount) || state.lateCount < 0) throw new RangeError(`bad lateCount in state: ${state.lateCount}`);
    windows.late = state.lateCount;
    for (const { key, start, count } of state.windows) {
      // A different sizeMs than the state was made with would silently merge or split counts.
      if (typeof key !== 'string' || windows.startOf(start) !== start) {
        throw new RangeError(`state window ${JSON.stringify({ key, start })} does not fit windows of ${options.sizeMs} ms`);
      }
      if (!Number.isSafeInteger(count) || count <= 0) throw new RangeError(`bad count in state window ${JSON.stringify({ key, start, count })}`);
      const bucket = windows.bucketAt(start);
      if (bucket.has(key)) throw new RangeError(`state window ${JSON.stringify({ key, start })} appears twice`);
      bucket.set(key, count);
    }
    return windows;
  }

  /** Highest event time seen; -Infinity before the first event. */
  get watermark(): number {
    return this.watermarkMs;
  }

  /** Events refused because their window was already final. */
  get lateCount(): number {
    return this.late;
  }

  /** Counts an event into its window, unless the window is already final (then it is late). */
  add(event: KeyedEvent): WindowAddResult {
    if (!Number.isFinite(event.ts)) throw new RangeError(`event time must be a finite number, got ${event.ts}`);
    const start = this.startOf(event.ts);
    // Judged against the watermark before this event: an event cannot make its own window final.
    if (this.isFinal(start + this.options.sizeMs)) {
      this.late += 1;
      return { kind: 'late', windowStart: start };
    }
    const bucket = this.bucketAt(start);
    const count = (bucket.get(event.key) ?? 0) + 1;
    bucket.set(event.key, count);
    if (event.ts > this.watermarkMs) {
      this.watermarkMs = event.ts;
      this.evict();
    }
    return { kind: 'counted', window: this.view(event.key, start, count) };
  }

  /** The windows that became final since the last call, each once ever, ordered by end, then key. */
  drainFinal(): WindowCount[] {
    const drained: WindowCount[] = [];
    for (const start of this.starts) {
      const end = start + this.options.sizeMs;
      if (!this.isFinal(end)) break; // ascending: no later window is final either
      if (end + this.options.allowedLatenessMs <= this.drainedWatermarkMs) continue;
      const bucket = this.buckets.get(start) ?? new Map<string, number>();
      for (const key of [...bucket.keys()].sort()) drained.push(this.view(key, start, bucket.get(key) ?? 0));
    }
    this.drainedWatermarkMs = this.watermarkMs;
    this.evict();
    return drained;
  }

  /** The retained windows of `key`, ascending by start. */
  windowsOf(key: string): WindowCount[] {
    const windows: WindowCount[] = [];
    for (const start of this.starts) {
      // Expired windows still waiting for a drain stay in state but are not reported, so what
      // this returns does not depend on when the caller last drained.
      if (this.isExpired(start + this.options.sizeMs)) continue;
      const count = this.buckets.get(start)?.get(key);
      if (count !== undefined) windows.push(this.view(key, start, count));
    }
    return windows;
  }

  /** The partition's state as plain JSON data; `restore` turns it back into identical behaviour. */
  snapshot(): TumblingWindowsState {
    const windows: { key: string; start: number; count: number }[] = [];
    for (const start of this.starts) {
      const bucket = this.buckets.get(start) ?? new Map<string, number>();
      for (const key of [...bucket.keys()].sort()) windows.push({ key, start, count: bucket.get(key) ?? 0 });
    }
    return {
      watermark: Number.isFinite(this.watermarkMs) ? this.watermarkMs : null,
      drainedWatermark: Number.isFinite(this.drainedWatermarkMs) ? this.drainedWatermarkMs : null,
      lateCount: this.late,
      windows,
    };
  }

  private startOf(ts: number): number {
    // Floor, not ts - ts % size: `%` keeps the dividend's sign, which would misalign negative times.
    return Math.floor(ts / this.options.sizeMs) * this.options.sizeMs;
  }

  private isFinal(end: number): boolean {
    return this.watermarkMs >= end + this.options.allowedLatenessMs;
  }

  private isExpired(end: number): boolean {
    return end < this.watermarkMs - this.options.retainMs;
  }

  private view(key: string, start: number, count: number): WindowCount {
    const end = start + this.options.sizeMs;
    return { key, start, end, count, final: this.isFinal(end) };
  }

  private bucketAt(start: number): Map<string, number> {
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
   * (retainMs >= allowedLatenessMs), but dropping it before a drain would lose its count. Oldest
   * first, and both conditions are monotonic in the end, so stopping at the first keeper is exact.
   */
  private evict(): void {
    while (this.starts.length > 0) {
      const end = this.starts[0] + this.options.sizeMs;
      if (!this.isExpired(end) || end + this.options.allowedLatenessMs > this.drainedWatermarkMs) return;
      this.buckets.delete(this.starts[0]);
      this.starts.shift();
    }
  }
}
