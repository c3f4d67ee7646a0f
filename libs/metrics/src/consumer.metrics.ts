import { Counter, Registry } from 'prom-client';

/** Metrics of an app's Kafka consumers; `component` is the app that owns them. */
export class ConsumerMetrics {
  readonly crashes: Counter<'consumer' | 'restarted_by'>;

  constructor(registry: Registry, component: 'gateway' | 'processor' | 'sweeper') {
    this.crashes = new Counter({
      name: `flowgate_${component}_consumer_crashes_total`,
      help: 'Kafka consumers that crashed and were started again, by consumer and by who restarted it (kafkajs, supervisor).',
      labelNames: ['consumer', 'restarted_by'],
      registers: [registry],
    });
  }
}
