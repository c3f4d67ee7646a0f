// Creates flowgate's topics with their partition counts and grows topics that have fewer
// partitions than asked (partition counts only grow), then prints what the cluster has.
// Same rules as the apps' own ensureTopics at boot; this Job exists for clusters where the
// apps' Kafka user may not create topics. Runs in the processor image, whose node_modules hold
// kafkajs; the script is mounted from a ConfigMap, so kafkajs is resolved from the working
// directory (/app) rather than from the script's folder.
// Keep identical: k8s/base/topics/create-topics.js and helm/flowgate/files/create-topics.js.
'use strict';
const { Kafka, logLevel } = require(require.resolve('kafkajs', { paths: [process.cwd()] }));

function partitions(name, fallback) {
  const raw = process.env[name] ?? String(fallback);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

function kafkaOptions() {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS is empty');
  const options = { clientId: 'flowgate-topics', brokers, logLevel: logLevel.WARN, retry: { retries: 8 } };
  if (process.env.KAFKA_SSL === 'true') options.ssl = true;
  if (process.env.KAFKA_SASL_MECHANISM) {
    options.sasl = {
      mechanism: process.env.KAFKA_SASL_MECHANISM,
      username: process.env.KAFKA_SASL_USERNAME ?? '',
      password: process.env.KAFKA_SASL_PASSWORD ?? '',
    };
  }
  return options;
}

async function main() {
  const prefix = process.env.FLOWGATE_TOPIC_PREFIX ?? 'flowgate.';
  const wanted = [
    { topic: `${prefix}requests`, numPartitions: partitions('FLOWGATE_REQUEST_PARTITIONS', 8) },
    { topic: `${prefix}replies`, numPartitions: partitions('FLOWGATE_REPLY_PARTITIONS', 16) },
    { topic: `${prefix}dlq`, numPartitions: 1 },
  ];
  const admin = new Kafka(kafkaOptions()).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      // replicationFactor -1: the broker's default.replication.factor, as the apps do.
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map(({ topic, numPartitions }) => ({ topic, numPartitions, replicationFactor: -1 })),
      });
    }
    const before = await admin.fetchTopicMetadata({ topics: wanted.map((t) => t.topic) });
    const count = (topic) => before.topics.find((m) => m.name === topic)?.partitions.length ?? 0;
    const grow = wanted.filter((t) => count(t.topic) < t.numPartitions);
    if (grow.length > 0) {
      await admin.createPartitions({ topicPartitions: grow.map((t) => ({ topic: t.topic, count: t.numPartitions })) });
    }
    const after = await admin.fetchTopicMetadata({ topics: wanted.map((t) => t.topic) });
    for (const t of wanted) {
      const has = after.topics.find((m) => m.name === t.topic)?.partitions.length ?? 0;
      console.log(JSON.stringify({ topic: t.topic, partitions: has, wanted: t.numPartitions, created: missing.includes(t) }));
    }
  } finally {
    await admin.disconnect();
  }
}

main().catch((error) => {
  console.error(`create-topics failed: ${error.stack ?? error}`);
  process.exit(1);
});
