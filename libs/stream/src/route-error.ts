import { ProblemKind } from '@flowgate/contracts';

/**
 * An expected failure a handler reports to the caller with a status of its choice (bad input,
 * say). Unlike any other throw, it is not a bug: no dead letter, no error log.
 */
export class RouteError extends Error {
  constructor(
    readonly problem: ProblemKind,
    message: string,
  ) {
    super(message);
    this.name = 'RouteError';
  }
}

/** A handler's answer with a status other than 200. */
export class RouteReply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}
