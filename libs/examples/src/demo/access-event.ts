import { RouteError } from '@flowgate/stream';

/** An access-log event's time: epoch ms; anything else makes it a bad event (dead-lettered). */
export function accessEventTime(event: Record<string, unknown>): number {
  const { ts } = event;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) throw new RouteError('badBody', '"ts" must be epoch milliseconds');
  return ts;
}

/**
 * An access-log event's IP, which is also the key of an `ip-counts` query: a string (the gateway's
 * ingest checks it is an address). Anything else makes it a bad event or query, instead of a
 * count under "undefined" or "[object Object]".
 */
export function accessEventIp(value: Record<string, unknown>): string {
  const { ip } = value;
  if (typeof ip !== 'string' || ip.length === 0 || ip.length > 256) throw new RouteError('badBody', '"ip" must be a string of 1 to 256 characters');
  return ip;
}
