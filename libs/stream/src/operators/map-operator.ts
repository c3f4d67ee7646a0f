import type { Flowing } from './window-operator';

/**
 * A `map` step over one input's values, in order, awaiting only results that are promises (from
 * the first one on, one at a time). A step whose function is synchronous stays synchronous, so a
 * record reaches a later `mapAsync` step in the tick it entered the job.
 *
 * @example
 * mapEach(values, (item) => String(item.value).toUpperCase()); // Flowing[], not a Promise
 */
export function mapEach(values: Flowing[], fn: (item: Flowing) => unknown): Flowing[] | Promise<Flowing[]> {
  const out: Flowing[] = [];
  for (let i = 0; i < values.length; i++) {
    const result = fn(values[i]);
    if (isThenable(result)) return finishMapping(values, fn, out, i, result);
    out.push({ value: result, ctx: values[i].ctx });
  }
  return out;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

async function finishMapping(values: Flowing[], fn: (item: Flowing) => unknown, out: Flowing[], from: number, first: PromiseLike<unknown>) {
  out.push({ value: await first, ctx: values[from].ctx });
  for (let i = from + 1; i < values.length; i++) out.push({ value: await fn(values[i]), ctx: values[i].ctx });
  return out;
}
