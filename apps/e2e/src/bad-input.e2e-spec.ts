import { request as httpRequest } from 'node:http';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { HttpResult, post } from './support/http';
import { KafkaRecords } from './support/kafka-records';

const MAX_BODY_BYTES = 1_024;
const MAX_TIMEOUT_MS = 60_000;

/**
 * Bad input is refused by the gateway itself, as problem+json carrying the request id, and never
 * reaches Kafka.
 */
describe('gateway refuses bad input before Kafka', () => {
  const cluster = new Cluster('bad-input');
  const kafka = new KafkaRecords('bad-input');
  const requestsTopic = `${cluster.prefix}requests`;
  let gateway: AppProcess;
  let requestsBefore: number;
  /** Good requests sent among the bad ones (they must be the only writes). */
  let goodSent = 0;

  beforeAll(async () => {
    await cluster.start('processor');
    gateway = await cluster.start('gateway', {
      FLOWGATE_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      FLOWGATE_MAX_TIMEOUT_MS: String(MAX_TIMEOUT_MS),
    });
    // One good request first: proves the path works, so "nothing was written" below means something.
    const warm = await post(`${gateway.url}/v1/echo`, { warm: true });
    expect(warm.status).toBe(200);
    requestsBefore = await kafka.highWatermarkSum(requestsTopic);
    expect(requestsBefore).toBeGreaterThanOrEqual(1);
  });
  afterAll(async () => {
    await kafka.close();
    await cluster.stopAll();
  });

  const echo = () => `${gateway.url}/v1/echo`;

  describe('refusals (none of them may be forwarded)', () => {
    it('malformed JSON -> 400', async () => {
      const res = await post(echo(), '{"a":', { 'x-request-id': 'bad-json-1' });
      expectProblem(res, 400);
      expect(res.headers.get('x-request-id')).toBe('bad-json-1');
      expect(res.json!.type).toBe('urn:flowgate:problem:malformed-json');
    });

    it.each([
      ['an array', '[1,2,3]'],
      ['a string', '"just a string"'],
      ['a number', '42'],
      ['null', 'null'],
    ])('a JSON body that is %s -> 400', async (_what, body) => {
      const res = await post(echo(), body);
      expectProblem(res, 400);
      expect(res.json!.type).toBe('urn:flowgate:problem:not-an-object');
    });

    it('unknown route /v1/nope -> 404', async () => {
      const res = await post(`${gateway.url}/v1/nope`, { a: 1 }, { 'x-request-id': 'nope-1' });
      expectProblem(res, 404);
      expect(res.headers.get('x-request-id')).toBe('nope-1');
      expect(res.json!.detail).toMatch(/nope/);
    });

    it(`a body over FLOWGATE_MAX_BODY_BYTES (${MAX_BODY_BYTES}) -> 413`, async () => {
      const body = JSON.stringify({ pad: 'x'.repeat(2_048) });
      const res = await post(echo(), body, { 'x-request-id': 'too-big-1' });
      expectProblem(res, 413);
      expect(res.headers.get('x-request-id')).toBe('too-big-1');
    });

    it('content-type text/plain -> 415', async () => {
      const res = await post(echo(), '{"a":1}', { 'content-type': 'text/plain' });
      expectProblem(res, 415);
    });

    it('a body without content-type -> 415', async () => {
      const res = await rawPost(echo(), '{"a":1}', {});
      expectProblem(res, 415);
    });

    it('X-Request-Id with spaces -> 400, answered under a generated id', async () => {
      const bad = 'bad id with spaces';
      const res = await post(echo(), { a: 1 }, { 'x-request-id': bad });
      expectProblem(res, 400);
      const id = res.headers.get('x-request-id');
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.json!.detail).toMatch(/X-Request-Id/);
    });

    it.each(['0', '-1', 'abc', String(MAX_TIMEOUT_MS + 1)])('X-Timeout-Ms %s -> 400', async (timeout) => {
      const res = await post(echo(), { a: 1 }, { 'x-timeout-ms': timeout });
      expectProblem(res, 400);
      expect(res.json!.detail).toMatch(/X-Timeout-Ms/);
    });

    it.each([
      ['__proto__', '{"__proto__":{"polluted":true}}'],
      ['constructor.prototype', '{"a":{"constructor":{"prototype":{"x":1}}}}'],
    ])('a body with %s -> 400, and nothing is polluted', async (_what, body) => {
      const res = await post(echo(), body);
      expectProblem(res, 400);
      expect(res.json!.type).toBe('urn:flowgate:problem:forbidden-key');
      expect(res.json).not.toHaveProperty('polluted');
      expect(res.json).not.toHaveProperty('x');
      goodSent++;
      const after = await post(echo(), { probe: 'pollution' });
      expect(after.status).toBe(200);
      expect(after.json).toMatchObject({ probe: 'pollution', result: 'ok' });
      expect(after.json).not.toHaveProperty('polluted');
      expect(after.json).not.toHaveProperty('x');
      expect(after.text).not.toMatch(/polluted/);
    });

    it('unknown paths outside /v1 -> 404 problem', async () => {
      const res = await post(`${gateway.url}/nope`, { a: 1 });
      expectProblem(res, 404);
    });
  });

  it('wrote nothing to the requests topic for any refused request', async () => {
    // The only writes after the warm-up were the good echo probes of the pollution cases.
    await new Promise((r) => setTimeout(r, 500));
    expect(goodSent).toBe(2);
    expect(await kafka.highWatermarkSum(requestsTopic)).toBe(requestsBefore + goodSent);
  });

  it(`accepts a body of exactly ${MAX_BODY_BYTES} bytes`, async () => {
    const body = `{"pad":"${'x'.repeat(MAX_BODY_BYTES - 10)}"}`;
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    const res = await post(echo(), body);
    expect(res.status).toBe(200);
    expect((res.json as { pad: string }).pad).toHaveLength(MAX_BODY_BYTES - 10);
  });

  it('answers 409 to a request whose id is already in flight', async () => {
    const send = () => post(`${gateway.url}/v1/delay`, { ms: 1_000 }, { 'x-request-id': 'dup-1' });
    const written = await kafka.highWatermarkSum(requestsTopic);
    const results = await Promise.all([send(), send()]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    const conflict = results.find((r) => r.status === 409)!;
    expectProblem(conflict, 409);
    expect(conflict.json!.requestId).toBe('dup-1');
    expect(results.find((r) => r.status === 200)!.json).toMatchObject({ ms: 1_000, result: 'ok' });
    // Only the admitted one was forwarded.
    expect(await kafka.highWatermarkSum(requestsTopic)).toBe(written + 1);
  });
});

function expectProblem(res: HttpResult, status: number): void {
  expect({ status: res.status, text: res.text }).toEqual({ status, text: expect.any(String) });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  expect(res.json).toEqual({
    type: expect.stringMatching(/^urn:flowgate:problem:/),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    requestId,
  });
}

/** A POST with exactly the given headers (fetch would add a content-type of its own). */
function rawPost(url: string, body: string, headers: Record<string, string>): Promise<HttpResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (typeof value === 'string') responseHeaders.set(name, value);
        }
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, text, json, ms: Date.now() - started });
      });
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no response within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}
