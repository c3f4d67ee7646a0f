import { ProblemKind } from '@flowgate/contracts';

// Job modules may bundle their own copy of this library: `instanceof` goes by a registered
// symbol, not by class identity, so the runtime recognises errors and replies of any copy.
const ROUTE_ERROR = Symbol.for('flowgate.RouteError');
const ROUTE_REPLY = Symbol.for('flowgate.RouteReply');

function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/**
 * An expected failure a handler reports to the caller with a status of its choice (bad input,
 * say). Unlike any other throw, it is not a bug: no dead letter, no error log.
 */
export class RouteError extends Error {
  readonly [ROUTE_ERROR] = true;

  constructor(
    readonly problem: ProblemKind,
    message: string,
  ) {
    super(message);
    this.name = 'RouteError';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, ROUTE_ERROR);
  }
}

/** A handler's answer with a status other than 200. */
export class RouteReply {
  readonly [ROUTE_REPLY] = true;

  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}

  static [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, ROUTE_REPLY);
  }
}
