import { Inject, Injectable, Logger } from '@nestjs/common';
import { coreTopics, kafkaSecurity, SweeperConfig } from '@flowgate/config';
import { topicNames } from '@flowgate/contracts';
import { ensureTopics, KafkaConnection } from '@flowgate/kafka';
import { ProducerMetrics, Registry } from '@flowgate/metrics';
import { METRICS_REGISTRY, Readiness } from '@flowgate/http';
import { SWEEPER_CONFIG } from '../sweeper.tokens';

/** The sweeper's Kafka: topics ensured at boot, a producer for timeout records, a health breaker. */
@Injectable()
export class SweeperKafka {
  private readonly logger = new Logger(SweeperKafka.name);
  readonly topics;
  readonly connection: KafkaConnection;

  constructor(
    @Inject(SWEEPER_CONFIG) private readonly config: SweeperConfig,
    @Inject(METRICS_REGISTRY) registry: Registry,
    readiness: Readiness,
  ) {
    this.topics = topicNames(config.FLOWGATE_TOPIC_PREFIX);
    this.connection = new KafkaConnection({
      brokers: config.KAFKA_BROKERS,
      ...kafkaSecurity(config),
      clientId: `flowgate-sweeper-${config.FLOWGATE_INSTANCE_ID}`,
      probeTopic: this.topics.timeouts,
      observer: new ProducerMetrics(registry, 'sweeper').observer((error) => this.logger.warn(`produce failed: ${error.message}`)),
    });
    readiness.register('kafka', () => this.connection.isConnected && this.connection.health.isUp);
  }

  async start(): Promise<void> {
    await ensureTopics(this.connection.kafka, coreTopics(this.config));
    await this.connection.connect();
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
