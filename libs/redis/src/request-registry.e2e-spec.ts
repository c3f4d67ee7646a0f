import { randomBytes } from 'node:crypto';
import { createRedis, Redis } from './redis-client';
import { AdmitRequest, RequestRegistry } from './request-registry';

// The registry's Lua scripts against the real Redis that `npm test` starts.
const url = process.env.REDIS_URL;
if (!url) throw new Error('REDIS_URL must be set: run the end-to-end tests through `npm test`');

describe('RequestRegistry (real Redis)', () => {
  let redis: Redis;
  let registry: RequestRegistry;
  const now = 1_800_000_000_000;
  const result = { status: 'succeeded' as const, code: 200, contentType: 'application/json', body: '{"ok":true}' };
  const request = (id: string, extra: Partial<AdmitRequest> = {}): AdmitRequest => ({
    id, route: 'quote', gateway: 'gw-1', deadline: now + 1_000, mode: 'async', ...extra,
  });

  beforeAll(async () => {
    redis = createRedis(url, 'registry-spec');
    await redis.connect();
  });
  beforeEach(() => {
    registry = new RequestRegistry(redis, { prefix: `spec.${randomBytes(3).toString('hex')}.`, resultTtlS: 60, idempotencyTtlS: 60 });
  });
  afterAll(() => redis.disconnect());

  it('admits a request once, records its outcome once, and keeps it retrievable', async () => {
    expect(await registry.admit(request('a'), now)).toEqual({ kind: 'new' });
    expect(await registry.admit(request('a'), now)).toEqual({ kind: 'duplicate' });
    expect(await registry.get('a')).toMatchObject({ status: 'pending', route: 'quote', deadline: now + 1_000 });
    expect(await registry.sizes()).toEqual({ pending: 1, outbox: 0 });
    expect(await registry.complete('a', result, now + 10)).toBe('recorded');
    expect(await registry.complete('a', { ...result, body: '{"second":true}' }, now + 20)).toBe('again');
    expect(await registry.get('a')).toMatchObject({ status: 'succeeded', code: 200, body: '{"ok":true}', finished: now + 10 });
    expect(await registry.sizes()).toEqual({ pending: 0, outbox: 0 });
    expect(await registry.complete('never-admitted', result)).toBe('unknown');
  });

  it('times a request out exactly once; a later result is late and changes nothing', async () => {
    await registry.admit(request('b'), now);
    await registry.admit(request('c', { deadline: now + 5_000 }), now);
    // Two sweepers racing at the same moment: one times `b` out, the other finds nothing.
    const [first, second] = await Promise.all([registry.sweep(now + 1_000, 100, 10_000), registry.sweep(now + 1_000, 100, 10_000)]);
    expect(first.expired + second.expired).toBe(1);
    const claimed = [...first.due, ...second.due];
    expect(claimed).toEqual([{ id: 'b', route: 'quote', deadline: now + 1_000, timedOutAt: now + 1_000, reason: 'sweeper' }]);
    expect(await registry.complete('b', result, now + 2_000)).toBe('late');
    expect(await registry.get('b')).toMatchObject({ status: 'timed_out', reason: 'sweeper', lateResults: 1 });
    expect((await registry.get('b'))?.body).toBeUndefined();
    expect(await registry.get('c')).toMatchObject({ status: 'pending' });
  });

  it('re-offers an unpublished timeout record after the claim, and forgets it once published', async () => {
    await registry.admit(request('d'), now);
    expect((await registry.sweep(now + 1_000, 100, 5_000)).due.map((r) => r.id)).toEqual(['d']);
    // The claiming sweeper died before publishing: nobody else sees it until the claim runs out.
    expect((await registry.sweep(now + 2_000, 100, 5_000)).due).toEqual([]);
    expect((await registry.sweep(now + 6_001, 100, 5_000)).due.map((r) => r.id)).toEqual(['d']);
    await registry.published(['d']);
    expect((await registry.sweep(now + 20_000, 100, 5_000)).due).toEqual([]);
    expect(await registry.sizes()).toEqual({ pending: 0, outbox: 0 });
  });

  it('lets the caller\'s gateway expire a request, unless the result came first', async () => {
    await registry.admit(request('e'), now);
    await registry.admit(request('f'), now);
    await registry.complete('f', result, now + 500);
    expect(await registry.expire('e', now + 1_000)).toMatchObject({ status: 'timed_out', reason: 'gateway' });
    expect(await registry.expire('f', now + 1_000)).toMatchObject({ status: 'succeeded', body: '{"ok":true}' });
    expect(await registry.expire('missing', now + 1_000)).toBeUndefined();
    // The gateway's timeout still goes to Kafka through the sweepers' outbox.
    expect((await registry.sweep(now + 1_000, 100, 5_000)).due).toEqual([
      { id: 'e', route: 'quote', deadline: now + 1_000, timedOutAt: now + 1_000, reason: 'gateway' },
    ]);
  });

  it('binds an idempotency key to its first request and body', async () => {
    const idempotency = { key: 'order-7', fingerprint: 'fp-1' };
    expect(await registry.admit(request('g', { idempotency }), now)).toEqual({ kind: 'new' });
    expect(await registry.admit(request('h', { idempotency }), now)).toEqual({ kind: 'replay', id: 'g' });
    expect(await registry.admit(request('i', { idempotency: { ...idempotency, fingerprint: 'fp-2' } }), now)).toEqual({ kind: 'conflict', id: 'g' });
    expect(await registry.get('h')).toBeUndefined();
  });

  it('forgets a request Kafka never took, so a retry with its key is processed', async () => {
    const idempotency = { key: 'order-8', fingerprint: 'fp' };
    await registry.admit(request('j', { idempotency }), now);
    await registry.forget('j', { key: 'order-8' });
    expect(await registry.get('j')).toBeUndefined();
    expect(await registry.admit(request('k', { idempotency }), now)).toEqual({ kind: 'new' });
    expect(await registry.sizes()).toEqual({ pending: 1, outbox: 0 });
  });

  it('scopes idempotency keys per caller: the same key of two callers (and the anonymous one) are three requests', async () => {
    const idempotency = { key: 'order-1', fingerprint: 'fp-a' };
    expect(await registry.admit(request('ada-1', { idempotency, callerId: 'ada' }), now)).toEqual({ kind: 'new' });
    expect(await registry.admit(request('bob-1', { idempotency: { ...idempotency, fingerprint: 'fp-b' }, callerId: 'bob' }), now)).toEqual({ kind: 'new' });
    expect(await registry.admit(request('anon-1', { idempotency }), now)).toEqual({ kind: 'new' });
    // A caller id that ends like another's scope cannot reach it.
    expect(await registry.admit(request('trick-1', { idempotency: { key: 'ada:order-1', fingerprint: 'fp-a' }, callerId: '3' }), now)).toEqual({ kind: 'new' });
    expect(await registry.admit(request('ada-2', { idempotency, callerId: 'ada' }), now)).toEqual({ kind: 'replay', id: 'ada-1' });
    expect(await registry.admit(request('bob-2', { idempotency, callerId: 'bob' }), now)).toEqual({ kind: 'conflict', id: 'bob-1' });
    await registry.forget('bob-1', { key: 'order-1', callerId: 'bob' });
    expect(await registry.admit(request('ada-3', { idempotency, callerId: 'ada' }), now)).toEqual({ kind: 'replay', id: 'ada-1' });
    expect(await registry.get('ada-1')).toMatchObject({ callerId: 'ada' });
    expect((await registry.get('anon-1'))?.callerId).toBeUndefined();
  });

  it('finds a request by its handle, for as long as its result is kept, and not after a forget', async () => {
    await registry.admit(request('h-1', { handle: 'handle-one' }), now);
    expect(await registry.getByHandle('handle-one')).toMatchObject({ id: 'h-1', status: 'pending' });
    expect(await registry.getByHandle('h-1')).toBeUndefined();
    expect(await registry.complete('h-1', result, now)).toBe('recorded');
    const ttl = await redis.ttl(`${(registry as unknown as { options: { prefix: string } }).options.prefix}handle:handle-one`);
    expect(ttl).toBeGreaterThan(50); // the result's 60 s, like the request's hash
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await registry.getByHandle('handle-one')).toMatchObject({ id: 'h-1', status: 'succeeded' });

    await registry.admit(request('h-2', { handle: 'handle-two' }), now);
    await registry.forget('h-2');
    expect(await registry.getByHandle('handle-two')).toBeUndefined();
  });
});
