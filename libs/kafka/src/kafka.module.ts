import { DynamicModule, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { kafkaSecurity } from '@flowgate/config';
import { ProducerMetrics, type Registry } from '@flowgate/metrics';
import { kafkaAccessError } from './kafka-access';
import { KafkaConnection } from './kafka-connection';

export interface KafkaModuleOptions {
  /** Names the client `flowgate-<app>-<instance>` and the producer metrics `flowgate_<app>_produce_*`. */
  readonly app: 'gateway' | 'processor' | 'sweeper';
  /** The app's validated config: brokers, TLS and SASL, instance id. */
  readonly config: Parameters<typeof kafkaSecurity>[0] & {
    readonly KAFKA_BROKERS: string[];
    readonly FLOWGATE_INSTANCE_ID: string;
  };
  /** A topic that exists, asked for by the health probe. */
  readonly probeTopic: string;
  /** Where the producer metrics are registered. */
  readonly registry: Registry;
  /** See `KafkaConnectionOptions.ackTimeoutMs`. */
  readonly ackTimeoutMs?: number;
  /** See `KafkaConnectionOptions.lingerMs` (the gateway's FLOWGATE_PRODUCE_LINGER_MS). */
  readonly lingerMs?: number;
}

/**
 * Provides the app's one `KafkaConnection`: configured from the app's config, its produce
 * batches and errors counted in the app's metrics, its health changes logged here. It is closed
 * here, in `onApplicationShutdown`: Nest runs that hook of an imported module after the app
 * module's own (and after a microservice's `close()`), so an app still produces, and a gateway
 * still reads replies, while it drains.
 *
 * @example
 * imports: [KafkaModule.forRoot({ app: 'sweeper', config, probeTopic: topics.timeouts, registry })]
 * constructor(kafka: KafkaConnection) {} // in any provider of the app module
 */
@Module({})
export class KafkaModule implements OnApplicationShutdown {
  constructor(@Inject(KafkaConnection) private readonly connection: KafkaConnection) {}

  static forRoot({ app, config, probeTopic, registry, ackTimeoutMs, lingerMs }: KafkaModuleOptions): DynamicModule {
    return {
      module: KafkaModule,
      providers: [
        {
          provide: KafkaConnection,
          useFactory: () => {
            const logger = new Logger(KafkaConnection.name);
            const connection = new KafkaConnection({
              brokers: config.KAFKA_BROKERS,
              ...kafkaSecurity(config),
              clientId: `flowgate-${app}-${config.FLOWGATE_INSTANCE_ID}`,
              probeTopic,
              ...(lingerMs === undefined ? {} : { lingerMs }),
              ...(ackTimeoutMs === undefined ? {} : { ackTimeoutMs }),
              // An ACL denial says so (user and resource kind), instead of kafkajs's bare "Not authorized".
              observer: new ProducerMetrics(registry, app).observer((error) => {
                const denied = kafkaAccessError(error, { user: config.KAFKA_SASL_USERNAME || undefined, doing: 'producing' });
                logger.warn(`produce failed: ${(denied ?? error).message}`);
              }),
            });
            connection.health.onChange((up) => {
              if (up) logger.log(`kafka is reachable again (last probe error: ${connection.health.lastError ?? 'none'})`);
              else logger.error('kafka unreachable: failing fast until a probe succeeds');
            });
            return connection;
          },
        },
      ],
      exports: [KafkaConnection],
    };
  }

  onApplicationShutdown(): Promise<void> {
    return this.connection.close();
  }
}
