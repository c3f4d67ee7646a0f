import { randomBytes } from 'node:crypto';
import { Kafka, Producer } from 'kafkajs';
import { CompactedTopicReader } from './compacted-topic-reader';
import { createKafka } from './kafka-client';
import { ensureTopics } from './topic-admin';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) throw new Error('KAFKA_BROKERS must be set: run the end-to-end tests through `npm test`');

/**
 * `readToEnd()` is how a writer reads its own writes back through a reader that is already
 * following the topic (the gateway's script admin API numbers versions from it).
 */
describe('CompactedTopicReader.readToEnd', () => {
  let kafka: Kafka;
  let producer: Producer;
  let topic: string;
  let reader: CompactedTopicReader;
  const table = new Map<string, string | null>();
  const crashes: Error[] = [];

  beforeAll(async () => {
    kafka = createKafka({ brokers: brokers.split(','), clientId: 'compacted-reader-e2e' });
    topic = `e2e.compacted-reader.${randomBytes(3).toString('hex')}.table`;
    await ensureTopics(kafka, [{ topic, numPartitions: 2, configs: { 'cleanup.policy': 'compact' } }]);
    producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: '1' }] });
    reader = new CompactedTopicReader({
      kafka, topic, groupPrefix: 'e2e-compacted-reader-',
      onRecord: (key, value) => table.set(key, value?.toString() ?? null),
      onCrash: (error) => crashes.push(error),
    });
    await reader.start();
    await reader.caughtUp;
  }, 60_000);
  afterAll(async () => {
    expect(crashes).toEqual([]);
    await reader?.stop();
    await producer?.disconnect();
  });

  it('resolves at once when the reader is at the end, and after a write once the write is applied', async () => {
    await reader.readToEnd();
    expect(table).toEqual(new Map([['a', '1']]));
    await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: '2' }, { key: 'b', value: '3' }, { key: 'c', value: null }] });
    await reader.readToEnd();
    expect(table).toEqual(new Map([['a', '2'], ['b', '3'], ['c', null]]));
  });

  it('is not held up by the control record a transaction leaves at the end of a partition', async () => {
    const transactional = kafka.producer({ transactionalId: `e2e-compacted-reader-${randomBytes(3).toString('hex')}`, idempotent: true, maxInFlightRequests: 1 });
    await transactional.connect();
    try {
      const transaction = await transactional.transaction();
      await transaction.send({ topic, messages: [{ key: 'd', value: '4', partition: 0 }] });
      await transaction.commit();
    } finally {
      await transactional.disconnect();
    }
    await reader.readToEnd();
    expect(table.get('d')).toBe('4');
    // The commit marker is the partition's last offset now: a second call must still resolve.
    await reader.readToEnd();
  });
});
