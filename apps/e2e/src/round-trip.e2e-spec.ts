import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { post } from './support/http';

describe('request path: HTTP -> Kafka -> processor -> Kafka -> HTTP', () => {
  const cluster = new Cluster('round-trip');
  let gateway: AppProcess;
  let processor: AppProcess;

  beforeAll(async () => {
    processor = await cluster.start('processor');
    gateway = await cluster.start('gateway');
  });
  afterAll(() => cluster.stopAll());

  it('echoes the body with result and timestamps, and the caller\'s request id', async () => {
    const before = Date.now();
    const res = await post(`${gateway.url}/v1/echo`, { hello: 'world', n: 1 }, { 'x-request-id': 'rt-echo-1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('rt-echo-1');
    expect(res.json).toMatchObject({ hello: 'world', n: 1, result: 'ok' });
    const { request_timestamp, response_timestamp } = res.json as { request_timestamp: number; response_timestamp: number };
    expect(request_timestamp).toBeGreaterThanOrEqual(before - 1);
    expect(response_timestamp).toBeGreaterThanOrEqual(request_timestamp);
  });

  it('generates a request id unique per request when none is sent', async () => {
    const [a, b] = await Promise.all([post(`${gateway.url}/v1/echo`, {}), post(`${gateway.url}/v1/echo`, {})]);
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('serves the seed\'s POST /event envelope, OPTIONS and 405', async () => {
    const res = await post(`${gateway.url}/event`, { user: 'u1' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ code: 200, msg: '200 OK', data: { user: 'u1', result: 'ok' } });
    expect((await fetch(`${gateway.url}/event`, { method: 'OPTIONS' })).status).toBe(200);
    const get = await fetch(`${gateway.url}/event`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('answers delay after the asked time without holding up echo', async () => {
    const slow = post(`${gateway.url}/v1/delay`, { ms: 1_500 });
    const fast = await post(`${gateway.url}/v1/echo`, { quick: true });
    expect(fast.status).toBe(200);
    expect(fast.ms).toBeLessThan(1_000);
    const done = await slow;
    expect(done.status).toBe(200);
    expect(done.ms).toBeGreaterThanOrEqual(1_500);
    expect(done.json).toMatchObject({ ms: 1_500, result: 'ok' });
  });

  it('refuses a bad delay body with 400 problem from the processor', async () => {
    const res = await post(`${gateway.url}/v1/delay`, { ms: 60_001 });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.json).toMatchObject({ status: 400, detail: expect.stringMatching(/ms/) });
  });

  it('exports request metrics by route and status on the internal port, and nothing on the public one', async () => {
    expect((await fetch(`${gateway.url}/metrics`)).status).toBe(404);
    expect(gateway.adminPort).not.toBe(gateway.port);
    const text = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
    expect(text).toMatch(/flowgate_gateway_requests_total\{route="echo",status="200",component="gateway"\} \d+/);
    expect(text).toMatch(/flowgate_gateway_request_duration_seconds_bucket/);
    expect(text).toMatch(/flowgate_gateway_produce_batch_size_bucket/);
    expect(await gateway.metric('flowgate_gateway_inflight_limit')).toBe(1024);
    expect(await processor.metric('flowgate_processor_operator_records_total', { job: 'echo', operator: 'echo', direction: 'out' })).toBeGreaterThanOrEqual(1);
    expect(await processor.metric('flowgate_processor_operator_duration_seconds_count', { job: 'delay', operator: 'wait' })).toBeGreaterThanOrEqual(1);
  });

  it('shows every job as a graph on GET /topology', async () => {
    const { jobs } = (await (await fetch(`${processor.url}/topology`)).json()) as {
      jobs: { name: string; nodes: { id: string; kind: string; name: string }[]; edges: { from: string; to: string }[] }[];
    };
    expect(jobs.map((j) => j.name).sort()).toEqual(['counter', 'delay', 'echo', 'fail', 'ip-count', 'ip-count-sliding']);
    const delay = jobs.find((j) => j.name === 'delay')!;
    expect(delay.nodes.map((n) => n.kind)).toEqual(['source', 'map', 'keyBy', 'mapAsync', 'map', 'sink']);
    expect(delay.nodes[0]).toMatchObject({ name: 'route delay', route: 'delay' });
    expect(delay.edges).toEqual(delay.nodes.slice(1).map((n, i) => ({ from: delay.nodes[i].id, to: n.id })));
    expect(jobs.find((j) => j.name === 'fail')!.nodes.map((n) => n.name)).toEqual(['route fail', 'handler', 'reply to caller']);
    const ipCount = jobs.find((j) => j.name === 'ip-count')!;
    expect(ipCount.nodes.map((n) => n.kind)).toEqual(['source', 'keyBy', 'window', 'map', 'sink']);
    expect(ipCount.nodes[2]).toMatchObject({ name: 'count per 5 s window', window: { type: 'tumbling', sizeMs: 5_000, allowedLatenessMs: 5_000 } });
  });
});
