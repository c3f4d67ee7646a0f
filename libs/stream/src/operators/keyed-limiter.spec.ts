import { KeyedLimiter } from './keyed-limiter';

/** Tasks the test finishes by hand, in any order it likes, recording starts and ends. */
function harness(limiter: KeyedLimiter) {
  const started: string[] = [];
  const finished: string[] = [];
  const pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  let maxActive = 0;
  const call = (key: string | undefined, name: string) =>
    limiter.run(key, () => {
      started.push(name);
      maxActive = Math.max(maxActive, limiter.active);
      return new Promise<string>((resolve, reject) => pending.set(name, { resolve: () => resolve(name), reject })).then((value) => {
        finished.push(name);
        return value;
      });
    });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  /** Finishes whatever is running, newest first (the worst order for keeping order), until nothing is left. */
  const drainNewestFirst = async () => {
    for (;;) {
      await settle();
      const running = [...pending.keys()];
      if (running.length === 0) return;
      for (const name of running.reverse()) {
        pending.get(name)!.resolve();
        pending.delete(name);
      }
    }
  };
  return { call, started, finished, pending, settle, drainNewestFirst, maxActive: () => maxActive };
}

describe('KeyedLimiter', () => {
  it('keeps each key\'s order under concurrency, however the calls finish, and runs keys side by side', async () => {
    const limiter = new KeyedLimiter({ concurrency: 4, ordered: 'key' });
    const h = harness(limiter);
    const keys = ['a', 'b', 'c'];
    const results = [];
    for (let i = 0; i < 5; i++) for (const key of keys) results.push(h.call(key, `${key}${i}`));
    await h.settle();
    expect(h.started.sort()).toEqual(['a0', 'b0', 'c0']); // one per key at a time
    await h.drainNewestFirst();
    expect(await Promise.all(results)).toHaveLength(15);
    for (const key of keys) {
      const order = Array.from({ length: 5 }, (_, i) => `${key}${i}`);
      expect(h.started.filter((n) => n.startsWith(key))).toEqual(order);
      expect(h.finished.filter((n) => n.startsWith(key))).toEqual(order);
    }
    expect(h.maxActive()).toBe(3);
  });

  it('never runs more than `concurrency` calls at once', async () => {
    const limiter = new KeyedLimiter({ concurrency: 2, ordered: 'key' });
    const h = harness(limiter);
    const results = ['a', 'b', 'c', 'd', 'e'].map((key) => h.call(key, key));
    await h.settle();
    expect(h.started).toEqual(['a', 'b']);
    expect(limiter.waiting).toBe(3);
    await h.drainNewestFirst();
    await Promise.all(results);
    expect(h.maxActive()).toBe(2);
    expect(h.started).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('gives no slot to a call waiting for its key: another key goes ahead', async () => {
    const limiter = new KeyedLimiter({ concurrency: 2, ordered: 'key' });
    const h = harness(limiter);
    void h.call('a', 'a1');
    void h.call('a', 'a2');
    void h.call('b', 'b1');
    await h.settle();
    expect(h.started).toEqual(['a1', 'b1']);
    expect(limiter.waiting).toBe(1);
    await h.drainNewestFirst();
  });

  it('without ordering, finishes calls in whatever order they complete, bounded the same', async () => {
    const limiter = new KeyedLimiter({ concurrency: 3, ordered: 'none' });
    const h = harness(limiter);
    const results = ['x1', 'x2', 'x3', 'x4'].map((name) => h.call('x', name));
    await h.settle();
    expect(h.started).toEqual(['x1', 'x2', 'x3']); // one key, yet three at once
    await h.drainNewestFirst();
    await Promise.all(results);
    expect(h.finished.slice(0, 3)).toEqual(['x3', 'x2', 'x1']);
    expect(h.maxActive()).toBe(3);
  });

  it('passes a failure to its caller and carries on with the key\'s next call', async () => {
    const limiter = new KeyedLimiter({ concurrency: 1, ordered: 'key' });
    const h = harness(limiter);
    const first = h.call('k', 'k1');
    const second = h.call('k', 'k2');
    await h.settle();
    h.pending.get('k1')!.reject(new Error('boom'));
    h.pending.delete('k1');
    await expect(first).rejects.toThrow('boom');
    await h.drainNewestFirst();
    await expect(second).resolves.toBe('k2');
    expect(limiter.active).toBe(0);
  });

  it('passes a synchronous throw to its caller too', async () => {
    const limiter = new KeyedLimiter({ concurrency: 1, ordered: 'none' });
    await expect(limiter.run(undefined, () => { throw new Error('sync'); })).rejects.toThrow('sync');
    await expect(limiter.run(undefined, () => 7)).resolves.toBe(7);
  });

  it('needs a key when ordered by key, and a concurrency of at least 1', async () => {
    await expect(new KeyedLimiter({ concurrency: 1, ordered: 'key' }).run(undefined, () => 1)).rejects.toThrow(/needs a key/);
    expect(() => new KeyedLimiter({ concurrency: 0, ordered: 'none' })).toThrow(/concurrency/);
  });
});
