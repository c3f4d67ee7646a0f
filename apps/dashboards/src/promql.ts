/**
 * PromQL building blocks shared by the dashboards. Every selector is scoped to the releases
 * picked in the `release` variable: with the chart's ServiceMonitors the job label is the
 * Service name, `<release>-gateway`, `<release>-processor`, `<release>-sweeper`.
 */

export type Component = 'gateway' | 'processor' | 'sweeper';

/** Label matchers of one component's targets, plus extra matchers (e.g. `status=~"5.."`). */
export function selector(component: Component | 'any', ...matchers: string[]): string {
  const job = component === 'any' ? '$release-(gateway|processor|sweeper)' : `$release-${component}`;
  return `{${[`job=~"${job}"`, ...matchers].join(', ')}}`;
}

const by = (labels: readonly string[]): string => (labels.length > 0 ? ` by (${labels.join(', ')})` : '');

/** Per-second rate of a counter, summed by the given labels. */
export function rate(metric: string, component: Component, labels: readonly string[] = [], ...matchers: string[]): string {
  return `sum${by(labels)} (rate(${metric}${selector(component, ...matchers)}[$__rate_interval]))`;
}

/** A quantile of a histogram (name without `_bucket`) over all series, by the given labels. */
export function quantile(q: number, histogram: string, component: Component, labels: readonly string[] = []): string {
  return `histogram_quantile(${q}, sum${by([...labels, 'le'])} (rate(${histogram}_bucket${selector(component)}[$__rate_interval])))`;
}

/** A gauge, aggregated by the given labels with `how`. */
export function gauge(metric: string, component: Component, labels: readonly string[], how: 'sum' | 'max' | 'min' = 'sum'): string {
  return `${how}${by(labels)} (${metric}${selector(component)})`;
}

/** Mean of a histogram (name without a suffix) since each process started, the largest by the given labels. */
export function meanSince(histogram: string, component: Component, labels: readonly string[]): string {
  return `max${by(labels)} (${histogram}_sum${selector(component)} / ${histogram}_count${selector(component)})`;
}
