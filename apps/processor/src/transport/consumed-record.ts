import { parse as secureParse } from 'secure-json-parse';
import { ProtocolError, utf8Text, WireHeaders } from '@flowgate/contracts';
import type { OutgoingRecord } from '@flowgate/kafka';

type WritableHeaders = NonNullable<OutgoingRecord['headers']>;

/**
 * The JSON object a request or event record carries: what the gateway writes, and what every job
 * is written against. Bytes that are not UTF-8 are refused, not decoded with replacement
 * characters: inside a JSON string those would make a different, valid-looking body. Keys named
 * `__proto__` or `constructor.prototype` are refused, as the gateway refuses them in HTTP bodies:
 * a record written straight to Kafka must not get past a job's checks that way.
 *
 * @example
 * recordObject(Buffer.from('{"key":"k"}')); // { key: 'k' }
 * recordObject(Buffer.from('[1,2]'));       // throws ProtocolError: value is not a JSON object (an array)
 * @throws ProtocolError naming what is wrong with the value.
 */
export function recordObject(value: Buffer | null): Record<string, unknown> {
  if (value === null || value.length === 0) throw new ProtocolError('value is empty');
  const text = utf8Text(value, 'value');
  let parsed: unknown;
  try {
    parsed = secureParse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    if (/prototype/i.test((error as Error).message)) {
      throw new ProtocolError('value has a key named __proto__ or constructor.prototype', { cause: error });
    }
    throw new ProtocolError(`value is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ProtocolError(`value is not a JSON object (${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`})`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Consumed headers as kafkajs can write them again. A null value (other clients write one; kafkajs
 * reads it as null) becomes empty: kafkajs cannot write null, and the dead letter would be lost.
 */
export function writableHeaders(headers: WireHeaders | undefined): WritableHeaders {
  const out: WritableHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map((one) => one ?? Buffer.alloc(0)) : (value ?? Buffer.alloc(0));
  }
  return out;
}
