import type { OutgoingRecord } from '@flowgate/kafka';
import { KeyedStore } from '../state/keyed-store';
import { ManagedTask, TaskManager } from './task-manager';

/** A partition's task whose restore the test finishes (or fails) when it likes. */
interface FakeTask extends ManagedTask {
  readonly partition: number;
  restored(changes: number): void;
  restoreFailed(error: Error): void;
  closed: boolean;
  commitError?: Error;
  readonly commits: string[];
}

function fakeTask(partition: number): FakeTask {
  let resolve!: (changes: number) => void;
  let reject!: (error: Error) => void;
  const ready = new Promise<number>((res, rej) => ((resolve = res), (reject = rej)));
  const task: FakeTask = {
    partition,
    state: new KeyedStore(),
    ready,
    nextOffset: 0n,
    restored: (changes) => resolve(changes),
    restoreFailed: (error) => reject(error),
    closed: false,
    commits: [],
    commit: async (_outputs: OutgoingRecord[], nextOffset: string) => {
      if (task.commitError) throw task.commitError;
      task.commits.push(nextOffset);
    },
    close: async () => {
      task.closed = true;
    },
  };
  return task;
}

function setUp() {
  const created: FakeTask[] = [];
  const events: string[] = [];
  const manager = new TaskManager({
    createTask: (partition) => {
      const task = fakeTask(partition);
      created.push(task);
      return task;
    },
    observer: {
      onAssigned: (partitions) => events.push(`assigned ${partitions.join(',')}`),
      onRestored: (partition, changes) => events.push(`restored ${partition}: ${changes} changes`),
      onStartFailed: (partition, error) => events.push(`start failed ${partition}: ${(error as Error).message}`),
      onCommitFailed: (partition, error) => events.push(`commit failed ${partition}: ${(error as Error).message}`),
    },
  });
  /** Restores started so far, by partition. */
  const restores = () => created.map((task) => task.partition);
  return { manager, created, events, restores };
}

const heartbeat = async () => undefined;
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('TaskManager', () => {
  it('starts restoring every assigned partition at once, before any of its records is read', async () => {
    const { manager, events, restores } = setUp();

    await manager.assign([0, 3]);

    expect(restores()).toEqual([0, 3]);
    expect([...manager.owned().keys()]).toEqual([0, 3]);
    expect(events).toEqual(['assigned 0,3']);
  });

  it('keeps the state of partitions still owned after a rebalance and closes the revoked ones', async () => {
    const { manager, created, restores } = setUp();
    await manager.assign([0, 1]);
    const [zero, one] = created;

    await manager.assign([1, 2]);

    expect(zero.closed).toBe(true);
    expect(one.closed).toBe(false);
    expect(restores()).toEqual([0, 1, 2]); // partition 1 is not restored again
    expect(manager.owned().get(1)).toBe(one);
    expect([...manager.owned().keys()]).toEqual([1, 2]);
  });

  it('hands a batch its task only once the state is restored, and reports the restore', async () => {
    const { manager, created, events } = setUp();
    await manager.assign([0]);
    let handed: ManagedTask | undefined;

    const waiting = manager.ready(0, heartbeat).then((task) => (handed = task));
    await flush();
    expect(handed).toBeUndefined();
    created[0].restored(5);
    await waiting;

    expect(handed).toBe(created[0]);
    expect(events).toContain('restored 0: 5 changes');
  });

  it('gives a batch read before the assignment event a task of its own, restored first', async () => {
    const { manager, created, restores } = setUp();

    const waiting = manager.ready(4, heartbeat);
    created[0].restored(0);

    expect(await waiting).toBe(created[0]);
    expect(restores()).toEqual([4]);
    await manager.assign([4]);
    expect(restores()).toEqual([4]); // the assignment finds it already taken
  });

  it('drops a task whose restore failed, so the next batch restores the partition again', async () => {
    const { manager, created, events, restores } = setUp();
    await manager.assign([2]);
    const waiting = manager.ready(2, heartbeat);
    created[0].restoreFailed(new Error('changelog partition has no leader'));

    await expect(waiting).rejects.toThrow('changelog partition has no leader');
    expect(events).toContain('start failed 2: changelog partition has no leader');
    expect(created[0].closed).toBe(true);
    expect(manager.owned().has(2)).toBe(false);

    const retry = manager.ready(2, heartbeat);
    created[1].restored(3);
    expect(await retry).toBe(created[1]);
    expect(restores()).toEqual([2, 2]);
  });

  it('keeps the consumer group membership alive while a restore takes long', async () => {
    jest.useFakeTimers();
    try {
      const { manager, created } = setUp();
      let beats = 0;
      const waiting = manager.ready(0, async () => void beats++);

      await jest.advanceTimersByTimeAsync(3_500);
      created[0].restored(0);
      await waiting;
      await jest.advanceTimersByTimeAsync(3_000);

      expect(beats).toBe(3); // one a second while restoring, none after
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps the task after a successful commit', async () => {
    const { manager, created } = setUp();
    const waiting = manager.ready(0, heartbeat);
    created[0].restored(0);
    const task = await waiting;

    await manager.commit({ partition: 0, task, outputs: [], nextOffset: '10' });

    expect(created[0].commits).toEqual(['10']);
    expect(manager.owned().get(0)).toBe(task);
  });

  it('drops the task after a failed commit, so the partition starts over from its changelog', async () => {
    const { manager, created, events, restores } = setUp();
    const waiting = manager.ready(0, heartbeat);
    created[0].restored(0);
    const task = await waiting;
    created[0].commitError = new Error('producer fenced');

    await expect(manager.commit({ partition: 0, task, outputs: [], nextOffset: '10' })).rejects.toThrow('producer fenced');

    expect(events).toContain('commit failed 0: producer fenced');
    expect(created[0].closed).toBe(true);
    const retry = manager.ready(0, heartbeat);
    expect(restores()).toEqual([0, 0]);
    created[1].restored(0);
    expect(await retry).toBe(created[1]);
  });

  it('closes every task when the runner stops, even when one fails to close', async () => {
    const { manager, created } = setUp();
    await manager.assign([0, 1]);
    created[0].close = async () => {
      throw new Error('already disconnected');
    };

    await manager.closeAll();

    expect(created[1].closed).toBe(true);
    expect(manager.owned().size).toBe(0);
  });
});
