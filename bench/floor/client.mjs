// The floor's client: the Kafka round trip alone, no HTTP. Driven by `npm run bench` over IPC
// (fork with '--serve'): `offer` produces one record per due time of the open-loop schedule to
// floor.requests (8 partitions, keyed by id) and waits for the record with the same id on its own
// partition of floor.replies, read with a pinned single-member group as flowgate's gateway does.
// Latency runs from the due time to the reply being handed to the waiting promise.
import { AssignerProtocol, Kafka, logLevel, Partitioners } from 'kafkajs';
import { serve } from '../lib/ipc.mjs';
import { batchProducer } from '../lib/batch-producer.mjs';
import { brokersFromEnv, noDelaySocketFactory } from '../lib/kafka-socket.mjs';
import { startOpenLoop, summarize } from '../lib/open-loop.mjs';
import { FLOOR_REPLIES, FLOOR_REPLY_PARTITION, FLOOR_REQUESTS } from './topics.mjs';

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

const kafka = new Kafka({
  clientId: 'floor-client',
  brokers: brokersFromEnv(),
  socketFactory: noDelaySocketFactory,
  logLevel: logLevel.WARN,
});
const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
const requests = batchProducer(producer);
const consumer = kafka.consumer({
  groupId: `floor-client-${process.pid}`,
  maxWaitTimeInMs: 100,
  sessionTimeout: 10_000,
  partitionAssigners: [pinned(FLOOR_REPLY_PARTITION)],
});

const pending = new Map();
let nextId = 0;
const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: FLOOR_REPLIES, fromBeginning: false });
await consumer.run({
  eachBatch: async ({ batch }) => {
    for (const message of batch.messages) {
      const id = message.headers?.id?.toString();
      const waiting = id && pending.get(id);
      if (!waiting) continue;
      pending.delete(id);
      clearTimeout(waiting.timer);
      let answer = 200;
      try {
        const { request_timestamp: requestTs, response_timestamp: responseTs } = JSON.parse(message.value.toString());
        answer = { status: 200, requestTs, responseTs };
      } catch {
        // keep the plain status
      }
      waiting.resolve(answer);
    }
  },
});
await joined;

function roundTrip(body, timeoutMs) {
  const id = String(++nextId);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error('timeout'));
    }, timeoutMs);
    pending.set(id, { resolve, timer });
    requests
      .send(FLOOR_REQUESTS, { key: id, value: body, headers: { id, 'reply-partition': String(FLOOR_REPLY_PARTITION) } })
      .catch((error) => {
        if (!pending.delete(id)) return;
        clearTimeout(timer);
        reject(error);
      });
  });
}

async function offer({ body, rate, seconds, timeoutMs = 10_000 }) {
  const raw = await startOpenLoop({ rate, seconds, send: () => roundTrip(body, timeoutMs) }).done;
  return summarize(raw);
}

serve({ offer });

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, async () => {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    process.exit(0);
  });
}
