import type { OutgoingRecord } from '@flowgate/kafka';
import type { Job, RecordContext, ScriptSteps } from './dsl/job';
import { KeyedStore } from './state/keyed-store';
import { runOperators } from './operators/run-operators';

/**
 * One partition of a job, driven one record at a time the way the runtime drives it: a record's
 * state changes and emitted records are kept only when it succeeds. For unit tests of jobs (no
 * Kafka): `send` returns what the caller would get back.
 *
 * @example
 * const p = jobPartition(tallyJob);
 * await p.send({ key: 'a' }, { route: 'tally' });   // [{ key: 'a', value: 1 }]
 *
 * A job with `.script()` steps needs `scripts` (e.g. a ScriptEngine-backed one, or a fake).
 */
export function jobPartition(job: Job, options: { scripts?: ScriptSteps } = {}) {
  const store = new KeyedStore();
  const emitted: OutgoingRecord[] = [];
  let sequence = 0;
  return {
    /** Records the job wrote to topics so far (successful records only). */
    emitted,
    /** The partition's state of one store, by key. */
    state: (storeName: string) => store.entries(storeName),
    async send(value: unknown, ctx: Partial<RecordContext> = {}): Promise<unknown[]> {
      const id = `test-${++sequence}`;
      const mine: OutgoingRecord[] = [];
      try {
        const answers = await runOperators(job, value, { id, partition: 0, timestamp: Date.now(), deadline: Infinity, ...ctx }, {
          keyed: { store, emit: (record) => mine.push(record) },
          scripts: options.scripts,
        });
        store.endRecord(true);
        emitted.push(...mine);
        return answers;
      } catch (error) {
        store.endRecord(false);
        throw error;
      }
    },
  };
}
