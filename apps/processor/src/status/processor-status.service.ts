import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ProcessorConfig } from '@flowgate/config';
import { topicNames } from '@flowgate/contracts';
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
 * second, read from its metrics registry, and a tombstone at shutdown; the console follows it.
 */
@Injectable()
export class ProcessorStatusService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly publisher: StatusPublisher;

  constructor(
    @Inject(PROCESSOR_CONFIG) config: ProcessorConfig,
    @Inject(JOB_PLACEMENT) placement: JobPlacement,
    @Inject(METRICS_REGISTRY) registry: Registry,
    connection: KafkaConnection,
  ) {
    const requests = topicNames(config.FLOWGATE_TOPIC_PREFIX).requests;
    const placed: PlacedTopology[] = [
      ...[...new Set(placement.sharedRoutes.values())].map((job) => ({ topology: describeJob(job), lane: REQUESTS_LANE, topic: requests })),
      ...placement.partitioned.map(({ job, sourceTopic }) => ({ topology: describeJob(job), lane: job.name, topic: sourceTopic })),
    ];
    const startedAt = Date.now();
    const instance = config.FLOWGATE_INSTANCE_ID;
    const log = new Logger(ProcessorStatusService.name);
    this.publisher = new StatusPublisher({
      connection,
      topicPrefix: config.FLOWGATE_TOPIC_PREFIX,
      app: 'processor',
      instance,
      build: async () => buildProcessorStatus({ instance, startedAt, now: Date.now(), placed, samples: await readMetricSamples(registry, PROCESSOR_STATUS_METRICS) }),
      warn: (message) => log.warn(message),
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
