import { Kafka } from 'kafkajs';
import { retry } from '@flowgate/retry';

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  readonly configs?: Record<string, string>;
}

/**
 * Creates missing topics and grows topics that have fewer partitions than asked. Safe to run
 * from every replica at boot: creation races end in "already exists", which is success.
 */
export async function ensureTopics(kafka: Kafka, topics: readonly TopicSpec[]): Promise<void> {
  // Another replica may be creating the same topics right now: until their leaders are elected
  // the metadata calls fail, so the whole step is retried.
  await retryWhileSettling(() => ensureTopicsOnce(kafka, topics));
}

async function ensureTopicsOnce(kafka: Kafka, topics: readonly TopicSpec[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.numPartitions,
          replicationFactor: -1,
          configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const present = topics.filter((t) => existing.has(t.topic));
    if (present.length === 0) return;
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: present.map((t) => t.topic) });
    const grow = present
      .map((t) => ({ topic: t.topic, count: t.numPartitions, has: metadata.find((m) => m.name === t.topic)?.partitions.length ?? 0 }))
      .filter((t) => t.has < t.count);
    if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow.map(({ topic, count }) => ({ topic, count })) });
  } finally {
    await admin.disconnect();
  }
}

/** Partition count of a topic, as the cluster reports it now. */
export async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  return retryWhileSettling(() => partitionCountOnce(kafka, topic));
}

async function partitionCountOnce(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Where each partition of a topic starts and ends now (`low` and `high` offsets). A topic created
 * a moment ago may not have its leaders yet: asked again for a while.
 */
export async function topicOffsets(kafka: Kafka, topic: string): Promise<{ partition: number; low: string; high: string }[]> {
  return retryWhileSettling(async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await admin.fetchTopicOffsets(topic);
    } finally {
      await admin.disconnect();
    }
  }, 40);
}

function retryWhileSettling<T>(step: () => Promise<T>, attempts = 20): Promise<T> {
  return retry(step, { attempts, delayMs: 250, retriable: isSettling });
}

function isSettling(error: unknown): boolean {
  return /does not host this topic-partition|leader|already exists|UNKNOWN_TOPIC/i.test(String(error));
}
