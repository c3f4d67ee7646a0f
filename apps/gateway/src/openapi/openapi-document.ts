import { JsonSchema, PROBLEMS, ProblemKind, RouteDeclaration } from '@flowgate/contracts';

/** What the document is generated from: the routes served now and the gateway's own limits. */
export interface OpenApiInput {
  readonly routes: readonly RouteDeclaration[];
  /** The route `POST /event` serves, if any. */
  readonly eventRoute?: RouteDeclaration;
  readonly defaultTimeoutMs: number;
  readonly maxTimeoutMs: number;
  readonly maxBodyBytes: number;
  /** FLOWGATE_AUTH other than none: how callers authenticate. */
  readonly auth?: { readonly mode: 'api-key' | 'jwt'; readonly header: string };
}

type Document = Record<string, unknown>;

/** Problems a route call can answer, besides what its own job answers. */
const ROUTE_PROBLEMS: readonly ProblemKind[] = [
  'badBody', 'badHeader', 'malformedJson', 'notAnObject', 'forbiddenKey', 'unknownRoute', 'duplicateRequestId', 'bodyTooLarge',
  'unsupportedMediaType', 'idempotencyConflict', 'handlerFailed', 'overloaded', 'deadlineUnreachable', 'kafkaUnavailable', 'shuttingDown',
  'registryUnavailable', 'timeout',
];

const HEADER_PARAMETERS = {
  RequestId: {
    name: 'X-Request-Id', in: 'header', required: false,
    description: 'Your id for the request (1 to 128 of A-Z a-z 0-9 . _ : -); generated when absent, echoed on the response.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' },
  },
  TimeoutMs: {
    name: 'X-Timeout-Ms', in: 'header', required: false,
    description: 'Deadline in milliseconds from now (default and maximum per route); past it the answer is 504.',
    schema: { type: 'integer', minimum: 1 },
  },
  Prefer: {
    name: 'Prefer', in: 'header', required: false,
    description: '`respond-async`: answer 202 at once with a Location to poll; `respond-async, wait=N`: wait up to N s for the result first.',
    schema: { type: 'string' },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key', in: 'header', required: false,
    description: 'A retry with the same key and body is answered with the first outcome instead of running again.',
    schema: { type: 'string', maxLength: 256 },
  },
  Traceparent: {
    name: 'traceparent', in: 'header', required: false,
    description: 'W3C trace context, passed to the processor untouched.',
    schema: { type: 'string' },
  },
};

export const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', description: 'Stable URN to switch on, e.g. urn:flowgate:problem:bad-body.' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      description: 'Schema violations of the body (400 bad-body from a route schema), at most 20.',
      items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const REQUEST_STATUS_SCHEMA = {
  type: 'object',
  required: ['id', 'route', 'status', 'createdAt', 'deadline'],
  properties: {
    id: { type: 'string' },
    route: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'done', 'timed_out'] },
    createdAt: { type: 'string', format: 'date-time' },
    deadline: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    statusCode: { type: 'integer', description: 'The HTTP status of the outcome.' },
    result: { description: 'The outcome\'s body (the processor\'s reply or a problem).' },
    lateResults: { type: 'integer' },
  },
};

/**
 * The gateway's OpenAPI 3.1 document, generated from the live route catalog: one operation per
 * route with its body and response schemas and limits, the headers flowgate reads, every problem
 * it can answer, and the gateway's own endpoints.
 */
export function openApiDocument(input: OpenApiInput): Document {
  const paths: Record<string, Document> = {};
  const unauthorized = input.auth ? problemResponses(['unauthorized']) : {};
  for (const route of input.routes) paths[`/v1/${route.name}`] = { post: routeOperation(route, input, 'v1') };
  if (input.eventRoute) paths['/event'] = { post: routeOperation(input.eventRoute, input, 'event') };
  paths['/v1/requests/{id}'] = {
    get: {
      operationId: 'getRequest',
      summary: 'The status and, once done, the outcome of an async request (where a 202 points).',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '200': { description: 'Known request; pending ones carry Retry-After.', content: { 'application/json': { schema: REQUEST_STATUS_SCHEMA } } },
        ...problemResponses(['unknownRequest', 'registryUnavailable']),
        ...unauthorized,
      },
    },
  };
  for (const path of Object.keys(paths).filter((p) => p !== '/v1/requests/{id}')) Object.assign((paths[path] as { post: Document }).post.responses as Document, unauthorized);
  // The probes need no credential.
  const open = input.auth ? { security: [] } : {};
  paths['/healthz'] = { get: { operationId: 'healthz', ...open, summary: 'Liveness: the process answers.', responses: { '200': { description: 'Alive.' } } } };
  paths['/readyz'] = {
    get: {
      operationId: 'readyz',
      ...open,
      summary: 'Readiness: Kafka connected, route catalog read, reply partition owned.',
      responses: { '200': { description: 'Ready.' }, '503': { description: 'Not ready; the body names the failing checks.' } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'flowgate gateway',
      version: '1',
      description: 'Synchronous HTTP calls served by stream-processor jobs over Kafka. Routes come from the live route catalog.',
    },
    paths,
    ...(input.auth ? { security: [{ caller: [] }] } : {}),
    components: {
      schemas: { Problem: PROBLEM_SCHEMA },
      parameters: HEADER_PARAMETERS,
      ...(input.auth ? { securitySchemes: { caller: securityScheme(input.auth) } } : {}),
    },
  };
}

function routeOperation(route: RouteDeclaration, input: OpenApiInput, style: 'v1' | 'event'): Document {
  const maxTimeoutMs = Math.min(route.maxTimeoutMs ?? Infinity, input.maxTimeoutMs);
  const maxBodyBytes = Math.min(route.maxBodyBytes ?? Infinity, input.maxBodyBytes);
  const refs = style === 'v1' ? Object.keys(HEADER_PARAMETERS) : ['RequestId', 'TimeoutMs', 'Traceparent'];
  const parameters = refs.map((name) => ({ $ref: `#/components/parameters/${name}` }));
  const response = style === 'event'
    ? { type: 'object', description: 'The seed server\'s envelope.', properties: { code: { type: 'integer' }, msg: { type: 'string' }, data: route.responseSchema ?? {} } }
    : (route.responseSchema ?? {});
  return {
    operationId: style === 'v1' ? operationId(route.name) : 'postEvent',
    summary: style === 'v1' ? route.summary : `The seed-compatible endpoint, served by route ${route.name}: ${route.summary}`,
    description: `Deadline ${Math.min(route.defaultTimeoutMs ?? input.defaultTimeoutMs, maxTimeoutMs)} ms unless X-Timeout-Ms asks for another, up to ${maxTimeoutMs} ms; bodies up to ${maxBodyBytes} bytes.`,
    parameters,
    requestBody: { required: true, content: { 'application/json': { schema: requestSchema(route) } } },
    responses: {
      '200': { description: 'The job\'s reply.', content: { 'application/json': { schema: response } } },
      ...(style === 'v1'
        ? {
          '202': {
            description: 'Accepted (Prefer: respond-async): poll the Location.',
            headers: { Location: { schema: { type: 'string' } } },
            content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' }, location: { type: 'string' } } } } },
          },
          '204': { description: 'The job had nothing to answer.' },
        }
        : { '408': { description: 'The seed\'s timeout answer: {"code":408,"msg":"408 Request Timeout"}.' } }),
      ...problemResponses(ROUTE_PROBLEMS),
    },
  };
}

function securityScheme(auth: NonNullable<OpenApiInput['auth']>): Document {
  if (auth.mode === 'jwt') return { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' };
  if (auth.header === 'authorization') return { type: 'http', scheme: 'bearer', description: 'An API key.' };
  return { type: 'apiKey', in: 'header', name: auth.header };
}

/** The body schema, with the required key fields added (the gateway checks both). */
function requestSchema(route: RouteDeclaration): JsonSchema {
  const base = route.bodySchema ?? { type: 'object' };
  if (!route.requiredFields?.length) return base;
  const keyFields = { type: 'object', required: [...route.requiredFields], properties: Object.fromEntries(route.requiredFields.map((f) => [f, { type: ['string', 'number'] }])) };
  return typeof base === 'boolean' || route.bodySchema === undefined ? keyFields : { allOf: [base, keyFields] };
}

/** One response per status (problems of one status share it), each a problem+json. */
function problemResponses(kinds: readonly ProblemKind[]): Record<string, Document> {
  const byStatus = new Map<number, string[]>();
  for (const kind of kinds) byStatus.set(PROBLEMS[kind].status, [...(byStatus.get(PROBLEMS[kind].status) ?? []), PROBLEMS[kind].title]);
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, titles]) => [
      String(status),
      { description: titles.join('; '), content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
    ]),
  );
}

/** `order-quote` → `postOrderQuote`: operation ids client generators turn into method names. */
function operationId(route: string): string {
  return `post${route.split(/[.-]/).filter(Boolean).map((part) => part[0].toUpperCase() + part.slice(1)).join('')}`;
}
