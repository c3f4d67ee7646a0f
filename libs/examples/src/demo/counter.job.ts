import { job, RouteError } from '@flowgate/stream';
import { ROUTES } from './routes';

/**
 * The counter's key: what the gateway takes as a key field (a string of 1 to 256 characters, or a
 * number). Anything else would be counted under its String() ("[object Object]", "null").
 */
function counterKey(body: Record<string, unknown>): string {
  const { key } = body;
  if ((typeof key === 'string' && key.length > 0 && key.length <= 256) || (typeof key === 'number' && Number.isFinite(key))) return String(key);
  throw new RouteError('badBody', '"key" must be a string of 1 to 256 characters or a number');
}

/**
 * A keyed counter: `counter` adds to the count of a key, `counter-get` reads it. Both routes share
 * the job's topic keyed by `key`, so a key's updates and reads meet, in order, in the partition
 * that owns its state.
 */
export const counterJob = job('counter')
  .fromRoutes([ROUTES.counter, ROUTES.counterGet])
  .keyBy('by key', counterKey)
  .process('count', ['counts'], (body, ctx, state) => {
    const current = state.get<number>('counts') ?? 0;
    if (ctx.route === ROUTES.counterGet.name) return { key: ctx.key, value: current };
    const by = body.by === undefined ? 1 : body.by;
    if (typeof by !== 'number' || !Number.isSafeInteger(by)) throw new RouteError('badBody', '"by" must be a whole number');
    const value = current + by;
    state.put('counts', value);
    return { key: ctx.key, value };
  })
  .toReply();
