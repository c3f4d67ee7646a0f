import { type GatewayStatus, STATUS_VERSION } from '@flowgate/contracts';
import { histogramsBy, LATENCY_BUCKETS, type MetricSample, sumBy, sumBy2 } from '@flowgate/metrics';

/** The gateway metrics a status record is made of: the same series `/metrics` exports. */
export const GATEWAY_STATUS_METRICS = [
  'flowgate_gateway_requests_total',
  'flowgate_gateway_request_duration_seconds',
  'flowgate_gateway_inflight_requests',
  'flowgate_gateway_inflight_limit',
  'flowgate_gateway_admission_rejections_total',
  'flowgate_gateway_timeouts_total',
  'flowgate_gateway_reply_partition',
] as const;

/** The gateway's status record from its metric samples (`readMetricSamples` of GATEWAY_STATUS_METRICS). Pure. */
export function buildGatewayStatus(input: {
  readonly instance: string;
  readonly startedAt: number;
  readonly now: number;
  readonly eventRoute?: string;
  readonly samples: ReadonlyMap<string, readonly MetricSample[]>;
}): GatewayStatus {
  const metric = (name: (typeof GATEWAY_STATUS_METRICS)[number]) => input.samples.get(name);
  const single = (name: (typeof GATEWAY_STATUS_METRICS)[number]) => metric(name)?.[0]?.value ?? 0;
  return {
    v: STATUS_VERSION,
    app: 'gateway',
    instance: input.instance,
    startedAt: input.startedAt,
    updatedAt: input.now,
    bounds: LATENCY_BUCKETS,
    requests: sumBy2(metric('flowgate_gateway_requests_total'), 'route', 'status'),
    durations: histogramsBy(metric('flowgate_gateway_request_duration_seconds'), 'route', LATENCY_BUCKETS),
    inflight: single('flowgate_gateway_inflight_requests'),
    inflightLimit: single('flowgate_gateway_inflight_limit'),
    rejections: sumBy(metric('flowgate_gateway_admission_rejections_total'), 'reason'),
    timeouts: sumBy(metric('flowgate_gateway_timeouts_total'), 'route'),
    replyPartition: metric('flowgate_gateway_reply_partition')?.[0]?.value ?? -1,
    ...(input.eventRoute ? { eventRoute: input.eventRoute } : {}),
  };
}
