import { randomBytes } from 'node:crypto';
import { type ConsumerOffsets, KafkaConnection, type Producer } from '@flowgate/kafka';
import { job } from '../dsl/job-builder';
import { encodeChange } from '../state/changelog';
import { KeyedJobRunner, type JobKafka } from './keyed-job-runner';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) throw new Error('KAFKA_BROKERS must be set: run the end-to-end tests through `npm test`');

/**
 * The race behind a window counted twice across a rebalance (CI, 2026-12-01): the old owner's
 * last transaction commits after the new owner's consumer has read the group's offset, and
 * before the new owner's barrier. The new owner's restored state then holds that batch while its
 * consumer starts before it. Here the old owner is a producer with the partition's transactional
 * id, and the new owner's barrier waits until the test has committed the old transaction, so the
 * interleaving is certain rather than a matter of timing; everything else is the real runtime on
 * the real Kafka.
 */
describe('KeyedJobRunner taking a partition whose last transaction commits late (real Kafka)', () => {
  const prefix = `e2e.keyed-runner.${randomBytes(3).toString('hex')}.`;
  const source = `${prefix}hits`;
  const output = `${prefix}tallies`;
  const tally = job('tally')
    .fromTopic<{ k: string }>(source)
    .keyBy('by k', (hit) => hit.k)
    .process('count', ['n'], (_hit, _ctx, state) => {
      const n = (state.get<number>('n') ?? 0) + 1;
      state.put('n', n);
      return n;
    })
    .toTopic(output);
  let connection: KafkaConnection;
  let offsets: ConsumerOffsets;
  let oldOwner: Producer;
  let runner: KeyedJobRunner | undefined;

  beforeAll(async () => {
    connection = new KafkaConnection({ brokers: brokers.split(','), clientId: 'keyed-runner-e2e', probeTopic: source });
    await connection.connect();
    await connection.ensureTopics([source, output, `${prefix}tally.changelog`].map((topic) => ({ topic, numPartitions: 1 })));
    offsets = connection.consumerOffsets();
  }, 60_000);
  afterAll(async () => {
    await runner?.stop();
    await oldOwner?.disconnect();
    await offsets?.close();
    await connection.close();
  });

  it('passes over the records the restored state already holds, and counts each record once', async () => {
    for (let i = 0; i < 4; i++) await connection.sendBatchDirect([{ topic: source, messages: [{ partition: 0, key: 'a', value: JSON.stringify({ k: 'a' }) }] }]);

    // Nothing committed yet; asking also waits until the group's coordinator is up (kafkajs's
    // sendOffsets does not retry NOT_COORDINATOR).
    expect(await offsets.committed(`${prefix}job.tally`, source, 0)).toBeUndefined();
    // The old owner's last batch: the first two records, state n=2 and the offset after them, in
    // a transaction left open for now.
    oldOwner = connection.transactionalProducer(`${prefix}job.tally.0`);
    await oldOwner.connect();
    const lastTransaction = await oldOwner.transaction();
    await lastTransaction.send({ topic: `${prefix}tally.changelog`, messages: [{ partition: 0, ...encodeChange({ store: 'n', key: 'a', value: 2 }) }] });
    await lastTransaction.sendOffsets({ consumerGroupId: `${prefix}job.tally`, topics: [{ topic: source, partitions: [{ partition: 0, offset: '2' }] }] });

    let openBarrier!: () => void;
    const barrierMayStart = new Promise<void>((resolve) => (openBarrier = resolve));
    let firstBatchRead!: (firstOffset: string) => void;
    const firstBatch = new Promise<string>((resolve) => (firstBatchRead = resolve));
    let committed = 0;
    let twoCommitted!: () => void;
    const twoRecordsCommitted = new Promise<void>((resolve) => (twoCommitted = resolve));
    const skipped: number[] = [];
    const kafka: JobKafka = {
      jobConsumer: (groupId) => {
        const consumer = connection.jobConsumer(groupId);
        consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => firstBatchRead(payload.firstOffset));
        return consumer;
      },
      transactionalProducer: (transactionalId) => {
        const producer = connection.transactionalProducer(transactionalId);
        const connect = producer.connect.bind(producer);
        producer.connect = async () => {
          await barrierMayStart;
          await connect();
        };
        return producer;
      },
      restoreConsumer: (options) => connection.restoreConsumer(options),
      sendBatchDirect: (topicMessages) => connection.sendBatchDirect(topicMessages),
      consumerOffsets: () => connection.consumerOffsets(),
    };
    runner = new KeyedJobRunner({
      kafka,
      job: tally,
      mode: 'exactly_once',
      prefix,
      sourceTopic: source,
      maxOutputBytes: 1_000_000,
      handle: async (record, run) => {
        await run(JSON.parse(record.value!.toString()), { id: record.offset, partition: record.partition, timestamp: Number(record.timestamp), deadline: Infinity });
        return [];
      },
      observer: {
        onAssigned: () => undefined,
        onRestored: () => undefined,
        onBatch: (_partition, { records }) => (committed += records) >= 2 && twoCommitted(),
        onCommitFailed: (partition, error) => console.warn(`commit of ${partition} failed: ${String(error)}`),
        onStartFailed: (partition, error) => console.warn(`start of ${partition} failed: ${String(error)}`),
        onSkipped: (_partition, records) => skipped.push(records),
        onCrash: (error) => console.warn(`consumer crashed: ${error.message}`),
      },
    });
    await runner.start();
    // The new owner's consumer read the group's offset while the old transaction was open: none, so from 0.
    expect(await firstBatch).toBe('0');
    await lastTransaction.commit();
    openBarrier();

    await twoRecordsCommitted;
    expect(await offsets.committed(`${prefix}job.tally`, source, 0)).toBe(4n);
    const state = await connection.readTable(`${prefix}tally.changelog`, `${prefix}check`);
    expect(state.get('n\u0000a')?.toString()).toBe('4');
    const tallies = await connection.readTable(output, `${prefix}check`);
    expect(tallies.get('a')?.toString()).toBe('4');
    expect(skipped.reduce((sum, n) => sum + n, 0)).toBe(2);
  }, 120_000);
});
