import { logLevel } from 'kafkajs';
import { logKafkaEntry, RepeatLimiter } from './kafka-log';

describe('RepeatLimiter', () => {
  let clock = 0;
  const limiter = () => new RepeatLimiter(1_000, 3, () => clock);
  beforeEach(() => {
    clock = 0;
  });

  it('lets the first line through and drops its repeats within the window', () => {
    const l = limiter();
    expect(l.admit('a')).toBe(0);
    clock = 999;
    expect(l.admit('a')).toBeUndefined();
    expect(l.admit('a')).toBeUndefined();
    expect(l.admit('b')).toBe(0);
  });

  it('lets one through per window, counting what it held back', () => {
    const l = limiter();
    l.admit('a');
    l.admit('a');
    l.admit('a');
    clock = 1_000;
    expect(l.admit('a')).toBe(2);
    expect(l.admit('a')).toBeUndefined();
    clock = 5_000;
    expect(l.admit('a')).toBe(1);
  });

  it('forgets every run when it holds too many keys, so memory stays bounded', () => {
    const l = limiter();
    for (const key of ['a', 'b', 'c']) l.admit(key);
    expect(l.admit('d')).toBe(0); // a fourth key clears the table first
    expect(l.admit('a')).toBe(0); // 'a' was forgotten: let through again
  });
});

describe('logKafkaEntry', () => {
  it('writes one JSON line without the socket stack kafkajs attaches to connection errors', () => {
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
    try {
      logKafkaEntry({
        namespace: 'Connection',
        level: logLevel.ERROR,
        label: 'ERROR',
        log: { timestamp: 'now', logger: 'kafkajs', message: 'Connection error: self-signed certificate in certificate chain', broker: '127.0.0.1:9093', stack: 'Error: self-signed\n    at TLSSocket.onConnectSecure' },
      });
    } finally {
      spy.mockRestore();
    }
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { level: 'error', logger: 'kafkajs.Connection', message: 'Connection error: self-signed certificate in certificate chain', broker: '127.0.0.1:9093' },
    ]);
  });
});
