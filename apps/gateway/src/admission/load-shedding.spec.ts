import type { AddressInfo } from 'node:net';
import Fastify, { FastifyInstance } from 'fastify';
import { createRegistry, GatewayMetrics, Registry } from '@flowgate/metrics';
import { InflightTable, Pending } from './inflight-table';
import { shedWhenFull } from './load-shedding';

describe('shedWhenFull', () => {
  let app: FastifyInstance;
  let table: InflightTable;
  let registry: Registry;
  let reached: number;

  async function start(admissionWaitMs: number) {
    table = new InflightTable({ capacity: 1, admissionWaitMs, maxWaiters: 1, recentCapacity: 10 });
    registry = createRegistry('gateway');
    reached = 0;
    app = Fastify();
    shedWhenFull(app.server, { table, metrics: new GatewayMetrics(registry), maxInflight: 1, serves: (route) => route === 'echo', eventRoute: 'echo' });
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
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['x-request-id']).toBe('shed-1');
    expect(res.json()).toMatchObject({ status: 503, type: 'urn:flowgate:problem:overloaded', requestId: 'shed-1' });
    expect((await post('/event')).statusCode).toBe(503);
    expect(reached).toBe(0);
    const body = JSON.stringify({ filler: 'x'.repeat(200_000) }); // unread by the refusal; the connection is still usable
    expect((await fetch(`${base}/v1/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(503);
    const rejections = await registry.getSingleMetric('flowgate_gateway_admission_rejections_total')!.get();
    expect(rejections.values.find((v) => v.labels.reason === 'full')?.value).toBe(3);
    held.cancel();
    expect((await post('/v1/echo')).statusCode).toBe(200);
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
