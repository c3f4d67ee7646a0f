import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, post } from './support/http';

/**
 * The delay route's wait is an async step ordered by key (`mapAsync(..., { ordered: 'key' })`):
 * requests with the same `key` wait one after the other in the order they reached the processor,
 * while other requests keep going.
 */
describe('delay route: async step ordered by key', () => {
  const cluster = new Cluster('delay-order');
  let gateway: AppProcess;
  let processor: AppProcess;

  beforeAll(async () => {
    processor = await cluster.start('processor');
    gateway = await cluster.start('gateway');
  });
  afterAll(() => cluster.stopAll());

  const delay = (body: Record<string, unknown>) => post(`${gateway.url}/v1/delay`, body, { 'x-timeout-ms': '60000' });
  /** Records that have reached the ordered step (keyBy runs in the same tick as the queueing). */
  const arrived = () => processor.metric('flowgate_processor_operator_records_total', { job: 'delay', operator: 'by key', direction: 'in' });

  it('answers a short request after the long one with the same key, and one without a key meanwhile', async () => {
    const finished: string[] = [];
    const long = delay({ ms: 4_000, key: 'k', name: 'long' }).then((r) => (finished.push('long'), r));
    await eventually(async () => (await arrived()) === 1, 30_000, 'the long request at the ordered step');
    const short = delay({ ms: 10, key: 'k', name: 'short' }).then((r) => (finished.push('short'), r));
    const other = delay({ ms: 10, key: 'other', name: 'other' }).then((r) => (finished.push('other'), r));
    const [l, s, o] = await Promise.all([long, short, other]);
    expect([l.status, s.status, o.status]).toEqual([200, 200, 200]);
    expect(finished.indexOf('short')).toBeGreaterThan(finished.indexOf('long'));
    // The short wait began only once the long one was over, so it was answered after it (its
    // own 10 ms later; unordered, it would have been answered about 4 s earlier).
    const at = (r: typeof l) => (r.json as { response_timestamp: number }).response_timestamp;
    expect(at(s)).toBeGreaterThan(at(l));
    // Another key did not wait for k.
    expect(at(o)).toBeLessThan(at(l));
    expect(s.json).toMatchObject({ name: 'short', key: 'k', result: 'ok' });
  }, 90_000);
});
