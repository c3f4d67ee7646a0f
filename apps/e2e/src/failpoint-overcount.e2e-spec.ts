import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { post } from './support/http';

const FAILPOINT = { FLOWGATE_FAILPOINT: 'after-output-before-commit' };

/**
 * Why exactly-once exists. A processor that dies after a batch's outputs and state changes are
 * written but before its offset is committed (a window of milliseconds, hit on purpose with the
 * test-only fail point) is replayed by its successor. At-least-once, the replay counts the
 * increment a second time: the caller was told 1 and the counter says 2. Exactly-once, the
 * outputs, state and offset were one open transaction that the successor's producer aborts
 * (fencing the dead one): the caller is told 1 once and the counter says 1.
 */
describe.each([
  { mode: 'at_least_once', counted: 2, lateReplies: 1 },
  { mode: 'exactly_once', counted: 1, lateReplies: 0 },
])('a crash between output and commit, $mode', ({ mode, counted, lateReplies }) => {
  const cluster = new Cluster(`failpoint-${mode.replace(/_/g, '-')}`, { FLOWGATE_PROCESSING: mode, FLOWGATE_PRODUCE_TIMEOUT_MS: '15000' });
  let gateway: AppProcess;

  beforeAll(async () => {
    gateway = await cluster.start('gateway');
  });
  afterAll(() => cluster.stopAll());

  it(`ends with the counter at ${counted} after one increment`, async () => {
    const doomed = await cluster.start('processor', FAILPOINT);
    const increment = post(`${gateway.url}/v1/counter`, { key: 'k' }, { 'x-timeout-ms': '60000' });
    // A refused increment would never reach the fail point: fail fast instead of waiting forever.
    const refused = increment.then((r) =>
      r.status === 200 ? new Promise<never>(() => undefined) : Promise.reject(new Error(`increment answered ${r.status} before any crash: ${r.text}`)),
    );
    expect(await Promise.race([doomed.exited, refused])).toBeNull(); // killed by its own SIGKILL
    expect(doomed.logs).toMatch(/failpoint after-output-before-commit reached/);

    const successor = await cluster.start('processor');
    const answer = await increment;
    expect({ status: answer.status, json: answer.json }).toEqual({ status: 200, json: { key: 'k', value: 1 } });
    // Queued behind the increment in its partition: answered only after the replay.
    const get = await post(`${gateway.url}/v1/counter-get`, { key: 'k' }, { 'x-timeout-ms': '60000' });
    expect(get.json).toEqual({ key: 'k', value: counted });
    // At-least-once also wrote the reply twice; the gateway dropped the second as late.
    expect(await gateway.metric('flowgate_gateway_late_replies_total')).toBe(lateReplies);
    // The successor replayed the increment itself. Batches are not counted: at-least-once, the
    // caller is answered before the crash, so the get can join the replay's batch.
    expect(await successor.metric('flowgate_processor_records_total', { route: 'counter', result: 'processed' })).toBe(1);
    expect(await successor.metric('flowgate_processor_batch_commits_total', { job: 'counter', result: 'committed' })).toBeGreaterThanOrEqual(1);
  }, 150_000);
});

describe('FLOWGATE_FAILPOINT checked at boot', () => {
  const cluster = new Cluster('failpoint-config');
  afterAll(() => cluster.stopAll());

  it('refuses an unknown fail point, naming the variable', async () => {
    const processor = await cluster.start('processor', { FLOWGATE_FAILPOINT: 'after-commit' }, { waitReady: false });
    expect(await processor.exited).toBe(1);
    expect(processor.logs).toMatch(/FLOWGATE_FAILPOINT="after-commit"/);
  });
});
