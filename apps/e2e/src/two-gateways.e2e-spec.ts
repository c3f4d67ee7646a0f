import { randomBytes } from 'node:crypto';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, HttpResult, post } from './support/http';

const REQUESTS = 200;
const CONCURRENCY = 20;

/**
 * Two gateways share one processor; each reads only its own reply partition, so every caller gets
 * its own answer and neither gateway ever sees the other's replies.
 */
describe('two gateways, one processor', () => {
  const cluster = new Cluster('two-gateways');
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    await cluster.start('processor');
    [a, b] = await Promise.all([cluster.start('gateway'), cluster.start('gateway')]);
  });
  afterAll(() => cluster.stopAll());

  it(`answers ${REQUESTS} interleaved requests, each with its own body`, async () => {
    const gateways = [a, b];
    const results: { i: number; tag: string; via: number; res: HttpResult }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        const i = next++;
        const via = i % 2;
        const tag = `caller-${i}-${randomBytes(4).toString('hex')}`;
        const res = await post(`${gateways[via].url}/v1/echo`, { tag, i }, { 'x-request-id': `two-gw-${i}` });
        results.push({ i, tag, via, res });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(results).toHaveLength(REQUESTS);
    const wrong = results.filter(({ i, tag, res }) => {
      const body = res.json as { tag?: string; i?: number; result?: string } | undefined;
      return res.status !== 200 || body?.tag !== tag || body?.i !== i || body?.result !== 'ok'
        || res.headers.get('x-request-id') !== `two-gw-${i}`;
    });
    expect(wrong.map(({ i, via, res }) => ({ i, via, status: res.status, text: res.text }))).toEqual([]);
    expect(results.filter((r) => r.via === 0)).toHaveLength(REQUESTS / 2);
  });

  it('gives each gateway its own reply partition and no gateway a reply that is not its own', async () => {
    const partitionA = await a.metric('flowgate_gateway_reply_partition');
    const partitionB = await b.metric('flowgate_gateway_reply_partition');
    expect(partitionA).toBeGreaterThanOrEqual(0);
    expect(partitionB).toBeGreaterThanOrEqual(0);
    expect(partitionA).not.toBe(partitionB);
    expect(await a.metric('flowgate_gateway_orphan_replies_total')).toBe(0);
    expect(await b.metric('flowgate_gateway_orphan_replies_total')).toBe(0);
    expect(await a.metric('flowgate_gateway_late_replies_total')).toBe(0);
    expect(await b.metric('flowgate_gateway_late_replies_total')).toBe(0);
    // Each answered its half (plus nothing else): the requests really were spread.
    expect(await a.metric('flowgate_gateway_requests_total', { route: 'echo', status: '200' })).toBe(REQUESTS / 2);
    expect(await b.metric('flowgate_gateway_requests_total', { route: 'echo', status: '200' })).toBe(REQUESTS / 2);
  });

  it('lets a new gateway take a reply partition after one stops, and serve', async () => {
    await b.stop();
    // Nest re-raises SIGTERM once its shutdown hooks are done, so a clean stop ends by the signal.
    expect(await b.exited).toBe(0);
    expect(b.logs).not.toMatch(/"level":"(fatal|error)"/);
    const c = await cluster.start('gateway');
    const partitionC = await c.metric('flowgate_gateway_reply_partition');
    expect(partitionC).toBeGreaterThanOrEqual(0);
    expect(partitionC).not.toBe(await a.metric('flowgate_gateway_reply_partition'));

    const res = await post(`${c.url}/v1/echo`, { via: 'c' }, { 'x-request-id': 'two-gw-c-1' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ via: 'c', result: 'ok' });
    const stillA = await post(`${a.url}/v1/echo`, { via: 'a' });
    expect(stillA.status).toBe(200);
    expect(stillA.json).toMatchObject({ via: 'a', result: 'ok' });
    await eventually(async () => (await c.metric('flowgate_gateway_requests_total', { status: '200' })) === 1, 5_000, 'c counts its request');
    expect(await c.metric('flowgate_gateway_orphan_replies_total')).toBe(0);
    expect(await a.metric('flowgate_gateway_orphan_replies_total')).toBe(0);
  });
});
