import { job, RecordContext, RouteError } from '@flowgate/stream';
import { ROUTES } from './routes';

type Body = Record<string, unknown>;

/** Upper bound of the delay route's `ms` field. */
export const MAX_DELAY_MS = 60_000;

/** The seed's Flink job: the event plus `result`, `request_timestamp`, `response_timestamp`. */
function echoed(body: Body, ctx: RecordContext): Body {
  return { ...body, result: 'ok', request_timestamp: ctx.timestamp, response_timestamp: Date.now() };
}

export const echoJob = job('echo').fromRoute(ROUTES.echo).map('echo', echoed).toReply();

/** Timers of the delay route running at once in one processor; more wait their turn. */
export const DELAY_CONCURRENCY = 256;

/**
 * Waits `ms` on a timer (other requests keep flowing), then answers like echo. Requests with the
 * same `key` wait one after another, in the order they arrived: an async step ordered by key.
 */
export const delayJob = job('delay')
  .fromRoute(ROUTES.delay)
  .map('check ms', (body) => {
    const ms = body.ms;
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_DELAY_MS) {
      throw new RouteError('badBody', `"ms" must be a whole number from 0 to ${MAX_DELAY_MS}`);
    }
    return { body, ms };
  })
  // Without a key of its own, a request is its own key: it waits for nobody.
  .keyBy('by key', ({ body }, ctx) => (typeof body.key === 'string' ? `key:${body.key}` : `request:${ctx.id}`))
  .mapAsync(
    'wait',
    async ({ body, ms }) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return body;
    },
    { concurrency: DELAY_CONCURRENCY, ordered: 'key' },
  )
  .map('echo', echoed)
  .toReply();
