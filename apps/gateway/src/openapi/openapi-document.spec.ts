import { openApiDocument } from './openapi-document';

const limits = { defaultTimeoutMs: 10_000, maxTimeoutMs: 60_000, maxBodyBytes: 1_048_576 };
type Operation = { operationId: string; description: string; requestBody: { content: { 'application/json': { schema: unknown } } }; responses: Record<string, { description: string }> };
const operation = (doc: Record<string, unknown>, path: string) => (doc.paths as Record<string, { post: Operation }>)[path].post;

describe('openApiDocument', () => {
  const quote = {
    name: 'order-quote',
    summary: 'Prices an order',
    keyField: 'customer',
    requiredFields: ['customer'],
    bodySchema: { type: 'object', properties: { customer: { type: 'string' } } },
    responseSchema: { type: 'object', properties: { totalCents: { type: 'integer' } } },
    maxTimeoutMs: 30_000,
    maxBodyBytes: 16_384,
  };

  it('has one operation per route, named for client generators, with its limits', () => {
    const doc = openApiDocument({ routes: [quote, { name: 'v2.echo', summary: 'Echo' }], ...limits });
    expect(operation(doc, '/v1/order-quote').operationId).toBe('postOrderQuote');
    expect(operation(doc, '/v1/v2.echo').operationId).toBe('postV2Echo');
    expect(operation(doc, '/v1/order-quote').description).toBe('Deadline 10000 ms unless X-Timeout-Ms asks for another, up to 30000 ms; bodies up to 16384 bytes.');
  });

  it('checks the required key fields next to the body schema, as the gateway does', () => {
    const doc = openApiDocument({ routes: [quote, { name: 'counter', summary: 'Counts', requiredFields: ['key'] }], ...limits });
    expect(operation(doc, '/v1/order-quote').requestBody.content['application/json'].schema).toEqual({
      allOf: [quote.bodySchema, { type: 'object', required: ['customer'], properties: { customer: { type: ['string', 'number'] } } }],
    });
    expect(operation(doc, '/v1/counter').requestBody.content['application/json'].schema).toEqual({
      type: 'object', required: ['key'], properties: { key: { type: ['string', 'number'] } },
    });
  });

  it('lists every problem a route call can answer, one response per status', () => {
    const { responses } = operation(openApiDocument({ routes: [quote], ...limits }), '/v1/order-quote');
    expect(Object.keys(responses)).toEqual(['200', '202', '204', '400', '404', '409', '413', '415', '422', '500', '503', '504']);
    expect(responses['503'].description).toBe('Gateway at capacity; Deadline cannot be met; Kafka unavailable; Gateway shutting down; Request registry unavailable');
  });

  it('documents /event only when a route serves it, and the gateway\'s own endpoints always', () => {
    const without = openApiDocument({ routes: [quote], ...limits });
    expect(Object.keys(without.paths as object)).toEqual(['/v1/order-quote', '/v1/requests/{id}', '/healthz', '/readyz']);
    const withEvent = openApiDocument({ routes: [quote], eventRoute: quote, ...limits });
    expect(operation(withEvent, '/event').operationId).toBe('postEvent');
    expect(operation(withEvent, '/event').responses['408']).toBeDefined();
  });

  it('declares how callers authenticate when FLOWGATE_AUTH asks for it, with the 401 on every call but the probes', () => {
    const open = openApiDocument({ routes: [quote], ...limits });
    expect(open).not.toHaveProperty('security');
    expect(operation(open, '/v1/order-quote').responses['401']).toBeUndefined();

    const doc = openApiDocument({ routes: [quote], eventRoute: quote, ...limits, auth: { mode: 'jwt', header: 'authorization' } });
    expect(doc.security).toEqual([{ caller: [] }]);
    expect((doc.components as { securitySchemes: unknown }).securitySchemes).toEqual({ caller: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } });
    expect(operation(doc, '/v1/order-quote').responses['401'].description).toBe('Authentication required');
    expect(operation(doc, '/event').responses['401']).toBeDefined();
    const paths = doc.paths as Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    expect(paths['/v1/requests/{id}']!.get!.responses['401']).toBeDefined();
    expect(paths['/healthz']!.get!.security).toEqual([]);
    expect(paths['/readyz']!.get!.security).toEqual([]);

    const header = openApiDocument({ routes: [quote], ...limits, auth: { mode: 'api-key', header: 'x-api-key' } });
    expect((header.components as { securitySchemes: unknown }).securitySchemes).toEqual({ caller: { type: 'apiKey', in: 'header', name: 'x-api-key' } });
  });
});
