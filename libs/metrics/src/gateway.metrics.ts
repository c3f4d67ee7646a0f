import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS } from './latency-buckets';

/** Every metric the gateway exports, declared once. */
export class GatewayMetrics {
  readonly requests: Counter<'route' | 'status'>;
  readonly requestDuration: Histogram<'route'>;
  readonly inflight: Gauge;
  readonly inflightLimit: Gauge;
  readonly queueDelay: Gauge;
  readonly eventLoopDelay: Gauge;
  readonly replyRate: Gauge;
  readonly admissionRejections: Counter<'reason'>;
  readonly timeouts: Counter<'route'>;
  readonly cancelled: Counter<'route'>;
  readonly lateReplies: Counter;
  readonly orphanReplies: Counter;
  readonly replySlot: Gauge;
  readonly kafkaUp: Gauge;
  readonly ingestedEvents: Counter<'result'>;
  readonly asyncAccepted: Counter<'route'>;
  readonly idempotency: Counter<'result'>;
  readonly registryCalls: Histogram<'op' | 'result'>;
  readonly catalogRoutes: Gauge;
  readonly catalogChanges: Counter<'change'>;
  readonly bodyRejections: Counter<'route'>;
  readonly authRefusals: Counter<'reason'>;
  readonly apiKeys: Gauge;
  readonly apiKeyReloads: Counter<'result'>;
  readonly adminRequests: Counter<'action' | 'status'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'flowgate_gateway_requests_total',
      help: 'HTTP requests answered, by route and status.',
      labelNames: ['route', 'status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'flowgate_gateway_request_duration_seconds',
      help: 'End-to-end latency from request received to response written, by route.',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.inflight = new Gauge({ name: 'flowgate_gateway_inflight_requests', help: 'Requests waiting for their reply.', registers });
    this.inflightLimit = new Gauge({
      name: 'flowgate_gateway_inflight_limit',
      help: 'The most requests waiting at once now: adaptive between FLOWGATE_MIN_INFLIGHT and FLOWGATE_MAX_INFLIGHT, or FLOWGATE_MAX_INFLIGHT when fixed.',
      registers,
    });
    this.queueDelay = new Gauge({
      name: 'flowgate_gateway_queue_delay_seconds',
      help: 'How long requests wait in Kafka and processors before their handler starts (from the replies\' fg-queue-ms and from requests still waiting), smoothed.',
      registers,
    });
    this.eventLoopDelay = new Gauge({
      name: 'flowgate_gateway_event_loop_delay_seconds',
      help: 'The gateway\'s event-loop delay, p90 over the last 250 ms.',
      registers,
    });
    this.replyRate = new Gauge({
      name: 'flowgate_gateway_reply_rate',
      help: 'Replies per second this gateway receives, smoothed: the rate its backlog drains at (Retry-After).',
      registers,
    });
    this.admissionRejections = new Counter({
      name: 'flowgate_gateway_admission_rejections_total',
      help: 'Requests answered 503 without being sent, by reason (full, deadline, kafka_down, no_reply_partition, draining).',
      labelNames: ['reason'],
      registers,
    });
    this.timeouts = new Counter({
      name: 'flowgate_gateway_timeouts_total',
      help: 'Requests whose deadline passed before their reply arrived.',
      labelNames: ['route'],
      registers,
    });
    this.cancelled = new Counter({
      name: 'flowgate_gateway_cancelled_total',
      help: 'Requests whose caller disconnected before the reply.',
      labelNames: ['route'],
      registers,
    });
    this.lateReplies = new Counter({
      name: 'flowgate_gateway_late_replies_total',
      help: 'Replies for requests that had already timed out or were cancelled; dropped.',
      registers,
    });
    this.orphanReplies = new Counter({
      name: 'flowgate_gateway_orphan_replies_total',
      help: 'Replies for request ids this gateway does not know (or malformed replies); dropped.',
      registers,
    });
    this.replySlot = new Gauge({
      name: 'flowgate_gateway_reply_partition',
      help: 'Reply partition this gateway owns (-1 while it owns none).',
      registers,
    });
    this.kafkaUp = new Gauge({ name: 'flowgate_gateway_kafka_up', help: '1 while Kafka accepts produce requests.', registers });
    this.ingestedEvents = new Counter({
      name: 'flowgate_gateway_ingested_events_total',
      help: 'Access-log lines uploaded, by result (accepted, rejected).',
      labelNames: ['result'],
      registers,
    });
    this.asyncAccepted = new Counter({
      name: 'flowgate_gateway_async_accepted_total',
      help: 'Requests answered 202 (Prefer: respond-async), by route; their outcome is in the registry.',
      labelNames: ['route'],
      registers,
    });
    this.idempotency = new Counter({
      name: 'flowgate_gateway_idempotency_total',
      help: 'Requests with an Idempotency-Key, by result (new, replayed, conflict).',
      labelNames: ['result'],
      registers,
    });
    this.registryCalls = new Histogram({
      name: 'flowgate_gateway_registry_seconds',
      help: 'Time of each request-registry call in Redis, by operation and result (ok, error).',
      labelNames: ['op', 'result'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.catalogRoutes = new Gauge({ name: 'flowgate_gateway_catalog_routes', help: 'Routes this gateway serves, from the route catalog.', registers });
    this.catalogChanges = new Counter({
      name: 'flowgate_gateway_catalog_changes_total',
      help: 'Route catalog records applied, by change (added, changed, retired, invalid).',
      labelNames: ['change'],
      registers,
    });
    this.bodyRejections = new Counter({
      name: 'flowgate_gateway_body_rejections_total',
      help: 'Bodies refused with 400 because they fail their route\'s schema or required fields, by route.',
      labelNames: ['route'],
      registers,
    });
    this.authRefusals = new Counter({
      name: 'flowgate_gateway_auth_refusals_total',
      help: 'Requests refused before routing because of their credential, by reason (missing, malformed, unknown_key, invalid_token, expired, unavailable).',
      labelNames: ['reason'],
      registers,
    });
    this.apiKeys = new Gauge({
      name: 'flowgate_gateway_api_keys',
      help: 'API keys loaded from FLOWGATE_API_KEYS_FILE (FLOWGATE_AUTH=api-key).',
      registers,
    });
    this.apiKeyReloads = new Counter({
      name: 'flowgate_gateway_api_key_reloads_total',
      help: 'Changes of the API key file applied (ok) or refused and the previous keys kept (error).',
      labelNames: ['result'],
      registers,
    });
    // Named by the admin API rather than the gateway: the API is a component of its own that happens to live in the gateway.
    this.adminRequests = new Counter({
      name: 'flowgate_admin_requests_total',
      help: 'Calls of the script admin API (/admin/v1 on the admin port), by action (upload, activate, canary, promote, rollback, delete, list, get, version, audit, unknown) and HTTP status.',
      labelNames: ['action', 'status'],
      registers,
    });
  }
}
