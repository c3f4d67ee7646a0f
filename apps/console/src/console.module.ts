import { DynamicModule, Module } from '@nestjs/common';
import { ConsoleConfig, kafkaSecurity } from '@flowgate/config';
import { topicNames } from '@flowgate/contracts';
import { HealthModule } from '@flowgate/http';
import { KafkaConnection } from '@flowgate/kafka';
import type { Registry } from '@flowgate/metrics';
import { ConsoleAuth } from './auth/console-auth';
import { ScriptActivations } from './board/script-activations.service';
import { StatusBoard } from './board/status-board.service';
import { ConsoleLifecycle } from './console.lifecycle';
import { CONSOLE_CONFIG } from './console.tokens';
import { DeadLetters } from './dlq/dead-letters.service';
import { ConsoleController } from './http/console.controller';
import { PageStreams } from './http/page-streams';

/**
 * The live DAG console: follows `<prefix>status` (what every processor and gateway publishes),
 * the activations of `<prefix>scripts` and the end of `<prefix>dlq`, and serves the page that draws every job with its figures. It
 * only reads Kafka, so its connection has no producer work (KafkaModule's producer metrics
 * belong to the apps that write).
 */
@Module({})
export class ConsoleModule {
  static forRoot(config: ConsoleConfig, registry: Registry): DynamicModule {
    return {
      module: ConsoleModule,
      imports: [HealthModule.forRoot(registry, { metrics: false })],
      controllers: [ConsoleController],
      providers: [
        { provide: CONSOLE_CONFIG, useValue: config },
        {
          provide: KafkaConnection,
          useFactory: () =>
            new KafkaConnection({
              brokers: config.KAFKA_BROKERS,
              ...kafkaSecurity(config),
              clientId: `flowgate-console-${config.FLOWGATE_INSTANCE_ID}`,
              probeTopic: topicNames(config.FLOWGATE_TOPIC_PREFIX).status,
            }),
        },
        { provide: ConsoleAuth, useValue: new ConsoleAuth(config.FLOWGATE_CONSOLE_AUTH === 'token' ? config.FLOWGATE_ADMIN_TOKEN : undefined) },
        { provide: PageStreams, useValue: new PageStreams() },
        ScriptActivations,
        StatusBoard,
        DeadLetters,
        ConsoleLifecycle,
      ],
    };
  }
}
