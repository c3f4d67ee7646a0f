import type { KafkaConnection } from '@flowgate/kafka';
import { decodeChangelog } from './changelog';
import type { KeyedStore } from './keyed-store';

export interface RestoreOptions {
  readonly kafka: Pick<KafkaConnection, 'restoreConsumer'>;
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
  const consumer = kafka.restoreConsumer({ groupId, partition });
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
            if (done) return;
            const replayed = replayChangelog(batch.messages, { token, store });
            applied += replayed.applied;
            if (replayed.reachedBarrier) {
              done = true;
              resolve();
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

/**
 * Applies one batch of changelog records to the store, in order, up to the barrier with `token`
 * (this task's: nothing after it belongs to the state being restored). Barriers of earlier
 * owners are passed over; a null value deletes the key.
 *
 * @example
 * replayChangelog(batch.messages, { token, store }); // { applied: 12, reachedBarrier: false }: read on
 */
export function replayChangelog(
  messages: readonly { readonly key: Buffer | null; readonly value: Buffer | null }[],
  restore: { readonly token: string; readonly store: KeyedStore },
): { applied: number; reachedBarrier: boolean } {
  let applied = 0;
  for (const message of messages) {
    const entry = decodeChangelog(message.key, message.value);
    if (entry.kind === 'barrier') {
      // Barriers of earlier owners are passed over; ours is the end of the state.
      if (entry.token === restore.token) return { applied, reachedBarrier: true };
      continue;
    }
    restore.store.apply(entry.change);
    applied++;
  }
  return { applied, reachedBarrier: false };
}
