import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS } from './latency-buckets';

/** Every metric the sweeper exports, declared once. */
export class SweeperMetrics {
  readonly registryPending: Gauge;
  readonly timeoutOutbox: Gauge;
  readonly sweeps: Counter<'result'>;
  readonly sweepDuration: Histogram;
  readonly timeouts: Counter<'reason'>;
  readonly results: Counter<'result'>;
  readonly replySlots: Gauge<'state'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.registryPending = new Gauge({
      name: 'flowgate_sweeper_registry_pending',
      help: 'Requests in the registry waiting for an outcome (async and idempotent ones).',
      registers,
    });
    this.timeoutOutbox = new Gauge({
      name: 'flowgate_sweeper_timeout_outbox',
      help: 'Timed-out requests whose record is not on the timeouts topic yet.',
      registers,
    });
    this.sweeps = new Counter({
      name: 'flowgate_sweeper_sweeps_total',
      help: 'Sweeps of the registry, by result (ok, error).',
      labelNames: ['result'],
      registers,
    });
    this.sweepDuration = new Histogram({
      name: 'flowgate_sweeper_sweep_duration_seconds',
      help: 'Time of one sweep, publishing its timeout records included.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.timeouts = new Counter({
      name: 'flowgate_sweeper_timeouts_total',
      help: 'Timeout records published, by reason: gateway (the caller\'s gateway at the deadline) or sweeper (nobody waiting).',
      labelNames: ['reason'],
      registers,
    });
    this.results = new Counter({
      name: 'flowgate_sweeper_results_total',
      help: 'Async replies recorded in the registry, by result (recorded, late, again, unknown).',
      labelNames: ['result'],
      registers,
    });
    this.replySlots = new Gauge({
      name: 'flowgate_sweeper_reply_slots',
      help: 'Reply partitions by lease state (owned by a live gateway, free).',
      labelNames: ['state'],
      registers,
    });
  }
}
