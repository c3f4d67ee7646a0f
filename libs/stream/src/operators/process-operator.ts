import type { KeyedState, RecordContext } from '../dsl/job';
import type { WindowRun } from './window-operator';

/** Where a `process` operator keeps state of the whole partition rather than of one key. */
const PARTITION_KEY = '\u0000partition';

/**
 * The keyed state a `process` operator sees for one value: the current key's entries in the
 * partition's store, the partition-wide entries, and emit (written with the batch's commit).
 *
 * @example
 * const state = keyedState('counter', keyed, ctx);   // ctx.key === 'a'
 * state.put('counts', (state.get<number>('counts') ?? 0) + 1);
 */
export function keyedState(jobName: string, keyed: WindowRun, ctx: RecordContext): KeyedState {
  const { store, emit } = keyed;
  const key = ctx.key;
  if (key === undefined) throw new Error(`job ${jobName}: a process operator needs a keyBy before it`);
  return {
    get: <V>(name: string) => store.get(name, key) as V | undefined,
    put: (name: string, value: unknown) => store.put(name, key, value),
    delete: (name: string) => store.delete(name, key),
    partition: {
      get: <V>(name: string) => store.get(name, PARTITION_KEY) as V | undefined,
      put: (name: string, value: unknown) => store.put(name, PARTITION_KEY, value),
    },
    emit: (topic: string, recordKey: string, value: unknown) => emit({ topic, key: recordKey, value: JSON.stringify(value) }),
  };
}
