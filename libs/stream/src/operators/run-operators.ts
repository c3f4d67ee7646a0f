import type { Job, Operator, RecordContext, ScriptSteps } from '../dsl/job';
import { mapEach } from './map-operator';
import { keyedState } from './process-operator';
import { runScript } from './script-operator';
import { Flowing, runWindow, WindowRun } from './window-operator';

/** What keyed jobs run with: the partition's state, where emitted records go, who hears of late events. */
export type KeyedRun = WindowRun;

/** Told, per operator and input record, how many values went in and out and how long it took. */
export type OperatorObserver = (operator: string, counts: { in: number; out: number }, seconds: number) => void;

export interface RunOptions {
  readonly keyed?: KeyedRun;
  readonly observe?: OperatorObserver;
  /** Runs `.script()` steps (the processor's sandboxes); a job with a script step fails its records without it. */
  readonly scripts?: ScriptSteps;
}

/**
 * Pushes one input value through a job's operators and returns the answers for the caller: what
 * reaches a reply sink, and what a window step answered to a query. What reaches a topic sink is
 * emitted (keyed jobs only: it goes out with the batch's commit). Values from one input stay in
 * order; async maps are awaited one value at a time so a flatMap's outputs keep their order too.
 * Synchronous steps are not awaited, so a record reaches a `mapAsync` step in the same tick it
 * entered the job: records queue there in the order they arrived.
 *
 * @example
 * await runOperators(echoJob, { hello: 'world' }, ctx); // [{ hello: 'world', result: 'ok', ... }]
 */
export async function runOperators(job: Job, input: unknown, ctx: RecordContext, options: RunOptions = {}): Promise<unknown[]> {
  const { keyed, observe, scripts } = options;
  const answers: unknown[] = [];
  let values: Flowing[] = [{ value: input, ctx }];
  for (const op of job.operators) {
    const started = observe ? process.hrtime.bigint() : 0n;
    const answered = answers.length;
    const step = op.kind === 'script' ? runScript({ job, op, values, keyed, scripts }) : applyOperator(job, op, values, keyed, answers);
    const next = step instanceof Promise ? await step : step;
    observe?.(op.name, { in: values.length, out: next.length + answers.length - answered }, Number(process.hrtime.bigint() - started) / 1e9);
    values = next;
  }
  if (job.sink.kind === 'reply') return [...answers, ...values.map((item) => item.value)];
  const { emit } = requireKeyed(job, keyed, 'writes to a topic');
  for (const { value, ctx: itemCtx } of values) emit({ topic: job.sink.topic, key: itemCtx.key ?? null, value: JSON.stringify(value) });
  return answers;
}

function applyOperator(job: Job, op: Exclude<Operator, { kind: 'script' }>, values: Flowing[], keyed: KeyedRun | undefined, answers: unknown[]): Flowing[] | Promise<Flowing[]> {
  switch (op.kind) {
    case 'map':
      return mapEach(values, (item) => op.fn(item.value, item.ctx));
    case 'mapAsync':
      // Queued in the limiter now, in this order; the limiter decides when each call runs.
      return Promise.all(
        values.map((item) => op.limiter.run(item.ctx.key, () => op.fn(item.value, item.ctx)).then((value) => ({ value, ctx: item.ctx }))),
      );
    case 'filter':
      return values.filter((item) => op.fn(item.value, item.ctx));
    case 'flatMap':
      return values.flatMap((item) => [...op.fn(item.value, item.ctx)].map((value) => ({ value, ctx: item.ctx })));
    case 'keyBy':
      return values.map((item) => ({ value: item.value, ctx: { ...item.ctx, key: op.fn(item.value, item.ctx) } }));
    case 'process':
      return values.map((item) => {
        const state = keyedState(job.name, requireKeyed(job, keyed, 'has a process operator'), item.ctx);
        return { value: op.fn(item.value, item.ctx, state), ctx: item.ctx };
      });
    case 'window':
      return values.flatMap((item) => {
        const { downstream, ...answer } = runWindow(op, item, requireKeyed(job, keyed, 'has a window'));
        if ('answer' in answer) answers.push(answer.answer);
        return downstream;
      });
  }
}

function requireKeyed(job: Job, keyed: KeyedRun | undefined, what: string): KeyedRun {
  if (!keyed) throw new Error(`job ${job.name} ${what} but runs without keyed state`);
  return keyed;
}
