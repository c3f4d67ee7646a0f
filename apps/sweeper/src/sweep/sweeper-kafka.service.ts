import { Inject, Injectable } from '@nestjs/common';
import { coreTopics, SweeperConfig } from '@flowgate/config';
import { topicNames } from '@flowgate/contracts';
import { KafkaConnection } from '@flowgate/kafka';
import { Readiness } from '@flowgate/http';
import { SWEEPER_CONFIG } from '../sweeper.tokens';

/** The sweeper's side of its Kafka connection (KafkaModule): its topics, ensured at boot. */
@Injectable()
export class SweeperKafka {
  readonly topics;

  constructor(
    @Inject(SWEEPER_CONFIG) private readonly config: SweeperConfig,
    readonly connection: KafkaConnection,
    readiness: Readiness,
  ) {
    this.topics = topicNames(config.FLOWGATE_TOPIC_PREFIX);
    readiness.register('kafka', () => connection.isReady);
  }

  async start(): Promise<void> {
    await this.connection.ensureTopics(coreTopics(this.config));
    await this.connection.connect();
  }
}
