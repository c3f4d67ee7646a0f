// What one exactly-once commit costs, step by step, outside flowgate: `producers` transactional
// kafkajs producers (one per partition, as the stream runtime has) each commit `transactions`
// transactions of one record and one offset, all at the same time, the way commitBatch
// (libs/stream/src/runtime/transactional-commit.ts) does: send, sendOffsets, commit. Rounds
// alternate the producers' first retry wait (kafkajs's `initialRetryTime`; the runtime's is 100 ms),
// since a send right after a commit can be refused with CONCURRENT_TRANSACTIONS until the broker
// has written the commit markers, and kafkajs then retries the whole send after that wait.
//
//   KAFKA_BROKERS=127.0.0.1:39092 node bench/transaction-steps.mjs [producers=8] [transactions=40] [rounds=3]
import { createRequire } from 'node:module';
import { quantile } from './lib/open-loop.mjs';

const { Kafka, logLevel } = createRequire(import.meta.url)('kafkajs');
const [producers = 8, transactions = 40, rounds = 3] = process.argv.slice(2).map(Number);
const RETRY_WAITS_MS = [100, 10];
const STEPS = ['send', 'sendOffsets', 'commit', 'whole'];

const kafka = new Kafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: 'transaction-steps', logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const topic = `transaction-steps-${Date.now()}`;
await admin.createTopics({ topics: [{ topic, numPartitions: producers }], waitForLeaders: true });

/** Each step's times (ms) of `transactions` transactions on each of `producers` producers at once. */
async function measure(initialRetryTime, round) {
  const times = Object.fromEntries(STEPS.map((step) => [step, []]));
  await Promise.all(Array.from({ length: producers }, async (_, partition) => {
    const producer = kafka.producer({
      transactionalId: `${topic}-${round}-${initialRetryTime}-${partition}`,
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime, maxRetryTime: 2_000 },
    });
    await producer.connect();
    for (let i = 0; i < transactions; i++) {
      const started = performance.now();
      let at = started;
      const lap = (step) => {
        const now = performance.now();
        times[step].push(now - at);
        at = now;
      };
      const transaction = await producer.transaction();
      await transaction.send({ topic, messages: [{ partition, value: String(i) }] });
      lap('send');
      await transaction.sendOffsets({ consumerGroupId: `${topic}-group`, topics: [{ topic, partitions: [{ partition, offset: String(i + 1) }] }] });
      lap('sendOffsets');
      await transaction.commit();
      lap('commit');
      times.whole.push(performance.now() - started);
    }
    await producer.disconnect();
  }));
  return times;
}

const all = Object.fromEntries(RETRY_WAITS_MS.map((wait) => [wait, Object.fromEntries(STEPS.map((step) => [step, []]))]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? RETRY_WAITS_MS : [...RETRY_WAITS_MS].reverse();
  for (const wait of order) {
    const times = await measure(wait, round);
    for (const step of STEPS) all[wait][step].push(...times[step]);
  }
}
await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
await admin.disconnect();

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
const sorted = (values) => [...values].sort((a, b) => a - b);
console.log(`${producers} producers at once, ${transactions} transactions each, ${rounds} rounds; ms p50 / p90 / mean`);
console.log(`| first retry wait | ${STEPS.join(' | ')} |`);
console.log(`|---|${STEPS.map(() => '---:').join('|')}|`);
for (const wait of RETRY_WAITS_MS) {
  const cells = STEPS.map((step) => {
    const values = sorted(all[wait][step]);
    return `${quantile(values, 0.5).toFixed(1)} / ${quantile(values, 0.9).toFixed(1)} / ${mean(values).toFixed(1)}`;
  });
  console.log(`| ${wait} ms | ${cells.join(' | ')} |`);
}
