// The floor's Kafka through @platformatic/kafka, a pure-JS client, to measure whether kafkajs
// is the wall (issue 5): same topics, same batching, same pinned reply partition.
import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { batchProducer } from '../../lib/batch-producer.mjs';
import { brokersFromEnv } from '../../lib/kafka-socket.mjs';

/** A group assigner that gives every member `partition` of every topic. */
const pinned = (partition) => (_current, members, topics) =>
  [...members.keys()].map((memberId) => ({
    memberId,
    assignments: new Map([...topics].map((topic) => [topic, { topic, partitions: [partition] }])),
  }));

export async function connectFloorKafka({ clientId }) {
  const bootstrapBrokers = brokersFromEnv();
  const producer = new Producer({ clientId, bootstrapBrokers, serializers: stringSerializers, acks: -1 });
  const consumers = [];
  const batching = batchProducer((batch) => producer.send({
    messages: batch.map(({ topic, message }) => ({ topic, ...message })),
  }));
  return {
    send: (topic, message) => batching.send(topic, message),
    async consume({ topic, groupId, partition, sessionTimeout, onRecord }) {
      const consumer = new Consumer({ clientId, groupId, bootstrapBrokers, deserializers: stringDeserializers });
      consumers.push(consumer);
      // No commits, as the kafkajs floor: a floor run never restarts.
      const stream = await consumer.consume({
        topics: [topic], mode: 'latest', maxWaitTime: 100, autocommit: false, sessionTimeout, heartbeatInterval: 1_000,
        ...(partition === undefined ? {} : { partitionAssigner: pinned(partition) }),
      });
      stream.on('data', (m) => onRecord({ key: m.key, value: m.value, headers: Object.fromEntries(m.headers), timestamp: Number(m.timestamp) }));
      stream.on('error', (error) => console.error(`floor consumer (${topic}): ${error.message}`));
    },
    async close() {
      for (const consumer of consumers) await consumer.close(true).catch(() => {});
      await producer.close().catch(() => {});
    },
  };
}
