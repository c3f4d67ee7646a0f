import { parse as secureParse } from 'secure-json-parse';
import { ProblemKind } from '@flowgate/contracts';

/** A request body that is a JSON object: the bytes to forward and the parsed value to read keys from. */
export interface JsonBody {
  readonly raw: Buffer;
  readonly value: Record<string, unknown>;
}

/** A body the gateway refuses before anything reaches Kafka. */
export class BodyError extends Error {
  constructor(
    readonly problem: ProblemKind,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/**
 * Parses and checks a JSON body. `__proto__` keys and `constructor.prototype` are refused, not
 * stripped: a client sending them is either broken or probing, and silently changing its data
 * would be worse.
 */
export function parseJsonBody(raw: Buffer): JsonBody {
  let value: unknown;
  try {
    value = secureParse(raw.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    const message = (error as Error).message;
    if (/prototype/i.test(message)) {
      throw new BodyError('forbiddenKey', 'keys named __proto__ or constructor.prototype are not accepted');
    }
    throw new BodyError('malformedJson', `body is not valid JSON: ${message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BodyError('notAnObject', `body must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  return { raw, value: value as Record<string, unknown> };
}
