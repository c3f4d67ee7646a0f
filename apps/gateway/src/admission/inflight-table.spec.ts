import { InflightTable, Pending } from './inflight-table';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Options = ConstructorParameters<typeof InflightTable>[0];

/** A table with a fixed limit of `capacity` (2 unless given). */
function table({ capacity = 2, ...overrides }: Partial<Omit<Options, 'limit'>> & { capacity?: number } = {}) {
  return new InflightTable({ limit: () => capacity, admissionWaitMs: 50, maxWaiters: 2, recentCapacity: 10, ...overrides });
}

const reply = { status: 200, contentType: 'application/json', body: Buffer.from('{}') };

describe('InflightTable', () => {
  it('delivers a reply once and calls a second one late', async () => {
    const t = table();
    const pending = (await t.admit('a', Date.now() + 1_000)) as Pending;
    expect(t.deliver('a', reply)).toBe('delivered');
    await expect(pending.outcome).resolves.toEqual({ kind: 'reply', ...reply });
    expect(t.deliver('a', reply)).toBe('late');
    expect(t.deliver('never-seen', reply)).toBe('orphan');
    expect(t.size).toBe(0);
  });

  it('times out at the deadline and frees the slot', async () => {
    const t = table();
    const started = Date.now();
    const pending = (await t.admit('a', started + 30)) as Pending;
    await expect(pending.outcome).resolves.toEqual({ kind: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(t.size).toBe(0);
    expect(t.deliver('a', reply)).toBe('late');
  });

  it('frees the slot when the caller cancels', async () => {
    const t = table();
    const pending = (await t.admit('a', Date.now() + 1_000)) as Pending;
    pending.cancel();
    await expect(pending.outcome).resolves.toEqual({ kind: 'cancelled' });
    expect(t.size).toBe(0);
  });

  it('refuses a second request with an id already in flight', async () => {
    const t = table();
    await t.admit('a', Date.now() + 1_000);
    expect(await t.admit('a', Date.now() + 1_000)).toBe('duplicate');
  });

  it('makes a caller wait for a slot when full, then admits it', async () => {
    const t = table({ capacity: 1, admissionWaitMs: 1_000 });
    await t.admit('a', Date.now() + 1_000);
    const second = t.admit('b', Date.now() + 1_000);
    await sleep(5);
    expect(t.waiting).toBe(1);
    t.deliver('a', reply);
    const admitted = await second;
    expect(typeof admitted).toBe('object');
    expect(t.size).toBe(1);
  });

  it('says full after the admission wait, and at once beyond maxWaiters', async () => {
    const t = table({ capacity: 1, admissionWaitMs: 30, maxWaiters: 1 });
    await t.admit('a', Date.now() + 1_000);
    const waited = t.admit('b', Date.now() + 1_000);
    const started = Date.now();
    expect(await t.admit('c', Date.now() + 1_000)).toBe('full');
    expect(Date.now() - started).toBeLessThan(20);
    expect(await waited).toBe('full');
  });

  it('never holds more than capacity while waiters and new callers race', async () => {
    const t = table({ capacity: 1, admissionWaitMs: 1_000, maxWaiters: 5 });
    await t.admit('a', Date.now() + 1_000);
    const waiter = t.admit('b', Date.now() + 1_000);
    t.deliver('a', reply);
    // A newcomer arrives in the same turn as the hand-over: it must not take b's slot.
    const newcomer = t.admit('c', Date.now() + 1_000);
    expect(await waiter).toMatchObject({ requestId: 'b' });
    expect(t.size).toBe(1);
    expect(t.waiting).toBe(1);
    void t.drain();
    expect(await newcomer).toBe('closed');
  });

  it('drain refuses new callers and resolves when the last request settles', async () => {
    const t = table();
    const pending = (await t.admit('a', Date.now() + 1_000)) as Pending;
    let drained = false;
    const drain = t.drain().then(() => (drained = true));
    expect(await t.admit('b', Date.now() + 1_000)).toBe('closed');
    await sleep(5);
    expect(drained).toBe(false);
    t.deliver('a', reply);
    await drain;
    await expect(pending.outcome).resolves.toMatchObject({ kind: 'reply' });
  });

  it('forgets the oldest settled ids beyond recentCapacity', async () => {
    const t = table({ recentCapacity: 2, capacity: 10 });
    for (const id of ['a', 'b', 'c']) {
      await t.admit(id, Date.now() + 1_000);
      t.deliver(id, reply);
    }
    expect(t.deliver('a', reply)).toBe('orphan');
    expect(t.deliver('c', reply)).toBe('late');
  });

  describe('fair shares', () => {
    const admitAll = async (t: InflightTable, caller: string, count: number) => {
      const outcomes: string[] = [];
      for (let i = 0; i < count; i++) {
        const admission = await t.admit(`${caller}-${t.size}-${i}`, Date.now() + 1_000, { caller });
        outcomes.push(typeof admission === 'string' ? admission : 'admitted');
      }
      return outcomes;
    };

    it('lets a caller under its share in when a heavy caller fills the limit, never beyond twice the limit', async () => {
      const t = table({ capacity: 10, admissionWaitMs: 0 });
      expect(await admitAll(t, 'heavy', 12)).toEqual([...Array(10).fill('admitted'), 'full', 'full']);
      // Two callers now: a share of 5 each. The light one is admitted up to it, the heavy one not at all.
      expect(t.refusesAtOnce('light')).toBe(false);
      expect(t.refusesAtOnce('heavy')).toBe(true);
      expect(await admitAll(t, 'light', 6)).toEqual([...Array(5).fill('admitted'), 'full']);
      expect(t.size).toBe(15);
      expect(t.refusesAtOnce('heavy')).toBe(true);
    });

    it('is one pool when nobody is named, as before', async () => {
      const t = table({ capacity: 3, admissionWaitMs: 0 });
      expect(await admitAll(t, '', 4)).toEqual(['admitted', 'admitted', 'admitted', 'full']);
    });

    it('hands a freed slot only to a waiter that still fits a limit that has fallen', async () => {
      let limit = 2;
      const t = new InflightTable({ limit: () => limit, admissionWaitMs: 1_000, maxWaiters: 2, recentCapacity: 10 });
      await t.admit('a', Date.now() + 1_000);
      await t.admit('b', Date.now() + 1_000);
      const waiter = t.admit('c', Date.now() + 1_000);
      limit = 1;
      t.deliver('a', reply);
      await sleep(5);
      expect(t.waiting).toBe(1); // 1 in flight at a limit of 1: no room yet
      t.deliver('b', reply);
      expect(await waiter).toMatchObject({ requestId: 'c' });
    });
  });

  it('reports the peak in flight since it was last asked, and how long requests have waited beyond their handling', async () => {
    const t = table({ capacity: 10 });
    const now = Date.now();
    await t.admit('echo-1', now + 5_000, { route: 'echo' });
    await t.admit('echo-2', now + 5_000, { route: 'echo' });
    await t.admit('echo-3', now + 5_000, { route: 'echo' });
    await t.admit('new-1', now + 5_000, { route: 'never-answered' });
    t.deliver('echo-3', reply);
    expect(t.takePeak()).toBe(4);
    expect(t.takePeak()).toBe(3);
    expect(t.admittedAt('echo-1')).toEqual({ at: expect.any(Number), route: 'echo' });
    expect(t.admittedAt('echo-3')).toBeUndefined();
    // Routes without an expected handling time do not count; the rest give the median of age minus it.
    const expected = (route: string) => (route === 'echo' ? 2 : undefined);
    expect(t.stalledMs(now + 1_000, expected)).toBeGreaterThanOrEqual(990);
    expect(t.stalledMs(now + 1_000, expected)).toBeLessThanOrEqual(998);
    expect(t.stalledMs(now, () => 60_000)).toBe(0);
    expect(table().stalledMs(now, expected)).toBe(0);
    // Answered, so that their 5 s deadline timers do not keep Jest waiting after the run.
    for (const id of ['echo-1', 'echo-2', 'new-1']) t.deliver(id, reply);
  });
});
