import { DynamicModule, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { RedisSentinelOptions } from './redis-client';
import { RedisConnection } from './redis-connection';

export interface RedisModuleOptions {
  readonly url: string;
  /** Find the primary through Sentinels (REDIS_SENTINELS); `url` then gives only credentials, db and TLS. */
  readonly sentinel?: RedisSentinelOptions;
  /** The client's name in Redis (`CLIENT LIST`), e.g. `flowgate-gateway-<instance>`. */
  readonly name: string;
}

/**
 * Provides the app's one `RedisConnection`. Its errors are logged here, and it is closed here, in
 * `onApplicationShutdown`: Nest runs that hook of an imported module after the importing app
 * module's own, so the app can still release its leases on the way out.
 *
 * @example
 * imports: [RedisModule.forRoot({ url: config.REDIS_URL, sentinel: redisSentinel(config), name: `flowgate-sweeper-${id}` })]
 * constructor(redis: RedisConnection) {} // in any provider of the app module
 */
@Module({})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(RedisConnection) private readonly connection: RedisConnection) {}

  static forRoot(options: RedisModuleOptions): DynamicModule {
    const logger = new Logger(RedisConnection.name);
    return {
      module: RedisModule,
      providers: [
        {
          provide: RedisConnection,
          useFactory: () => new RedisConnection({ ...options, onError: (error) => logger.warn(`redis: ${error.message}`) }),
        },
      ],
      exports: [RedisConnection],
    };
  }

  onApplicationShutdown(): Promise<void> {
    return this.connection.close();
  }
}
