// The floor's echo service: the Kafka hop back, with nothing else. A consumer group reads
// floor.requests; each record's reply (the echo answer, as flowgate's processor computes it) is
// produced to the partition of floor.replies named in its `reply-partition` header, batched like
// flowgate does, without waiting for the produce before reading on.
// FLOOR_KAFKA_CLIENT=kafkajs (default) | platformatic | confluent picks the Kafka client (bench/floor/kafka/).
import { floorTopicNames } from './topics.mjs';

const client = process.env.FLOOR_KAFKA_CLIENT ?? 'kafkajs';
const { connectFloorKafka } = await import(`./kafka/${client}.mjs`);
const { requests: FLOOR_REQUESTS, replies: FLOOR_REPLIES } = floorTopicNames(client);
const kafka = await connectFloorKafka({ clientId: 'floor-echo' });

let failures = 0;
await kafka.consume({
  topic: FLOOR_REQUESTS,
  groupId: `floor-echo-${client}`,
  sessionTimeout: 6_000,
  onRecord: ({ key, value, headers, timestamp }) => {
    const body = JSON.parse(value);
    const reply = JSON.stringify({ ...body, result: 'ok', request_timestamp: timestamp, response_timestamp: Date.now() });
    kafka
      .send(FLOOR_REPLIES, { key, value: reply, partition: Number(headers['reply-partition']), headers: { id: headers.id } })
      .catch((error) => {
        if (failures++ % 1000 === 0) console.error(`floor echo: reply not produced: ${error.message}`);
      });
  },
});
process.stdout.write('floor echo running\n');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await kafka.close();
    process.exit(0);
  });
}
