/**
 * RFC 9457 problem details: the body of every error flowgate answers itself.
 * `type` is a stable URN a client can switch on; `title` is the same for every occurrence.
 */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly requestId?: string;
  /** A body that fails its route's schema: every violation found (at most 20). */
  readonly errors?: readonly SchemaViolation[];
}

/** One way a body fails its route's schema: where (a JSON Pointer into the body) and why. */
export interface SchemaViolation {
  readonly path: string;
  readonly message: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const PROBLEMS = {
  malformedJson: { status: 400, title: 'Malformed JSON body' },
  notAnObject: { status: 400, title: 'Body must be a JSON object' },
  forbiddenKey: { status: 400, title: 'Body contains a forbidden key' },
  badHeader: { status: 400, title: 'Invalid request header' },
  badBody: { status: 400, title: 'Invalid request body' },
  malformedRequest: { status: 400, title: 'Malformed HTTP request' },
  unauthorized: { status: 401, title: 'Authentication required' },
  unknownRoute: { status: 404, title: 'Unknown route' },
  notFound: { status: 404, title: 'Not found' },
  unknownRequest: { status: 404, title: 'Unknown request id' },
  methodNotAllowed: { status: 405, title: 'Method not allowed' },
  duplicateRequestId: { status: 409, title: 'Request id already in flight' },
  requestTimeout: { status: 408, title: 'Request not received in time' },
  bodyTooLarge: { status: 413, title: 'Body too large' },
  unsupportedMediaType: { status: 415, title: 'Unsupported media type' },
  idempotencyConflict: { status: 422, title: 'Idempotency key reused with another request' },
  headersTooLarge: { status: 431, title: 'Request headers too large' },
  handlerFailed: { status: 500, title: 'Handler failed' },
  overloaded: { status: 503, title: 'Gateway at capacity' },
  deadlineUnreachable: { status: 503, title: 'Deadline cannot be met' },
  kafkaUnavailable: { status: 503, title: 'Kafka unavailable' },
  shuttingDown: { status: 503, title: 'Gateway shutting down' },
  registryUnavailable: { status: 503, title: 'Request registry unavailable' },
  authUnavailable: { status: 503, title: 'Caller authentication unavailable' },
  timeout: { status: 504, title: 'Deadline exceeded' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof PROBLEMS;

export function problem(kind: ProblemKind, detail?: string, requestId?: string): Problem {
  const { status, title } = PROBLEMS[kind];
  return {
    type: `urn:flowgate:problem:${kebab(kind)}`,
    title,
    status,
    ...(detail === undefined ? {} : { detail }),
    ...(requestId === undefined ? {} : { requestId }),
  };
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
