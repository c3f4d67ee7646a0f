import { route } from '@flowgate/stream';

/** The demo routes, as their jobs declare them to the route catalog. */
export const ROUTES = {
  echo: route({ name: 'echo', summary: 'Returns the body plus "result":"ok", request_timestamp and response_timestamp.' }),
  delay: route({ name: 'delay', summary: 'Body {"ms": N}, 0 <= N <= 60000: answers like echo after N ms without blocking other work.' }),
  fail: route({ name: 'fail', summary: 'Its handler always throws: shows the 500 problem reply and the dead letter a broken handler produces.' }),
  // Updates and queries of the counter's keyed state share its topic, keyed by `key`.
  counter: route({
    name: 'counter',
    summary: 'Body {"key": k, "by": n}: adds n (default 1) to the keyed counter k and answers {"key", "value"}.',
    keyField: 'key',
    topic: 'counter',
    requiredFields: ['key'],
  }),
  counterGet: route({
    name: 'counter-get',
    summary: 'Body {"key": k}: answers {"key", "value"} from the state of the partition that owns k.',
    keyField: 'key',
    topic: 'counter',
    requiredFields: ['key'],
  }),
  ipCounts: route({
    name: 'ip-counts',
    summary: 'Body {"ip": "…"}: the per-IP request counts of the ip-count job\'s 5 s windows, from the partition that owns the IP.',
    keyField: 'ip',
    topic: 'access-log',
    requiredFields: ['ip'],
  }),
};
