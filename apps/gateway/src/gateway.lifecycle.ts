import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { RouteCatalog } from './catalog/route-catalog.service';
import { RequestDispatcher } from './dispatch/request-dispatcher.service';
import { GatewayKafka } from './dispatch/gateway-kafka.service';
import { GatewayRegistry } from './registry/gateway-registry.service';
import { ReplySlotService } from './replies/reply-slot.service';
import { ScriptAdmin } from './scripts/script-admin.service';
import { ScriptStore } from './scripts/script-store.service';

/**
 * Start and stop in one visible order. Start: Kafka (topics, producer), the route catalog (read
 * to its end) and, with the admin API on, the scripts and audit topics, then the reply partition;
 * only then is the gateway ready. Stop (SIGTERM): refuse new requests and let the
 * pending ones finish (each is bounded by its deadline) while replies are still read; then close
 * HTTP (Nest does that between the two hooks), then the reply reader and its lease; KafkaModule
 * and RedisModule close Kafka and Redis after these hooks.
 */
@Injectable()
export class GatewayLifecycle implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(GatewayLifecycle.name);

  constructor(
    private readonly kafka: GatewayKafka,
    private readonly replies: ReplySlotService,
    private readonly dispatcher: RequestDispatcher,
    private readonly registry: GatewayRegistry,
    private readonly catalog: RouteCatalog,
    private readonly admin: ScriptAdmin,
    private readonly scripts: ScriptStore,
  ) {}

  async start(): Promise<void> {
    this.registry.start();
    await this.kafka.start();
    await Promise.all([this.catalog.start(), this.replies.start(), this.admin.enabled ? this.scripts.start() : undefined]);
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.log(`${signal ?? 'shutdown'}: draining in-flight requests`);
    await this.dispatcher.drain();
    this.logger.log('drained');
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.replies.stop(), this.catalog.stop(), this.scripts.stop()]);
  }
}
