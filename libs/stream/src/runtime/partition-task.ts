import { randomUUID } from 'node:crypto';
import type { KafkaConnection, OutgoingRecord, Producer } from '@flowgate/kafka';
import { encodeBarrier } from '../state/changelog';
import { KeyedStore } from '../state/keyed-store';
import { restoreState } from '../state/state-restorer';
import { BatchCommitTarget, commitBatch } from './transactional-commit';

/** What a partition task uses of the app's Kafka connection. */
export type PartitionKafka = Pick<KafkaConnection, 'transactionalProducer' | 'restoreConsumer' | 'sendBatchDirect'>;

/** The commit's target (mode, topics, group, offset commit, fail point) and how to take the partition. */
export interface PartitionTaskOptions extends Omit<BatchCommitTarget, 'state' | 'transactionalProducer' | 'sharedProducer'> {
  /** Its transactional producer and restore consumer come from it; at-least-once writes and the restore barrier go through its shared producer. */
  readonly kafka: PartitionKafka;
  readonly job: string;
  /** Stable per job and partition, so a new owner's producer fences the old one (exactly-once). */
  readonly transactionalId: string;
  readonly restoreGroupId: string;
  /** The consumer group's committed offset on the partition (the next to read); undefined where it never committed. */
  readonly committedOffset: () => Promise<bigint | undefined>;
}

/**
 * One partition of a keyed job in one processor: its state, restored from the changelog before
 * the first record, and the way a processed batch becomes durable. Exactly-once: the outputs, the
 * state changes and the consumed offset go in one Kafka transaction of a producer of its own
 * (kafkajs has no KIP-447, hence one transactional producer per input partition); the producer's
 * first transaction fences a zombie that still thinks it owns the partition. At-least-once: the
 * outputs and the state changes are written before the offset is committed. The commit itself is
 * `commitBatch` (transactional-commit.ts).
 *
 * `nextOffset` is where the state stands: it holds every input record below it and none from it
 * on. It is read from the group after the barrier, not taken from the consumer: kafkajs fetches
 * the group's offset when the partition is assigned, and a transaction the old owner committed
 * just before can still be on its way into the offsets then (its markers are written after the
 * commit returns). The state restored after the barrier has that batch, so the consumer's first
 * records can be ones the state already holds. The barrier's producer fences the old owner and
 * waits for its last transaction to complete, so the offset read after it is the state's.
 */
export class PartitionTask {
  readonly state = new KeyedStore();
  readonly ready: Promise<number>;
  /** The first input offset the state does not hold yet (valid once `ready` resolved). */
  nextOffset = 0n;
  private producer: Producer | undefined;

  constructor(private readonly options: PartitionTaskOptions) {
    this.ready = this.start();
    // A failed start surfaces where ready is awaited; this keeps it from being "unhandled" meanwhile.
    this.ready.catch(() => undefined);
  }

  /** Makes the batch durable: outputs, state changes and the next offset to read (see `commitBatch`). */
  async commit(outputs: OutgoingRecord[], nextOffset: string): Promise<void> {
    await commitBatch({ outputs, nextOffset }, { ...this.options, state: this.state, transactionalProducer: this.producer, sharedProducer: this.options.kafka });
    this.nextOffset = BigInt(nextOffset);
  }

  async close(): Promise<void> {
    this.state.rollback();
    await this.producer?.disconnect();
  }

  private async start(): Promise<number> {
    const { kafka, mode, partition, changelogTopic, transactionalId } = this.options;
    const token = `${transactionalId}/${randomUUID()}`;
    const barrier = { topic: changelogTopic, messages: [{ ...encodeBarrier(token), partition }] };
    if (mode === 'exactly_once') {
      this.producer = kafka.transactionalProducer(transactionalId);
      await this.producer.connect();
      const transaction = await this.producer.transaction();
      await transaction.send(barrier);
      await transaction.commit();
    } else {
      await kafka.sendBatchDirect([barrier]);
    }
    this.nextOffset = (await this.options.committedOffset()) ?? 0n;
    return restoreState({
      kafka,
      topic: changelogTopic,
      partition,
      groupId: this.options.restoreGroupId,
      token,
      store: this.state,
      timeoutMs: 120_000,
    });
  }
}
