import { Inject, Injectable, Logger } from '@nestjs/common';
import type { GatewayConfig } from '@flowgate/config';
import { decodeReplyHeaders, groupNames, HEADERS, headerString, ProtocolError } from '@flowgate/contracts';
import type { PartitionReader, ReadRecord } from '@flowgate/kafka';
import { METRICS_REGISTRY, Readiness } from '@flowgate/http';
import { ConsumerMetrics, type GatewayMetrics, type Registry } from '@flowgate/metrics';
import { RedisConnection, SlotLease } from '@flowgate/redis';
import { FlowControl } from '../admission/flow-control.service';
import { InflightTable } from '../admission/inflight-table';
import { GatewayKafka } from '../dispatch/gateway-kafka.service';
import { GATEWAY_CONFIG, GATEWAY_METRICS } from '../gateway.tokens';

/**
 * Owns this gateway's reply partition: leases a free one in Redis (or takes the configured one),
 * reads exactly that partition, and hands each reply to the request waiting for it. Replies for
 * other gateways are never read here, so adding gateways adds no reply fan-out.
 */
@Injectable()
export class ReplySlotService {
  private readonly logger = new Logger(ReplySlotService.name);
  private readonly lease: SlotLease;
  private reader: PartitionReader | undefined;
  private slot: number | undefined;
  private ready = false;
  private readyWaiter: (() => void) | undefined;
  private readonly consumerMetrics: ConsumerMetrics;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GATEWAY_METRICS) private readonly metrics: GatewayMetrics,
    private readonly kafka: GatewayKafka,
    private readonly table: InflightTable,
    private readonly flow: FlowControl,
    private readonly redis: RedisConnection,
    readiness: Readiness,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.consumerMetrics = new ConsumerMetrics(registry, 'gateway');
    this.lease = new SlotLease({
      redis: redis.client,
      keyPrefix: `${config.FLOWGATE_TOPIC_PREFIX}reply-slot:`,
      slots: config.FLOWGATE_REPLY_PARTITIONS,
      owner: config.FLOWGATE_INSTANCE_ID,
      ttlMs: config.FLOWGATE_REPLY_LEASE_MS,
      onLost: (slot) => this.onLeaseLost(slot),
      onRenewError: (error) => this.logger.warn(`reply slot lease renewal failed (will retry): ${String(error)}`),
    });
    metrics.replySlot.set(-1);
    readiness.register('replySlot', () => this.ready);
  }

  /** The partition replies for this gateway's requests go to; undefined until started. */
  get partition(): number | undefined {
    return this.ready ? this.slot : undefined;
  }

  async start(): Promise<void> {
    const { config } = this;
    const partitions = await this.kafka.connection.partitionCount(this.kafka.topics.replies);
    if (config.FLOWGATE_REPLY_PARTITION !== undefined) {
      if (config.FLOWGATE_REPLY_PARTITION >= partitions) {
        throw new Error(`FLOWGATE_REPLY_PARTITION=${config.FLOWGATE_REPLY_PARTITION} but ${this.kafka.topics.replies} has ${partitions} partitions`);
      }
      this.slot = config.FLOWGATE_REPLY_PARTITION;
    } else {
      await this.redis.connect();
      this.slot = await this.lease.acquire();
    }
    const slot = this.slot;
    const readyNow = new Promise<void>((resolve) => (this.readyWaiter = resolve));
    this.reader = this.kafka.connection.partitionReader({
      topic: this.kafka.topics.replies,
      partition: slot,
      groupId: groupNames(config.FLOWGATE_TOPIC_PREFIX).replySlot(slot),
      // Shorter than the lease, so a crashed owner has left the group before its slot is re-leased.
      sessionTimeoutMs: Math.min(10_000, Math.floor((config.FLOWGATE_REPLY_LEASE_MS * 2) / 3)),
      onRecord: (record) => this.onReply(record),
      onReady: (ready) => this.setReady(ready),
      onCrash: (error, restartedBy) => {
        // Usually Kafka is out of reach: open the breaker so callers get 503 at once.
        this.consumerMetrics.crashes.inc({ consumer: 'replies', restarted_by: restartedBy });
        this.logger.warn(`reply reader crashed, restarted by ${restartedBy}: ${error.message}`);
        this.kafka.connection.health.markFailure();
      },
      onError: (error) => this.logger.error(`positioning on reply partition ${slot} failed: ${String(error)}`),
    });
    await this.reader.start();
    await readyNow;
    this.metrics.replySlot.set(slot);
    this.logger.log(`reading replies from ${this.kafka.topics.replies}[${slot}]`);
  }

  async stop(): Promise<void> {
    await this.reader?.stop();
    if (this.config.FLOWGATE_REPLY_PARTITION === undefined) await this.lease.release();
    this.metrics.replySlot.set(-1);
  }

  private setReady(ready: boolean): void {
    this.ready = ready;
    if (ready) this.readyWaiter?.();
  }

  private onReply(record: ReadRecord): void {
    let meta;
    try {
      meta = decodeReplyHeaders(record.headers);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.metrics.orphanReplies.inc();
      this.logger.warn(`dropping malformed reply at offset ${record.offset}: ${error.message}`);
      return;
    }
    const scriptVersion = headerString(record.headers, HEADERS.scriptVersion);
    this.flow.observeReply(meta.requestId, meta.queueMs, meta.handleMs);
    const delivery = this.table.deliver(meta.requestId, {
      status: meta.status,
      contentType: meta.contentType,
      body: record.value ?? Buffer.alloc(0),
      ...(scriptVersion === undefined ? {} : { scriptVersion }),
    });
    // Nobody here waits for an async reply any more: the sweepers record it in the registry.
    if (delivery !== 'delivered' && meta.replyMode === 'async') return;
    if (delivery === 'late') this.metrics.lateReplies.inc();
    else if (delivery === 'orphan') this.metrics.orphanReplies.inc();
  }

  private onLeaseLost(slot: number): void {
    this.ready = false;
    this.metrics.replySlot.set(-1);
    // Another gateway may now read this partition: replies would be split between us. Stop
    // taking work and leave; the orchestrator (or `npm start`'s supervisor) starts a fresh one.
    this.logger.fatal(`lost the lease on reply partition ${slot}; shutting down`);
    process.kill(process.pid, 'SIGTERM');
  }
}
