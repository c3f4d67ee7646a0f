import type { AddressInfo } from 'node:net';
import Fastify, { FastifyInstance } from 'fastify';
import { createRegistry, GatewayMetrics, Registry } from '@flowgate/metrics';
import { InflightTable, Pending } from './inflight-table';
import { DoorSignals, shedAtTheDoor } from './load-shedding';

describe('shedAtTheDoor', () => {
  let app: FastifyInstance;
  let table: InflightTable;
  let registry: Registry;
  let reached: number;
  // The queueing delay flow control measures, set by each test.
  let queueDelayMs: number;
  const flow: DoorSignals = {
    get congested() {
      return queueDelayMs > 20;
    },
    get queueDelayMs() {
      return queueDelayMs;
    },
    deadlineUnreachable: (timeoutMs: number) => queueDelayMs >= timeoutMs,
    retryAfterSeconds: () => 7,
  };

  async function start(admissionWaitMs: number, limit = 1) {
    table = new InflightTable({ limit: () => limit, admissionWaitMs, maxWaiters: 1, recentCapacity: 10 });
    registry = createRegistry('gateway');
    reached = 0;
    queueDelayMs = 0;
    app = Fastify();
    shedAtTheDoor(app.server, {
      table, flow, metrics: new GatewayMetrics(registry), serves: (route) => route === 'echo', eventRoute: 'echo',
      fairnessHeader: 'x-api-key', timeouts: () => ({ defaultTimeoutMs: 10_000, maxTimeoutMs: 60_000 }),
    });
    app.post('/v1/:route', async () => {
      reached++;
      return { handled: true };
    });
    app.post('/event', async () => {
      reached++;
      return { handled: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
  }
  afterEach(() => app.close());

  // Real HTTP on loopback: the refusal happens in the server's request listener, which inject() bypasses.
  let base: string;
  const post = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"a":1}' });
    const text = await res.text();
    return { statusCode: res.status, headers: Object.fromEntries(res.headers), json: () => JSON.parse(text) };
  };

  it('passes requests on while a slot is free', async () => {
    await start(0);
    expect((await post('/v1/echo')).statusCode).toBe(200);
    expect(reached).toBe(1);
  });

  it('refuses a plain request with 503 overloaded before the handler once the table is full and may not wait', async () => {
    await start(0);
    const held = (await table.admit('held', Date.now() + 10_000)) as Pending;
    const res = await post('/v1/echo', { 'x-request-id': 'shed-1' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.headers['x-request-id']).toBe('shed-1');
    expect(res.json()).toMatchObject({ status: 503, type: 'urn:flowgate:problem:overloaded', requestId: 'shed-1' });
    expect((await post('/event')).statusCode).toBe(503);
    expect(reached).toBe(0);
    const body = JSON.stringify({ filler: 'x'.repeat(200_000) }); // unread by the refusal; the connection is still usable
    expect((await fetch(`${base}/v1/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(503);
    expect(await rejections('full')).toBe(3);
    held.cancel();
    expect((await post('/v1/echo')).statusCode).toBe(200);
  });

  const rejections = async (reason: string) =>
    (await registry.getSingleMetric('flowgate_gateway_admission_rejections_total')!.get()).values.find((v) => v.labels.reason === reason)?.value;

  it('lets a caller under its fair share past a full table', async () => {
    await start(0);
    const held = (await table.admit('held', Date.now() + 10_000, { caller: 'heavy' })) as Pending;
    expect((await post('/v1/echo', { 'x-api-key': 'heavy' })).statusCode).toBe(503);
    expect((await post('/v1/echo', { 'x-api-key': 'light' })).statusCode).toBe(200);
    held.cancel();
  });

  it('refuses with deadline-unreachable what would wait in the queue past its deadline', async () => {
    await start(0, 100);
    queueDelayMs = 1_500;
    const res = await post('/v1/echo', { 'x-request-id': 'late-1', 'x-timeout-ms': '1000' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json()).toMatchObject({ status: 503, type: 'urn:flowgate:problem:deadline-unreachable', requestId: 'late-1' });
    expect(res.json().detail).toMatch(/wait about 1500 ms .* the deadline is 1000 ms away/);
    // A longer deadline (the route's default, 10 s) can make it; a malformed one is the normal path's to refuse.
    expect((await post('/v1/echo')).statusCode).toBe(200);
    expect((await post('/v1/echo', { 'x-timeout-ms': 'soon' })).statusCode).toBe(200);
    expect(reached).toBe(2);
    expect(await rejections('deadline')).toBe(1);
  });

  it('leaves to the normal path what it does not govern or what may wait for a slot', async () => {
    await start(0);
    const held = (await table.admit('held', Date.now() + 10_000)) as Pending;
    for (const [url, headers] of [
      ['/v1/no-such-route', {}],
      ['/v1/echo', { prefer: 'respond-async' }],
      ['/v1/echo', { 'idempotency-key': 'k-1' }],
      ['/v1/echo', { 'x-request-id': 'not a valid id!' }],
    ] as const) {
      expect((await post(url, headers)).statusCode).toBe(200);
    }
    expect(reached).toBe(4);
    held.cancel();

    await app.close();
    await start(1_000); // a full table with room to wait: the dispatcher decides
    const heldToo = (await table.admit('held', Date.now() + 10_000)) as Pending;
    expect((await post('/v1/echo')).statusCode).toBe(200);
    heldToo.cancel();
  });
});
