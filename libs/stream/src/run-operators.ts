import type { OutgoingRecord } from '@flowgate/kafka';
import type { Job, KeyedState, RecordContext } from './job';
import type { KeyedStore } from './keyed-store';

/** What keyed jobs run with: the partition's state, and where emitted records go. */
export interface KeyedRun {
  readonly store: KeyedStore;
  readonly emit: (record: OutgoingRecord) => void;
}

/** Told, per operator and input record, how many values went in and out and how long it took. */
export type OperatorObserver = (operator: string, counts: { in: number; out: number }, seconds: number) => void;

export interface RunOptions {
  readonly keyed?: KeyedRun;
  readonly observe?: OperatorObserver;
}

const PARTITION_KEY = '\u0000partition';

/**
 * Pushes one input value through a job's operators and returns what reaches the sink (none when
 * filtered out, several after a flatMap). Values from one input stay in order; async maps are
 * awaited one value at a time so a flatMap's outputs keep their order too.
 *
 * @example
 * await runOperators(echoJob, { hello: 'world' }, ctx); // [{ hello: 'world', result: 'ok', ... }]
 */
export async function runOperators(job: Job, input: unknown, ctx: RecordContext, options: RunOptions = {}): Promise<unknown[]> {
  const { keyed, observe } = options;
  let values: { value: unknown; ctx: RecordContext }[] = [{ value: input, ctx }];
  for (const op of job.operators) {
    const started = observe ? process.hrtime.bigint() : 0n;
    const next: { value: unknown; ctx: RecordContext }[] = [];
    for (const item of values) {
      switch (op.kind) {
        case 'map':
          next.push({ value: await op.fn(item.value, item.ctx), ctx: item.ctx });
          break;
        case 'filter':
          if (op.fn(item.value, item.ctx)) next.push(item);
          break;
        case 'flatMap':
          for (const value of op.fn(item.value, item.ctx)) next.push({ value, ctx: item.ctx });
          break;
        case 'keyBy':
          next.push({ value: item.value, ctx: { ...item.ctx, key: op.fn(item.value) } });
          break;
        case 'process':
          next.push({ value: op.fn(item.value, item.ctx, keyedState(job, keyed, item.ctx)), ctx: item.ctx });
          break;
      }
    }
    observe?.(op.name, { in: values.length, out: next.length }, Number(process.hrtime.bigint() - started) / 1e9);
    values = next;
  }
  return values.map((item) => item.value);
}

function keyedState(job: Job, keyed: KeyedRun | undefined, ctx: RecordContext): KeyedState {
  if (!keyed) throw new Error(`job ${job.name} has a process operator but runs without keyed state`);
  const { store, emit } = keyed;
  const key = ctx.key;
  if (key === undefined) throw new Error(`job ${job.name}: a process operator needs a keyBy before it`);
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
