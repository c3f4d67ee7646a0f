import { STATUS_VERSION, type ProcessorStatus, type StatusJob, type StatusLane, type StatusPartition, type StatusScript } from '@flowgate/contracts';
import { histogramsBy, LATENCY_BUCKETS, type MetricSample, sumBy, sumBy2 } from '@flowgate/metrics';
import type { Topology } from '@flowgate/stream';

/** The processor metrics a status record is made of: the same series `/metrics` exports. */
export const PROCESSOR_STATUS_METRICS = [
  'flowgate_processor_operator_records_total',
  'flowgate_processor_operator_duration_seconds',
  'flowgate_processor_records_total',
  'flowgate_processor_handler_duration_seconds',
  'flowgate_processor_output_records_total',
  'flowgate_processor_batch_commits_total',
  'flowgate_processor_late_events_total',
  'flowgate_processor_partition_lag',
  'flowgate_processor_partition_paused',
  'flowgate_processor_watermark_lag_seconds',
  'flowgate_processor_dead_letters_total',
  // The scripts feature's metrics: absent (and then no scripts in the record) where it is not built in.
  'flowgate_script_active_version',
  'flowgate_script_calls_total',
] as const;

type ProcessorSamples = ReadonlyMap<string, readonly MetricSample[]>;

/** A job as the processor runs it: its graph and the consumer (lane) that feeds it. */
export interface PlacedTopology {
  readonly topology: Topology;
  /** `requests` for the shared requests topic, else the job's name (the metrics' `job` label). */
  readonly lane: string;
  /** The lane's topic, prefix included. */
  readonly topic: string;
}

/**
 * The processor's status record from its placed jobs and its metric samples (`readMetricSamples`
 * of PROCESSOR_STATUS_METRICS). Pure: the time and identity come in.
 */
export function buildProcessorStatus(input: {
  readonly instance: string;
  readonly startedAt: number;
  readonly now: number;
  readonly placed: readonly PlacedTopology[];
  readonly samples: ProcessorSamples;
}): ProcessorStatus {
  const { samples, placed } = input;
  const metric = (name: (typeof PROCESSOR_STATUS_METRICS)[number]) => samples.get(name);
  const lanes = new Map<string, string>(placed.map((p) => [p.lane, p.topic]));
  const routeResults = sumBy2(metric('flowgate_processor_records_total'), 'route', 'result');
  const routeDurations = histogramsBy(metric('flowgate_processor_handler_duration_seconds'), 'route', LATENCY_BUCKETS);
  const jobs = placed.map<StatusJob>(({ topology, lane }) => {
    const job = { job: topology.name };
    const records = sumBy2(metric('flowgate_processor_operator_records_total'), 'operator', 'direction', job);
    const durations = histogramsBy(metric('flowgate_processor_operator_duration_seconds'), 'operator', LATENCY_BUCKETS, job);
    const commits = sumBy(metric('flowgate_processor_batch_commits_total'), 'result', job);
    const routes = topology.nodes.flatMap((n) => (n.kind === 'source' && n.route ? n.route.split(',') : []));
    return {
      name: topology.name,
      lane,
      nodes: topology.nodes.map((node) => ({ ...node })),
      edges: topology.edges,
      operators: Object.fromEntries(
        topology.nodes
          .filter((n) => n.kind !== 'source' && n.kind !== 'sink')
          .map((n) => [n.name, { in: records[n.name]?.in ?? 0, out: records[n.name]?.out ?? 0, ...(durations[n.name] ? { duration: durations[n.name] } : {}) }]),
      ),
      routes: Object.fromEntries(routes.map((r) => [r, routeResults[r] ?? {}])),
      routeDurations: Object.fromEntries(routes.filter((r) => routeDurations[r]).map((r) => [r, routeDurations[r]])),
      outputs: sumBy(metric('flowgate_processor_output_records_total'), 'topic', job),
      commits: { committed: commits.committed ?? 0, aborted: commits.aborted ?? 0 },
      lateEvents: Object.values(sumBy(metric('flowgate_processor_late_events_total'), 'job', job)).reduce((a, b) => a + b, 0),
    };
  });
  return {
    v: STATUS_VERSION,
    app: 'processor',
    instance: input.instance,
    startedAt: input.startedAt,
    updatedAt: input.now,
    bounds: LATENCY_BUCKETS,
    lanes: [...lanes].map<StatusLane>(([name, topic]) => ({ name, topic, partitions: lanePartitions(samples, name) })),
    jobs,
    deadLetters: sumBy(metric('flowgate_processor_dead_letters_total'), 'reason'),
    ...scriptsOf(samples),
  };
}

/** The scripts this processor serves (by its flowgate_script_* metrics); nothing when it serves none. */
function scriptsOf(samples: ProcessorSamples): { scripts?: StatusScript[] } {
  const active = sumBy2(samples.get('flowgate_script_active_version'), 'script', 'role');
  const names = Object.keys(active).sort();
  if (names.length === 0) return {};
  return {
    scripts: names.map((name) => ({
      name,
      ...(active[name].stable !== undefined ? { stable: active[name].stable } : {}),
      ...(active[name].canary !== undefined ? { canary: active[name].canary } : {}),
      calls: sumBy2(samples.get('flowgate_script_calls_total'), 'version', 'outcome', { script: name }),
    })),
  };
}

/** The partitions a lane owns now: those its lag or paused gauges report (they drop unowned ones). */
function lanePartitions(samples: ProcessorSamples, lane: string): StatusPartition[] {
  const where = { job: lane };
  const lag = sumBy(samples.get('flowgate_processor_partition_lag'), 'partition', where);
  const paused = sumBy(samples.get('flowgate_processor_partition_paused'), 'partition', where);
  const watermark = sumBy(samples.get('flowgate_processor_watermark_lag_seconds'), 'partition', where);
  const owned = [...new Set([...Object.keys(lag), ...Object.keys(paused), ...Object.keys(watermark)])].map(Number).sort((a, b) => a - b);
  return owned.map((partition) => {
    const p = String(partition);
    return {
      partition,
      ...(lag[p] !== undefined ? { lag: lag[p] } : {}),
      ...(paused[p] !== undefined ? { paused: paused[p] > 0 } : {}),
      ...(watermark[p] !== undefined ? { watermarkLagSeconds: Math.round(watermark[p] * 1000) / 1000 } : {}),
    };
  });
}
