/**
 * The route registry: every route the gateway accepts and a processor serves.
 * `Record<RouteName, RouteSpec>` makes the compiler reject a route that is named but not
 * described, so a new route cannot ship half-registered.
 */
export type RouteName = 'echo' | 'delay' | 'fail';

export interface RouteSpec {
  /** One line for docs and `/v1` listings. */
  readonly summary: string;
  /**
   * Body field whose value becomes the Kafka record key, so every request for one key lands on
   * the same partition and its keyed state stays local. Without one, the request id is the key
   * and requests spread evenly.
   */
  readonly keyField?: string;
}

export const ROUTES: Readonly<Record<RouteName, RouteSpec>> = {
  echo: { summary: 'Returns the body plus "result":"ok", request_timestamp and response_timestamp.' },
  delay: { summary: 'Body {"ms": N}, 0 <= N <= 60000: answers like echo after N ms without blocking other work.' },
  fail: { summary: 'Its handler always throws: shows the 500 problem reply and the dead letter a broken handler produces.' },
};

export const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];

export function isRouteName(name: string): name is RouteName {
  return Object.prototype.hasOwnProperty.call(ROUTES, name);
}

/** The route the seed-compatible `POST /event` endpoint is served by. */
export const SEED_EVENT_ROUTE: RouteName = 'echo';

/** Upper bound of the `delay` route's `ms` field. */
export const MAX_DELAY_MS = 60_000;
