import { Inject, Injectable, Logger } from '@nestjs/common';
import type { SweeperConfig } from '@flowgate/config';
import { decodeReplyHeaders, groupNames, ProtocolError } from '@flowgate/contracts';
import type { ConsumedRecord, ParallelConsumer } from '@flowgate/kafka';
import { METRICS_REGISTRY } from '@flowgate/http';
import { ConsumerMetrics, type Registry, type SweeperMetrics } from '@flowgate/metrics';
import { retry } from '@flowgate/retry';
import { SWEEPER_CONFIG, SWEEPER_METRICS } from '../sweeper.tokens';
import { SweeperKafka } from './sweeper-kafka.service';
import { SweeperStore } from './sweeper-store.service';

const RETRY_MS = [100, 250, 500, 1_000, 2_000];

/**
 * Records the outcome of every `async` reply in the registry, whichever gateway's partition it
 * landed on and whether that gateway is still alive. Sweepers share one consumer group on the
 * replies topic, so each reply is recorded by one of them and a dead sweeper's partitions move.
 * A Redis failure is retried (Kafka's lag is the buffer), never skipped.
 */
@Injectable()
export class ResultRecorder {
  private readonly logger = new Logger(ResultRecorder.name);
  private consumer: ParallelConsumer | undefined;
  private readonly consumerMetrics: ConsumerMetrics;

  constructor(
    @Inject(SWEEPER_CONFIG) private readonly config: SweeperConfig,
    @Inject(SWEEPER_METRICS) private readonly metrics: SweeperMetrics,
    private readonly store: SweeperStore,
    private readonly kafka: SweeperKafka,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.consumerMetrics = new ConsumerMetrics(registry, 'sweeper');
  }

  async start(): Promise<void> {
    this.consumer = this.kafka.connection.parallelConsumer({
      groupId: groupNames(this.config.FLOWGATE_TOPIC_PREFIX).resultRecorder,
      topic: this.kafka.topics.replies,
      concurrency: 32,
      maxQueue: 1_000,
      commitIntervalMs: 500,
      handle: (record) => this.record(record),
      observer: {
        onAssigned: (partitions) => this.logger.log(`recording results of replies partitions [${partitions.join(', ')}]`),
        onPausedChange: () => undefined,
        onQueuedChange: () => undefined,
        onHandlerError: (error, record) => this.logger.error(`reply ${record.partition}/${record.offset} not recorded: ${String(error)}`),
        onCommitError: (error) => this.logger.warn(`offset commit failed (next one catches up): ${String(error)}`),
        onCrash: (error, restartedBy) => {
          this.consumerMetrics.crashes.inc({ consumer: 'result-recorder', restarted_by: restartedBy });
          this.logger.warn(`result recorder's consumer crashed, restarted by ${restartedBy}: ${error.message}`);
        },
      },
    });
    await this.consumer.start();
  }

  /** A record still retrying when this returns stays uncommitted: the partition's next owner records it. */
  async stop(): Promise<void> {
    await this.consumer?.stop(5_000);
  }

  private async record(record: ConsumedRecord): Promise<void> {
    let meta;
    try {
      meta = decodeReplyHeaders(record.headers);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.metrics.results.inc({ result: 'malformed' });
      return;
    }
    if (meta.replyMode !== 'async') return; // a sync reply: only its gateway cares
    const outcome = {
      status: meta.status < 400 ? 'succeeded' : 'failed',
      code: meta.status,
      contentType: meta.contentType,
      body: record.value?.toString('utf8') ?? '',
    } as const;
    const result = await retry(() => this.store.registry.complete(meta.requestId, outcome), {
      delayMs: RETRY_MS,
      onRetry: (error, attempt) => {
        if (attempt === 1) this.logger.warn(`recording ${meta.requestId} failed, retrying: ${(error as Error).message}`);
      },
    });
    this.metrics.results.inc({ result });
  }
}
