import { request as httpRequest } from 'node:http';
import { createRegistry } from '@flowgate/metrics';
import { AdminBodyTooLargeError, AdminServer } from './admin-server';
import { Readiness } from './readiness.service';

/** One request over a fresh connection: status, headers and body as text. */
function call(port: number, method: string, path: string, body?: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('AdminServer', () => {
  const server = new AdminServer({ registry: createRegistry('admin-server-spec'), readiness: new Readiness() });
  let port: number;
  const seen: { method: string; path: string; query: string; body: string }[] = [];

  beforeAll(async () => {
    server.mount('/admin/v1', {
      maxBodyBytes: 16,
      handle: async (request) => {
        try {
          const body = request.method === 'GET' ? '' : (await request.readBody()).toString();
          seen.push({ method: request.method, path: request.path, query: request.query.toString(), body });
          return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: true }) };
        } catch (error) {
          if (error instanceof AdminBodyTooLargeError) return { status: 413, body: error.message };
          throw error;
        }
      },
    });
    port = await server.listen(0, '127.0.0.1');
  });
  afterAll(() => server.close());

  it('hands every method under a mounted prefix to its handler, with the body and the query', async () => {
    expect((await call(port, 'PUT', '/admin/v1/scripts/x?dry=1', '{"a":1}')).status).toBe(200);
    expect((await call(port, 'DELETE', '/admin/v1/scripts/x')).status).toBe(200);
    expect((await call(port, 'GET', '/admin/v1')).status).toBe(200);
    expect(seen).toEqual([
      { method: 'PUT', path: '/admin/v1/scripts/x', query: 'dry=1', body: '{"a":1}' },
      { method: 'DELETE', path: '/admin/v1/scripts/x', query: '', body: '' },
      { method: 'GET', path: '/admin/v1', query: '', body: '' },
    ]);
  });

  it('refuses a body over the bound, declared or streamed, and closes that connection', async () => {
    const declared = await call(port, 'PUT', '/admin/v1/x', 'x'.repeat(17));
    expect(declared).toMatchObject({ status: 413, text: 'body is larger than 16 bytes' });
    expect(declared.headers.connection).toBe('close');
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/admin/v1/x', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.write('x'.repeat(10));
      req.write('x'.repeat(10));
      req.end();
    });
    expect(streamed).toBe(413);
  });

  it('keeps its own endpoints, and answers 404 whatever the method for paths nothing serves', async () => {
    expect((await call(port, 'GET', '/healthz')).text).toBe('{"status":"ok"}');
    expect((await call(port, 'GET', '/metrics')).status).toBe(200);
    expect((await call(port, 'POST', '/metrics')).status).toBe(405);
    expect((await call(port, 'POST', '/admin/v2/scripts')).status).toBe(404);
    expect((await call(port, 'GET', '/admin/v10')).status).toBe(404);
  });

  it('cannot mount over its own endpoints', () => {
    expect(() => server.mount('/metrics', { maxBodyBytes: 1, handle: async () => ({ status: 200 }) })).toThrow('cannot mount /metrics on the admin port');
  });
});
