import Redis from 'ioredis';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, post } from './support/http';

/** Idempotency-Key: a retry gets the first outcome, on any gateway, and is not processed again. */
describe('idempotency keys', () => {
  const cluster = new Cluster('idempotency', { FLOWGATE_PRODUCE_TIMEOUT_MS: '15000' });
  let gateways: [AppProcess, AppProcess];

  beforeAll(async () => {
    await cluster.start('processor');
    await cluster.start('sweeper');
    gateways = [await cluster.start('gateway'), await cluster.start('gateway')];
  });
  afterAll(() => cluster.stopAll());

  const counter = (gateway: AppProcess, body: unknown, headers: Record<string, string> = {}) =>
    post(`${gateway.url}/v1/counter`, body, { 'x-timeout-ms': '30000', ...headers });
  const valueOf = async (key: string) => (await post(`${gateways[0].url}/v1/counter-get`, { key }, { 'x-timeout-ms': '30000' })).json?.value;

  it('returns the stored response to a retry on another gateway, and the counter ran once', async () => {
    const first = await counter(gateways[0], { key: 'idem-a', by: 5 }, { 'idempotency-key': 'pay-1', 'x-request-id': 'idem-first' });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ key: 'idem-a', value: 5 });
    const retry = await counter(gateways[1], { key: 'idem-a', by: 5 }, { 'idempotency-key': '"pay-1"', 'x-request-id': 'idem-retry' });
    expect(retry.status).toBe(200);
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('x-request-id')).toBe('idem-first');
    expect(await valueOf('idem-a')).toBe(5);
    expect(await gateways[1].metric('flowgate_gateway_idempotency_total', { result: 'replayed' })).toBe(1);
  });

  it('processes concurrent retries on two gateways once; the others wait for that outcome', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      counter(gateways[i % 2]!, { key: 'idem-b' }, { 'idempotency-key': 'pay-2' })));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    expect(new Set(results.map((r) => r.text))).toEqual(new Set(['{"key":"idem-b","value":1}']));
    expect(await valueOf('idem-b')).toBe(1);
  });

  it('makes a retry of a request still in flight wait for it', async () => {
    const first = post(`${gateways[0].url}/v1/delay`, { ms: 1_500 }, { 'idempotency-key': 'slow-1' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const retry = await post(`${gateways[1].url}/v1/delay`, { ms: 1_500 }, { 'idempotency-key': 'slow-1' });
    const original = await first;
    expect(original.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.text).toBe(original.text);
    expect(retry.ms).toBeGreaterThanOrEqual(900);
  });

  it('refuses the same key with another body with 422 problem+json, and processes nothing', async () => {
    await counter(gateways[0], { key: 'idem-c' }, { 'idempotency-key': 'pay-3' });
    const conflict = await counter(gateways[1], { key: 'idem-c', by: 100 }, { 'idempotency-key': 'pay-3' });
    expect(conflict.status).toBe(422);
    expect(conflict.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(conflict.json).toMatchObject({ type: 'urn:flowgate:problem:idempotency-conflict', status: 422, detail: expect.stringMatching(/pay-3/) });
    expect(await valueOf('idem-c')).toBe(1);
    expect(await gateways[1].metric('flowgate_gateway_idempotency_total', { result: 'conflict' })).toBe(1);
  });

  it('works for async calls: the retry gets the same status URL', async () => {
    const first = await counter(gateways[0], { key: 'idem-d' }, { 'idempotency-key': 'pay-4', prefer: 'respond-async' });
    const retry = await counter(gateways[1], { key: 'idem-d' }, { 'idempotency-key': 'pay-4', prefer: 'respond-async' });
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(retry.headers.get('location')).toBe(first.headers.get('location'));
    // A sync retry of the async original gets its result.
    const sync = await counter(gateways[1], { key: 'idem-d' }, { 'idempotency-key': 'pay-4' });
    expect(sync.json).toEqual({ key: 'idem-d', value: 1 });
    expect(await valueOf('idem-d')).toBe(1);
  });

  it('answers at the deadline even while Redis stalls, without waiting for Redis to record the timeout', async () => {
    // Every Redis client paused (CLIENT PAUSE ALL; it ends by itself) right after the request was
    // admitted: the gateway's expire at the deadline (1.5 s) waits RECORD_PATIENCE_MS (1 s), then
    // it answers; without that patience it would answer when Redis comes back, 10 s later.
    const PAUSE_MS = 10_000;
    const redis = new Redis(process.env.REDIS_URL!);
    const admits = () => gateways[0].metric('flowgate_gateway_registry_seconds_count', { op: 'admit' });
    try {
      const before = await admits();
      const call = post(`${gateways[0].url}/v1/delay`, { ms: 5_000 }, { 'x-timeout-ms': '1500', 'idempotency-key': 'stall-1' });
      await eventually(async () => (await admits()) > before, 10_000, 'the request to be admitted');
      await redis.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL');
      const pausedAt = Date.now();
      const res = await call;
      expect(res.status).toBe(504);
      expect(Date.now() - pausedAt).toBeLessThan(PAUSE_MS - 3_000);
      // Once Redis is back the request has one outcome, whichever Redis took first: the gateway's
      // timeout, or the reply a sweeper recorded (the 504 said it might still take effect).
      // Retries replay that one outcome, every time.
      const retry = () => post(`${gateways[1].url}/v1/delay`, { ms: 5_000 }, { 'x-timeout-ms': '30000', 'idempotency-key': 'stall-1' });
      const [first, second] = [await retry(), await retry()];
      expect([200, 504]).toContain(first.status);
      expect(first.headers.get('idempotent-replayed')).toBe('true');
      expect({ status: second.status, text: second.text }).toEqual({ status: first.status, text: first.text });
    } finally {
      redis.disconnect();
    }
  }, 90_000);
});
