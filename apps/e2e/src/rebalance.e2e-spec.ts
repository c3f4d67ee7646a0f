import { randomBytes } from 'node:crypto';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, HttpResult, post, sleep } from './support/http';

const REQUESTS = 150;
const CONCURRENCY = 10;
const SPREAD_MS = 6_000;
const START_SECOND_AT_MS = 1_500;
const STOP_FIRST_AT_MS = 3_500;

/**
 * Partitions move between processors while requests flow: a second processor joins, then the
 * first leaves gracefully (SIGTERM). Nothing is killed hard, so every caller must get its answer.
 */
describe('processor rebalance under load', () => {
  const cluster = new Cluster('rebalance', { FLOWGATE_REQUEST_PARTITIONS: '4' });
  let gateway: AppProcess;
  let first: AppProcess;

  beforeAll(async () => {
    first = await cluster.start('processor');
    gateway = await cluster.start('gateway');
    await eventually(async () => (await first.metric('flowgate_processor_assigned_partitions')) === 4, 15_000, 'first processor owns all 4 partitions');
  });
  afterAll(() => cluster.stopAll());

  it('answers every request while a processor joins and another leaves', async () => {
    const started = Date.now();
    const results: { i: number; tag: string; res: HttpResult | Error }[] = [];
    const events: string[] = [];

    const second = (async () => {
      await sleep(START_SECOND_AT_MS);
      events.push(`+${Date.now() - started}ms starting second processor`);
      const app = await cluster.start('processor');
      events.push(`+${Date.now() - started}ms second processor ready`);
      return app;
    })();
    const stopFirst = (async () => {
      await sleep(STOP_FIRST_AT_MS);
      events.push(`+${Date.now() - started}ms SIGTERM to first processor`);
      first.kill('SIGTERM');
      const code = await first.exited;
      events.push(`+${Date.now() - started}ms first processor exited (${code})`);
      return code;
    })();

    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        const i = next++;
        // Pace the requests over SPREAD_MS so the membership changes happen while they flow.
        const due = started + Math.floor((i * SPREAD_MS) / REQUESTS);
        if (due > Date.now()) await sleep(due - Date.now());
        const tag = `rb-${i}-${randomBytes(4).toString('hex')}`;
        const [path, body] = i % 2 === 0 ? ['echo', { tag }] : ['delay', { tag, ms: 100 }];
        const res = await post(`${gateway.url}/v1/${path}`, body, { 'x-timeout-ms': '10000', 'x-request-id': tag }).catch((e: Error) => e);
        results.push({ i, tag, res });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const secondApp = await second;
    const firstExit = await stopFirst;
    const bad = results
      .filter(({ tag, res }) => res instanceof Error || res.status !== 200 || (res.json as { tag?: string } | undefined)?.tag !== tag)
      .map(({ i, res }) => ({ i, ...(res instanceof Error ? { error: res.message } : { status: res.status, text: res.text.slice(0, 200) }) }));

    expect({ bad, events }).toEqual({ bad: [], events: expect.any(Array) });
    expect(results).toHaveLength(REQUESTS);
    // The first processor finished its work and left on its own (Nest re-raises SIGTERM when done).
    expect(firstExit).toBe(0);
    expect(first.logs).not.toMatch(/"level":"fatal"/);

    await eventually(async () => (await secondApp.metric('flowgate_processor_assigned_partitions')) === 4, 20_000, 'second processor owns all 4 partitions');
    expect(await gateway.metric('flowgate_gateway_timeouts_total')).toBe(0);
    // The hand-over really happened under load: the second processor served part of the requests.
    const servedBySecond = await secondApp.metric('flowgate_processor_records_total', { result: 'processed' });
    expect(servedBySecond).toBeGreaterThan(0);
    const after = await post(`${gateway.url}/v1/echo`, { after: true });
    expect(after.status).toBe(200);
  });
});
