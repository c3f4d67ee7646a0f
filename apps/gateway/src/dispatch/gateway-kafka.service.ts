import { Inject, Injectable, Logger } from '@nestjs/common';
import { coreTopics, GatewayConfig, kafkaSecurity } from '@flowgate/config';
import { topicNames } from '@flowgate/contracts';
import { ensureTopics, KafkaConnection } from '@flowgate/kafka';
import { GatewayMetrics, ProducerMetrics, Registry } from '@flowgate/metrics';
import { METRICS_REGISTRY, Readiness } from '@flowgate/http';
import { GATEWAY_CONFIG, GATEWAY_METRICS } from '../gateway.tokens';
import { accessLogTopic } from '../ingest/access-log-topic';

/** The gateway's Kafka: topics ensured at boot, one batching producer, a health breaker. */
@Injectable()
export class GatewayKafka {
  private readonly logger = new Logger(GatewayKafka.name);
  readonly topics;
  readonly connection: KafkaConnection;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GATEWAY_METRICS) metrics: GatewayMetrics,
    @Inject(METRICS_REGISTRY) registry: Registry,
    readiness: Readiness,
  ) {
    this.topics = topicNames(config.FLOWGATE_TOPIC_PREFIX);
    this.connection = new KafkaConnection({
      brokers: config.KAFKA_BROKERS,
      ...kafkaSecurity(config),
      clientId: `flowgate-gateway-${config.FLOWGATE_INSTANCE_ID}`,
      probeTopic: this.topics.requests,
      ackTimeoutMs: config.FLOWGATE_PRODUCE_TIMEOUT_MS,
      observer: new ProducerMetrics(registry, 'gateway').observer((error) => this.logger.warn(`produce failed: ${error.message}`)),
    });
    metrics.kafkaUp.set(1);
    this.connection.health.onChange((up) => {
      metrics.kafkaUp.set(up ? 1 : 0);
      if (up) this.logger.log(`kafka is reachable again (last probe error: ${this.connection.health.lastError ?? 'none'})`);
      else this.logger.error('kafka unreachable: answering 503 until a probe succeeds');
    });
    readiness.register('kafka', () => this.connection.isConnected && this.connection.health.isUp);
  }

  async start(): Promise<void> {
    // Uploads go to the access-log topic even before a processor has run, as they always have.
    const ingest = { topic: accessLogTopic(this.config.FLOWGATE_TOPIC_PREFIX), numPartitions: this.config.FLOWGATE_REQUEST_PARTITIONS };
    await ensureTopics(this.connection.kafka, [...coreTopics(this.config), ingest]);
    await this.connection.connect();
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
