import { isIP } from 'node:net';

/** One access: when (epoch ms) and from which client address. */
export interface AccessEvent {
  readonly ts: number;
  readonly ip: string;
}

/** A line that could not be read, 1-based, and why. */
export interface AccessLogLineError {
  readonly line: number;
  readonly reason: string;
}

export interface ParsedAccessLog {
  readonly events: AccessEvent[];
  /** The first MAX_LISTED_ERRORS bad lines. */
  readonly errors: AccessLogLineError[];
  /** All bad lines, listed or not. */
  readonly badLines: number;
}

/** The upload formats; the caller has already checked the request's media type. */
export type AccessLogContentType = 'text/plain' | 'application/x-ndjson';

/** Longer lines are refused unread, so one huge line cannot make a regex or JSON.parse do unbounded work. */
export const MAX_LINE_LENGTH = 1000;
/** Enough for a client to see what is wrong without the response growing with the upload. */
export const MAX_LISTED_ERRORS = 10;

const DAY_MS = 86_400_000;
const BLANK = /^[ \t]*$/;
const TEXT_TIME = /^(\d{2}):(\d{2}):(\d{2})$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Parses an access-log upload (`POST /v1/ingest/access-log`) line by line. Bad lines are
 * reported and counted, never fatal: the good lines of the same upload are kept.
 *
 * - `text/plain`: `HH:mm:ss IP` per line, a time of the current UTC day of `now`.
 * - `application/x-ndjson`: `{"ts": <epoch ms>, "ip": "<ip>"}` per line, other fields ignored.
 *
 * Blank lines are skipped in both; CRLF line ends are accepted.
 *
 * @example
 * parseAccessLog({ body: Buffer.from('14:03:07 192.168.0.12\n'), contentType: 'text/plain', now: Date.parse('2024-05-01T15:00:00Z') });
 * // { events: [{ ts: Date.parse('2024-05-01T14:03:07Z'), ip: '192.168.0.12' }], errors: [], badLines: 0 }
 */
export function parseAccessLog({ body, contentType, now }: { body: Buffer; contentType: AccessLogContentType; now: number }): ParsedAccessLog {
  if (!Number.isFinite(now)) throw new RangeError(`now must be a finite epoch ms, got ${now}`);
  const parseLine = lineParserFor(contentType, now);
  const events: AccessEvent[] = [];
  const errors: AccessLogLineError[] = [];
  let badLines = 0;
  // A BOM is what some editors put before the first line; it is not part of the data.
  const lines = body.toString('utf8').replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, index) => {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const result =
      text.length > MAX_LINE_LENGTH
        ? { reason: `line is longer than ${MAX_LINE_LENGTH} characters` }
        : BLANK.test(text)
          ? undefined
          : parseLine(text);
    if (result === undefined) return;
    if ('reason' in result) {
      badLines += 1;
      if (errors.length < MAX_LISTED_ERRORS) errors.push({ line: index + 1, reason: result.reason });
    } else {
      events.push(result);
    }
  });
  return { events, errors, badLines };
}

type LineResult = AccessEvent | { readonly reason: string };

function lineParserFor(contentType: AccessLogContentType, now: number): (text: string) => LineResult {
  switch (contentType) {
    case 'text/plain': {
      const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
      return (text) => parseTextLine(text, dayStart);
    }
    case 'application/x-ndjson':
      return parseJsonLine;
    default:
      throw new Error(`unsupported access-log content type ${JSON.stringify(contentType)}`);
  }
}

/**
 * The line carries no date, so its time is taken on the current UTC day, even when that puts it
 * in the future (just after midnight, `23:59:59` is tonight, not last night). Guessing "yesterday"
 * for times ahead of `now` would silently move events by a day whenever the sender's clock is a
 * little ahead of ours; a fixed rule is predictable, and a sender uploading yesterday's log should
 * use NDJSON with full timestamps.
 */
function parseTextLine(text: string, dayStart: number): LineResult {
  const fields = text.replace(/^[ \t]+|[ \t]+$/g, '').split(/[ \t]+/);
  if (fields.length !== 2) return { reason: `expected "HH:mm:ss IP", got ${fields.length} field${fields.length === 1 ? '' : 's'}` };
  const [time, ip] = fields;
  const match = TEXT_TIME.exec(time);
  if (match === null) return { reason: `time ${quote(time)} is not HH:mm:ss with two digits each` };
  const [hours, minutes, seconds] = [match[1], match[2], match[3]].map(Number);
  if (hours > 23 || minutes > 59 || seconds > 59) {
    return { reason: `time ${quote(time)} is out of range (hours 00-23, minutes and seconds 00-59)` };
  }
  const ipProblem = problemWithIp(ip);
  if (ipProblem !== undefined) return { reason: ipProblem };
  return { ts: dayStart + ((hours * 60 + minutes) * 60 + seconds) * 1000, ip };
}

function parseJsonLine(text: string): LineResult {
  let value: unknown;
  try {
    // JSON.parse makes `__proto__` an ordinary own property, and only `ts` and `ip` are read
    // (as own properties) into a fresh object, so nothing from the line reaches a prototype.
    value = JSON.parse(text);
  } catch (error) {
    return { reason: `malformed JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { reason: `expected a JSON object, got ${kindOf(value)}` };
  const ts = Object.hasOwn(value, 'ts') ? (value as Record<string, unknown>).ts : undefined;
  const ip = Object.hasOwn(value, 'ip') ? (value as Record<string, unknown>).ip : undefined;
  if (ts === undefined) return { reason: 'missing "ts"' };
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) {
    return { reason: `"ts" must be a non-negative integer of epoch ms, got ${kindOf(ts)}` };
  }
  if (ip === undefined) return { reason: 'missing "ip"' };
  if (typeof ip !== 'string') return { reason: `"ip" must be a string, got ${kindOf(ip)}` };
  const ipProblem = problemWithIp(ip);
  if (ipProblem !== undefined) return { reason: ipProblem };
  return { ts, ip };
}

/** Why `ip` is not a plain IPv4 or IPv6 address, or undefined when it is one. */
function problemWithIp(ip: string): string | undefined {
  if (IPV4.test(ip)) return undefined;
  if (/^[\d.]+$/.test(ip)) return `${quote(ip)} is not an IPv4 address (four parts 0-255, no leading zeros)`;
  if (ip.includes(':')) {
    // isIP accepts zone ids (`fe80::1%eth0`): an interface name on the sender's host, meaningless here.
    if (ip.includes('%')) return `${quote(ip)} has an IPv6 zone id, which is not accepted`;
    return isIP(ip) === 6 ? undefined : `${quote(ip)} is not an IPv6 address`;
  }
  return `${quote(ip)} is not an IP address`;
}

/** A JSON value for an error message, without echoing a whole object back. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `an ${typeof value}`;
}

/** A value for an error message: escaped, and short whatever the client sent. */
function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
