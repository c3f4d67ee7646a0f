import * as metrics from '@flowgate/metrics';

type AppName = 'gateway' | 'processor' | 'sweeper';
/** Every class of @flowgate/metrics whose name ends in Metrics: a new one must be listed below. */
type MetricsClass = Extract<keyof typeof metrics, `${string}Metrics`>;

/**
 * Which app constructs which metrics class, and how, as the apps' modules do (gateway.module.ts,
 * gateway-kafka.service.ts, processor.module.ts, processor-kafka.service.ts, sweeper.module.ts,
 * sweeper-kafka.service.ts). The compiler
 * insists on an entry for every class, so a new class cannot be forgotten here.
 */
const CONSTRUCTED_BY: Record<MetricsClass, Partial<Record<AppName, (registry: metrics.Registry) => unknown>>> = {
  GatewayMetrics: { gateway: (registry) => new metrics.GatewayMetrics(registry) },
  ProcessorMetrics: { processor: (registry) => new metrics.ProcessorMetrics(registry) },
  SweeperMetrics: { sweeper: (registry) => new metrics.SweeperMetrics(registry) },
  ConsumerMetrics: {
    gateway: (registry) => new metrics.ConsumerMetrics(registry, 'gateway'),
    processor: (registry) => new metrics.ConsumerMetrics(registry, 'processor'),
    sweeper: (registry) => new metrics.ConsumerMetrics(registry, 'sweeper'),
  },
  ProducerMetrics: {
    gateway: (registry) => new metrics.ProducerMetrics(registry, 'gateway'),
    processor: (registry) => new metrics.ProducerMetrics(registry, 'processor'),
    sweeper: (registry) => new metrics.ProducerMetrics(registry, 'sweeper'),
  },
};

const SAMPLE_SUFFIXES: Record<string, string[]> = {
  counter: [''],
  gauge: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Names of the series each app's /metrics holds, from the declarations in libs/metrics: its
 * registry (with Node's default metrics) and the classes it constructs. Histograms give
 * `_bucket`, `_sum` and `_count`. `up` is Prometheus' own, for every target.
 */
export async function exportedSeriesNames(): Promise<Record<AppName, Set<string>>> {
  const result = {} as Record<AppName, Set<string>>;
  for (const app of ['gateway', 'processor', 'sweeper'] as const) {
    const registry = metrics.createRegistry(app);
    for (const constructors of Object.values(CONSTRUCTED_BY)) constructors[app]?.(registry);
    const names = new Set<string>(['up']);
    for (const metric of await registry.getMetricsAsJSON()) {
      for (const suffix of SAMPLE_SUFFIXES[String(metric.type)] ?? ['']) names.add(`${metric.name}${suffix}`);
    }
    result[app] = names;
  }
  return result;
}

/** The union over all apps. */
export async function allExportedSeriesNames(): Promise<Set<string>> {
  const byApp = await exportedSeriesNames();
  return new Set(Object.values(byApp).flatMap((names) => [...names]));
}
