import { PartitionLane } from './partition-lane';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('PartitionLane', () => {
  it('runs at most `concurrency` records at once and starts the next when one finishes', async () => {
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const started: string[] = [];
    const lane = new PartitionLane<string>({
      concurrency: 2,
      handle: (item) => {
        started.push(item);
        const gate = deferred();
        gates.set(item, gate);
        return gate.promise;
      },
      onError: () => undefined,
    });
    for (const [offset, item] of [['0', 'a'], ['1', 'b'], ['2', 'c']]) lane.push(offset, item);
    expect(started).toEqual(['a', 'b']);
    expect(lane.size).toBe(3);
    gates.get('a')!.resolve();
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
  });

  it('commits only below the first unfinished record, whatever order they finish in', async () => {
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const lane = new PartitionLane<string>({
      concurrency: 10,
      handle: (item) => {
        const gate = deferred();
        gates.set(item, gate);
        return gate.promise;
      },
      onError: () => undefined,
    });
    lane.push('10', 'a');
    lane.push('11', 'b');
    lane.push('12', 'c');
    expect(lane.commitOffset).toBeUndefined();
    gates.get('c')!.resolve();
    gates.get('b')!.resolve();
    await tick();
    expect(lane.commitOffset).toBeUndefined();
    gates.get('a')!.resolve();
    await tick();
    expect(lane.commitOffset).toBe('13');
  });

  it('ignores records it has already seen (a re-fetch after a rebalance)', async () => {
    const handled: string[] = [];
    const lane = new PartitionLane<string>({ concurrency: 5, handle: async (item) => void handled.push(item), onError: () => undefined });
    lane.push('5', 'a');
    lane.push('5', 'a-again');
    lane.push('4', 'older');
    lane.push('6', 'b');
    await lane.idle();
    expect(handled).toEqual(['a', 'b']);
    expect(lane.commitOffset).toBe('7');
  });

  it('counts a throwing handler as finished and reports the error', async () => {
    const errors: unknown[] = [];
    const lane = new PartitionLane<string>({
      concurrency: 1,
      handle: async () => {
        throw new Error('boom');
      },
      onError: (error) => errors.push(error),
    });
    lane.push('0', 'x');
    await lane.idle();
    expect(errors).toHaveLength(1);
    expect(lane.commitOffset).toBe('1');
  });

  it('close() drops queued records but lets running ones finish', async () => {
    const gate = deferred();
    const handled: string[] = [];
    const lane = new PartitionLane<string>({
      concurrency: 1,
      handle: async (item) => {
        handled.push(item);
        await gate.promise;
      },
      onError: () => undefined,
    });
    lane.push('0', 'running');
    lane.push('1', 'queued');
    lane.close();
    gate.resolve();
    await lane.idle();
    expect(handled).toEqual(['running']);
    expect(lane.commitOffset).toBe('1');
  });
});
