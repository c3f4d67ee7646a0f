import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, HttpResult, post } from './support/http';

/** Tracks when a request's response arrived (epoch ms), without awaiting it yet. */
function tracked(request: Promise<HttpResult>): { result: Promise<HttpResult>; doneAt: () => number | undefined } {
  let doneAt: number | undefined;
  const result = request.then((res) => {
    doneAt = Date.now();
    return res;
  });
  return { result, doneAt: () => doneAt };
}

describe('admission: a full gateway refuses fast with 503, or admits a waiter when a slot frees', () => {
  const cluster = new Cluster('admission');
  let tight: AppProcess;
  let patient: AppProcess;
  let shedding: AppProcess;

  beforeAll(async () => {
    await cluster.start('processor');
    [tight, patient, shedding] = await Promise.all([
      cluster.start('gateway', { FLOWGATE_MAX_INFLIGHT: '5', FLOWGATE_ADMISSION_WAIT_MS: '50' }),
      cluster.start('gateway', { FLOWGATE_MAX_INFLIGHT: '2', FLOWGATE_ADMISSION_WAIT_MS: '3000' }),
      cluster.start('gateway', { FLOWGATE_MAX_INFLIGHT: '2', FLOWGATE_ADMISSION_WAIT_MS: '0' }),
    ]);
  });
  afterAll(() => cluster.stopAll());

  it('answers 503 problem+json with Retry-After at once while all 5 slots are held, then serves again', async () => {
    expect(await tight.metric('flowgate_gateway_inflight_limit')).toBe(5);
    const rejectedBefore = await tight.metric('flowgate_gateway_admission_rejections_total', { reason: 'full' });

    const delays = Array.from({ length: 5 }, (_, i) =>
      tracked(post(`${tight.url}/v1/delay`, { ms: 1_500, slot: i }, { 'x-request-id': `adm-slot-${i}` })),
    );
    await eventually(async () => (await tight.metric('flowgate_gateway_inflight_requests')) === 5, 5_000, '5 requests in flight');

    const refused = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post(`${tight.url}/v1/echo`, { extra: i }, { 'x-request-id': `adm-extra-${i}` })),
    );
    // Every refusal came back while the delays still held their slots.
    expect(delays.map((d) => d.doneAt())).toEqual([undefined, undefined, undefined, undefined, undefined]);
    refused.forEach((res, i) => {
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.headers.get('x-request-id')).toBe(`adm-extra-${i}`);
      expect(res.json).toMatchObject({ status: 503, type: 'urn:flowgate:problem:overloaded', requestId: `adm-extra-${i}` });
      expect(res.ms).toBeLessThan(1_000);
    });
    expect(await tight.metric('flowgate_gateway_admission_rejections_total', { reason: 'full' })).toBe(rejectedBefore + 10);

    const finished = await Promise.all(delays.map((d) => d.result));
    finished.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ ms: 1_500, slot: i, result: 'ok' });
    });
    await eventually(async () => (await tight.metric('flowgate_gateway_inflight_requests')) === 0, 5_000, 'slots freed');

    const again = await post(`${tight.url}/v1/echo`, { after: 'delays' });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ after: 'delays', result: 'ok' });
  });

  it('admits a request that waits for a slot as soon as one frees, and answers it 200', async () => {
    const rejectedBefore = await patient.metric('flowgate_gateway_admission_rejections_total');

    const short = tracked(post(`${patient.url}/v1/delay`, { ms: 800, which: 'short' }));
    const long = tracked(post(`${patient.url}/v1/delay`, { ms: 2_800, which: 'long' }));
    await eventually(async () => (await patient.metric('flowgate_gateway_inflight_requests')) === 2, 5_000, '2 requests in flight');
    expect(short.doneAt()).toBeUndefined();

    // Arrives while the table is full; FLOWGATE_ADMISSION_WAIT_MS=3000 lets it wait.
    const waiter = tracked(post(`${patient.url}/v1/echo`, { waited: true }));
    const res = await waiter.result;
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ waited: true, result: 'ok' });

    const shortRes = await short.result;
    expect(shortRes.status).toBe(200);
    // It got the slot the short delay freed: after that one, and well before the long one ends
    // (and before its own 3 s admission wait would have run out).
    expect(waiter.doneAt()!).toBeGreaterThanOrEqual(short.doneAt()!);
    expect(waiter.doneAt()! - short.doneAt()!).toBeLessThan(1_000);
    expect(long.doneAt()).toBeUndefined();

    const longRes = await long.result;
    expect(longRes.status).toBe(200);
    expect(await patient.metric('flowgate_gateway_admission_rejections_total')).toBe(rejectedBefore);
  });

  it('with no admission wait, refuses a full gateway\'s requests before reading their bodies', async () => {
    const rejectedBefore = await shedding.metric('flowgate_gateway_admission_rejections_total', { reason: 'full' });
    const delays = Array.from({ length: 2 }, (_, i) => tracked(post(`${shedding.url}/v1/delay`, { ms: 1_500, slot: i })));
    await eventually(async () => (await shedding.metric('flowgate_gateway_inflight_requests')) === 2, 5_000, '2 requests in flight');

    // Not JSON: read, it would get 400; refused before it is read, 503.
    const refused = await post(`${shedding.url}/v1/echo`, '{not json', { 'x-request-id': 'adm-shed-1' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.headers.get('x-request-id')).toBe('adm-shed-1');
    expect(refused.json).toMatchObject({ status: 503, type: 'urn:flowgate:problem:overloaded', requestId: 'adm-shed-1' });
    // An unknown route is still a 404, whatever the load.
    expect((await post(`${shedding.url}/v1/no-such-route`, { a: 1 })).status).toBe(404);
    expect(delays.map((d) => d.doneAt())).toEqual([undefined, undefined]);
    expect(await shedding.metric('flowgate_gateway_admission_rejections_total', { reason: 'full' })).toBe(rejectedBefore + 1);

    for (const res of await Promise.all(delays.map((d) => d.result))) expect(res.status).toBe(200);
    await eventually(async () => (await shedding.metric('flowgate_gateway_inflight_requests')) === 0, 5_000, 'slots freed');
    expect((await post(`${shedding.url}/v1/echo`, '{not json')).status).toBe(400);
  });
});
