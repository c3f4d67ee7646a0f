import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { GatewayConfig } from '@flowgate/config';
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
  private readonly publisher: StatusPublisher;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, @Inject(METRICS_REGISTRY) registry: Registry, connection: KafkaConnection) {
    const startedAt = Date.now();
    const { FLOWGATE_INSTANCE_ID: instance, FLOWGATE_EVENT_ROUTE: eventRoute } = config;
    const log = new Logger(GatewayStatusService.name);
    this.publisher = new StatusPublisher({
      connection,
      topicPrefix: config.FLOWGATE_TOPIC_PREFIX,
      app: 'gateway',
      instance,
      build: async () => buildGatewayStatus({ instance, startedAt, now: Date.now(), ...(eventRoute ? { eventRoute } : {}), samples: await readMetricSamples(registry, GATEWAY_STATUS_METRICS) }),
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
