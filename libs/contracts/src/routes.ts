/**
 * The route registry: every route the gateway accepts and a processor serves.
 * `Record<RouteName, RouteSpec>` makes the compiler reject a route that is named but not
 * described, so a new route cannot ship half-registered.
 */
export type RouteName = 'echo' | 'delay' | 'fail' | 'counter' | 'counter-get' | 'ip-counts';

export interface RouteSpec {
  /** One line for docs and `/v1` listings. */
  readonly summary: string;
  /**
   * Body field whose value becomes the Kafka record key, so every request for one key lands on
   * the same partition and its keyed state stays local. Without one, the request id is the key
   * and requests spread evenly.
   */
  readonly keyField?: string;
  /**
   * Request topic (under the prefix) when not the shared `requests` topic. Routes that read or
   * write one job's keyed state share that job's topic: an update and a query for the same key
   * then land on the same partition, in order, where the state lives.
   */
  readonly topic?: RouteTopic;
  /** Body fields the gateway requires (a missing one is a 400 before anything reaches Kafka). */
  readonly requiredFields?: readonly string[];
}

/** Request topics besides the shared one, each read by the job that owns its keyed state. */
export type RouteTopic = 'counter' | 'access-log';

export const ROUTES: Readonly<Record<RouteName, RouteSpec>> = {
  echo: { summary: 'Returns the body plus "result":"ok", request_timestamp and response_timestamp.' },
  delay: { summary: 'Body {"ms": N}, 0 <= N <= 60000: answers like echo after N ms without blocking other work.' },
  fail: { summary: 'Its handler always throws: shows the 500 problem reply and the dead letter a broken handler produces.' },
  counter: {
    summary: 'Body {"key": k, "by": n}: adds n (default 1) to the keyed counter k and answers {"key", "value"}.',
    keyField: 'key',
    topic: 'counter',
    requiredFields: ['key'],
  },
  'counter-get': {
    summary: 'Body {"key": k}: answers {"key", "value"} from the state of the partition that owns k.',
    keyField: 'key',
    topic: 'counter',
    requiredFields: ['key'],
  },
  'ip-counts': {
    summary: 'Body {"ip": "…"}: the per-IP request counts of the ip-count job\'s 5 s windows, from the partition that owns the IP.',
    keyField: 'ip',
    topic: 'access-log',
    requiredFields: ['ip'],
  },
};

export const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];

/** The request topic a route's records are written to. */
export function routeTopic(route: RouteName, prefix: string): string {
  return `${prefix}${ROUTES[route].topic ?? 'requests'}`;
}

/** Every request topic: the shared one and each job's. */
export function requestTopics(prefix: string): string[] {
  return [...new Set(ROUTE_NAMES.map((route) => routeTopic(route, prefix)))];
}

export function isRouteName(name: string): name is RouteName {
  return Object.prototype.hasOwnProperty.call(ROUTES, name);
}

/** The route the seed-compatible `POST /event` endpoint is served by. */
export const SEED_EVENT_ROUTE: RouteName = 'echo';

/** Upper bound of the `delay` route's `ms` field. */
export const MAX_DELAY_MS = 60_000;
