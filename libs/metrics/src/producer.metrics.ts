import { Counter, Histogram, Registry } from 'prom-client';
import { BATCH_SIZE_BUCKETS, LATENCY_BUCKETS } from './latency-buckets';

/** Metrics of a batching Kafka producer; `component` is the app that owns it. */
export class ProducerMetrics {
  readonly batchSize: Histogram;
  readonly produceDuration: Histogram;
  readonly produceErrors: Counter;

  constructor(registry: Registry, component: 'gateway' | 'processor' | 'sweeper') {
    const registers = [registry];
    this.batchSize = new Histogram({
      name: `flowgate_${component}_produce_batch_size`,
      help: 'Records per Kafka produce request.',
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    });
    this.produceDuration = new Histogram({
      name: `flowgate_${component}_produce_duration_seconds`,
      help: 'Time from a produce request sent to its acknowledgement.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.produceErrors = new Counter({
      name: `flowgate_${component}_produce_errors_total`,
      help: 'Produce requests that failed.',
      registers,
    });
  }

  /** Callbacks for a batching producer that record its batches and errors here. */
  observer(onError: (error: Error) => void) {
    return {
      onBatch: (size: number, seconds: number) => {
        this.batchSize.observe(size);
        this.produceDuration.observe(seconds);
      },
      onError: (error: Error) => {
        this.produceErrors.inc();
        onError(error);
      },
    };
  }
}
