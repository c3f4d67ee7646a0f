import { Kafka } from 'kafkajs';
import { pinnedPartitionAssigner } from '@flowgate/kafka';
import { decodeChangelog } from './changelog';
import type { KeyedStore } from './keyed-store';

export interface RestoreOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly partition: number;
  /** A group of its own; it never commits, so every restore reads from the beginning. */
  readonly groupId: string;
  /** The barrier this task wrote: reading up to it means the state is complete. */
  readonly token: string;
  readonly store: KeyedStore;
  readonly timeoutMs: number;
}

/**
 * Rebuilds one partition's keyed state from its changelog, reading from the start until the
 * task's own barrier. Returns how many changes were applied.
 */
export async function restoreState(options: RestoreOptions): Promise<number> {
  const { kafka, topic, partition, groupId, token, store, timeoutMs } = options;
  const consumer = kafka.consumer({
    groupId,
    partitionAssigners: [pinnedPartitionAssigner(partition)],
    sessionTimeout: 6_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 50,
  });
  let applied = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let done = false;
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`restoring ${topic}[${partition}] took over ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              if (done) return;
              const entry = decodeChangelog(message.key, message.value);
              if (entry.kind === 'barrier') {
                // Barriers of earlier owners are passed over; ours is the end of the state.
                if (entry.token === token) {
                  done = true;
                  resolve();
                }
                continue;
              }
              store.apply(entry.change);
              applied++;
            }
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return applied;
}
