import { InflightTable, Pending } from './inflight-table';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function table(overrides: Partial<ConstructorParameters<typeof InflightTable>[0]> = {}) {
  return new InflightTable({ capacity: 2, admissionWaitMs: 50, maxWaiters: 2, recentCapacity: 10, ...overrides });
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
});
