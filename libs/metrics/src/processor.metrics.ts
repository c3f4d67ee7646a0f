import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS } from './latency-buckets';

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
  readonly batchDuration: Histogram<'job'>;
  readonly stateEntries: Gauge<'job'>;
  readonly restoreDuration: Histogram<'job'>;
  readonly operatorRecords: Counter<'job' | 'operator' | 'direction'>;
  readonly outputRecords: Counter<'job' | 'topic'>;
  readonly operatorDuration: Histogram<'job' | 'operator'>;

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
      help: 'Records keyed jobs wrote, by job and topic without the prefix (e.g. ip-counts.late: late events).',
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
  }
}
