import { randomBytes } from 'node:crypto';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, post, sleep } from './support/http';
import { KafkaRecords, TopicTail } from './support/kafka-records';

/**
 * Records the processor cannot handle go to the DLQ with the reason in headers, the caller (if
 * any) learns only that it failed, and the processor keeps running.
 */
describe('dead letters and records the processor must not answer', () => {
  const cluster = new Cluster('dead-letters');
  const kafka = new KafkaRecords('dead-letters');
  const topics = { requests: `${cluster.prefix}requests`, replies: `${cluster.prefix}replies`, dlq: `${cluster.prefix}dlq` };
  let processor: AppProcess;
  let gateway: AppProcess;
  let dlq: TopicTail;
  let replies: TopicTail;
  let processorExit: number | null | undefined;

  beforeAll(async () => {
    processor = await cluster.start('processor');
    void processor.exited.then((code) => (processorExit = code));
    gateway = await cluster.start('gateway');
    [dlq, replies] = await Promise.all([kafka.tail(topics.dlq), kafka.tail(topics.replies)]);
  });
  afterAll(async () => {
    await kafka.close();
    await cluster.stopAll();
  });

  async function expectStillServing(): Promise<void> {
    const tag = randomBytes(4).toString('hex');
    const res = await post(`${gateway.url}/v1/echo`, { tag });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ tag, result: 'ok' });
    expect(processorExit).toBeUndefined();
  }

  it('answers a failing handler with a 500 problem without internals, and dead-letters the record', async () => {
    const requestId = `dl-fail-${randomBytes(4).toString('hex')}`;
    const res = await post(`${gateway.url}/v1/fail`, {}, { 'x-request-id': requestId });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json).toMatchObject({ status: 500, type: expect.stringMatching(/^urn:flowgate:problem:/), title: expect.any(String), requestId });
    // No stack frames, no file paths, not even the error message: those stay in the log and DLQ.
    expect(res.text).not.toMatch(/\bat \S/);
    expect(res.text).not.toMatch(/[\w.-]*\/[\w./-]+\.(?:js|ts|mjs|cjs)\b/);
    expect(res.text).not.toMatch(/node_modules|dist\/apps|\/work\//);
    expect(res.text).not.toMatch(/always fails/);

    const letter = await dlq.waitFor((r) => r.headers['fg-request-id'] === requestId, 15_000, 'dead letter of the fail request');
    expect(letter.headers['fg-dlq-reason']).toContain('the fail route always fails');
    expect(letter.headers['fg-dlq-source']).toMatch(new RegExp(`^${escape(topics.requests)}/\\d+/\\d+$`));
    expect(letter.headers['fg-route']).toBe('fail');
    expect(letter.value).toBe('{}');
    expect(await processor.metric('flowgate_processor_dead_letters_total', { reason: 'handler' })).toBe(1);
    await expectStillServing();
  });

  it('dead-letters protocol violations written straight to the requests topic, and keeps running', async () => {
    const before = await processor.metric('flowgate_processor_dead_letters_total', { reason: 'protocol' });
    const run = randomBytes(4).toString('hex');
    const valid = (requestId: string, route = 'echo') => ({
      'fg-request-id': requestId,
      'fg-route': route,
      'fg-deadline': String(Date.now() + 10_000),
      'fg-reply-partition': '0',
      'fg-reply-mode': 'sync',
    });
    const cases = [
      { key: `no-headers-${run}`, value: '{}', reason: /fg-request-id.*missing/ },
      { key: `not-json-${run}`, value: 'not json', headers: valid(`dl-notjson-${run}`), reason: /not JSON/ },
      { key: `unknown-route-${run}`, value: '{}', headers: valid(`dl-route-${run}`, 'nope'), reason: /unknown route "nope"/ },
    ];
    await kafka.write(topics.requests, cases.map(({ key, value, headers }) => ({ key, value, ...(headers ? { headers } : {}) })));

    for (const { key, value, reason } of cases) {
      const letter = await dlq.waitFor((r) => r.key === key, 15_000, `dead letter of ${key}`);
      expect({ key, reason: letter.headers['fg-dlq-reason'] }).toEqual({ key, reason: expect.stringMatching(reason) });
      expect(letter.headers['fg-dlq-source']).toMatch(new RegExp(`^${escape(topics.requests)}/\\d+/\\d+$`));
      expect(letter.value).toBe(value);
    }
    await eventually(
      async () => (await processor.metric('flowgate_processor_dead_letters_total', { reason: 'protocol' })) >= before + cases.length,
      10_000,
      'protocol dead letters counted',
    );
    expect(await processor.metric('flowgate_processor_dead_letters_total', { reason: 'protocol' })).toBe(before + cases.length);
    await expectStillServing();
    await sleep(300);
    expect(processorExit).toBeUndefined();
  });

  it('skips an expired record: counted as expired, never answered', async () => {
    const run = randomBytes(4).toString('hex');
    const expiredId = `dl-expired-${run}`;
    const controlId = `dl-control-${run}`;
    const headers = (requestId: string, deadline: number) => ({
      'fg-request-id': requestId,
      'fg-route': 'echo',
      'fg-deadline': String(deadline),
      'fg-reply-partition': '0',
      'fg-reply-mode': 'sync',
    });
    const expiredBefore = await processor.metric('flowgate_processor_records_total', { result: 'expired' });
    // Same partition, expired first: once the control's reply is out, the expired one was seen.
    await kafka.write(topics.requests, [
      { key: expiredId, value: '{"stale":true}', headers: headers(expiredId, Date.now() - 1_000), partition: 0 },
      { key: controlId, value: '{"fresh":true}', headers: headers(controlId, Date.now() + 10_000), partition: 0 },
    ]);
    const control = await replies.waitFor((r) => r.headers['fg-request-id'] === controlId, 15_000, 'reply to the control record');
    expect(control.partition).toBe(0);
    expect(JSON.parse(control.value!)).toMatchObject({ fresh: true, result: 'ok' });
    await eventually(
      async () => (await processor.metric('flowgate_processor_records_total', { result: 'expired' })) === expiredBefore + 1,
      10_000,
      'expired record counted',
    );
    await sleep(1_000);
    expect(replies.records.filter((r) => r.headers['fg-request-id'] === expiredId)).toEqual([]);
    expect(dlq.records.filter((r) => r.key === expiredId)).toEqual([]);
    expect(await processor.metric('flowgate_processor_records_total', { result: 'expired' })).toBe(expiredBefore + 1);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
