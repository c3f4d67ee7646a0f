import { Inject, Injectable, Logger } from '@nestjs/common';
import type { GatewayConfig } from '@flowgate/config';
import type { GatewayMetrics } from '@flowgate/metrics';
import { RedisConnection, RequestRegistry } from '@flowgate/redis';
import { GATEWAY_CONFIG, GATEWAY_METRICS } from '../gateway.tokens';

type Registry = Pick<RequestRegistry, 'admit' | 'forget' | 'complete' | 'expire' | 'get' | 'getByHandle'>;

/**
 * The gateway's handle on the request registry, on the gateway's Redis connection: every call timed
 * by operation and result so the registry's cost per request shows on the dashboard. Requests
 * without Prefer: respond-async or Idempotency-Key never come here.
 */
@Injectable()
export class GatewayRegistry implements Registry {
  private readonly logger = new Logger(GatewayRegistry.name);
  private readonly registry: RequestRegistry;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(GATEWAY_METRICS) private readonly metrics: GatewayMetrics,
    private readonly redis: RedisConnection,
  ) {
    this.registry = new RequestRegistry(redis.client, {
      prefix: config.FLOWGATE_TOPIC_PREFIX,
      resultTtlS: config.FLOWGATE_RESULT_TTL_S,
      idempotencyTtlS: config.FLOWGATE_IDEMPOTENCY_TTL_S,
    });
  }

  /** Connects in the background: while Redis is out of reach only registry calls fail (503). */
  start(): void {
    this.redis.connect().catch((error: Error) => this.logger.warn(`registry redis not reachable yet: ${error.message}`));
  }

  admit: Registry['admit'] = (...args) => this.timed('admit', this.registry.admit(...args));
  forget: Registry['forget'] = (...args) => this.timed('forget', this.registry.forget(...args));
  complete: Registry['complete'] = (...args) => this.timed('complete', this.registry.complete(...args));
  expire: Registry['expire'] = (...args) => this.timed('expire', this.registry.expire(...args));
  get: Registry['get'] = (...args) => this.timed('get', this.registry.get(...args));
  getByHandle: Registry['getByHandle'] = (...args) => this.timed('get', this.registry.getByHandle(...args));

  private async timed<T>(op: string, call: Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    let result = 'ok';
    try {
      return await call;
    } catch (error) {
      result = 'error';
      throw error;
    } finally {
      this.metrics.registryCalls.observe({ op, result }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}
