import { Consumer, IHeaders, Kafka } from 'kafkajs';
import { ConsumerSupervisor, RestartedBy } from './consumer-supervisor';
import { NEVER_PAUSED_MAX_WAIT_MS } from './kafka-client';
import { pinnedPartitionAssigner } from './pinned-partition-assigner';
import { topicOffsets } from './topic-admin';

export interface ReadRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders | undefined;
  readonly offset: string;
}

export interface PartitionReaderOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly partition: number;
  readonly groupId: string;
  /** Called for every record, in order; must not throw. */
  readonly onRecord: (record: ReadRecord) => void;
  /** Called with true once the reader is positioned at the end of the partition, false when it stops. */
  readonly onReady: (ready: boolean) => void;
  /** Called when the consumer crashes, e.g. because the cluster is out of reach (it is started again). */
  readonly onCrash: (error: Error, restartedBy: RestartedBy) => void;
  /** Called when positioning at the end fails; the reader stays not ready. */
  readonly onError: (error: unknown) => void;
  /** Session timeout of the group; keep it shorter than the lease that guards the partition. */
  readonly sessionTimeoutMs: number;
  /** How often the position is committed (default 1 s); a restarted reader resumes from there. */
  readonly commitIntervalMs?: number;
}

/**
 * Reads one partition of one topic from its end, for as long as it runs. On its first join it
 * skips to the high watermark: what was written before this reader started was for someone
 * else. After a restart (e.g. Kafka was down) it resumes from its last commit, so replies
 * written while it was away are not lost.
 *
 * The position is committed on an interval, not after every batch as kafkajs's autoCommit does
 * (whatever its autoCommitInterval says): at high rates that was one OffsetCommit request, a
 * write to __consumer_offsets, per fetch.
 */
export class PartitionReader {
  private readonly supervisor: ConsumerSupervisor;
  private positioned = false;
  private consumer: Consumer | undefined;
  /** The offset to commit next (last record read + 1), and the one Kafka has. */
  private next: string | undefined;
  private committed: string | undefined;
  private commitTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PartitionReaderOptions) {
    const { kafka, partition, groupId, sessionTimeoutMs } = options;
    this.supervisor = new ConsumerSupervisor({
      create: () =>
        kafka.consumer({
          groupId,
          sessionTimeout: sessionTimeoutMs,
          heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeoutMs / 3)),
          rebalanceTimeout: sessionTimeoutMs,
          partitionAssigners: [pinnedPartitionAssigner(partition)],
          maxWaitTimeInMs: NEVER_PAUSED_MAX_WAIT_MS,
          retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2_000 },
        }),
      run: (consumer) => this.run(consumer),
      onCrash: (error, restartedBy) => {
        options.onReady(false);
        options.onCrash(error, restartedBy);
      },
    });
  }

  async start(): Promise<void> {
    this.commitTimer = setInterval(() => void this.commit(), this.options.commitIntervalMs ?? 1_000).unref();
    await this.supervisor.start();
  }

  private async run(consumer: Consumer): Promise<void> {
    const { topic } = this.options;
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => void this.onJoin(consumer).catch(this.options.onError));
    consumer.on(consumer.events.STOP, () => this.options.onReady(false));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, isStale }) => {
        for (const message of batch.messages) {
          if (isStale()) return;
          this.options.onRecord({ key: message.key, value: message.value, headers: message.headers, offset: message.offset });
          this.next = String(BigInt(message.offset) + 1n);
        }
      },
    });
  }

  async stop(): Promise<void> {
    this.options.onReady(false);
    clearInterval(this.commitTimer);
    await this.commit();
    await this.supervisor.stop();
  }

  private async commit(): Promise<void> {
    const { consumer, next } = this;
    if (!consumer || next === undefined || next === this.committed) return;
    try {
      await consumer.commitOffsets([{ topic: this.options.topic, partition: this.options.partition, offset: next }]);
      this.committed = next;
    } catch {
      // Not joined right now (restarting, rebalancing): the next interval tries again.
    }
  }

  private async onJoin(consumer: Consumer): Promise<void> {
    const { kafka, topic, partition } = this.options;
    if (!this.positioned) {
      const high = (await topicOffsets(kafka, topic)).find((o) => o.partition === partition)?.high ?? '0';
      consumer.seek({ topic, partition, offset: high });
      this.positioned = true;
    }
    this.options.onReady(true);
  }
}
