import { Dashboard, query } from './panel';
import { gauge, quantile, rate, selector } from './promql';

const ALL = selector('any');

/** Keeping flowgate running: targets and connections, reply slots, dead letters, processes. */
export const operations: Dashboard = {
  uid: 'flowgate-operations',
  title: 'flowgate / Operations',
  description: 'Health of the parts: scrape targets and Kafka, reply slots, the dead-letter queue, the sweeper and its registry, and the Node.js processes.',
  rows: [
    {
      title: 'Targets and connections',
      panels: [
        {
          title: 'Targets up',
          description: 'Whether Prometheus reaches each gateway, processor and sweeper (1 = up).',
          unit: 'short',
          queries: [query(`max by (job, instance) (up${ALL})`, '{{job}} {{instance}}')],
        },
        {
          title: 'Kafka reachable from the gateways',
          description: '1 while Kafka accepts the gateway\'s produce requests; 0 while it answers 503 kafka-unavailable.',
          unit: 'short',
          queries: [query(gauge('flowgate_gateway_kafka_up', 'gateway', ['job', 'instance'], 'min'), '{{job}} {{instance}}')],
        },
      ],
    },
    {
      title: 'Routes',
      panels: [
        {
          title: 'Routes served per gateway',
          description: 'Routes each gateway serves from the route catalog (<prefix>routes); gateways of one colour should agree.',
          unit: 'short',
          queries: [query(gauge('flowgate_gateway_catalog_routes', 'gateway', ['job', 'instance'], 'max'), '{{job}} {{instance}}')],
        },
        {
          title: 'Route catalog changes',
          description: 'Catalog records applied per second by change (added, changed, retired; invalid: refused, the route is not served), summed over gateways (each applies every record).',
          unit: 'ops',
          queries: [query(rate('flowgate_gateway_catalog_changes_total', 'gateway', ['change']), '{{change}}')],
        },
        {
          title: 'Bodies refused by route',
          description: 'Bodies answered 400 because they fail their route\'s JSON Schema or lack a required key field, per second by route: they never reach Kafka.',
          unit: 'ops',
          queries: [query(rate('flowgate_gateway_body_rejections_total', 'gateway', ['route']), '{{route}}')],
        },
      ],
    },
    {
      title: 'Reply slots',
      panels: [
        {
          title: 'Reply partition per gateway',
          description: 'The reply partition each gateway leased in Redis (-1: none; it takes no work).',
          unit: 'none',
          queries: [query(gauge('flowgate_gateway_reply_partition', 'gateway', ['job', 'instance'], 'max'), '{{job}} {{instance}}')],
        },
        {
          title: 'Gateways without a reply slot',
          description: 'Running gateways that own no reply partition: none of their requests can be answered.',
          unit: 'short',
          kind: 'stat',
          queries: [query(`count (flowgate_gateway_reply_partition${selector('gateway')} < 0) or vector(0)`, 'without slot')],
        },
        {
          title: 'Late and orphan replies',
          description: 'Replies dropped by gateways: late (the request had timed out or was answered) and orphan (unknown request id).',
          unit: 'ops',
          queries: [
            query(rate('flowgate_gateway_late_replies_total', 'gateway'), 'late'),
            query(rate('flowgate_gateway_orphan_replies_total', 'gateway'), 'orphan'),
          ],
        },
      ],
    },
    {
      title: 'Dead letters',
      panels: [
        {
          title: 'Records sent to the DLQ by reason',
          description: 'Records the processors put on <prefix>dlq per second: handler (the handler threw) or protocol (missing headers, invalid JSON, unknown route).',
          unit: 'ops',
          width: 12,
          queries: [query(rate('flowgate_processor_dead_letters_total', 'processor', ['reason']), '{{reason}}')],
        },
        {
          title: 'Expired requests skipped',
          description: 'Records the processors skipped because their deadline had passed (work nobody waits for any more).',
          unit: 'ops',
          width: 12,
          queries: [query(rate('flowgate_processor_records_total', 'processor', ['route'], 'result="expired"'), '{{route}}')],
        },
      ],
    },
    {
      title: 'Sweeper and request registry',
      panels: [
        {
          title: 'Reply slots by lease state',
          description: 'Reply partitions leased by a live gateway (owned) and free ones, as the sweeper sees the leases in Redis.',
          unit: 'short',
          queries: [query(gauge('flowgate_sweeper_reply_slots', 'sweeper', ['job', 'state'], 'max'), '{{job}} {{state}}')],
        },
        {
          title: 'Registry: pending and timeout outbox',
          description: 'Registered (async, idempotent) requests waiting for an outcome, and timed-out ones whose record is not yet on <prefix>timeouts.',
          unit: 'short',
          queries: [
            query(gauge('flowgate_sweeper_registry_pending', 'sweeper', ['job'], 'max'), 'pending {{job}}'),
            query(gauge('flowgate_sweeper_timeout_outbox', 'sweeper', ['job'], 'max'), 'outbox {{job}}'),
          ],
        },
        {
          title: 'Sweeps',
          description: 'Sweeps of the registry per second by result, and the p99 time of one sweep.',
          unit: 'ops',
          queries: [
            query(rate('flowgate_sweeper_sweeps_total', 'sweeper', ['result']), '{{result}}'),
            query(quantile(0.99, 'flowgate_sweeper_sweep_duration_seconds', 'sweeper'), 'p99 seconds'),
          ],
        },
        {
          title: 'Timeouts published by reason',
          description: 'Registered requests timed out per second: by the caller\'s gateway at the deadline (gateway) or by a sweeper with nobody waiting (sweeper).',
          unit: 'ops',
          queries: [query(rate('flowgate_sweeper_timeouts_total', 'sweeper', ['reason']), '{{reason}}')],
        },
        {
          title: 'Async replies recorded',
          description: 'Async replies the sweepers wrote to the registry per second: recorded, late (after the timeout; not overwritten), again (already recorded by the gateway).',
          unit: 'ops',
          queries: [query(rate('flowgate_sweeper_results_total', 'sweeper', ['result']), '{{result}}')],
        },
        {
          title: 'Async and idempotent requests',
          description: 'Requests answered 202 (Prefer: respond-async) per second by route, and Idempotency-Key requests by result (new, replayed, conflict).',
          unit: 'ops',
          queries: [
            query(rate('flowgate_gateway_async_accepted_total', 'gateway', ['route']), '202 {{route}}'),
            query(rate('flowgate_gateway_idempotency_total', 'gateway', ['result']), 'key {{result}}'),
          ],
        },
        {
          title: 'Registry call p99 by operation',
          description: 'p99 time of the gateways\' calls to the request registry in Redis: what async and idempotent requests pay on top.',
          unit: 's',
          queries: [query(quantile(0.99, 'flowgate_gateway_registry_seconds', 'gateway', ['op']), '{{op}}')],
        },
      ],
    },
    {
      title: 'Processes',
      panels: [
        {
          title: 'CPU',
          description: 'CPU seconds per second of each process.',
          unit: 'percentunit',
          queries: [query(`sum by (job, instance) (rate(process_cpu_seconds_total${ALL}[$__rate_interval]))`, '{{job}} {{instance}}')],
        },
        {
          title: 'Resident memory',
          description: 'Resident set size of each process.',
          unit: 'bytes',
          queries: [query(`max by (job, instance) (process_resident_memory_bytes${ALL})`, '{{job}} {{instance}}')],
        },
        {
          title: 'Event loop lag p99',
          description: 'How late Node.js timers fire (99th percentile): high values delay every request of that process.',
          unit: 's',
          queries: [query(`max by (job, instance) (nodejs_eventloop_lag_p99_seconds${ALL})`, '{{job}} {{instance}}')],
        },
      ],
    },
  ],
};
