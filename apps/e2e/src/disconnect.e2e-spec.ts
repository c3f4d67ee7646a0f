import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, post, sleep } from './support/http';

describe('disconnect: a caller that goes away frees its slot at once', () => {
  const cluster = new Cluster('disconnect');
  let gateway: AppProcess;

  beforeAll(async () => {
    await cluster.start('processor');
    gateway = await cluster.start('gateway');
  });
  afterAll(() => cluster.stopAll());

  it('drops the in-flight gauge to 0 well before the 3 s reply and counts the request as cancelled', async () => {
    const cancelledBefore = await gateway.metric('flowgate_gateway_cancelled_total', { route: 'delay' });
    const controller = new AbortController();
    const started = Date.now();
    const call = post(`${gateway.url}/v1/delay`, { ms: 3_000, who: 'leaver' }, { 'x-request-id': 'dc-leaver-1' }, controller.signal);
    const outcome = call.then(
      () => 'answered',
      (error: Error) => error.name,
    );

    await eventually(async () => (await gateway.metric('flowgate_gateway_inflight_requests')) === 1, 2_000, 'request in flight');
    await sleep(Math.max(0, 200 - (Date.now() - started)));
    controller.abort();
    const abortedAt = Date.now();
    expect(await outcome).toBe('AbortError');

    await eventually(async () => (await gateway.metric('flowgate_gateway_inflight_requests')) === 0, 1_500, 'slot freed after abort');
    const freedAfterMs = Date.now() - abortedAt;
    // Well before the processor's reply at ~3 s after the start.
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(freedAfterMs).toBeLessThan(1_500);
    await eventually(
      async () => (await gateway.metric('flowgate_gateway_cancelled_total', { route: 'delay' })) === cancelledBefore + 1,
      1_000,
      'cancel counted',
    );
  });

  it('keeps serving after the disconnect', async () => {
    const res = await post(`${gateway.url}/v1/echo`, { still: 'here' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ still: 'here', result: 'ok' });
  });
});
