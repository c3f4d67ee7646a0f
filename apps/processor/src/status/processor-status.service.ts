import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ProcessorConfig } from '@flowgate/config';
import { encodeStatus, STATUS_INTERVAL_MS, statusKey, topicNames } from '@flowgate/contracts';
import { METRICS_REGISTRY } from '@flowgate/http';
import { KafkaConnection, StatusPublisher } from '@flowgate/kafka';
import { type Registry, readMetricSamples } from '@flowgate/metrics';
import { describeJob, type JobPlacement } from '@flowgate/stream';
import { JOB_PLACEMENT, PROCESSOR_CONFIG } from '../processor.tokens';
import { REQUESTS_LANE } from '../transport/partition-metrics';
import { buildProcessorStatus, PlacedTopology, PROCESSOR_STATUS_METRICS } from './processor-status';

/**
 * Publishes this processor's status (its jobs' graphs, per-operator counters, owned and paused
 * partitions, lag, watermarks, commits, and the scripts it serves) to `<prefix>status` every
 * second, read from its metrics registry, and a tombstone at shutdown; the console follows that topic.
 */
@Injectable()
export class ProcessorStatusService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(ProcessorStatusService.name);
  private readonly publisher: StatusPublisher;
  private readonly placed: PlacedTopology[];
  private lastError = '';

  constructor(
    @Inject(PROCESSOR_CONFIG) config: ProcessorConfig,
    @Inject(JOB_PLACEMENT) placement: JobPlacement,
    @Inject(METRICS_REGISTRY) registry: Registry,
    connection: KafkaConnection,
  ) {
    const topics = topicNames(config.FLOWGATE_TOPIC_PREFIX);
    const startedAt = Date.now();
    this.placed = [
      ...[...new Set(placement.sharedRoutes.values())].map((job) => ({ topology: describeJob(job), lane: REQUESTS_LANE, topic: topics.requests })),
      ...placement.partitioned.map(({ job, sourceTopic }) => ({ topology: describeJob(job), lane: job.name, topic: sourceTopic })),
    ];
    this.publisher = new StatusPublisher({
      connection,
      topic: topics.status,
      key: statusKey('processor', config.FLOWGATE_INSTANCE_ID),
      intervalMs: STATUS_INTERVAL_MS,
      ready: () => connection.isConnected,
      build: async () =>
        encodeStatus(
          buildProcessorStatus({
            instance: config.FLOWGATE_INSTANCE_ID,
            startedAt,
            now: Date.now(),
            placed: this.placed,
            samples: await readMetricSamples(registry, PROCESSOR_STATUS_METRICS),
          }),
        ),
      onError: (error) => {
        // Kafka being away shows elsewhere; say it once, not every second.
        if (error.message !== this.lastError) this.log.warn(`status not published: ${error.message}`);
        this.lastError = error.message;
      },
    });
  }

  onApplicationBootstrap(): void {
    this.publisher.start();
  }

  /** After the drain (the app module's hook runs before KafkaModule closes the connection). */
  onApplicationShutdown(): Promise<void> {
    return this.publisher.stop();
  }
}
