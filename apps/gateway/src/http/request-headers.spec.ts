import { parseCallerHeaders } from './request-headers';

const limits = { defaultTimeoutMs: 10_000, asyncTimeoutMs: 30_000, maxTimeoutMs: 60_000 };

describe('parseCallerHeaders', () => {
  it('generates a unique id and uses the default timeout when none is sent', () => {
    const a = parseCallerHeaders({}, limits);
    const b = parseCallerHeaders({}, limits);
    expect(a).toMatchObject({ ok: true, timeoutMs: 10_000 });
    expect(a.requestId).not.toBe(b.requestId);
  });

  it('keeps a valid caller id and timeout', () => {
    expect(parseCallerHeaders({ 'x-request-id': 'order-42', 'x-timeout-ms': '250' }, limits)).toEqual({
      ok: true, requestId: 'order-42', timeoutMs: 250,
    });
  });

  it.each([['0'], ['60001'], ['abc'], ['1.5'], ['-3'], ['']])('refuses X-Timeout-Ms=%p', (value) => {
    expect(parseCallerHeaders({ 'x-timeout-ms': value }, limits)).toMatchObject({ ok: false, detail: expect.stringMatching(/X-Timeout-Ms/) });
  });

  it.each([['has space'], ['a'.repeat(129)], ['-leading-dash'], ['semi;colon']])('refuses X-Request-Id=%p with a fresh id', (value) => {
    const parsed = parseCallerHeaders({ 'x-request-id': value }, limits);
    expect(parsed).toMatchObject({ ok: false, detail: expect.stringMatching(/X-Request-Id/) });
    expect(parsed.requestId).not.toBe(value);
  });

  it('passes a valid traceparent and drops an invalid one', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(parseCallerHeaders({ traceparent: tp }, limits)).toMatchObject({ traceparent: tp });
    expect(parseCallerHeaders({ traceparent: 'junk' }, limits)).not.toHaveProperty('traceparent');
  });

  it('reads Prefer and Idempotency-Key; an async request gets the async default deadline', () => {
    expect(parseCallerHeaders({ prefer: 'respond-async, wait=5', 'idempotency-key': '"k-1"' }, limits)).toMatchObject({
      ok: true, timeoutMs: 30_000, async: { waitMs: 5_000 }, idempotencyKey: 'k-1',
    });
    expect(parseCallerHeaders({ prefer: 'respond-async', 'x-timeout-ms': '500' }, limits)).toMatchObject({ timeoutMs: 500, async: { waitMs: 0 } });
  });

  it.each([
    [{ prefer: 'respond-async, wait=soon' }, /Prefer: wait/],
    [{ 'idempotency-key': '' }, /Idempotency-Key/],
  ])('refuses bad Prefer or Idempotency-Key headers (%#)', (headers, detail) => {
    expect(parseCallerHeaders(headers, limits)).toMatchObject({ ok: false, detail: expect.stringMatching(detail) });
  });
});
