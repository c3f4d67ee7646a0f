import { groupByTopic, inRequests, type KafkaConnection, OutgoingRecord, type TopicMessages, type Transaction } from '@flowgate/kafka';
import { encodeChange } from '../state/changelog';
import type { KeyedStore } from '../state/keyed-store';

export type ProcessingMode = 'exactly_once' | 'at_least_once';

/** What the commit uses of a transactional producer (kafkajs `Producer`, one per input partition). */
export interface TransactionalProducer {
  transaction(): Promise<Pick<Transaction, 'sendBatch' | 'sendOffsets' | 'commit' | 'abort'>>;
}

/** Where one partition's batch becomes durable, and how. */
export interface BatchCommitTarget {
  readonly mode: ProcessingMode;
  readonly partition: number;
  readonly sourceTopic: string;
  readonly changelogTopic: string;
  readonly consumerGroupId: string;
  /** The partition's state: its pending changes go to the changelog, then are committed or rolled back. */
  readonly state: KeyedStore;
  /** Exactly-once: the partition's own producer, whose transactions fence an older owner's. */
  readonly transactionalProducer: TransactionalProducer | undefined;
  /** At-least-once writes go through the app's shared producer (acks=-1). */
  readonly sharedProducer: Pick<KafkaConnection, 'sendBatchDirect'>;
  /** At-least-once: commits the consumer group's offset (the group's consumer does it). */
  readonly commitOffset: (nextOffset: string) => Promise<void>;
  /**
   * Called when the batch's outputs and state changes are written and its offset is not yet
   * committed (exactly-once: inside the open transaction). Tests use it to crash right there.
   */
  readonly beforeOffsetCommit?: () => void;
}

/**
 * Commits one processed batch of one partition: its outputs (replies, emitted records), its state
 * changes (to the changelog, on the same partition number as the input) and the next offset to
 * read. kafkajs's `eosManager` drives the transaction; this decides what goes in it.
 *
 * The records go in produce requests of at most MAX_REQUEST_BYTES each (one request per record
 * larger than that), so a batch's size is bounded by no Kafka limit, only each record's.
 *
 * Exactly-once: everything goes in one transaction of the partition's own producer, the offset
 * through `sendOffsets`, so a reader with `read_committed` sees the outputs and the state changes
 * exactly when the input offset moves, and never otherwise. If any step fails the transaction is
 * aborted (a fenced or broken producer may refuse even that; the original error is what is thrown).
 *
 * At-least-once: the outputs and state changes are written (acks=all) before the offset is
 * committed, so nothing is lost, but a crash in between replays the batch: its outputs are written
 * twice and its state changes applied twice.
 *
 * Either way the state store follows Kafka: its pending changes are committed only when the commit
 * succeeded, and rolled back when it failed, so the state matches the committed input offset.
 *
 * @throws whatever Kafka threw; the state has been rolled back by then.
 * @example
 * await commitBatch({ outputs, nextOffset: '42' }, { mode: 'exactly_once', partition: 3, state, transactionalProducer, ... });
 */
export async function commitBatch(batch: { outputs: OutgoingRecord[]; nextOffset: string }, target: BatchCommitTarget): Promise<void> {
  const { mode, partition, changelogTopic, sourceTopic, consumerGroupId, state, beforeOffsetCommit } = target;
  const { outputs, nextOffset } = batch;
  const changes = state.pendingChanges().map((change) => ({ ...encodeChange(change), topic: changelogTopic, partition }));
  // Kafka refuses a produce request over message.max.bytes, not a transaction of many requests.
  const requests: TopicMessages[][] = inRequests([...outputs, ...changes]).map(groupByTopic);
  try {
    if (mode === 'exactly_once') {
      if (!target.transactionalProducer) throw new Error(`exactly-once commit of ${sourceTopic}[${partition}] without a transactional producer`);
      const transaction = await target.transactionalProducer.transaction();
      try {
        for (const topicMessages of requests) await transaction.sendBatch({ topicMessages });
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
      for (const topicMessages of requests) await target.sharedProducer.sendBatchDirect(topicMessages);
      // A crash from here to the offset commit replays the batch on top of a state restored
      // with its changes already in: a counter counts the batch twice, and its outputs are
      // written twice. This is the window exactly-once closes.
      beforeOffsetCommit?.();
      await target.commitOffset(nextOffset);
    }
    state.commit();
  } catch (error) {
    state.rollback();
    throw error;
  }
}
