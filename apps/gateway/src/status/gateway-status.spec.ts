import { createRegistry, GatewayMetrics, readMetricSamples } from '@flowgate/metrics';
import { buildGatewayStatus, GATEWAY_STATUS_METRICS } from './gateway-status';

describe('buildGatewayStatus', () => {
  it('reports requests by route and status, in-flight against its limit, rejections', async () => {
    const registry = createRegistry('gateway');
    const metrics = new GatewayMetrics(registry);
    metrics.requests.inc({ route: 'echo', status: '200' }, 10);
    metrics.requests.inc({ route: 'echo', status: '504' }, 2);
    metrics.requests.inc({ route: 'fail', status: '500' });
    metrics.requestDuration.observe({ route: 'echo' }, 0.003);
    metrics.inflight.set(3);
    metrics.inflightLimit.set(1024);
    metrics.admissionRejections.inc({ reason: 'full' }, 4);
    metrics.replySlot.set(2);
    const status = buildGatewayStatus({ instance: 'g-1', startedAt: 1, now: 2, eventRoute: 'echo', samples: await readMetricSamples(registry, GATEWAY_STATUS_METRICS) });
    expect(status).toMatchObject({
      app: 'gateway',
      instance: 'g-1',
      requests: { echo: { 200: 10, 504: 2 }, fail: { 500: 1 } },
      inflight: 3,
      inflightLimit: 1024,
      rejections: { full: 4 },
      replyPartition: 2,
      eventRoute: 'echo',
    });
    expect(status.durations.echo.count).toBe(1);
  });
});
