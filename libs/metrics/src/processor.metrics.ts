import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS } from './latency-buckets';

/**
 * A gauge per job and partition whose partitions come and go with assignments: `set` replaces a
 * job's series, so a partition this process no longer owns stops being reported.
 */
export class PartitionGauge {
  private readonly reported = new Map<string, Set<number>>();

  constructor(private readonly gauge: Gauge<'job' | 'partition'>) {}

  set(job: string, values: ReadonlyMap<number, number>): void {
    const before = this.reported.get(job) ?? new Set<number>();
    for (const partition of before) if (!values.has(partition)) this.gauge.remove({ job, partition: String(partition) });
    for (const [partition, value] of values) this.gauge.set({ job, partition: String(partition) }, value);
    this.reported.set(job, new Set(values.keys()));
  }
}

/** A partition's watermark, as a window step last moved it. */
export interface PartitionWatermark {
  readonly job: string;
  readonly partition: number;
  readonly watermarkMs: number;
}

/** Every metric the processor exports, declared once. */
export class ProcessorMetrics {
  readonly records: Counter<'route' | 'result'>;
  readonly handlerDuration: Histogram<'route'>;
  readonly deadLetters: Counter<'reason'>;
  readonly pausedPartitions: Gauge;
  readonly queuedRecords: Gauge;
  readonly assignedPartitions: Gauge;
  readonly rebalances: Counter;
  readonly batchCommits: Counter<'job' | 'result'>;
  readonly skippedRecords: Counter<'job'>;
  readonly batchDuration: Histogram<'job'>;
  readonly stateEntries: Gauge<'job'>;
  readonly restoreDuration: Histogram<'job'>;
  readonly operatorRecords: Counter<'job' | 'operator' | 'direction'>;
  readonly outputRecords: Counter<'job' | 'topic'>;
  readonly operatorDuration: Histogram<'job' | 'operator'>;
  readonly partitionLag: PartitionGauge;
  readonly partitionPaused: PartitionGauge;
  readonly lateEvents: Counter<'job' | 'partition'>;
  readonly scriptCalls: Counter<'script' | 'version' | 'outcome'>;
  readonly scriptCallDuration: Histogram<'script' | 'version'>;
  readonly scriptActiveVersion: Gauge<'script' | 'role'>;
  readonly scriptSwapDelay: Histogram<'script'>;
  readonly scriptCanaryDecisions: Counter<'script' | 'decision'>;
  readonly scriptLoadFailures: Counter<'script' | 'version'>;
  private readonly watermarkSources: (() => Iterable<PartitionWatermark>)[] = [];

  constructor(registry: Registry) {
    const registers = [registry];
    this.records = new Counter({
      name: 'flowgate_processor_records_total',
      help: 'Request records by route and result (processed, failed, rejected, expired).',
      labelNames: ['route', 'result'],
      registers,
    });
    this.handlerDuration = new Histogram({
      name: 'flowgate_processor_handler_duration_seconds',
      help: 'Time a route handler took.',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.deadLetters = new Counter({
      name: 'flowgate_processor_dead_letters_total',
      help: 'Records sent to the DLQ, by reason (protocol, handler).',
      labelNames: ['reason'],
      registers,
    });
    this.pausedPartitions = new Gauge({
      name: 'flowgate_processor_paused_partitions',
      help: 'Partitions paused because their queue is full.',
      registers,
    });
    this.queuedRecords = new Gauge({
      name: 'flowgate_processor_queued_records',
      help: 'Records fetched and not yet finished, over all partitions.',
      registers,
    });
    this.assignedPartitions = new Gauge({
      name: 'flowgate_processor_assigned_partitions',
      help: 'Request partitions this processor owns.',
      registers,
    });
    this.rebalances = new Counter({ name: 'flowgate_processor_rebalances_total', help: 'Consumer group joins.', registers });
    this.batchCommits = new Counter({
      name: 'flowgate_processor_batch_commits_total',
      help: 'Batches of keyed jobs made durable (exactly-once: transactions), by job and result (committed, aborted).',
      labelNames: ['job', 'result'],
      registers,
    });
    this.skippedRecords = new Counter({
      name: 'flowgate_processor_skipped_records_total',
      help: 'Records of a keyed job passed over because the partition\'s state already held them (its consumer was positioned before the last commit, e.g. right after a rebalance).',
      labelNames: ['job'],
      registers,
    });
    this.batchDuration = new Histogram({
      name: 'flowgate_processor_batch_duration_seconds',
      help: 'Time to process and commit one batch of a keyed job.',
      labelNames: ['job'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.stateEntries = new Gauge({
      name: 'flowgate_processor_state_entries',
      help: 'Keyed state entries held for the partitions this processor owns, by job.',
      labelNames: ['job'],
      registers,
    });
    this.operatorRecords = new Counter({
      name: 'flowgate_processor_operator_records_total',
      help: 'Values into and out of each operator of each job (direction: in, out).',
      labelNames: ['job', 'operator', 'direction'],
      registers,
    });
    this.outputRecords = new Counter({
      name: 'flowgate_processor_output_records_total',
      help: 'Records keyed jobs wrote, by job and topic without the prefix (e.g. the late events of a window step).',
      labelNames: ['job', 'topic'],
      registers,
    });
    this.operatorDuration = new Histogram({
      name: 'flowgate_processor_operator_duration_seconds',
      help: 'Time an operator took for the values of one input record.',
      labelNames: ['job', 'operator'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.restoreDuration = new Histogram({
      name: 'flowgate_processor_state_restore_seconds',
      help: 'Time to rebuild a partition\'s state from its changelog after an assignment.',
      labelNames: ['job'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.partitionLag = new PartitionGauge(
      new Gauge({
        name: 'flowgate_processor_partition_lag',
        help: 'Records between the consumer group\'s committed offset and the end of each owned partition, by job (requests: the shared requests topic).',
        labelNames: ['job', 'partition'],
        registers,
      }),
    );
    this.partitionPaused = new PartitionGauge(
      new Gauge({
        name: 'flowgate_processor_partition_paused',
        help: '1 while an owned partition of the shared requests topic is paused because its queue is full, else 0.',
        labelNames: ['job', 'partition'],
        registers,
      }),
    );
    this.lateEvents = new Counter({
      name: 'flowgate_processor_late_events_total',
      help: 'Events a window step refused because all their windows were final, by job and partition.',
      labelNames: ['job', 'partition'],
      registers,
    });
    this.scriptCalls = new Counter({
      name: 'flowgate_script_calls_total',
      help: 'Script calls by script, version and outcome (ok; rejected: the script threw a RouteError below 500; error; budget: over its CPU time; memory: over its memory cap).',
      labelNames: ['script', 'version', 'outcome'],
      registers,
    });
    this.scriptCallDuration = new Histogram({
      name: 'flowgate_script_call_duration_seconds',
      help: 'Time one script call took, its capabilities\' I/O included.',
      labelNames: ['script', 'version'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.scriptSwapDelay = new Histogram({
      name: 'flowgate_script_swap_delay_seconds',
      help: 'From an activation (its changedAt, set by the gateway) to this processor serving it: read, loaded, examples run, swapped. Activations read at start are not counted.',
      labelNames: ['script'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.scriptActiveVersion = new Gauge({
      name: 'flowgate_script_active_version',
      help: 'Version of each script this processor serves, by role (stable, canary); absent when none.',
      labelNames: ['script', 'role'],
      registers,
    });
    this.scriptCanaryDecisions = new Counter({
      name: 'flowgate_script_canary_decisions_total',
      help: 'Automatic canary decisions this processor wrote, by script and decision (rollback, promote).',
      labelNames: ['script', 'decision'],
      registers,
    });
    this.scriptLoadFailures = new Counter({
      name: 'flowgate_script_load_failures_total',
      help: 'Activated script versions this processor could not load or whose examples failed here (the previous versions keep serving).',
      labelNames: ['script', 'version'],
      registers,
    });
    const sources = this.watermarkSources;
    new Gauge({
      name: 'flowgate_processor_watermark_lag_seconds',
      help: 'Wall clock minus the event-time watermark of each owned partition of a windowed job, at scrape time.',
      labelNames: ['job', 'partition'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const source of sources) {
          for (const { job, partition, watermarkMs } of source()) this.set({ job, partition: String(partition) }, (now - watermarkMs) / 1e3);
        }
      },
    });
  }

  /** Adds partitions whose watermark lag is computed when metrics are scraped (so it grows while idle). */
  watchWatermarks(source: () => Iterable<PartitionWatermark>): void {
    this.watermarkSources.push(source);
  }
}
