// The floor's Kafka through @confluentinc/kafka-javascript, librdkafka bound to Node (issue 16:
// "a native client, measured on the floor first"). It is built on demand outside the repository
// (bench/lib/native-kafka.mjs) and loaded from there. Same topics and pinned reply partition as
// the other floors; librdkafka batches produce requests itself (FLOOR_LINGER_MS, default 0:
// what accumulates while its thread is busy, as kafkajs's floor does with its batch producer).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { brokersFromEnv } from '../../lib/kafka-socket.mjs';
import { nativeKafkaDir } from '../../lib/native-kafka.mjs';

const { KafkaConsumer, Producer } = createRequire(join(nativeKafkaDir, 'package.json'))('@confluentinc/kafka-javascript');

const common = (clientId) => ({
  'client.id': clientId,
  'metadata.broker.list': brokersFromEnv().join(','),
  'socket.nagle.disable': true,
  'log_level': 4, // warnings and worse
});

/** librdkafka's headers ([{ name: Buffer }]) as { name: string }. */
const text = (headers) => Object.fromEntries((headers ?? []).flatMap((h) => Object.entries(h)).map(([name, value]) => [name, value?.toString()]));

const connected = (client) => new Promise((resolve, reject) => {
  client.once('ready', resolve);
  client.connect({}, (error) => error && reject(error));
});

export async function connectFloorKafka({ clientId }) {
  const producer = new Producer({
    ...common(clientId), 'acks': -1, 'linger.ms': Number(process.env.FLOOR_LINGER_MS ?? 0), 'dr_cb': true,
  });
  producer.on('delivery-report', (error, report) => {
    const { resolve, reject } = report.opaque;
    if (error) reject(error);
    else resolve();
  });
  await connected(producer);
  // Delivery reports are read on an interval; a floor's latency does not wait on them.
  producer.setPollInterval(20);
  const consumers = [];
  return {
    send: (topic, { key, value, partition, headers }) => new Promise((resolve, reject) => {
      producer.produce(topic, partition ?? null, Buffer.from(value), key, Date.now(), { resolve, reject },
        Object.entries(headers ?? {}).map(([name, v]) => ({ [name]: v })));
    }),
    /** Reads `topic` from its end (only `partition` if given, without a group's assignment); resolves once positioned. */
    async consume({ topic, groupId, partition, sessionTimeout, onRecord }) {
      const consumer = new KafkaConsumer(
        { ...common(`${clientId}-consumer`), 'group.id': groupId, 'enable.auto.commit': false, 'session.timeout.ms': sessionTimeout, 'fetch.wait.max.ms': 100 },
        { 'auto.offset.reset': 'latest' },
      );
      consumers.push(consumer);
      await connected(consumer);
      consumer.on('data', (m) => onRecord({ key: m.key?.toString(), value: m.value?.toString(), headers: text(m.headers), timestamp: m.timestamp }));
      if (partition === undefined) {
        const assigned = new Promise((resolve) => consumer.once('rebalance', resolve));
        consumer.subscribe([topic]);
        consumer.consume();
        await assigned;
        return;
      }
      const high = await new Promise((resolve, reject) => consumer.queryWatermarkOffsets(topic, partition, 10_000, (error, offsets) => (error ? reject(error) : resolve(offsets.highOffset))));
      consumer.assign([{ topic, partition, offset: high }]);
      consumer.consume();
    },
    async close() {
      for (const consumer of consumers) await new Promise((resolve) => consumer.disconnect(resolve));
      await new Promise((resolve) => producer.disconnect(resolve));
    },
  };
}
