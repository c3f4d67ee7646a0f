import { DynamicModule, Module } from '@nestjs/common';
import { redisSentinel, SweeperConfig } from '@flowgate/config';
import { topicNames } from '@flowgate/contracts';
import { HealthModule } from '@flowgate/http';
import { KafkaModule } from '@flowgate/kafka';
import { Registry, SweeperMetrics } from '@flowgate/metrics';
import { RedisModule } from '@flowgate/redis';
import { DeadlineSweeper } from './sweep/deadline-sweeper.service';
import { ResultRecorder } from './sweep/result-recorder.service';
import { SweeperKafka } from './sweep/sweeper-kafka.service';
import { SweeperStore } from './sweep/sweeper-store.service';
import { SweeperLifecycle } from './sweeper.lifecycle';
import { SWEEPER_CONFIG, SWEEPER_METRICS } from './sweeper.tokens';

/**
 * The sweeper owns deadlines that outlive a connection: it times out registered requests past
 * their deadline (publishing `<prefix>timeouts`), and records the outcome of async replies in
 * the registry. Run two or more: they share the work without doing any of it twice.
 */
@Module({})
export class SweeperModule {
  static forRoot(config: SweeperConfig, registry: Registry): DynamicModule {
    return {
      module: SweeperModule,
      imports: [
        HealthModule.forRoot(registry),
        RedisModule.forRoot({ url: config.REDIS_URL, sentinel: redisSentinel(config), name: `flowgate-sweeper-${config.FLOWGATE_INSTANCE_ID}` }),
        KafkaModule.forRoot({ app: 'sweeper', config, probeTopic: topicNames(config.FLOWGATE_TOPIC_PREFIX).timeouts, registry }),
      ],
      providers: [
        { provide: SWEEPER_CONFIG, useValue: config },
        { provide: SWEEPER_METRICS, useValue: new SweeperMetrics(registry) },
        SweeperStore,
        SweeperKafka,
        ResultRecorder,
        DeadlineSweeper,
        SweeperLifecycle,
      ],
    };
  }
}
