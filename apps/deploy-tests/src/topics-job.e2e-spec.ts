import { randomUUID } from 'node:crypto';
import { createTopics } from './support/topics-script';

// The topics Job's script against the Kafka that `npm test` starts.

describe('topics Job on a real Kafka', () => {
  it('creates the topics with their partition counts, then only grows them (real Kafka)', () => {
    const prefix = `deploytest.${randomUUID().slice(0, 8)}.`;
    const brokers = process.env.KAFKA_BROKERS;
    if (!brokers) throw new Error('KAFKA_BROKERS must be set: run this spec through `npm test`');
    const env = { KAFKA_BROKERS: brokers, FLOWGATE_TOPIC_PREFIX: prefix };
    const first = createTopics({ ...env, FLOWGATE_REQUEST_PARTITIONS: '3', FLOWGATE_REPLY_PARTITIONS: '5' });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.topics).toEqual([
      { topic: `${prefix}requests`, partitions: 3, wanted: 3, created: true },
      { topic: `${prefix}replies`, partitions: 5, wanted: 5, created: true },
      { topic: `${prefix}dlq`, partitions: 1, wanted: 1, created: true },
    ]);
    // Run again with more request partitions and fewer reply partitions: grow, never shrink.
    const second = createTopics({ ...env, FLOWGATE_REQUEST_PARTITIONS: '4', FLOWGATE_REPLY_PARTITIONS: '2' });
    expect(second.status).toBe(0);
    expect(second.topics.map((t) => [t.topic, t.partitions, t.created])).toEqual([
      [`${prefix}requests`, 4, false],
      [`${prefix}replies`, 5, false],
      [`${prefix}dlq`, 1, false],
    ]);
  }, 60_000);
});
