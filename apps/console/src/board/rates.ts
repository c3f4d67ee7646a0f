import { cumulativeCount, type StatusHistogram } from '@flowgate/contracts';

/**
 * Per-second rate of a cumulative counter between two readings `seconds` apart. A counter that
 * went down was reset (its process restarted under the same key): the new value is all new.
 */
export function perSecond(previous: number | undefined, current: number, seconds: number): number {
  if (previous === undefined || !(seconds > 0)) return 0;
  const delta = current >= previous ? current - previous : current;
  return delta / seconds;
}

/**
 * The q-quantile (0..1) of the observations made between two readings of a histogram, in
 * seconds, interpolated within its bucket as Prometheus' `histogram_quantile` does; undefined
 * when nothing was observed in between. Observations above the last bound report that bound.
 */
export function intervalQuantile(bounds: readonly number[], previous: StatusHistogram | undefined, current: StatusHistogram | undefined, q: number): number | undefined {
  if (!current) return undefined;
  const reset = previous !== undefined && current.count < previous.count;
  const base = reset ? undefined : previous;
  const total = current.count - (base?.count ?? 0);
  if (total <= 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const cumulative = cumulativeCount(current, i) - (base ? cumulativeCount(base, i) : 0);
    if (cumulative >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1];
      const inBucket = cumulative - below;
      return inBucket > 0 ? lower + (bounds[i] - lower) * ((rank - below) / inBucket) : bounds[i];
    }
    below = cumulative;
  }
  return bounds[bounds.length - 1];
}

/** Adds histograms of the same bounds (one job on several processors). */
export function addHistograms(histograms: readonly (StatusHistogram | undefined)[]): StatusHistogram | undefined {
  const present = histograms.filter((h): h is StatusHistogram => h !== undefined);
  if (present.length === 0) return undefined;
  const buckets = Math.max(...present.map((h) => h.counts.length));
  return {
    counts: Array.from({ length: buckets }, (_, i) => present.reduce((sum, h) => sum + cumulativeCount(h, i), 0)),
    sum: present.reduce((sum, h) => sum + h.sum, 0),
    count: present.reduce((sum, h) => sum + h.count, 0),
  };
}
