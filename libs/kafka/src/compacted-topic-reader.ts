import { randomUUID } from 'node:crypto';
import { Consumer, Kafka } from 'kafkajs';
import { ConsumerSupervisor, RestartedBy } from './consumer-supervisor';
import { NEVER_PAUSED_MAX_WAIT_MS } from './kafka-client';
import { topicOffsets } from './topic-admin';

export interface CompactedTopicReaderOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** Prefix of the reader's own consumer group (a random suffix makes it this reader's alone). */
  readonly groupPrefix: string;
  /** Every record from the beginning, in order per partition; `value` null for a tombstone. Must not throw. */
  readonly onRecord: (key: string, value: Buffer | null) => void;
  /** The consumer crashed (e.g. Kafka out of reach) and is being started again. */
  readonly onCrash: (error: Error, restartedBy: RestartedBy) => void;
}

/**
 * Reads a compacted topic as a table, the way Kafka Streams reads a GlobalKTable: every record
 * from the beginning, then each new one as it arrives, in a consumer group of its own that never
 * commits (so a restart reads the table again). `caughtUp` resolves once the reader has read
 * everything the topic held when it started.
 */
export class CompactedTopicReader {
  private readonly supervisor: ConsumerSupervisor;
  private readonly groupId: string;
  /** Next offset to read up to, per partition, before the reader has caught up. */
  private pending: Map<number, bigint> | undefined;
  private resolveCaughtUp!: () => void;
  readonly caughtUp = new Promise<void>((resolve) => (this.resolveCaughtUp = resolve));
  /** Next offset per partition after the records the reader has applied (control records included). */
  private readonly positions = new Map<number, bigint>();
  private readonly endWaiters = new Set<{ ends: Map<number, bigint>; resolve: () => void }>();

  constructor(private readonly options: CompactedTopicReaderOptions) {
    this.groupId = `${options.groupPrefix}${randomUUID()}`;
    this.supervisor = new ConsumerSupervisor({
      create: () =>
        options.kafka.consumer({
          groupId: this.groupId,
          sessionTimeout: 10_000,
          heartbeatInterval: 3_000,
          maxWaitTimeInMs: NEVER_PAUSED_MAX_WAIT_MS,
          retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2_000 },
        }),
      run: (consumer) => this.run(consumer),
      onCrash: options.onCrash,
    });
  }

  /** Starts reading; resolves when the consumer runs (await `caughtUp` for the table). */
  async start(): Promise<void> {
    await this.snapshotEnds();
    await this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor.stop();
  }

  /**
   * Resolves once the reader has applied every record the topic holds now: after a write of
   * one's own, the table then has it and everything written before it (read-your-writes), at the
   * cost of one offsets request instead of a consumer group of its own.
   */
  async readToEnd(): Promise<void> {
    const offsets = await topicOffsets(this.options.kafka, this.options.topic);
    const ends = new Map(offsets.filter((o) => BigInt(o.high) > (this.positions.get(o.partition) ?? BigInt(o.low))).map((o) => [o.partition, BigInt(o.high)]));
    if (ends.size === 0) return;
    await new Promise<void>((resolve) => this.endWaiters.add({ ends, resolve }));
  }

  /** Where the topic ends now: the reader has caught up when it has read to there. */
  private async snapshotEnds(): Promise<void> {
    const offsets = await topicOffsets(this.options.kafka, this.options.topic);
    this.pending = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
    this.checkCaughtUp();
  }

  private async run(consumer: Consumer): Promise<void> {
    // Emitted after each batch is applied, and for batches of control records alone, which never reach eachBatch.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => this.advance(payload.partition, BigInt(payload.lastOffset) + 1n));
    await consumer.connect();
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, isStale }) => {
        for (const message of batch.messages) {
          if (isStale()) return;
          this.options.onRecord(message.key?.toString() ?? '', message.value && message.value.length > 0 ? message.value : null);
        }
        const end = this.pending?.get(batch.partition);
        // A compacted topic may have no record at the last offsets: the batch's high watermark says how far it goes.
        if (end !== undefined && BigInt(batch.highWatermark) >= end && (batch.isEmpty() || BigInt(batch.lastOffset()) + 1n >= end)) {
          this.pending!.delete(batch.partition);
          this.checkCaughtUp();
        }
      },
    });
  }

  private advance(partition: number, next: bigint): void {
    if (next <= (this.positions.get(partition) ?? -1n)) return;
    this.positions.set(partition, next);
    for (const waiter of this.endWaiters) {
      const end = waiter.ends.get(partition);
      if (end !== undefined && next >= end) waiter.ends.delete(partition);
      if (waiter.ends.size === 0) {
        this.endWaiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  private checkCaughtUp(): void {
    if (this.pending?.size === 0) this.resolveCaughtUp();
  }
}
