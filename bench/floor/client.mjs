// The floor's client: the Kafka round trip alone, no HTTP. Driven by `npm run bench` over IPC
// (fork with '--serve'): `offer` produces one record per due time of the open-loop schedule to
// floor.requests (8 partitions, keyed by id) and waits for the record with the same id on its own
// partition of floor.replies, read with a pinned single-member group as flowgate's gateway does.
// Latency runs from the due time to the reply being handed to the waiting promise.
// FLOOR_KAFKA_CLIENT=kafkajs (default) | platformatic | confluent picks the Kafka client (bench/floor/kafka/).
import { serve } from '../lib/ipc.mjs';
import { startOpenLoop, summarize } from '../lib/open-loop.mjs';
import { FLOOR_REPLY_PARTITION, floorTopicNames } from './topics.mjs';

const client = process.env.FLOOR_KAFKA_CLIENT ?? 'kafkajs';
const { connectFloorKafka } = await import(`./kafka/${client}.mjs`);
const { requests: FLOOR_REQUESTS, replies: FLOOR_REPLIES } = floorTopicNames(client);
const kafka = await connectFloorKafka({ clientId: 'floor-client' });

const pending = new Map();
let nextId = 0;

await kafka.consume({
  topic: FLOOR_REPLIES,
  groupId: `floor-client-${process.pid}`,
  partition: FLOOR_REPLY_PARTITION,
  sessionTimeout: 10_000,
  onRecord: ({ value, headers }) => {
    const waiting = headers.id && pending.get(headers.id);
    if (!waiting) return;
    pending.delete(headers.id);
    clearTimeout(waiting.timer);
    let answer = 200;
    try {
      const { request_timestamp: requestTs, response_timestamp: responseTs } = JSON.parse(value);
      answer = { status: 200, requestTs, responseTs };
    } catch {
      // keep the plain status
    }
    waiting.resolve(answer);
  },
});

function roundTrip(body, timeoutMs) {
  const id = String(++nextId);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error('timeout'));
    }, timeoutMs);
    pending.set(id, { resolve, timer });
    kafka
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
    await kafka.close();
    process.exit(0);
  });
}
