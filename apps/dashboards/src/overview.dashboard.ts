import { Dashboard, query } from './panel';
import { gauge, quantile, rate, selector } from './promql';

const REQUESTS = 'flowgate_gateway_requests_total';
const LATENCY = 'flowgate_gateway_request_duration_seconds';

/** What callers see: traffic, errors and latency per route; admission and deadlines. */
export const overview: Dashboard = {
  uid: 'flowgate-overview',
  title: 'flowgate / Overview',
  description: 'Requests through the gateways: rate, errors and latency per route; in-flight requests, rejections, timeouts.',
  rows: [
    {
      title: 'Traffic',
      panels: [
        {
          title: 'Requests per second by route',
          description: 'Answered requests per second, by route (flowgate_gateway_requests_total).',
          unit: 'reqps',
          queries: [query(rate(REQUESTS, 'gateway', ['route']), '{{route}}')],
        },
        {
          title: 'Error ratio by route (5xx)',
          description: 'Share of answers with a 5xx status (500 handler failed, 503 refused, 504 timeout), by route.',
          unit: 'percentunit',
          queries: [
            query(`${rate(REQUESTS, 'gateway', ['route'], 'status=~"5.."')} / ${rate(REQUESTS, 'gateway', ['route'])}`, '{{route}}'),
          ],
        },
        {
          title: 'Answers by status',
          description: 'Answers per second by HTTP status; 499 is a caller that hung up before the answer.',
          unit: 'reqps',
          queries: [query(rate(REQUESTS, 'gateway', ['status']), '{{status}}')],
        },
      ],
    },
    {
      title: 'Latency',
      panels: [
        {
          title: 'p99 latency by route',
          description: 'End-to-end latency (request received to response written), 99th percentile.',
          unit: 's',
          queries: [query(quantile(0.99, LATENCY, 'gateway', ['route']), '{{route}}')],
        },
        {
          title: 'p95 latency by route',
          description: 'End-to-end latency, 95th percentile.',
          unit: 's',
          queries: [query(quantile(0.95, LATENCY, 'gateway', ['route']), '{{route}}')],
        },
        {
          title: 'p50 latency by route',
          description: 'End-to-end latency, median.',
          unit: 's',
          queries: [query(quantile(0.5, LATENCY, 'gateway', ['route']), '{{route}}')],
        },
      ],
    },
    {
      title: 'Admission and deadlines',
      panels: [
        {
          title: 'In flight against the limit',
          description:
            'Requests waiting for their reply, per gateway, and each gateway\'s in-flight limit: adaptive (it falls when requests queue or the gateway\'s event loop lags, and grows back) or FLOWGATE_MAX_INFLIGHT when fixed. At the limit, new requests get 503 overloaded (a caller under its fair share still gets in).',
          unit: 'short',
          queries: [
            query(gauge('flowgate_gateway_inflight_requests', 'gateway', ['job', 'instance']), 'in flight {{job}} {{instance}}'),
            query(gauge('flowgate_gateway_inflight_limit', 'gateway', ['job', 'instance']), 'limit {{job}} {{instance}}'),
          ],
        },
        {
          title: 'Flow-control signals',
          description:
            'What the adaptive limit steers by, per gateway: how long requests wait in Kafka and processors before their handler starts (target FLOWGATE_TARGET_QUEUE_MS; a request whose deadline is shorter is refused with deadline-unreachable) and the gateway\'s event-loop delay (target FLOWGATE_TARGET_LOOP_DELAY_MS).',
          unit: 's',
          queries: [
            query(gauge('flowgate_gateway_queue_delay_seconds', 'gateway', ['job', 'instance'], 'max'), 'queueing {{job}} {{instance}}'),
            query(gauge('flowgate_gateway_event_loop_delay_seconds', 'gateway', ['job', 'instance'], 'max'), 'event loop {{job}} {{instance}}'),
          ],
        },
        {
          title: 'Rejections by reason',
          description: 'Requests answered 503 without being sent to Kafka: full (the limit or the caller\'s share taken), deadline (queueing longer than the deadline), kafka_down, draining, no_reply_partition.',
          unit: 'reqps',
          queries: [query(rate('flowgate_gateway_admission_rejections_total', 'gateway', ['reason']), '{{reason}}')],
        },
        {
          title: 'Timeouts and hang-ups by route',
          description: 'Requests whose deadline passed before the reply (504/408), and callers that disconnected first.',
          unit: 'reqps',
          queries: [
            query(rate('flowgate_gateway_timeouts_total', 'gateway', ['route']), 'timeout {{route}}'),
            query(rate('flowgate_gateway_cancelled_total', 'gateway', ['route']), 'hung up {{route}}'),
          ],
        },
      ],
    },
    {
      title: 'Now',
      panels: [
        {
          title: 'Requests per second',
          description: 'All routes, all selected releases.',
          unit: 'reqps',
          kind: 'stat',
          width: 6,
          queries: [query(rate(REQUESTS, 'gateway'), 'requests')],
        },
        {
          title: 'Error ratio (5xx)',
          description: 'All routes, all selected releases.',
          unit: 'percentunit',
          kind: 'stat',
          width: 6,
          queries: [query(`${rate(REQUESTS, 'gateway', [], 'status=~"5.."')} / ${rate(REQUESTS, 'gateway')}`, 'errors')],
        },
        {
          title: 'p99 latency',
          description: 'All routes, all selected releases.',
          unit: 's',
          kind: 'stat',
          width: 6,
          queries: [query(quantile(0.99, LATENCY, 'gateway'), 'p99')],
        },
        {
          title: 'Gateways up',
          description: 'Gateway targets Prometheus scrapes successfully.',
          unit: 'short',
          kind: 'stat',
          width: 6,
          queries: [query(`sum (up${selector('gateway')})`, 'gateways')],
        },
      ],
    },
  ],
};
