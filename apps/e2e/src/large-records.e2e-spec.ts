import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, post } from './support/http';
import { KafkaRecords } from './support/kafka-records';

/** 300 kB per output: four of them are more than Kafka's default message.max.bytes (1 MiB). */
const PAD = 300_000;

/** A job's record limit in this spec (the default, 1 000 000 bytes, is what the apps run with). */
const MAX_OUTPUT = 1_000_000;

const JOBS = `export default ({ job, route, topic }) => [
  job('pad')
    .fromTopic(topic('pad-in'))
    .keyBy('by key', (event) => String(event.key))
    .process('number', ['n'], (event, ctx, state) => {
      const n = (state.get('n') ?? 0) + 1;
      state.put('n', n);
      return { key: event.key, n, copies: event.copies ?? 1, pad: 'x'.repeat(event.bytes ?? ${PAD}) };
    })
    .flatMap('copies', ({ copies, ...out }) => Array.from({ length: copies }, (_, copy) => ({ ...out, copy })))
    .toTopic(topic('pad-out')),
  job('blow-up-keyed')
    .fromRoute(route({ name: 'blow-up-keyed', summary: 'a keyed route answering with as many bytes as asked', keyField: 'key', topic: 'blow-up-keyed' }))
    .keyBy('by key', (body) => String(body.key))
    .process('number', ['n'], (body, ctx, state) => {
      const n = (state.get('n') ?? 0) + 1;
      state.put('n', n);
      return { n, pad: 'x'.repeat(Number(body.bytes ?? 0)) };
    })
    .toReply(),
  job('blow-up')
    .fromRoute(route({ name: 'blow-up', summary: 'answers with as many bytes as asked' }))
    .map('pad', (body) => ({ pad: 'x'.repeat(Number(body.bytes ?? 0)) }))
    .toReply(),
];\n`;

/**
 * Records near and over Kafka's size limit (the stack's broker keeps the default message.max.bytes,
 * 1 MiB): what fits is written, what cannot fit is refused at once with a clear problem, and
 * nothing stalls.
 */
describe('records near and over Kafka\'s size limit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-jobs-'));
  writeFileSync(join(dir, 'jobs.mjs'), JOBS);
  const cluster = new Cluster('large-records', { FLOWGATE_JOBS: join(dir, 'jobs.mjs'), FLOWGATE_PROCESSING: 'exactly_once' });
  const records = new KafkaRecords('large-records');
  let gateway: AppProcess;

  beforeAll(async () => {
    await cluster.start('processor');
    // Above what Kafka takes in one record, so the gateway's own limit does not hide Kafka's.
    gateway = await cluster.start('gateway', { FLOWGATE_MAX_BODY_BYTES: String(4 * 1_048_576) });
  });
  afterAll(async () => {
    await records.close();
    await cluster.stopAll();
  });

  it('commits a keyed batch whose outputs are over 1 MiB: every output once, in order', async () => {
    const out = await records.tail(`${cluster.prefix}pad-out`);
    const count = 12; // 3.6 MB of outputs from one fetched batch of 12 small events on one partition
    await records.write(`${cluster.prefix}pad-in`, Array.from({ length: count }, (_, seq) => ({ key: 'k', value: JSON.stringify({ key: 'k', seq }) })));
    await eventually(() => out.records.length >= count, 60_000, `${count} padded outputs`);
    const written = out.records.map((r) => JSON.parse(r.value!) as { n: number; pad: string });
    expect(written.map((w) => w.n)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(written.every((w) => w.pad.length === PAD)).toBe(true);
  }, 90_000);

  it('commits one keyed record whose own outputs are over 1 MiB: every output once, in order', async () => {
    const out = await records.tail(`${cluster.prefix}pad-out`);
    // 3 records x 4 copies of 300 kB on one partition: each record alone writes 1.2 MB.
    await records.write(`${cluster.prefix}pad-in`, [1, 2, 3].map((seq) => ({ key: 'many', value: JSON.stringify({ key: 'many', seq, copies: 4 }) })));
    await eventually(() => out.records.filter((r) => r.key === 'many').length >= 12, 60_000, '12 padded outputs of key many');
    const written = out.records.filter((r) => r.key === 'many').map((r) => JSON.parse(r.value!) as { n: number; copy: number });
    expect(written.map((w) => `${w.n}.${w.copy}`)).toEqual([1, 2, 3].flatMap((n) => [0, 1, 2, 3].map((copy) => `${n}.${copy}`)));
  }, 90_000);

  it('sends the input of an emitted record over FLOWGATE_MAX_OUTPUT_BYTES to the DLQ, undoes its state, and goes on', async () => {
    const out = await records.tail(`${cluster.prefix}pad-out`);
    const dlq = await records.tail(`${cluster.prefix}dlq`);
    await records.write(`${cluster.prefix}pad-in`, [
      { key: 'big', value: JSON.stringify({ key: 'big', bytes: 10 }) },
      { key: 'big', value: JSON.stringify({ key: 'big', bytes: MAX_OUTPUT + 1 }) },
      { key: 'big', value: JSON.stringify({ key: 'big', bytes: 10 }) },
    ]);
    await eventually(() => out.records.filter((r) => r.key === 'big').length >= 2, 60_000, 'the two small outputs of key big');
    // The refused record's state write was undone: the third record is number 2, not 3.
    expect(out.records.filter((r) => r.key === 'big').map((r) => (JSON.parse(r.value!) as { n: number }).n)).toEqual([1, 2]);
    const letter = await dlq.waitFor((r) => r.key === 'big', 30_000, 'the dead letter of key big');
    expect(letter.headers['fg-dlq-reason']).toMatch(new RegExp(`^OutputTooLargeError: a record of \\d+ bytes for ${cluster.prefix}pad-out is over the ${MAX_OUTPUT} bytes a job may write \\(FLOWGATE_MAX_OUTPUT_BYTES\\)$`));
    expect(letter.headers['fg-dlq-job']).toBe('pad');
    expect(JSON.parse(letter.value!)).toEqual({ key: 'big', bytes: MAX_OUTPUT + 1 });
  }, 90_000);

  it('cuts the value of a dead letter that would be over FLOWGATE_MAX_OUTPUT_BYTES, saying how long it was', async () => {
    const dlq = await records.tail(`${cluster.prefix}dlq`);
    // Not JSON, so its job refuses it; Kafka takes it (under 1 MiB), but not with the letter's headers on top.
    const value = 'y'.repeat(MAX_OUTPUT - 20);
    await records.write(`${cluster.prefix}pad-in`, [{ key: 'cut', value }, { key: 'cut-after', value: JSON.stringify({ key: 'cut-after', bytes: 10 }) }]);
    const letter = await dlq.waitFor((r) => r.key === 'cut', 30_000, 'the dead letter of key cut');
    expect(letter.headers['fg-dlq-truncated']).toBe(String(value.length));
    expect(letter.headers['fg-dlq-reason']).toBeDefined();
    expect(letter.value!.length).toBeLessThan(value.length);
    expect(value.startsWith(letter.value!)).toBe(true);
    // The partition went on past it.
    const out = await records.tail(`${cluster.prefix}pad-out`);
    await out.waitFor((r) => r.key === 'cut-after', 30_000, 'the record after it');
  }, 90_000);

  it('answers a keyed route\'s reply over FLOWGATE_MAX_OUTPUT_BYTES with a 500 problem at once, and its batch commits', async () => {
    const res = await post(`${gateway.url}/v1/blow-up-keyed`, { key: 'r', bytes: 1_100_000 }, { 'x-flowgate-timeout': '30000' });
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({ type: 'urn:flowgate:problem:handler-failed', detail: expect.stringMatching(/^the answer \(\d+ bytes\) is larger than Kafka takes in one record \(FLOWGATE_MAX_OUTPUT_BYTES\)$/) });
    const next = await post(`${gateway.url}/v1/blow-up-keyed`, { key: 'r', bytes: 10 });
    expect(next.status).toBe(200);
    expect(next.json).toMatchObject({ n: 2 });
  });

  it('answers a reply too large for Kafka with a 500 problem at once, not a 504 at the deadline', async () => {
    const res = await post(`${gateway.url}/v1/blow-up`, { bytes: 1_100_000 }, { 'x-flowgate-timeout': '30000' });
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({ type: 'urn:flowgate:problem:handler-failed', detail: expect.stringMatching(/^the answer \(\d+ bytes\) is larger than Kafka takes in one record/) });
    // A reply that fits still goes through.
    const fits = await post(`${gateway.url}/v1/blow-up`, { bytes: 900_000 });
    expect(fits.status).toBe(200);
    expect((fits.json as { pad: string }).pad).toHaveLength(900_000);
  });

  it('refuses a request too large for Kafka with 413, and keeps serving', async () => {
    const res = await post(`${gateway.url}/v1/blow-up`, { bytes: 1, pad: 'x'.repeat(1_200_000) });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ type: 'urn:flowgate:problem:body-too-large', detail: expect.stringMatching(/larger than Kafka takes in one record \(message\.max\.bytes\)$/) });
    // Not taken for an outage: the breaker stays closed and the next request is sent.
    const next = await post(`${gateway.url}/v1/blow-up`, { bytes: 10 });
    expect(next.status).toBe(200);
  });
});
