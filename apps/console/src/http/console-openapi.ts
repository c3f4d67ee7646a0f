type Document = Record<string, unknown>;

const ERROR = { type: 'object', required: ['error'], properties: { error: { type: 'string' } } };
const json = (description: string, schema: unknown) => ({ description, content: { 'application/json': { schema } } });
const unauthorized = { '401': { ...json('No admin token or session cookie, or a wrong one.', { $ref: '#/components/schemas/Error' }), headers: { 'WWW-Authenticate': { schema: { type: 'string' } } } } };
const query = (name: string, description: string) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } });
const REPORT = { type: 'object', required: ['ready', 'checks'], properties: { ready: { type: 'boolean' }, checks: { type: 'object', additionalProperties: { type: 'boolean' } } } };

/**
 * The console's HTTP API as OpenAPI 3.1 (`GET /openapi.json` on the console's port, behind the
 * admin token or a session cookie like the rest of its API). The live stream (`/api/stream`,
 * server-sent events) is listed for completeness; it never ends, so a fuzzer leaves it out.
 */
export function consoleOpenApiDocument(): Document {
  const security = [{ adminToken: [] }, { session: [] }];
  return {
    openapi: '3.1.0',
    info: { title: 'flowgate console', version: '1', description: 'The live DAG console: its page, and the API the page reads (current view, live stream, node history, dead letters).' },
    security,
    paths: {
      '/openapi.json': { get: { operationId: 'consoleOpenApi', summary: 'This document.', responses: { '200': json('The document.', { type: 'object' }), ...unauthorized } } },
      '/api/session': {
        post: {
          operationId: 'signIn',
          security: [],
          summary: 'Exchanges the admin token for a session cookie (HttpOnly, SameSite=Strict, 8 h).',
          requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { token: { type: 'string' } } } } } },
          responses: {
            '204': { description: 'Signed in (Set-Cookie), or a console without a token (loopback).' },
            '400': json('The body is not JSON.', { type: 'object' }),
            ...unauthorized,
            '415': json('A body that is not application/json.', { type: 'object' }),
          },
        },
        delete: { operationId: 'signOut', security: [], summary: 'Ends the session and clears the cookie.', responses: { '204': { description: 'Signed out.' } } },
      },
      '/api/view': {
        get: {
          operationId: 'view',
          summary: 'What the page draws now: processors, gateways, every job\'s DAG with its figures, scripts.',
          responses: {
            '200': json('The view.', { type: 'object', required: ['at', 'processors', 'gateways', 'jobs', 'scripts'], properties: { at: { type: 'number' }, processors: { type: 'array' }, gateways: { type: 'array' }, jobs: { type: 'array' }, scripts: { type: 'array' } } }),
            ...unauthorized,
          },
        },
      },
      '/api/stream': {
        get: {
          operationId: 'stream',
          summary: 'The view as server-sent events, one per change (never ends).',
          responses: { '200': { description: 'An event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...unauthorized },
        },
      },
      '/api/history': {
        get: {
          operationId: 'history',
          summary: 'A node\'s recent figures (empty for a job or node the console has not seen).',
          parameters: [query('job', 'The job\'s name.'), query('node', 'The node\'s name.')],
          responses: {
            '200': json('The points, oldest first.', { type: 'object', required: ['points'], properties: { job: { type: 'string' }, node: { type: 'string' }, points: { type: 'array', items: { type: 'object' } } } }),
            ...unauthorized,
          },
        },
      },
      '/api/dead-letters': {
        get: {
          operationId: 'deadLetters',
          summary: 'A job\'s recent dead letters with their reasons (empty for an unknown job).',
          parameters: [query('job', 'The job\'s name.')],
          responses: {
            '200': json('The dead letters, newest first.', { type: 'object', required: ['deadLetters'], properties: { job: { type: 'string' }, deadLetters: { type: 'array', items: { type: 'object' } } } }),
            ...unauthorized,
          },
        },
      },
      '/healthz': { get: { operationId: 'healthz', security: [], summary: 'Liveness.', responses: { '200': json('Alive.', { type: 'object', properties: { status: { const: 'ok' } } }) } } },
      '/readyz': { get: { operationId: 'readyz', security: [], summary: 'Readiness: Kafka connected, topics read.', responses: { '200': json('Ready.', REPORT), '503': json('Not ready; the failing checks.', REPORT) } } },
    },
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'FLOWGATE_ADMIN_TOKEN.' },
        session: { type: 'apiKey', in: 'cookie', name: 'fg_console' },
      },
      schemas: { Error: ERROR },
    },
  };
}
