import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { post, sleep } from './support/http';

/** The keyed counter: state per key in the partition that owns it, surviving restarts. */
describe('counter route (keyed state)', () => {
  // A slow machine must not turn a slow acknowledgement into a 503 whose increment lands anyway.
  const cluster = new Cluster('counter', { FLOWGATE_PRODUCE_TIMEOUT_MS: '15000' });
  let gateway: AppProcess;
  let processor: AppProcess;

  beforeAll(async () => {
    processor = await cluster.start('processor');
    gateway = await cluster.start('gateway');
  });
  afterAll(() => cluster.stopAll());

  const counter = (body: unknown) => post(`${gateway.url}/v1/counter`, body, { 'x-timeout-ms': '30000' });
  const get = (key: string) => post(`${gateway.url}/v1/counter-get`, { key }, { 'x-timeout-ms': '30000' });

  /**
   * Increments each key `perKey` times, one request after the other per key, keys in parallel.
   * `seen[key]` collects the value each caller got back (a negative entry is a non-200 status).
   */
  function incrementEach(keys: string[], perKey: number) {
    const seen: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
    const load = Promise.all(
      keys.map(async (key) => {
        for (let i = 0; i < perKey; i++) {
          const res = await post(`${gateway.url}/v1/counter`, { key }, { 'x-timeout-ms': '60000' });
          seen[key].push(res.status === 200 ? (res.json as { value: number }).value : -res.status);
        }
      }),
    );
    return { seen, load };
  }

  it('adds and reads per key', async () => {
    expect((await counter({ key: 'a' })).json).toEqual({ key: 'a', value: 1 });
    expect((await counter({ key: 'a', by: 5 })).json).toEqual({ key: 'a', value: 6 });
    expect((await counter({ key: 'b', by: -2 })).json).toEqual({ key: 'b', value: -2 });
    expect((await get('a')).json).toEqual({ key: 'a', value: 6 });
    expect((await get('never-touched')).json).toEqual({ key: 'never-touched', value: 0 });
    expect(await processor.metric('flowgate_processor_batch_commits_total', { job: 'counter', result: 'committed' })).toBeGreaterThanOrEqual(1);
    expect(await processor.metric('flowgate_processor_state_entries', { job: 'counter' })).toBeGreaterThanOrEqual(2);
    expect(await processor.metric('flowgate_processor_state_restore_seconds_count', { job: 'counter' })).toBeGreaterThanOrEqual(1);
  });

  it('refuses a missing key at the gateway and a bad "by" in the job', async () => {
    const missing = await counter({ by: 1 });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ type: 'urn:flowgate:problem:bad-body' });
    const bad = await counter({ key: 'a', by: 'x' });
    expect(bad.status).toBe(400);
    expect((await get('a')).json).toEqual({ key: 'a', value: 6 });
  });

  it('keeps the state across a SIGKILL of the processor (restored from the changelog)', async () => {
    processor.kill('SIGKILL');
    await processor.exited;
    processor = await cluster.start('processor');
    expect((await get('a')).json).toEqual({ key: 'a', value: 6 });
    expect((await counter({ key: 'b' })).json).toEqual({ key: 'b', value: -1 });
  });

  it('is exactly-once across crashes: every increment counted once', async () => {
    const keys = ['x1', 'x2', 'x3', 'x4'];
    const perKey = 30;
    const { seen, load } = incrementEach(keys, perKey);
    for (const pause of [800, 1_500]) {
      await sleep(pause);
      processor.kill('SIGKILL');
      await processor.exited;
      processor = await cluster.start('processor');
    }
    await load;
    for (const key of keys) {
      // Each caller saw the value its own increment produced: 1, 2, … with no gap or repeat.
      expect({ key, seen: seen[key] }).toEqual({ key, seen: Array.from({ length: perKey }, (_, i) => i + 1) });
      expect((await get(key)).json).toEqual({ key, value: perKey });
    }
  }, 150_000);

  it('stays exact while a processor joins and another leaves (rebalance)', async () => {
    const keys = ['r1', 'r2', 'r3', 'r4'];
    const perKey = 40;
    const { seen, load } = incrementEach(keys, perKey);
    await sleep(700);
    const second = await cluster.start('processor');
    await sleep(1_000);
    const first = processor;
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    processor = second;
    await load;
    for (const key of keys) {
      expect({ key, seen: seen[key] }).toEqual({ key, seen: Array.from({ length: perKey }, (_, i) => i + 1) });
    }
    expect(await second.metric('flowgate_processor_state_restore_seconds_count', { job: 'counter' })).toBeGreaterThanOrEqual(1);
  }, 150_000);
});
