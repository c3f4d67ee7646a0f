import type { ProducerBatch, TopicMessages } from '@flowgate/kafka';
import { KeyedStore } from '../state/keyed-store';
import { BatchCommitTarget, commitBatch, ProcessingMode } from './transactional-commit';

/** Kafka as the commit sees it: every call, in order, and the step (if any) that fails. */
function fakeKafka(options: { failAt?: string; abortFails?: boolean } = {}) {
  const calls: { call: string; arg?: unknown }[] = [];
  const step = async (call: string, arg?: unknown) => {
    calls.push({ call, arg });
    if (call === options.failAt) throw new Error(`${call} failed`);
  };
  const transactionalProducer = {
    transaction: async () => {
      await step('transaction');
      return {
        sendBatch: async (batch: ProducerBatch) => (await step('transaction.sendBatch', batch), []),
        sendOffsets: (offsets: unknown) => step('transaction.sendOffsets', offsets),
        commit: () => step('transaction.commit'),
        abort: async () => {
          await step('transaction.abort');
          if (options.abortFails) throw new Error('producer fenced');
        },
      };
    },
  };
  const sharedProducer = { sendBatchDirect: async (topicMessages: TopicMessages[]) => (await step('shared.sendBatchDirect', topicMessages), []) };
  const commitOffset = (offset: string) => step('commitOffset', offset);
  return { calls, names: () => calls.map((c) => c.call), transactionalProducer, sharedProducer, commitOffset };
}

/** A partition whose committed count of `a` is 1, and whose batch in flight set it to 2. */
function stateWithPendingWrite(): KeyedStore {
  const state = new KeyedStore();
  state.put('counts', 'a', 1);
  state.endRecord(true);
  state.commit();
  state.put('counts', 'a', 2);
  state.endRecord(true);
  return state;
}

function target(mode: ProcessingMode, kafka: ReturnType<typeof fakeKafka>, state: KeyedStore): BatchCommitTarget {
  return {
    mode,
    partition: 3,
    sourceTopic: 'flowgate.counter',
    changelogTopic: 'flowgate.counter-job.changelog',
    consumerGroupId: 'flowgate.job.counter-job',
    state,
    transactionalProducer: kafka.transactionalProducer,
    sharedProducer: kafka.sharedProducer,
    commitOffset: kafka.commitOffset,
  };
}

const reply = { topic: 'flowgate.replies', key: 'r1', value: '{"count":2}' };

describe('commitBatch, exactly-once', () => {
  it('puts the outputs, the state changes and the next offset in one transaction, then keeps the state', async () => {
    const kafka = fakeKafka();
    const state = stateWithPendingWrite();

    await commitBatch({ outputs: [reply], nextOffset: '42' }, target('exactly_once', kafka, state));

    expect(kafka.names()).toEqual(['transaction', 'transaction.sendBatch', 'transaction.sendOffsets', 'transaction.commit']);
    expect(kafka.calls[1].arg).toEqual({
      topicMessages: [
        { topic: 'flowgate.replies', messages: [{ key: 'r1', value: '{"count":2}' }] },
        // The changelog partition is the input partition: its restore reads exactly this state.
        { topic: 'flowgate.counter-job.changelog', messages: [{ key: 'counts\u0000a', value: '2', partition: 3 }] },
      ],
    });
    expect(kafka.calls[2].arg).toEqual({
      consumerGroupId: 'flowgate.job.counter-job',
      topics: [{ topic: 'flowgate.counter', partitions: [{ partition: 3, offset: '42' }] }],
    });
    expect(state.pendingChanges()).toEqual([]);
    expect(state.entries('counts')).toEqual(new Map([['a', 2]]));
  });

  it('sends outputs over 512 KiB in several produce requests of the one transaction, in order', async () => {
    const kafka = fakeKafka();
    const state = stateWithPendingWrite();
    const big = (n: number) => ({ topic: 'flowgate.out', key: `k${n}`, value: 'x'.repeat(300_000) });

    await commitBatch({ outputs: [big(1), big(2), big(3), reply], nextOffset: '42' }, target('exactly_once', kafka, state));

    expect(kafka.names()).toEqual(['transaction', 'transaction.sendBatch', 'transaction.sendBatch', 'transaction.sendBatch', 'transaction.sendOffsets', 'transaction.commit']);
    const keys = kafka.calls.filter((c) => c.call === 'transaction.sendBatch')
      .map((c) => (c.arg as ProducerBatch).topicMessages!.flatMap((t) => t.messages.map((m) => m.key)));
    expect(keys).toEqual([['k1'], ['k2'], ['k3', 'r1', 'counts\u0000a']]);
  });

  it('moves the offset even when the batch wrote nothing', async () => {
    const kafka = fakeKafka();

    await commitBatch({ outputs: [], nextOffset: '7' }, target('exactly_once', kafka, new KeyedStore()));

    expect(kafka.names()).toEqual(['transaction', 'transaction.sendOffsets', 'transaction.commit']);
  });

  it.each(['transaction.sendBatch', 'transaction.sendOffsets', 'transaction.commit'])(
    'aborts when %s fails, throws its error and rolls the state back to the last commit',
    async (failAt) => {
      const kafka = fakeKafka({ failAt });
      const state = stateWithPendingWrite();

      await expect(commitBatch({ outputs: [reply], nextOffset: '42' }, target('exactly_once', kafka, state))).rejects.toThrow(`${failAt} failed`);

      // Nothing after the failed step but the abort: no commit of a half-written batch.
      expect(kafka.names().slice(kafka.names().indexOf(failAt) + 1)).toEqual(['transaction.abort']);
      expect(state.entries('counts')).toEqual(new Map([['a', 1]]));
      expect(state.pendingChanges()).toEqual([]);
    },
  );

  it('aborts when the process crashes between the writes and the commit (the fail point)', async () => {
    const kafka = fakeKafka();
    const state = stateWithPendingWrite();
    const crash = () => {
      throw new Error('crash before offset commit');
    };

    await expect(commitBatch({ outputs: [reply], nextOffset: '42' }, { ...target('exactly_once', kafka, state), beforeOffsetCommit: crash })).rejects.toThrow(
      'crash before offset commit',
    );

    expect(kafka.names()).toEqual(['transaction', 'transaction.sendBatch', 'transaction.sendOffsets', 'transaction.abort']);
    expect(state.entries('counts')).toEqual(new Map([['a', 1]]));
  });

  it('throws the error that broke the transaction, not the one its abort ran into', async () => {
    const kafka = fakeKafka({ failAt: 'transaction.commit', abortFails: true });
    const state = stateWithPendingWrite();

    await expect(commitBatch({ outputs: [], nextOffset: '42' }, target('exactly_once', kafka, state))).rejects.toThrow('transaction.commit failed');
    expect(state.entries('counts')).toEqual(new Map([['a', 1]]));
  });

  it('refuses to commit without its transactional producer, state rolled back, nothing sent', async () => {
    const kafka = fakeKafka();
    const state = stateWithPendingWrite();

    await expect(
      commitBatch({ outputs: [reply], nextOffset: '42' }, { ...target('exactly_once', kafka, state), transactionalProducer: undefined }),
    ).rejects.toThrow('without a transactional producer');
    expect(kafka.calls).toEqual([]);
    expect(state.entries('counts')).toEqual(new Map([['a', 1]]));
  });
});

describe('commitBatch, at-least-once', () => {
  it('writes the outputs and state changes through the shared producer (acks=all) before committing the offset', async () => {
    const kafka = fakeKafka();
    const state = stateWithPendingWrite();

    await commitBatch({ outputs: [reply], nextOffset: '42' }, target('at_least_once', kafka, state));

    expect(kafka.names()).toEqual(['shared.sendBatchDirect', 'commitOffset']);
    expect(kafka.calls[0].arg).toEqual([
      { topic: 'flowgate.replies', messages: [{ key: 'r1', value: '{"count":2}' }] },
      { topic: 'flowgate.counter-job.changelog', messages: [{ key: 'counts\u0000a', value: '2', partition: 3 }] },
    ]);
    expect(kafka.calls[1].arg).toBe('42');
    expect(state.entries('counts')).toEqual(new Map([['a', 2]]));
    expect(state.pendingChanges()).toEqual([]);
  });

  it('writes outputs over 512 KiB in several produce requests, all before the offset', async () => {
    const kafka = fakeKafka();
    const big = { topic: 'flowgate.out', key: 'k', value: 'x'.repeat(600_000) };

    await commitBatch({ outputs: [big, reply], nextOffset: '7' }, target('at_least_once', kafka, new KeyedStore()));

    expect(kafka.names()).toEqual(['shared.sendBatchDirect', 'shared.sendBatchDirect', 'commitOffset']);
  });

  it('does not commit the offset when the writes fail, and rolls the state back', async () => {
    const kafka = fakeKafka({ failAt: 'shared.sendBatchDirect' });
    const state = stateWithPendingWrite();

    await expect(commitBatch({ outputs: [reply], nextOffset: '42' }, target('at_least_once', kafka, state))).rejects.toThrow('shared.sendBatchDirect failed');

    expect(kafka.names()).toEqual(['shared.sendBatchDirect']);
    expect(state.entries('counts')).toEqual(new Map([['a', 1]]));
  });

  it('rolls the state back when the offset commit fails (the batch will be read again)', async () => {
    const kafka = fakeKafka({ failAt: 'commitOffset' });
    const state = stateWithPendingWrite();

    await expect(commitBatch({ outputs: [reply], nextOffset: '42' }, target('at_least_once', kafka, state))).rejects.toThrow('commitOffset failed');

    expect(state.entries('counts')).toEqual(new Map([['a', 1]]));
  });

});
