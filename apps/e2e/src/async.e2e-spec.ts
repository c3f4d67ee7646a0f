import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, get, HttpResult, post } from './support/http';
import { KafkaRecords, TopicTail } from './support/kafka-records';

/** Prefer: respond-async, GET /v1/requests/{id}, wait=N, timeouts and late results. */
describe('async requests', () => {
  const cluster = new Cluster('async', { FLOWGATE_PRODUCE_TIMEOUT_MS: '15000' });
  const kafka = new KafkaRecords('async');
  let gateway: AppProcess;
  let sweeper: AppProcess;
  let timeouts: TopicTail;

  beforeAll(async () => {
    await cluster.start('processor');
    sweeper = await cluster.start('sweeper');
    gateway = await cluster.start('gateway');
    timeouts = await kafka.tail(`${cluster.prefix}timeouts`);
  });
  afterAll(async () => {
    await kafka.close();
    await cluster.stopAll();
  });

  const status = (location: string) => get(`${gateway.url}${location}`);
  async function settled(location: string): Promise<HttpResult> {
    let last!: HttpResult;
    await eventually(async () => {
      last = await status(location);
      return last.json?.status !== 'pending';
    }, 30_000, `${location} to settle`);
    return last;
  }

  it('answers 202 with a status URL at once, and the result there once processed', async () => {
    const accepted = await post(`${gateway.url}/v1/delay`, { ms: 300, n: 1 }, { prefer: 'respond-async', 'x-request-id': 'async-rt-1' });
    expect(accepted.status).toBe(202);
    // Anonymous (FLOWGATE_AUTH=none): the result's address is an unguessable handle, not the id.
    const location = accepted.headers.get('location')!;
    expect(location).toMatch(/^\/v1\/requests\/[A-Za-z0-9_-]{32}$/);
    expect(accepted.headers.get('preference-applied')).toBe('respond-async');
    expect(accepted.json).toEqual({ id: 'async-rt-1', status: 'pending', location });
    const pending = await status(location);
    expect(pending.json).toMatchObject({ id: 'async-rt-1', route: 'delay', status: 'pending' });
    expect(pending.headers.get('retry-after')).toBe('1');

    const done = await settled(location);
    expect(done.status).toBe(200);
    // The id the caller chose (and others can guess) does not reach the result.
    const byId = await status('/v1/requests/async-rt-1');
    expect(byId.status).toBe(404);
    expect(byId.text).not.toContain('"result"');
    expect(done.json).toMatchObject({ id: 'async-rt-1', route: 'delay', status: 'succeeded', statusCode: 200, result: { ms: 300, n: 1, result: 'ok' } });
    expect(await gateway.metric('flowgate_gateway_async_accepted_total', { route: 'delay' })).toBe(1);
    // Nobody waited for it on the gateway: a sweeper recorded the reply.
    expect(await sweeper.metric('flowgate_sweeper_results_total', { result: 'recorded' })).toBeGreaterThanOrEqual(1);
  });

  it('records a failure with the status code the processor chose', async () => {
    const accepted = await post(`${gateway.url}/v1/delay`, { ms: -1 }, { prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    const done = await settled(accepted.headers.get('location')!);
    expect(done.json).toMatchObject({ status: 'failed', statusCode: 400, result: { type: 'urn:flowgate:problem:bad-body' } });
  });

  it('waits up to wait=N seconds: the result as a normal response, or 202 when it is not ready', async () => {
    const quick = await post(`${gateway.url}/v1/echo`, { n: 2 }, { prefer: 'respond-async, wait=10', 'x-request-id': 'async-wait-1' });
    expect(quick.status).toBe(200);
    expect(quick.json).toMatchObject({ n: 2, result: 'ok' });
    // Answered on the connection: no address was handed out, and the id alone reaches nothing.
    expect((await status('/v1/requests/async-wait-1')).status).toBe(404);

    const slow = await post(`${gateway.url}/v1/delay`, { ms: 3_000 }, { prefer: 'respond-async, wait=1' });
    expect(slow.status).toBe(202);
    expect(slow.ms).toBeGreaterThanOrEqual(900);
    expect((await settled(slow.headers.get('location')!)).json).toMatchObject({ status: 'succeeded', statusCode: 200 });
  });

  it('times an async request out once, publishes the timeout, and counts the late result without overwriting', async () => {
    const accepted = await post(`${gateway.url}/v1/delay`, { ms: 2_500 }, { prefer: 'respond-async', 'x-timeout-ms': '1000', 'x-request-id': 'async-late-1' });
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location')!;
    const done = await settled(location);
    expect(done.json).toMatchObject({ status: 'timed_out' });
    const record = await timeouts.waitFor((r) => r.key === 'async-late-1', 15_000, 'timeout record');
    expect(JSON.parse(record.value!)).toMatchObject({ id: 'async-late-1', route: 'delay', reason: 'sweeper' });

    // The processor still answers after its deadline passed mid-job: late, and changes nothing.
    await eventually(async () => (await status(location)).json?.lateResults === 1, 15_000, 'late result counted');
    expect((await status(location)).json).toMatchObject({ status: 'timed_out' });
    expect((await status(location)).json).not.toHaveProperty('result');
    expect(await sweeper.metric('flowgate_sweeper_results_total', { result: 'late' })).toBeGreaterThanOrEqual(1);
    expect(timeouts.records.filter((r) => r.key === 'async-late-1')).toHaveLength(1);
  });

  it('gives a waiting caller 504 at the deadline, recorded as timed out by its gateway', async () => {
    const res = await post(`${gateway.url}/v1/delay`, { ms: 3_000 }, { prefer: 'respond-async, wait=30', 'x-timeout-ms': '800', 'x-request-id': 'async-504-1' });
    expect(res.status).toBe(504);
    const record = await timeouts.waitFor((r) => r.key === 'async-504-1', 15_000, 'timeout record');
    expect(JSON.parse(record.value!)).toMatchObject({ reason: 'gateway' });
  });

  it.each(['no-such-request', 'A'.repeat(32)])('answers 404 problem+json for an unknown id or handle (%s)', async (id) => {
    const res = await status(`/v1/requests/${id}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.json).toMatchObject({ type: 'urn:flowgate:problem:unknown-request', status: 404 });
  });

  it.each([
    [{ prefer: 'respond-async=now' }, /respond-async takes no value/],
    [{ prefer: 'respond-async, wait=soon' }, /wait must be a whole number/],
    [{ prefer: 'respond-async, wait=-5' }, /wait must be a whole number/],
    [{ prefer: 'respond async' }, /is not a preference/],
    [{ 'idempotency-key': 'has space' }, /Idempotency-Key must be/],
    [{ 'idempotency-key': 'k'.repeat(256) }, /Idempotency-Key must be/],
  ])('refuses malformed Prefer, wait and Idempotency-Key values with 400 (%#)', async (headers, detail) => {
    const res = await post(`${gateway.url}/v1/echo`, { n: 1 }, headers);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ type: 'urn:flowgate:problem:bad-header', detail: expect.stringMatching(detail) });
  });

  it('answers 503 registry-unavailable for async and idempotent requests while Redis is out of reach; sync ones still work', async () => {
    // A gateway with a fixed reply partition needs Redis only for the registry.
    const cut = await cluster.start('gateway', { REDIS_URL: 'redis://127.0.0.1:1', FLOWGATE_REPLY_PARTITION: '3' });
    for (const headers of [{ prefer: 'respond-async' }, { 'idempotency-key': 'k-1' }] as Record<string, string>[]) {
      const refused = await post(`${cut.url}/v1/echo`, { n: 1 }, headers);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.json).toMatchObject({ type: 'urn:flowgate:problem:registry-unavailable' });
    }
    expect((await get(`${cut.url}/v1/requests/${'h'.repeat(32)}`)).status).toBe(503);
    expect((await post(`${cut.url}/v1/echo`, { n: 2 })).status).toBe(200);
    expect(await cut.metric('flowgate_gateway_admission_rejections_total', { reason: 'registry_down' })).toBe(2);
    await cut.stop();
  });

  it('exports the registry and sweep metrics', async () => {
    expect(await sweeper.metric('flowgate_sweeper_sweeps_total', { result: 'ok' })).toBeGreaterThan(0);
    expect(await sweeper.metric('flowgate_sweeper_timeouts_total', { reason: 'sweeper' })).toBeGreaterThanOrEqual(1);
    expect(await sweeper.metric('flowgate_sweeper_timeouts_total', { reason: 'gateway' })).toBeGreaterThanOrEqual(1);
    await eventually(async () => (await sweeper.metric('flowgate_sweeper_reply_slots', { state: 'owned' })) === 1, 10_000, 'one owned reply slot');
    expect(await sweeper.metric('flowgate_sweeper_registry_pending')).toBeGreaterThanOrEqual(0);
    expect(await gateway.metric('flowgate_gateway_registry_seconds_count', { op: 'admit', result: 'ok' })).toBeGreaterThanOrEqual(5);
  });
});
