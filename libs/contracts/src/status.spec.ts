import { decodeStatus, encodeStatus, GatewayStatus, STATUS_VERSION, statusKey } from './status';

const gateway: GatewayStatus = {
  v: STATUS_VERSION, app: 'gateway', instance: 'g-1', startedAt: 1, updatedAt: 2, bounds: [0.1, 1],
  requests: {}, durations: {}, inflight: 0, inflightLimit: 10, rejections: {}, timeouts: {}, replyPartition: 0,
};

describe('status records', () => {
  it('are keyed by app and instance', () => {
    expect(statusKey('processor', 'pod-7')).toBe('processor/pod-7');
  });
  it('decode what encodeStatus wrote; a tombstone is null', () => {
    expect(decodeStatus('gateway/g-1', encodeStatus(gateway))).toEqual(gateway);
    expect(decodeStatus('gateway/g-1', null)).toBeNull();
    expect(decodeStatus('gateway/g-1', Buffer.alloc(0))).toBeNull();
  });
  it('refuse records of another version, app or key, and broken ones', () => {
    expect(() => decodeStatus('gateway/g-1', JSON.stringify({ ...gateway, v: 2 }))).toThrow(/version 2/);
    expect(() => decodeStatus('gateway/g-1', JSON.stringify({ ...gateway, app: 'sweeper' }))).toThrow(/unknown app/);
    expect(() => decodeStatus('gateway/other', encodeStatus(gateway))).toThrow(/names instance/);
    expect(() => decodeStatus('gateway/g-1', '{')).toThrow(/not JSON/);
    expect(() => decodeStatus('processor/g-1', JSON.stringify({ ...gateway, app: 'processor' }))).toThrow(/lacks jobs/);
  });
});
