import { RouteError } from '@flowgate/stream';

/** An access-log event's time: epoch ms; anything else makes it a bad event (dead-lettered). */
export function accessEventTime(event: Record<string, unknown>): number {
  const { ts } = event;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) throw new RouteError('badBody', '"ts" must be epoch milliseconds');
  return ts;
}
