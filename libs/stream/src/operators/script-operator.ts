import type { Job, KeyedState, RecordContext, ScriptOperator, ScriptSteps } from '../dsl/job';
import { keyedState } from './process-operator';
import type { Flowing, WindowRun } from './window-operator';

/**
 * A `.script(name)` step over one input's values, one call at a time and in order (a keyed
 * script's state writes of one value are seen by the next). The script's result maps like the
 * DSL says: `null`/`undefined` drops the value, an array flows on element by element, anything
 * else flows on as one value.
 *
 * @example
 * await runScript({ job, op, values, keyed, scripts }); // [{ value: alarm, ctx }, ...]
 */
export async function runScript(args: {
  job: Job;
  op: ScriptOperator;
  values: readonly Flowing[];
  keyed: WindowRun | undefined;
  scripts: ScriptSteps | undefined;
}): Promise<Flowing[]> {
  const { job, op, values, keyed, scripts } = args;
  if (!scripts) {
    throw new Error(`job ${job.name}: script step '${op.name}' (script ${op.script}) cannot run: this runtime was started without scripts (RunOptions.scripts)`);
  }
  const out: Flowing[] = [];
  for (const item of values) {
    const state = scriptState(job, op, keyed, item.ctx);
    const result = await scripts.run(op.script, item.value, item.ctx, state, state?.emit);
    if (result === null || result === undefined) continue;
    if (Array.isArray(result)) for (const value of result) out.push({ value, ctx: item.ctx });
    else out.push({ value: result, ctx: item.ctx });
  }
  return out;
}

/**
 * What a script step may touch of the keyed run: the current key's entries in the step's own
 * stores (not the job's other state, not the partition's), and emit to the step's declared topics
 * (the only ones the processor created for it). Undefined when the job runs without keyed state.
 */
function scriptState(job: Job, op: ScriptOperator, keyed: WindowRun | undefined, ctx: RecordContext): KeyedState | undefined {
  if (!keyed) {
    if (op.stores.length > 0) throw new Error(`job ${job.name}: script step '${op.name}' has stores but runs without keyed state`);
    return undefined;
  }
  const state = op.stores.length > 0 ? keyedState(job.name, keyed, ctx) : undefined;
  const own = (store: string): KeyedState => {
    if (!state || !op.stores.includes(store)) {
      throw new Error(`job ${job.name}: script step '${op.name}' used store ${JSON.stringify(store)}, which is not one of its stores [${op.stores.join(', ')}] (.script('${op.script}', { stores }))`);
    }
    return state;
  };
  const noPartitionState = (): never => {
    throw new Error(`job ${job.name}: script step '${op.name}' has no partition-wide state`);
  };
  return {
    get: <V>(store: string) => own(store).get<V>(store),
    put: (store, value) => own(store).put(store, value),
    delete: (store) => own(store).delete(store),
    partition: { get: noPartitionState, put: noPartitionState },
    emit: (topic, key, value) => {
      if (!op.emits.includes(topic)) {
        throw new Error(`job ${job.name}: script step '${op.name}' emitted to ${topic}, which is not one of its emits [${op.emits.join(', ')}] (.script('${op.script}', { emits }))`);
      }
      keyed.emit({ topic, key, value: JSON.stringify(value) });
    },
  };
}
