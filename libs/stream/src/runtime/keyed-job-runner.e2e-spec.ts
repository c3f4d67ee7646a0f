import { randomBytes } from 'node:crypto';
import { type ConsumerOffsets, KafkaConnection, type Producer } from '@flowgate/kafka';
import { job } from '../dsl/job-builder';
import { encodeChange } from '../state/changelog';
import { KeyedJobRunner, type JobKafka, type KeyedJobObserver } from './keyed-job-runner';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) throw new Error('KAFKA_BROKERS must be set: run the end-to-end tests through `npm test`');

/** A promise and the function that resolves it. */
function signal<T = void>(): { promise: Promise<T>; fire: (value: T) => void } {
  let fire!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (fire = resolve));
  return { promise, fire };
}

/**
 * How ownership of a keyed job's partition changes hands while a transaction is in flight, on
 * the real runtime and the real Kafka. A job counts the records of key `a` (state `n`, each new
 * count written to the output topic). The tests hold a producer's step (a barrier's connect, a
 * transaction's commit) until the moment they want, so each interleaving is certain rather than
 * a matter of timing.
 */
describe('KeyedJobRunner while a partition changes owner (real Kafka)', () => {
  let connection: KafkaConnection;
  let offsets: ConsumerOffsets;
  const cleanup: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    connection = new KafkaConnection({ brokers: brokers.split(','), clientId: 'keyed-runner-e2e', probeTopic: 'unused' });
    await connection.connect();
    offsets = connection.consumerOffsets();
  }, 60_000);
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
    await offsets?.close();
    await connection.close();
  });

  /** A job of its own (topics, group, transactional id) with `records` records of key `a` on its one partition. */
  async function scenario(records: number) {
    const prefix = `e2e.keyed-runner.${randomBytes(3).toString('hex')}.`;
    const source = `${prefix}hits`;
    const output = `${prefix}tallies`;
    const changelog = `${prefix}tally.changelog`;
    const groupId = `${prefix}job.tally`;
    await connection.ensureTopics([source, output, changelog].map((topic) => ({ topic, numPartitions: 1 })));
    const write = async (count: number) => {
      for (let i = 0; i < count; i++) await connection.sendBatchDirect([{ topic: source, messages: [{ partition: 0, key: 'a', value: JSON.stringify({ k: 'a' }) }] }]);
    };
    await write(records);
    // Nothing committed yet; asking also waits until the group's coordinator is up (kafkajs's
    // sendOffsets does not retry NOT_COORDINATOR).
    expect(await offsets.committed(groupId, source, 0)).toBeUndefined();
    const tally = job('tally')
      .fromTopic<{ k: string }>(source)
      .keyBy('by k', (hit) => hit.k)
      .process('count', ['n'], (_hit, _ctx, state) => {
        const n = (state.get<number>('n') ?? 0) + 1;
        state.put('n', n);
        return n;
      })
      .toTopic(output);

    /** A runner of the job; `kafka` may hold its producers' steps. Resolves `committed(n)` once n records are committed. */
    const start = async (kafka: Partial<JobKafka>, committed: { records: number; fire: () => void }) => {
      let count = 0;
      const skipped: number[] = [];
      const commitFailures: string[] = [];
      const observer: KeyedJobObserver = {
        onAssigned: () => undefined,
        onRestored: () => undefined,
        onBatch: (_partition, { records }) => (count += records) >= committed.records && committed.fire(),
        onCommitFailed: (_partition, error) => commitFailures.push(String(error)),
        onStartFailed: (partition, error) => console.warn(`start of ${partition} failed: ${String(error)}`),
        onSkipped: (_partition, records) => skipped.push(records),
        onCrash: (error) => console.warn(`consumer crashed: ${error.message}`),
      };
      const runner = new KeyedJobRunner({
        kafka: {
          jobConsumer: (id) => connection.jobConsumer(id),
          transactionalProducer: (id) => connection.transactionalProducer(id),
          restoreConsumer: (options) => connection.restoreConsumer(options),
          sendBatchDirect: (topicMessages) => connection.sendBatchDirect(topicMessages),
          consumerOffsets: () => connection.consumerOffsets(),
          ...kafka,
        },
        job: tally,
        mode: 'exactly_once',
        prefix,
        sourceTopic: source,
        maxOutputBytes: 1_000_000,
        handle: async (record, run) => {
          await run(JSON.parse(record.value!.toString()), { id: record.offset, partition: record.partition, timestamp: Number(record.timestamp), deadline: Infinity });
          return [];
        },
        observer,
      });
      cleanup.push(() => runner.stop());
      await runner.start();
      return { runner, skipped, commitFailures };
    };

    /** The count as the changelog and the output topic have it, and the group's offset. */
    const outcome = async () => ({
      state: (await connection.readTable(changelog, `${prefix}check`)).get('n\u0000a')?.toString(),
      output: (await connection.readTable(output, `${prefix}check`)).get('a')?.toString(),
      offset: await offsets.committed(groupId, source, 0),
    });
    return { prefix, source, changelog, groupId, write, start, outcome };
  }

  it('passes over the records the restored state already holds when the old owner\'s last commit lands late', async () => {
    // The race behind a window counted twice across a rebalance (CI, 2026-12-01): the old
    // owner's last transaction commits after the new owner's consumer has read the group's
    // offset, and before the new owner's barrier. The restored state then holds that batch while
    // the consumer starts before it. Here a producer with the partition's transactional id is
    // the old owner, its last batch the first two records.
    const s = await scenario(4);
    const oldOwner: Producer = connection.transactionalProducer(`${s.prefix}job.tally.0`);
    cleanup.push(() => oldOwner.disconnect());
    await oldOwner.connect();
    const lastTransaction = await oldOwner.transaction();
    await lastTransaction.send({ topic: s.changelog, messages: [{ partition: 0, ...encodeChange({ store: 'n', key: 'a', value: 2 }) }] });
    await lastTransaction.sendOffsets({ consumerGroupId: s.groupId, topics: [{ topic: s.source, partitions: [{ partition: 0, offset: '2' }] }] });

    const barrierMayStart = signal();
    const firstBatch = signal<string>();
    const twoCommitted = signal();
    const { skipped } = await s.start(
      {
        jobConsumer: (groupId) => {
          const consumer = connection.jobConsumer(groupId);
          consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => firstBatch.fire(payload.firstOffset));
          return consumer;
        },
        transactionalProducer: (transactionalId) => {
          const producer = connection.transactionalProducer(transactionalId);
          const connect = producer.connect.bind(producer);
          producer.connect = async () => {
            await barrierMayStart.promise;
            await connect();
          };
          return producer;
        },
      },
      { records: 2, fire: twoCommitted.fire },
    );
    // The new owner's consumer read the group's offset while the old transaction was open: none, so from 0.
    expect(await firstBatch.promise).toBe('0');
    await lastTransaction.commit();
    barrierMayStart.fire();

    await twoCommitted.promise;
    expect(await s.outcome()).toEqual({ state: '4', output: '4', offset: 4n });
    expect(skipped.reduce((sum, n) => sum + n, 0)).toBe(2);
  }, 120_000);

  it('lets the next owner fence a transaction an old owner is stuck in', async () => {
    // The old owner is told to stop while its second commit hangs just before the transaction's
    // end. It cannot leave the group before that commit returns (kafkajs waits for the batch), so
    // the group drops it after its session timeout and the next owner takes the partition. The
    // next owner's barrier aborts the hung transaction: it counts those records itself, once, and
    // the old commit fails when it is let go.
    const s = await scenario(2);
    const firstCommitted = signal();
    const commitHeld = signal();
    const releaseCommit = signal();
    let holdNextCommit = false;
    const old = await s.start(
      {
        transactionalProducer: (transactionalId) => {
          const producer = connection.transactionalProducer(transactionalId);
          const transaction = producer.transaction.bind(producer);
          producer.transaction = async () => {
            const opened = await transaction();
            // The barrier's and the first records' transactions go through; the next one is held.
            if (holdNextCommit) {
              holdNextCommit = false;
              const commit = opened.commit.bind(opened);
              opened.commit = async () => {
                commitHeld.fire();
                await releaseCommit.promise;
                await commit();
              };
            }
            return opened;
          };
          return producer;
        },
      },
      { records: 2, fire: firstCommitted.fire },
    );
    await firstCommitted.promise;
    holdNextCommit = true;
    await s.write(2);
    await commitHeld.promise;
    const stopping = old.runner.stop(); // returns once the hung commit does

    const allCommitted = signal();
    await s.start({}, { records: 2, fire: allCommitted.fire });
    await allCommitted.promise;
    releaseCommit.fire();
    await stopping;

    expect(old.commitFailures).toHaveLength(1); // fenced
    expect(await s.outcome()).toEqual({ state: '4', output: '4', offset: 4n });
  }, 120_000);
});
