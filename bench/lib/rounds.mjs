// Rounds: every figure of `npm run bench` is measured in several rounds, the systems interleaved in
// an order that rotates from round to round, so that whatever else the machine does is shared
// between them. A figure is reported as its median and spread (min–max) over the rounds; a target
// is judged on the median, and the report says in how many rounds it was met on its own.
// Pure functions (no I/O): bench/lib/rounds.spec.mjs.

const finite = (values) => values.filter((v) => typeof v === 'number' && Number.isFinite(v));

/** The median of the finite values (the mean of the middle two for an even count), or undefined. */
export function median(values) {
  const sorted = finite(values).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * { median, min, max, n } of the finite values; n counts them (a round that produced no figure,
 * e.g. a system that had exited, is not one of them).
 */
export function spread(values) {
  const known = finite(values);
  if (known.length === 0) return { median: undefined, min: undefined, max: undefined, n: 0 };
  return { median: median(known), min: Math.min(...known), max: Math.max(...known), n: known.length };
}

/** `items` in the order of round `round` (0-based): round 0 as given, then rotated left by one a round. */
export function rotation(items, round) {
  if (items.length === 0) return [];
  const shift = ((round % items.length) + items.length) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/**
 * A target over rounds: `values` one figure per round (undefined when that round had none),
 * `meets(value)` the target. Met when the median meets it; `k` of `n` rounds met it on their own.
 */
export function judge(values, meets) {
  const s = spread(values);
  const k = finite(values).filter((v) => meets(v)).length;
  return { ...s, met: s.n > 0 && meets(s.median), k };
}

/** One figure of a row, per round: rows that share a key, `pick(row)` each, in round order. */
export function perRound(rows, rounds, pick) {
  return Array.from({ length: rounds }, (_, round) => {
    const row = rows.find((r) => r.round === round);
    return row ? pick(row) : undefined;
  });
}

/**
 * Per-round ratios of two series measured in the same rounds (a / b, paired: the same round's
 * noise is in both), undefined where either is missing or b is 0.
 */
export function pairedRatios(a, b) {
  return a.map((v, i) => (Number.isFinite(v) && Number.isFinite(b[i]) && b[i] !== 0 ? v / b[i] : undefined));
}

/** The row of `rows` whose `pick` is the median one (the lower middle for an even count), for its other figures. */
export function medianRow(rows, pick) {
  const known = rows.filter((r) => Number.isFinite(pick(r))).sort((a, b) => pick(a) - pick(b));
  return known.length === 0 ? undefined : known[Math.floor((known.length - 1) / 2)];
}
