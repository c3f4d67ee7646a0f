/**
 * How event time is cut into windows: `[start, start + sizeMs)`, starts aligned to the epoch every
 * `slideMs`. Tumbling windows are the case slide = size (each event in exactly one window);
 * sliding (hopping) windows overlap, so an event belongs to about size / slide of them.
 */
export type WindowSpec =
  | { readonly type: 'tumbling'; readonly sizeMs: number }
  | { readonly type: 'sliding'; readonly sizeMs: number; readonly slideMs: number };

/**
 * Back-to-back windows of `sizeMs`.
 *
 * @example
 * windowStarts(tumbling(5_000), 12_345); // [10_000]
 */
export function tumbling(sizeMs: number): WindowSpec {
  const spec: WindowSpec = { type: 'tumbling', sizeMs };
  checkWindowSpec(spec);
  return spec;
}

/**
 * Windows of `sizeMs` starting every `slideMs` (Flink's SlidingEventTimeWindows, Kafka Streams'
 * hopping windows): "the last 10 s, every 5 s" is `sliding(10_000, 5_000)`.
 *
 * @example
 * windowStarts(sliding(10_000, 5_000), 12_345); // [5_000, 10_000]
 */
export function sliding(sizeMs: number, slideMs: number): WindowSpec {
  const spec: WindowSpec = { type: 'sliding', sizeMs, slideMs };
  checkWindowSpec(spec);
  return spec;
}

export function slideOf(spec: WindowSpec): number {
  return spec.type === 'tumbling' ? spec.sizeMs : spec.slideMs;
}

/** Throws a RangeError naming what is wrong with a spec (sizes must be whole, positive ms). */
export function checkWindowSpec(spec: WindowSpec): void {
  const slide = slideOf(spec);
  if (!Number.isSafeInteger(spec.sizeMs) || spec.sizeMs <= 0) throw new RangeError(`window size must be a positive whole number of ms, got ${spec.sizeMs}`);
  if (!Number.isSafeInteger(slide) || slide <= 0) throw new RangeError(`window slide must be a positive whole number of ms, got ${slide}`);
  // A slide longer than the size would leave gaps where events belong to no window at all.
  if (slide > spec.sizeMs) throw new RangeError(`window slide (${slide} ms) must not exceed its size (${spec.sizeMs} ms)`);
}

/** The starts of the windows that contain event time `ts`, ascending. */
export function windowStarts(spec: WindowSpec, ts: number): number[] {
  if (!Number.isFinite(ts)) throw new RangeError(`event time must be a finite number, got ${ts}`);
  const slide = slideOf(spec);
  // Floor, not ts - ts % slide: `%` keeps the dividend's sign, which would misalign negative times.
  const last = Math.floor(ts / slide) * slide;
  const starts: number[] = [];
  for (let start = last; start > ts - spec.sizeMs; start -= slide) starts.unshift(start);
  return starts;
}

/** Whether `start` is the start of some window of the spec (state written with another spec is not). */
export function isWindowStart(spec: WindowSpec, start: number): boolean {
  return Number.isSafeInteger(start) && Math.floor(start / slideOf(spec)) * slideOf(spec) === start;
}

/** `5 s tumbling`, `10 s every 5 s`: for topology and logs. */
export function describeWindowSpec(spec: WindowSpec): string {
  const s = (ms: number) => (ms % 1_000 === 0 ? `${ms / 1_000} s` : `${ms} ms`);
  return spec.type === 'tumbling' ? `${s(spec.sizeMs)} tumbling` : `${s(spec.sizeMs)} sliding every ${s(spec.slideMs)}`;
}
