// The floor's echo service: the Kafka hop back, with nothing else. A consumer group reads
// floor.requests; each record's reply (the echo answer, as flowgate's processor computes it) is
// produced to the partition of floor.replies named in its `reply-partition` header, batched like
// flowgate does, without waiting for the produce before reading on.
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { batchProducer } from '../lib/batch-producer.mjs';
import { brokersFromEnv, noDelaySocketFactory } from '../lib/kafka-socket.mjs';
import { FLOOR_REPLIES, FLOOR_REQUESTS } from './topics.mjs';

const kafka = new Kafka({
  clientId: 'floor-echo',
  brokers: brokersFromEnv(),
  socketFactory: noDelaySocketFactory,
  logLevel: logLevel.WARN,
});
const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
const replies = batchProducer(producer);
const consumer = kafka.consumer({ groupId: 'floor-echo', maxWaitTimeInMs: 100, sessionTimeout: 6_000, heartbeatInterval: 1_000 });

await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: FLOOR_REQUESTS, fromBeginning: false });
let failures = 0;
await consumer.run({
  eachBatch: async ({ batch }) => {
    for (const message of batch.messages) {
      const headers = message.headers ?? {};
      const body = JSON.parse(message.value.toString());
      const value = JSON.stringify({ ...body, result: 'ok', request_timestamp: Number(message.timestamp), response_timestamp: Date.now() });
      replies
        .send(FLOOR_REPLIES, { key: message.key, value, partition: Number(headers['reply-partition']), headers: { id: headers.id } })
        .catch((error) => {
          if (failures++ % 1000 === 0) console.error(`floor echo: reply not produced: ${error.message}`);
        });
    }
  },
});
process.stdout.write('floor echo running\n');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    process.exit(0);
  });
}
