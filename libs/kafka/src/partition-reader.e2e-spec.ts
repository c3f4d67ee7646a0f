import { randomBytes } from 'node:crypto';
import { Kafka, Producer } from 'kafkajs';
import { createKafka } from './kafka-client';
import { PartitionReader } from './partition-reader';
import { ensureTopics } from './topic-admin';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) throw new Error('KAFKA_BROKERS must be set: run the end-to-end tests through `npm test`');

async function eventually(probe: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The gateway's reply reader commits its position on an interval and when it stops, never after
 * every batch (kafkajs's own autoCommit does that, whatever its autoCommitInterval says: one
 * OffsetCommit request per fetch).
 */
describe('PartitionReader commits', () => {
  const partition = 1;
  let kafka: Kafka;
  let producer: Producer;
  let topic: string;

  beforeAll(async () => {
    kafka = createKafka({ brokers: brokers.split(','), clientId: 'partition-reader-e2e' });
    topic = `e2e.partition-reader.${randomBytes(3).toString('hex')}.replies`;
    await ensureTopics(kafka, [{ topic, numPartitions: 2 }]);
    producer = kafka.producer();
    await producer.connect();
  }, 60_000);
  afterAll(async () => {
    await producer?.disconnect();
  });

  /** A reader on `partition` of `topic`, ready once it is positioned at the end. */
  async function startReader(groupId: string, commitIntervalMs: number): Promise<{ reader: PartitionReader; read: string[] }> {
    const read: string[] = [];
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const reader = new PartitionReader({
      kafka, topic, partition, groupId, commitIntervalMs, sessionTimeoutMs: 6_000,
      onRecord: (record) => read.push(record.value!.toString()),
      onReady: (isReady) => isReady && markReady(),
      onCrash: (error) => console.warn(`reader crashed: ${error.message}`),
      onError: (error) => console.warn(`positioning failed: ${String(error)}`),
    });
    await reader.start();
    await ready;
    return { reader, read };
  }

  /** Writes `count` records one produce request at a time, so the reader sees several batches. */
  async function writeOneByOne(count: number, tag: string): Promise<void> {
    for (let i = 0; i < count; i++) await producer.send({ topic, acks: -1, messages: [{ partition, value: `${tag}-${i}` }] });
  }

  async function withAdmin<T>(use: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await use(admin);
    } finally {
      await admin.disconnect();
    }
  }
  const committed = (groupId: string): Promise<string | undefined> => withAdmin(async (admin) => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets.partitions.find((p) => p.partition === partition)?.offset;
  });
  const endOffset = (): Promise<string> => withAdmin(async (admin) =>
    (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === partition)!.high);

  it('commits nothing between intervals, and its last position when it stops', async () => {
    const groupId = `${topic}.long-interval`;
    const { reader, read } = await startReader(groupId, 600_000);
    await writeOneByOne(5, 'a');
    await eventually(() => read.length === 5, 20_000, 'five records read');
    expect(await committed(groupId)).toBe('-1');

    await reader.stop();
    expect(await committed(groupId)).toBe(await endOffset());
  }, 60_000);

  it('commits while running, every commitIntervalMs', async () => {
    const groupId = `${topic}.short-interval`;
    const { reader, read } = await startReader(groupId, 300);
    await writeOneByOne(4, 'b');
    await eventually(() => read.length === 4, 20_000, 'four records read');
    const end = await endOffset();
    await eventually(async () => (await committed(groupId)) === end, 10_000, 'the position committed');
    await reader.stop();
  }, 60_000);
});
