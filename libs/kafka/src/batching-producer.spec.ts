import type { Producer, ProducerBatch } from 'kafkajs';
import { BatchingProducer, inRequests, ProduceTimeoutError } from './batching-producer';

/** A stand-in for kafkajs's producer that records each produce request and acks on demand. */
function fakeProducer() {
  const requests: ProducerBatch[] = [];
  const acks: ((error?: Error) => void)[] = [];
  const producer = {
    sendBatch: (batch: ProducerBatch) =>
      new Promise((resolve, reject) => {
        requests.push(batch);
        acks.push((error) => (error ? reject(error) : resolve([])));
      }),
  } as unknown as Producer;
  return { producer, requests, acks };
}
const tick = () => new Promise((r) => setImmediate(r));
const count = (batch: ProducerBatch) => batch.topicMessages!.reduce((n, t) => n + t.messages.length, 0);

describe('BatchingProducer', () => {
  it('sends what arrives in one turn of the event loop as one produce request', async () => {
    const { producer, requests, acks } = fakeProducer();
    const batching = new BatchingProducer(producer, { maxBatch: 100, maxInFlight: 1 });
    const sent = [1, 2, 3].map((i) => batching.send({ topic: i === 3 ? 'b' : 'a', value: String(i) }));
    await tick();
    expect(requests).toHaveLength(1);
    expect(requests[0].topicMessages!.map((t) => t.topic)).toEqual(['a', 'b']);
    acks[0]();
    await Promise.all(sent);
  });

  it('groups records arriving while a request is in flight into the next one', async () => {
    const { producer, requests, acks } = fakeProducer();
    const batching = new BatchingProducer(producer, { maxBatch: 100, maxInFlight: 1 });
    const first = batching.send({ topic: 't', value: '0' });
    await tick();
    const rest = [1, 2, 3, 4].map((i) => batching.send({ topic: 't', value: String(i) }));
    await tick();
    expect(requests).toHaveLength(1);
    acks[0]();
    await first;
    await tick();
    await tick();
    expect(requests).toHaveLength(2);
    expect(count(requests[1])).toBe(4);
    acks[1]();
    await Promise.all(rest);
  });

  it('splits at maxBatch and rejects every record of a failed request', async () => {
    const { producer, requests, acks } = fakeProducer();
    const batching = new BatchingProducer(producer, { maxBatch: 2, maxInFlight: 4 });
    const sent = [1, 2, 3].map((i) => batching.send({ topic: 't', value: String(i) }).then(() => 'ok', (e: Error) => e.message));
    await tick();
    expect(requests.map(count)).toEqual([2, 1]);
    acks[0](new Error('broker gone'));
    acks[1]();
    expect(await Promise.all(sent)).toEqual(['broker gone', 'broker gone', 'ok']);
  });

  it('splits at maxBatchBytes, sending a record larger than that alone, so large records are not refused together', async () => {
    const { producer, requests, acks } = fakeProducer();
    const batching = new BatchingProducer(producer, { maxBatch: 100, maxBatchBytes: 1_000, maxInFlight: 4 });
    const big = 'x'.repeat(900);
    const sent = [big, big, 'a', 'b', 'y'.repeat(2_000), 'c'].map((value) => batching.send({ topic: 't', key: 'k', value, headers: { h: 'v' } }));
    await tick();
    expect(requests.map((r) => r.topicMessages![0].messages.map((m) => String(m.value).length))).toEqual([[900], [900, 1, 1], [2_000], [1]]);
    acks.forEach((ack) => ack());
    await Promise.all(sent);
  });

  it('holds a request back lingerMs for more records to join it, unless maxBatch is reached', async () => {
    const { producer, requests, acks } = fakeProducer();
    const batching = new BatchingProducer(producer, { maxBatch: 3, maxInFlight: 1, lingerMs: 50 });
    const startedAt = Date.now();
    const sent = [batching.send({ topic: 't', value: '1' })];
    await tick();
    await tick();
    expect(requests).toHaveLength(0);
    sent.push(batching.send({ topic: 't', value: '2' }));
    while (requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(45);
    expect(count(requests[0])).toBe(2);
    acks[0]();
    await Promise.all(sent);
    // A full batch does not wait: three records at once go in the next turn of the loop.
    const full = [1, 2, 3].map((i) => batching.send({ topic: 't', value: String(i) }));
    await tick();
    expect(requests.map(count)).toEqual([2, 3]);
    acks[1]();
    await Promise.all(full);
  });

  it('fails a batch Kafka does not acknowledge within ackTimeoutMs', async () => {
    const { producer, requests } = fakeProducer();
    const batching = new BatchingProducer(producer, { maxBatch: 10, maxInFlight: 1, ackTimeoutMs: 20 });
    const sent = [1, 2].map((i) => batching.send({ topic: 't', value: String(i) }).catch((e: Error) => e));
    const errors = await Promise.all(sent);
    expect(requests).toHaveLength(1);
    expect(errors.every((e) => e instanceof ProduceTimeoutError)).toBe(true);
  });
});

describe('inRequests', () => {
  const record = (bytes: number) => ({ topic: 't', value: 'x'.repeat(bytes) });
  const sizes = (requests: { value?: unknown }[][]) => requests.map((r) => r.map((one) => String(one.value).length));

  it('cuts records, in order, into requests of at most maxBytes; a larger record goes alone', () => {
    expect(sizes(inRequests([400, 500, 100, 1_500, 200, 800].map(record), 1_000))).toEqual([[400, 500, 100], [1_500], [200, 800]]);
  });

  it('keeps everything in one request when it fits, and gives none for no records', () => {
    expect(sizes(inRequests([1, 2, 3].map(record), 1_000))).toEqual([[1, 2, 3]]);
    expect(inRequests([], 1_000)).toEqual([]);
  });

  it('defaults to MAX_REQUEST_BYTES (512 KiB)', () => {
    expect(sizes(inRequests([300_000, 300_000].map(record)))).toEqual([[300_000], [300_000]]);
  });
});
