import type { StatusHistogram } from '@flowgate/contracts';
import type { Registry } from 'prom-client';

/** One sample of a metric: its labels (default labels included) and value. */
export interface MetricSample {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  /** For histograms: `<name>_bucket`, `<name>_sum` or `<name>_count`. */
  readonly metricName?: string;
}

/**
 * The current samples of the named metrics, read from the registry as `/metrics` reads them
 * (gauges with a `collect` are collected), so a figure read here equals the scraped one. Only
 * the named metrics are read: Node's default metrics, the costly part of a scrape, are skipped.
 */
export async function readMetricSamples(registry: Registry, names: readonly string[]): Promise<Map<string, readonly MetricSample[]>> {
  const entries = await Promise.all(
    names.map(async (name) => {
      const metric = registry.getSingleMetric(name);
      return [name, metric ? ((await metric.get()).values as MetricSample[]) : []] as const;
    }),
  );
  return new Map(entries);
}

/** Sums the samples of a counter or gauge by the value of one label (e.g. by route). */
export function sumBy(samples: readonly MetricSample[] | undefined, label: string, where: Record<string, string> = {}): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const sample of matching(samples, where)) {
    const key = String(sample.labels[label] ?? '');
    sums[key] = (sums[key] ?? 0) + sample.value;
  }
  return sums;
}

/** Sums the samples of a counter or gauge by two labels (e.g. route, then status). */
export function sumBy2(samples: readonly MetricSample[] | undefined, outer: string, inner: string, where: Record<string, string> = {}): Record<string, Record<string, number>> {
  const sums: Record<string, Record<string, number>> = {};
  for (const sample of matching(samples, where)) {
    const row = (sums[String(sample.labels[outer] ?? '')] ??= {});
    const key = String(sample.labels[inner] ?? '');
    row[key] = (row[key] ?? 0) + sample.value;
  }
  return sums;
}

/**
 * The histograms of a histogram metric by one label, with cumulative counts per bucket bound
 * of `bounds` (the metric's own buckets, in order; `+Inf` is the count), up to the first bucket
 * that holds them all.
 */
export function histogramsBy(samples: readonly MetricSample[] | undefined, label: string, bounds: readonly number[], where: Record<string, string> = {}): Record<string, StatusHistogram> {
  const found: Record<string, { counts: number[]; sum: number; count: number }> = {};
  const index = new Map(bounds.map((bound, i) => [bound, i]));
  for (const sample of matching(samples, where)) {
    const h = (found[String(sample.labels[label] ?? '')] ??= { counts: bounds.map(() => 0), sum: 0, count: 0 });
    if (sample.metricName?.endsWith('_sum')) h.sum += sample.value;
    else if (sample.metricName?.endsWith('_count')) h.count += sample.value;
    else {
      const i = index.get(Number(sample.labels.le));
      if (i !== undefined) h.counts[i] += sample.value;
    }
  }
  // The buckets past the first that holds every observation say nothing new: left out (the wire
  // format reads them as `count`), which keeps a record of fast operators a third of the size.
  for (const h of Object.values(found)) {
    const full = h.counts.findIndex((n) => n >= h.count);
    if (full >= 0) h.counts.length = full + 1;
  }
  return found;
}

function matching(samples: readonly MetricSample[] | undefined, where: Record<string, string>): readonly MetricSample[] {
  const conditions = Object.entries(where);
  return (samples ?? []).filter((s) => conditions.every(([k, v]) => String(s.labels[k]) === v));
}
