import { decodeReplyHeaders, decodeRequestHeaders, encodeReplyHeaders, encodeRequestHeaders, hasRequestHeaders, headerString, headerStrings, ProtocolError, RequestMeta } from './index';

const meta: RequestMeta = {
  requestId: 'req-1',
  route: 'quote',
  deadline: 1_795_000_000_000,
  replyPartition: 3,
  replyMode: 'sync',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};

const asBuffers = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]));

describe('wire envelope', () => {
  it('round-trips request metadata through Kafka-style Buffer headers', () => {
    expect(decodeRequestHeaders(asBuffers(encodeRequestHeaders(meta)))).toEqual(meta);
  });

  it('carries the caller id in fg-caller-id, and nothing for an anonymous request', () => {
    const withCaller = { ...meta, callerId: 'auth0|ada@example.com' };
    expect(encodeRequestHeaders(withCaller)['fg-caller-id']).toBe('auth0|ada@example.com');
    expect(decodeRequestHeaders(asBuffers(encodeRequestHeaders(withCaller)))).toEqual(withCaller);
    expect(Object.keys(encodeRequestHeaders(meta))).not.toContain('fg-caller-id');
  });

  it.each(['sync', 'async'] as const)('round-trips reply metadata (%s)', (replyMode) => {
    const reply = { requestId: 'req-1', status: 201, outcome: 'result' as const, contentType: 'application/json', replyMode };
    expect(decodeReplyHeaders(asBuffers(encodeReplyHeaders(reply)))).toEqual(reply);
  });

  it('round-trips the timing a processor stamps, rounded to whole ms, and ignores malformed timing', () => {
    const reply = { requestId: 'req-2', status: 200, outcome: 'result' as const, contentType: 'application/json', replyMode: 'sync' as const };
    expect(decodeReplyHeaders(asBuffers(encodeReplyHeaders({ ...reply, queueMs: 12.4, handleMs: 0.6 })))).toEqual({ ...reply, queueMs: 12, handleMs: 1 });
    const headers = { ...encodeReplyHeaders(reply), 'fg-queue-ms': '-3', 'fg-handle-ms': 'soon' };
    expect(decodeReplyHeaders(asBuffers(headers))).toEqual(reply);
  });

  it('reads a reply without a reply mode as sync (a processor that answers sync requests only)', () => {
    expect(decodeReplyHeaders({ 'fg-request-id': 'a', 'fg-status': '200', 'fg-outcome': 'result' }).replyMode).toBe('sync');
  });

  it.each([
    [{ ...encodeRequestHeaders(meta), 'fg-route': 'No Such/Route' }, /fg-route is not a route name: "No Such\/Route"/],
    [{ ...encodeRequestHeaders(meta), 'fg-deadline': 'soon' }, /fg-deadline is not a non-negative integer/],
    [{ ...encodeRequestHeaders(meta), 'fg-reply-mode': 'maybe' }, /fg-reply-mode must be sync or async/],
    [{ ...encodeRequestHeaders(meta), 'fg-request-id': 'has space' }, /not a valid request id/],
    [{ ...encodeRequestHeaders(meta), 'fg-caller-id': 'line\nbreak' }, /fg-caller-id is not a caller id/],
    [{ ...encodeRequestHeaders(meta), 'fg-caller-id': 'x'.repeat(257) }, /fg-caller-id is not a caller id/],
    [{}, /fg-request-id is missing/],
  ])('names what is wrong with a broken request record (%#)', (headers, message) => {
    expect(() => decodeRequestHeaders(headers)).toThrow(ProtocolError);
    expect(() => decodeRequestHeaders(headers)).toThrow(message);
  });

  it.each([
    ['fg-route', [Buffer.from('quote'), Buffer.from('admin')], /header fg-route appears 2 times/],
    ['fg-reply-partition', ['3', '3'], /header fg-reply-partition appears 2 times/],
    ['fg-caller-id', [Buffer.from('ada'), Buffer.from('bob'), Buffer.from('eve')], /header fg-caller-id appears 3 times/],
    ['fg-caller-id', Buffer.from([0x61, 0xff, 0xfe]), /header fg-caller-id is not UTF-8/],
    ['fg-route', Buffer.from([0xc3, 0x28]), /header fg-route is not UTF-8/],
  ])('refuses %s repeated or not UTF-8 (%#): which value would count is ambiguous', (name, value, message) => {
    const headers = { ...asBuffers(encodeRequestHeaders(meta)), [name]: value };
    expect(() => decodeRequestHeaders(headers)).toThrow(ProtocolError);
    expect(() => decodeRequestHeaders(headers)).toThrow(message);
  });

  it('reads UTF-8 beyond ASCII, and a header given once as a one-element array', () => {
    const headers = { ...asBuffers(encodeRequestHeaders(meta)), 'fg-caller-id': Buffer.from('zoë@example.com'), 'fg-route': [Buffer.from('quote')] };
    expect(decodeRequestHeaders(headers)).toEqual({ ...meta, callerId: 'zoë@example.com' });
  });

  it('reads a header whose value is null on the wire (as kafkajs hands it over) as missing, without throwing', () => {
    const headers = { ...asBuffers(encodeRequestHeaders(meta)), 'fg-route': null, traceparent: null };
    expect(() => decodeRequestHeaders(headers)).toThrow(/header fg-route is missing/);
    expect(headerString(headers, 'fg-route')).toBeUndefined();
    expect(headerStrings({ a: null, b: [null, 'x'], c: 'y' })).toEqual({ c: 'y' });
    expect(hasRequestHeaders({ 'fg-route': null })).toBe(true);
  });

  it('tells a request from a plain event by any request header, so a request missing fg-route is still a request', () => {
    const { 'fg-route': _route, ...withoutRoute } = encodeRequestHeaders(meta);
    expect(hasRequestHeaders(asBuffers(withoutRoute))).toBe(true);
    expect(hasRequestHeaders({ 'fg-deadline': Buffer.from('1') })).toBe(true);
    expect(hasRequestHeaders({ traceparent: meta.traceparent })).toBe(false);
    expect(hasRequestHeaders({})).toBe(false);
    expect(hasRequestHeaders(undefined)).toBe(false);
  });

  it('refuses a reply whose status is not an HTTP status', () => {
    expect(() => decodeReplyHeaders({ 'fg-request-id': 'a', 'fg-status': '999', 'fg-outcome': 'result' })).toThrow(/HTTP status/);
  });
});
