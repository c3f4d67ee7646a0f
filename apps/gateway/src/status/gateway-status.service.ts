import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { GatewayConfig } from '@flowgate/config';
import { encodeStatus, STATUS_INTERVAL_MS, statusKey, topicNames } from '@flowgate/contracts';
import { METRICS_REGISTRY } from '@flowgate/http';
import { KafkaConnection, StatusPublisher } from '@flowgate/kafka';
import { type Registry, readMetricSamples } from '@flowgate/metrics';
import { GATEWAY_CONFIG } from '../gateway.tokens';
import { buildGatewayStatus, GATEWAY_STATUS_METRICS } from './gateway-status';

/**
 * Publishes this gateway's status (requests by route and status, latency, in-flight against its
 * limit, rejections) to `<prefix>status` every second, read from its metrics registry, and a
 * tombstone at shutdown, after the drain; the console follows that topic.
 */
@Injectable()
export class GatewayStatusService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(GatewayStatusService.name);
  private readonly publisher: StatusPublisher;
  private lastError = '';

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, @Inject(METRICS_REGISTRY) registry: Registry, connection: KafkaConnection) {
    const startedAt = Date.now();
    this.publisher = new StatusPublisher({
      connection,
      topic: topicNames(config.FLOWGATE_TOPIC_PREFIX).status,
      key: statusKey('gateway', config.FLOWGATE_INSTANCE_ID),
      intervalMs: STATUS_INTERVAL_MS,
      ready: () => connection.isConnected,
      build: async () =>
        encodeStatus(
          buildGatewayStatus({
            instance: config.FLOWGATE_INSTANCE_ID,
            startedAt,
            now: Date.now(),
            ...(config.FLOWGATE_EVENT_ROUTE ? { eventRoute: config.FLOWGATE_EVENT_ROUTE } : {}),
            samples: await readMetricSamples(registry, GATEWAY_STATUS_METRICS),
          }),
        ),
      onError: (error) => {
        if (error.message !== this.lastError) this.log.warn(`status not published: ${error.message}`);
        this.lastError = error.message;
      },
    });
  }

  onApplicationBootstrap(): void {
    this.publisher.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.publisher.stop();
  }
}
