import { AccessLogContentType, parseAccessLog } from './access-log-parser';

const now = Date.parse('2024-05-01T15:00:00Z');
const at = (time: string) => Date.parse(`2024-05-01T${time}Z`);
const parse = (text: string, contentType: AccessLogContentType = 'text/plain', nowMs = now) =>
  parseAccessLog({ body: Buffer.from(text), contentType, now: nowMs });
const text = (...lines: string[]) => parse(lines.join('\n'));
const ndjson = (...lines: string[]) => parse(lines.join('\n'), 'application/x-ndjson');
/** The reason a one-line body was refused. */
const reasonFor = (line: string, contentType: AccessLogContentType = 'text/plain') => {
  const { events, errors, badLines } = parse(line, contentType);
  expect({ events, badLines }).toEqual({ events: [], badLines: 1 });
  return errors[0]?.reason;
};

describe('parseAccessLog, text/plain', () => {
  it('reads HH:mm:ss IP lines as times of the current UTC day', () => {
    expect(text('14:03:07 192.168.0.12', '00:00:00 10.0.0.1', '23:59:59 ::1')).toEqual({
      events: [
        { ts: at('14:03:07'), ip: '192.168.0.12' },
        { ts: at('00:00:00'), ip: '10.0.0.1' },
        { ts: at('23:59:59'), ip: '::1' },
      ],
      errors: [],
      badLines: 0,
    });
  });

  it('accepts runs of spaces and tabs around and between the fields', () => {
    expect(text('14:03:07 \t  192.168.0.12', '\t14:03:08\t192.168.0.13  ', ' 14:03:09 192.168.0.14\t').events.map((e) => e.ip)).toEqual([
      '192.168.0.12', '192.168.0.13', '192.168.0.14',
    ]);
  });

  it('accepts CRLF, skips blank lines and still numbers lines as the client sees them', () => {
    const result = parse('14:03:07 192.168.0.12\r\n\r\n   \r\n\t\n25:00:00 192.168.0.12\r\n14:03:08 192.168.0.13\r\n');
    expect(result.events).toEqual([{ ts: at('14:03:07'), ip: '192.168.0.12' }, { ts: at('14:03:08'), ip: '192.168.0.13' }]);
    expect(result.errors).toEqual([{ line: 5, reason: expect.stringMatching(/out of range/) }]);
  });

  it('returns nothing, and no error, for an empty body', () => {
    expect(parse('')).toEqual({ events: [], errors: [], badLines: 0 });
  });

  it('ignores a byte order mark before the first line', () => {
    expect(text('\uFEFF14:03:07 192.168.0.12').events).toEqual([{ ts: at('14:03:07'), ip: '192.168.0.12' }]);
  });

  it.each([
    ['24:00:00 1.2.3.4', /out of range/],
    ['14:60:00 1.2.3.4', /out of range/],
    ['14:03:60 1.2.3.4', /out of range/],
    ['7:03:07 1.2.3.4', /not HH:mm:ss/],
    ['14:03:7 1.2.3.4', /not HH:mm:ss/],
    ['140:03:07 1.2.3.4', /not HH:mm:ss/],
    ['14-03-07 1.2.3.4', /not HH:mm:ss/],
    ['１４:03:07 1.2.3.4', /not HH:mm:ss/],
    ['14:03:07', /got 1 field$/],
    ['14:03:07 1.2.3.4 extra', /got 3 fields/],
    ['14:03:07\u00a01.2.3.4', /got 1 field$/],
  ])('refuses the bad time or shape in %p', (line, reason) => expect(reasonFor(line)).toMatch(reason));

  it('takes a time after now on the current day, not yesterday (see parseTextLine)', () => {
    const justAfterMidnight = Date.parse('2024-05-01T00:00:05Z');
    const { events } = parse('23:59:59 192.168.0.12', 'text/plain', justAfterMidnight);
    expect(events).toEqual([{ ts: Date.parse('2024-05-01T23:59:59Z'), ip: '192.168.0.12' }]);
    expect(events[0].ts).toBeGreaterThan(justAfterMidnight);
  });
});

describe('parseAccessLog, IP addresses', () => {
  it.each([['0.0.0.0'], ['255.255.255.255'], ['10.0.0.1'], ['::'], ['::1'], ['2001:db8::1'], ['FE80::1'], ['::ffff:192.168.0.1']])(
    'accepts %p',
    (ip) => expect(text(`14:03:07 ${ip}`).events).toEqual([{ ts: at('14:03:07'), ip }]),
  );

  it.each([
    ['256.1.1.1', /not an IPv4 address/],
    ['01.2.3.4', /not an IPv4 address/],
    ['1.2.3.00', /not an IPv4 address/],
    ['1.2.3', /not an IPv4 address/],
    ['1.2.3.4.5', /not an IPv4 address/],
    ['1..3.4', /not an IPv4 address/],
    ['2001:db8::g', /not an IPv6 address/],
    ['1:2:3:4:5:6:7:8:9', /not an IPv6 address/],
    ['::ffff:01.2.3.4', /not an IPv6 address/],
    ['fe80::1%eth0', /zone id/],
    ['[::1]', /not an IPv6 address/],
    ['localhost', /not an IP address/],
    ['1.2.3.4/24', /not an IP address/],
  ])('refuses %p', (ip, reason) => expect(reasonFor(`14:03:07 ${ip}`)).toMatch(reason));

  it('keeps a long bad value out of the reason', () => {
    const reason = reasonFor(`14:03:07 ${'x'.repeat(900)}`);
    expect(reason.length).toBeLessThan(120);
  });
});

describe('parseAccessLog, application/x-ndjson', () => {
  it('reads one object per line, ignoring other fields, CRLF and blank lines', () => {
    const body = '{"ts": 1714572187000, "ip": "192.168.0.12"}\r\n\r\n{"ip":"::1","ts":0,"path":"/x","extra":{"a":[1]}}\r\n';
    const result = parse(body, 'application/x-ndjson');
    expect(result).toEqual({ events: [{ ts: 1714572187000, ip: '192.168.0.12' }, { ts: 0, ip: '::1' }], errors: [], badLines: 0 });
  });

  it.each([
    ['{"ts": 1, "ip": "1.2.3.4"', /malformed JSON/],
    ["{'ts': 1, 'ip': '1.2.3.4'}", /malformed JSON/],
    ['14:03:07 1.2.3.4', /malformed JSON/],
    ['[1, "1.2.3.4"]', /expected a JSON object, got an array/],
    ['null', /expected a JSON object, got null/],
    ['"1.2.3.4"', /expected a JSON object, got the string/],
    ['{"ip": "1.2.3.4"}', /missing "ts"/],
    ['{"ts": "1714572187000", "ip": "1.2.3.4"}', /"ts" must be .* got the string "1714572187000"/],
    ['{"ts": -1, "ip": "1.2.3.4"}', /"ts" must be/],
    ['{"ts": 1.5, "ip": "1.2.3.4"}', /"ts" must be/],
    ['{"ts": 9007199254740992, "ip": "1.2.3.4"}', /"ts" must be/],
    ['{"ts": null, "ip": "1.2.3.4"}', /"ts" must be .* got null/],
    ['{"ts": 1}', /missing "ip"/],
    ['{"ts": 1, "ip": 16909060}', /"ip" must be a string, got 16909060/],
    ['{"ts": 1, "ip": ["1.2.3.4"]}', /"ip" must be a string, got an array/],
    ['{"ts": 1, "ip": "1.2.3.256"}', /not an IPv4 address/],
  ])('refuses %p', (line, reason) => expect(reasonFor(line, 'application/x-ndjson')).toMatch(reason));

  it('pollutes no prototype with __proto__ keys and copies nothing but ts and ip', () => {
    const { events } = ndjson(
      '{"__proto__": {"polluted": true}, "ts": 1, "ip": "1.2.3.4"}',
      '{"constructor": {"prototype": {"polluted": true}}, "ts": 2, "ip": "1.2.3.4"}',
    );
    expect(events).toEqual([{ ts: 1, ip: '1.2.3.4' }, { ts: 2, ip: '1.2.3.4' }]);
    expect(events.map((e) => Object.keys(e))).toEqual([['ts', 'ip'], ['ts', 'ip']]);
    expect(events.map((e) => Object.getPrototypeOf(e))).toEqual([Object.prototype, Object.prototype]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads only own properties, so an inherited ts does not count', () => {
    const proto = Object.prototype as unknown as Record<string, unknown>;
    proto.ts = 5;
    try {
      expect(reasonFor('{"ip": "1.2.3.4"}', 'application/x-ndjson')).toBe('missing "ts"');
    } finally {
      delete proto.ts;
    }
  });
});

describe('parseAccessLog, bad lines among good ones', () => {
  it('lists the first 10 errors, counts all 25 bad lines and keeps every good line', () => {
    const lines: string[] = [];
    for (let i = 0; i < 25; i += 1) lines.push(`14:03:${String(i).padStart(2, '0')} 10.0.0.1`, `bad line ${i}`);
    const result = text(...lines);
    expect(result.badLines).toBe(25);
    expect(result.errors).toHaveLength(10);
    expect(result.errors.map((e) => e.line)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(result.events).toHaveLength(25);
    expect(result.events[24]).toEqual({ ts: at('14:03:24'), ip: '10.0.0.1' });
  });

  it('mixes good and bad NDJSON lines, in order', () => {
    const result = ndjson(
      '{"ts": 1, "ip": "1.1.1.1"}', '{oops', '{"ts": 2, "ip": "2.2.2.2"}', '{"ts": 3, "ip": "999.1.1.1"}', '{"ts": 4, "ip": "::2"}',
    );
    expect(result.events.map((e) => e.ts)).toEqual([1, 2, 4]);
    expect(result.errors.map((e) => e.line)).toEqual([2, 4]);
    expect(result.badLines).toBe(2);
  });

  it('refuses a line over 1000 characters without parsing it, and reads one of exactly 1000', () => {
    const prefix = '{"ts": 1, "ip": "1.1.1.1", "pad": "';
    const exactly1000 = `${prefix}${'x'.repeat(1000 - prefix.length - 2)}"}`;
    expect(exactly1000).toHaveLength(1000);
    const tooLong = `${exactly1000.slice(0, -2)}x"}`;
    const result = ndjson(exactly1000, tooLong, `${exactly1000}\r`);
    expect(result.events).toHaveLength(2);
    expect(result.errors).toEqual([{ line: 2, reason: 'line is longer than 1000 characters' }]);
    expect(reasonFor(`14:03:07 ${'1'.repeat(1000)}`)).toBe('line is longer than 1000 characters');
  });
});
