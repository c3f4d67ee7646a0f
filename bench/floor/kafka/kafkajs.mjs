// The floor's Kafka through kafkajs (the client flowgate and the NestJS peer use).
import { AssignerProtocol, Kafka, logLevel, Partitioners } from 'kafkajs';
import { batchProducer } from '../../lib/batch-producer.mjs';
import { brokersFromEnv, noDelaySocketFactory } from '../../lib/kafka-socket.mjs';

/** A group assigner that gives its one member `partition` of every topic. */
const pinned = (partition) => () => ({
  name: `FloorPinned${partition}`,
  version: 1,
  async assign({ members, topics }) {
    const assignment = Object.fromEntries(topics.map((topic) => [topic, [partition]]));
    return members.map(({ memberId }) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: `FloorPinned${partition}`, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
  },
});

const text = (headers) => Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, value?.toString()]));

export async function connectFloorKafka({ clientId }) {
  const kafka = new Kafka({ clientId, brokers: brokersFromEnv(), socketFactory: noDelaySocketFactory, logLevel: logLevel.WARN });
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const consumers = [];
  const batching = batchProducer((batch) => {
    const byTopic = new Map();
    for (const { topic, message } of batch) {
      if (!byTopic.has(topic)) byTopic.set(topic, []);
      byTopic.get(topic).push(message);
    }
    return producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  });
  return {
    send: (topic, message) => batching.send(topic, message),
    /** Reads `topic` from its end (only `partition` if given); resolves once the group is joined. */
    async consume({ topic, groupId, partition, sessionTimeout, onRecord }) {
      const consumer = kafka.consumer({
        groupId, maxWaitTimeInMs: 100, sessionTimeout, heartbeatInterval: 1_000,
        ...(partition === undefined ? {} : { partitionAssigners: [pinned(partition)] }),
      });
      consumers.push(consumer);
      const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: false });
      // No commits: a floor run never restarts, and kafkajs's autoCommit would commit after every batch.
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            onRecord({ key: m.key?.toString(), value: m.value?.toString(), headers: text(m.headers), timestamp: Number(m.timestamp) });
          }
        },
      });
      await joined;
    },
    async close() {
      for (const consumer of consumers) await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
    },
  };
}
