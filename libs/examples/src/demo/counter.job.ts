import { job, RouteError } from '@flowgate/stream';
import { ROUTES } from './routes';

/**
 * A keyed counter: `counter` adds to the count of a key, `counter-get` reads it. Both routes share
 * the job's topic keyed by `key`, so a key's updates and reads meet, in order, in the partition
 * that owns its state.
 */
export const counterJob = job('counter')
  .fromRoutes([ROUTES.counter, ROUTES.counterGet])
  .keyBy('by key', (body) => String(body.key))
  .process('count', ['counts'], (body, ctx, state) => {
    const current = state.get<number>('counts') ?? 0;
    if (ctx.route === ROUTES.counterGet.name) return { key: ctx.key, value: current };
    const by = body.by ?? 1;
    if (typeof by !== 'number' || !Number.isSafeInteger(by)) throw new RouteError('badBody', '"by" must be a whole number');
    const value = current + by;
    state.put('counts', value);
    return { key: ctx.key, value };
  })
  .toReply();
