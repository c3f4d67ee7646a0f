import { Inject, Injectable } from '@nestjs/common';
import type { SweeperConfig } from '@flowgate/config';
import { Readiness } from '@flowgate/http';
import { Redis, RedisConnection, RequestRegistry } from '@flowgate/redis';
import { SWEEPER_CONFIG } from '../sweeper.tokens';

/** The sweeper's Redis: the request registry, and the gateways' reply-partition leases. */
@Injectable()
export class SweeperStore {
  readonly redis: Redis;
  readonly registry: RequestRegistry;

  constructor(
    @Inject(SWEEPER_CONFIG) private readonly config: SweeperConfig,
    private readonly connection: RedisConnection,
    readiness: Readiness,
  ) {
    this.redis = connection.client;
    this.registry = new RequestRegistry(this.redis, {
      prefix: config.FLOWGATE_TOPIC_PREFIX,
      resultTtlS: config.FLOWGATE_RESULT_TTL_S,
      idempotencyTtlS: 1, // the sweeper never admits requests
    });
    readiness.register('redis', () => connection.ready);
  }

  start(): Promise<void> {
    return this.connection.connect();
  }

  /** How many reply partitions a live gateway holds a lease on (expired leases vanish by TTL). */
  async ownedReplySlots(): Promise<number> {
    const keys = Array.from({ length: this.config.FLOWGATE_REPLY_PARTITIONS }, (_, slot) => `${this.config.FLOWGATE_TOPIC_PREFIX}reply-slot:${slot}`);
    const owners = await this.redis.mget(...keys);
    return owners.filter((owner) => owner !== null).length;
  }
}
