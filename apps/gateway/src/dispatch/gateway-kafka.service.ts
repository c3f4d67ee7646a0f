import { Inject, Injectable } from '@nestjs/common';
import { coreTopics, GatewayConfig } from '@flowgate/config';
import { topicNames } from '@flowgate/contracts';
import { KafkaConnection } from '@flowgate/kafka';
import { GatewayMetrics } from '@flowgate/metrics';
import { Readiness } from '@flowgate/http';
import { GATEWAY_CONFIG, GATEWAY_METRICS } from '../gateway.tokens';
import { accessLogTopic } from '../ingest/access-log-topic';

/** The gateway's side of its Kafka connection (KafkaModule): its topics, ensured at boot, and the kafkaUp gauge. */
@Injectable()
export class GatewayKafka {
  readonly topics;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GATEWAY_METRICS) metrics: GatewayMetrics,
    readonly connection: KafkaConnection,
    readiness: Readiness,
  ) {
    this.topics = topicNames(config.FLOWGATE_TOPIC_PREFIX);
    metrics.kafkaUp.set(1);
    connection.health.onChange((up) => metrics.kafkaUp.set(up ? 1 : 0));
    readiness.register('kafka', () => connection.isReady);
  }

  /** The SASL user the gateway writes as (undefined without SASL): named when Kafka denies a write. */
  get user(): string | undefined {
    return this.config.KAFKA_SASL_USERNAME || undefined;
  }

  async start(): Promise<void> {
    // Uploads go to the access-log topic even before a processor has run, as they always have.
    const ingest = { topic: accessLogTopic(this.config.FLOWGATE_TOPIC_PREFIX), numPartitions: this.config.FLOWGATE_REQUEST_PARTITIONS };
    await this.connection.ensureTopics([...coreTopics(this.config), ingest]);
    await this.connection.connect();
  }
}
