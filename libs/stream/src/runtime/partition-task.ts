import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, Producer } from 'kafkajs';
import { groupByTopic, OutgoingRecord } from '@flowgate/kafka';
import { encodeBarrier, encodeChange } from '../state/changelog';
import { KeyedStore } from '../state/keyed-store';
import { restoreState } from '../state/state-restorer';

export type ProcessingMode = 'exactly_once' | 'at_least_once';

export interface PartitionTaskOptions {
  readonly kafka: Kafka;
  readonly mode: ProcessingMode;
  readonly job: string;
  readonly partition: number;
  readonly sourceTopic: string;
  readonly changelogTopic: string;
  readonly consumerGroupId: string;
  /** Stable per job and partition, so a new owner's producer fences the old one (exactly-once). */
  readonly transactionalId: string;
  readonly restoreGroupId: string;
  /** At-least-once writes go through the app's shared producer. */
  readonly sharedProducer: Producer;
  /** At-least-once: commits the consumer group's offset (the group's consumer does it). */
  readonly commitOffset: (nextOffset: string) => Promise<void>;
  /**
   * Called when the batch's outputs and state changes are written and its offset is not yet
   * committed (exactly-once: inside the open transaction). Tests use it to crash right there.
   */
  readonly beforeOffsetCommit?: () => void;
}

/**
 * One partition of a keyed job in one processor: its state, restored from the changelog before
 * the first record, and the way a processed batch becomes durable. Exactly-once: the outputs, the
 * state changes and the consumed offset go in one Kafka transaction of a producer of its own
 * (kafkajs has no KIP-447, hence one transactional producer per input partition); the producer's
 * first transaction fences a zombie that still thinks it owns the partition. At-least-once: the
 * outputs and the state changes are written before the offset is committed.
 */
export class PartitionTask {
  readonly state = new KeyedStore();
  readonly ready: Promise<number>;
  private producer: Producer | undefined;

  constructor(private readonly options: PartitionTaskOptions) {
    this.ready = this.start();
    // A failed start surfaces where ready is awaited; this keeps it from being "unhandled" meanwhile.
    this.ready.catch(() => undefined);
  }

  /** Makes the batch durable: outputs, state changes and the next offset to read. */
  async commit(outputs: OutgoingRecord[], nextOffset: string): Promise<void> {
    const { mode, partition, changelogTopic, sourceTopic, consumerGroupId, beforeOffsetCommit } = this.options;
    const changes = this.state.pendingChanges().map((change) => ({ ...encodeChange(change), partition }));
    const topicMessages = groupByTopic(outputs);
    if (changes.length > 0) topicMessages.push({ topic: changelogTopic, messages: changes });
    try {
      if (mode === 'exactly_once') {
        const transaction = await this.producer!.transaction();
        try {
          if (topicMessages.length > 0) await transaction.sendBatch({ topicMessages });
          await transaction.sendOffsets({
            consumerGroupId,
            topics: [{ topic: sourceTopic, partitions: [{ partition, offset: nextOffset }] }],
          });
          beforeOffsetCommit?.();
          await transaction.commit();
        } catch (error) {
          await transaction.abort().catch(() => undefined); // fenced or broken: the error below says why
          throw error;
        }
      } else {
        if (topicMessages.length > 0) await this.options.sharedProducer.sendBatch({ topicMessages, acks: -1 });
        // A crash from here to the offset commit replays the batch on top of a state restored
        // with its changes already in: a counter counts the batch twice, and its outputs are
        // written twice. This is the window exactly-once closes.
        beforeOffsetCommit?.();
        await this.options.commitOffset(nextOffset);
      }
      this.state.commit();
    } catch (error) {
      this.state.rollback();
      throw error;
    }
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
      this.producer = kafka.producer({
        transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        // An idempotent producer must not give up on a send it may have half-done.
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 2_000 },
      });
      await this.producer.connect();
      const transaction = await this.producer.transaction();
      await transaction.send(barrier);
      await transaction.commit();
    } else {
      await this.options.sharedProducer.send({ ...barrier, acks: -1 });
    }
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
