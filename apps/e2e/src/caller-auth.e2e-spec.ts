import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { keyLine } from './support/credentials';
import { eventually, get, HttpResult, post } from './support/http';
import { KafkaRecords, TopicTail } from './support/kafka-records';

/**
 * FLOWGATE_AUTH=api-key: who may call, who the processor is told is calling, whose results and
 * idempotency keys are whose; and the anonymous mode's guarantees next to it.
 */
describe('caller identity with API keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-keys-'));
  const keysFile = join(dir, 'api-keys');
  const keys = { ada: 'ada-key-0123456789', bob: 'bob-key-9876543210', adaNext: 'ada-key-rotated-42' };
  const cluster = new Cluster('caller-auth', { FLOWGATE_PRODUCE_TIMEOUT_MS: '15000' });
  const kafka = new KafkaRecords('caller-auth');
  const authEnv = { FLOWGATE_AUTH: 'api-key', FLOWGATE_API_KEYS_FILE: keysFile, FLOWGATE_API_KEYS_RELOAD_MS: '200' };
  let gateway: AppProcess;
  let requests: TopicTail;

  /** Replaces the key file the way a Secret volume does: a new file moved over the old one. */
  function writeKeys(text: string): void {
    const next = join(dir, `.next-${Date.now()}`);
    writeFileSync(next, text);
    renameSync(next, keysFile);
  }

  beforeAll(async () => {
    writeKeys(`# test callers\n${keyLine('ada', keys.ada)}${keyLine('bob', keys.bob)}`);
    await cluster.start('processor');
    await cluster.start('sweeper');
    gateway = await cluster.start('gateway', authEnv);
    requests = await kafka.tail(`${cluster.prefix}requests`);
  });
  afterAll(async () => {
    await kafka.close();
    await cluster.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  const as = (key: string, headers: Record<string, string> = {}) => ({ authorization: `Bearer ${key}`, ...headers });
  const echo = (headers: Record<string, string>, body: unknown = { n: 1 }) => post(`${gateway.url}/v1/echo`, body, headers);
  const sentRecords = () => kafka.highWatermarkSum(`${cluster.prefix}requests`);
  function expectRefused(res: HttpResult, challenge: RegExp): void {
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.headers.get('www-authenticate')).toMatch(challenge);
    expect(res.json).toMatchObject({ type: 'urn:flowgate:problem:unauthorized', status: 401 });
  }

  it('refuses a missing, malformed or wrong key with 401 and WWW-Authenticate, before anything reaches Kafka', async () => {
    const before = await sentRecords();
    expectRefused(await echo({}), /^Bearer realm="flowgate"$/);
    expectRefused(await echo({ authorization: `Basic ${Buffer.from(`ada:${keys.ada}`).toString('base64')}` }), /error="invalid_request"/);
    expectRefused(await echo(as('not-a-key')), /error="invalid_token"/);
    expectRefused(await echo(as(`${keys.ada}x`)), /error="invalid_token"/);
    // Keys are at most 1024 characters: a longer one is refused before it is hashed.
    expectRefused(await echo(as('k'.repeat(1_025))), /error="invalid_request"/);
    // Refused before the body is read or the route looked up: unknown paths and bad bodies too.
    expectRefused(await post(`${gateway.url}/v1/no-such-route`, '{"broken', {}), /Bearer/);
    expectRefused(await get(`${gateway.url}/openapi.json`), /Bearer/);
    expect(await sentRecords()).toBe(before);
    expect(await gateway.metric('flowgate_gateway_auth_refusals_total', { reason: 'missing' })).toBe(3);
    expect(await gateway.metric('flowgate_gateway_auth_refusals_total', { reason: 'malformed' })).toBe(2);
    expect(await gateway.metric('flowgate_gateway_auth_refusals_total', { reason: 'unknown_key' })).toBe(2);
  });

  it('serves a good key and tells the processor who called in fg-caller-id, ignoring a client-sent one', async () => {
    const res = await echo(as(keys.ada, { 'fg-caller-id': 'mallory', 'x-request-id': 'auth-who-1' }), { n: 7 });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ n: 7, result: 'ok' });
    const record = await requests.waitFor((r) => r.headers['fg-request-id'] === 'auth-who-1', 15_000, 'the request record');
    expect(record.headers['fg-caller-id']).toBe('ada');
  });

  it('leaves the probes open and keeps /metrics off the public port, even for a good key', async () => {
    expect((await get(`${gateway.url}/healthz`)).status).toBe(200);
    expect((await get(`${gateway.url}/readyz`)).status).toBe(200);
    expect((await get(`${gateway.url}/metrics`, as(keys.ada))).status).toBe(404);
    const internal = await get(`${gateway.adminUrl}/metrics`);
    expect(internal.status).toBe(200);
    expect(internal.text).toMatch(/^flowgate_gateway_api_keys\{[^}]*\} 2$/m);
  });

  it('shows a result only to the caller that asked: another caller gets the 404 of an unknown id', async () => {
    const accepted = await post(`${gateway.url}/v1/echo`, { card: '4111 1111 1111 1111' }, as(keys.ada, { prefer: 'respond-async', 'x-request-id': 'invoice-1001' }));
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe('/v1/requests/invoice-1001');
    await eventually(async () => (await get(`${gateway.url}/v1/requests/invoice-1001`, as(keys.ada))).json?.status === 'succeeded', 30_000, 'ada\'s result');
    expect((await get(`${gateway.url}/v1/requests/invoice-1001`, as(keys.ada))).json).toMatchObject({ result: { card: '4111 1111 1111 1111' } });

    const asBob = await get(`${gateway.url}/v1/requests/invoice-1001`, as(keys.bob));
    const unknown = await get(`${gateway.url}/v1/requests/invoice-1002`, as(keys.bob));
    expect(asBob.status).toBe(404);
    expect(asBob.text).not.toContain('4111');
    expect(asBob.json).toEqual({ ...unknown.json, detail: unknown.json!.detail!.toString().replace('invoice-1002', 'invoice-1001') });
    expectRefused(await get(`${gateway.url}/v1/requests/invoice-1001`), /Bearer/);
  });

  it('scopes idempotency keys per caller: the same key is two requests, and nobody blocks another', async () => {
    const counter = (key: string, body: unknown, idem: string) =>
      post(`${gateway.url}/v1/counter`, body, as(key, { 'idempotency-key': idem, 'x-timeout-ms': '30000' }));
    const ada = await counter(keys.ada, { key: 'auth-shared', by: 1 }, 'order-1');
    const bob = await counter(keys.bob, { key: 'auth-shared', by: 1 }, 'order-1');
    expect([ada.status, bob.status]).toEqual([200, 200]);
    expect(bob.headers.get('idempotent-replayed')).toBeNull();
    expect([ada.json, bob.json]).toEqual([{ key: 'auth-shared', value: 1 }, { key: 'auth-shared', value: 2 }]);

    // Bob takes a key first with another body: Ada's request with that key is still hers to make.
    expect((await counter(keys.bob, { key: 'auth-other', by: 50 }, 'order-2')).status).toBe(200);
    const adaOwn = await counter(keys.ada, { key: 'auth-other', by: 1 }, 'order-2');
    expect(adaOwn.status).toBe(200);
    expect(adaOwn.json).toEqual({ key: 'auth-other', value: 51 });
    const adaRetry = await counter(keys.ada, { key: 'auth-other', by: 1 }, 'order-2');
    expect(adaRetry.headers.get('idempotent-replayed')).toBe('true');
    expect(adaRetry.json).toEqual({ key: 'auth-other', value: 51 });
    expect(await gateway.metric('flowgate_gateway_idempotency_total', { result: 'conflict' })).toBe(0);
  });

  it('applies a changed key file without a restart: a new key works, a removed one is refused', async () => {
    expect((await echo(as(keys.adaNext))).status).toBe(401);
    writeKeys(`${keyLine('ada', keys.ada)}${keyLine('ada', keys.adaNext)}${keyLine('bob', keys.bob)}`);
    await eventually(async () => (await echo(as(keys.adaNext))).status === 200, 5_000, 'the new key accepted');
    writeKeys(`${keyLine('ada', keys.adaNext)}${keyLine('bob', keys.bob)}`);
    await eventually(async () => (await echo(as(keys.ada))).status === 401, 5_000, 'the old key refused');
    expect((await echo(as(keys.adaNext))).status).toBe(200);

    // A broken file is not applied: the keys in use stay, and the refusal is counted.
    writeKeys(`ada ${keys.adaNext}\n`);
    await eventually(async () => (await gateway.metric('flowgate_gateway_api_key_reloads_total', { result: 'error' })) === 1, 5_000, 'the broken file refused');
    expect((await echo(as(keys.adaNext))).status).toBe(200);
    expect(gateway.logs).not.toContain(keys.adaNext);
  });

  it('reads the key from another header when FLOWGATE_API_KEY_HEADER says so', async () => {
    writeKeys(keyLine('bob', keys.bob));
    const other = await cluster.start('gateway', { ...authEnv, FLOWGATE_API_KEY_HEADER: 'x-api-key' });
    const refused = await post(`${other.url}/v1/echo`, { n: 1 }, as(keys.bob));
    expectRefused(refused, /^ApiKey realm="flowgate", header="x-api-key"$/);
    expect((await post(`${other.url}/v1/echo`, { n: 1 }, { 'x-api-key': keys.bob })).status).toBe(200);
    await other.stop();
  });

  it('anonymous (FLOWGATE_AUTH=none): no fg-caller-id reaches the processor, whatever the client sends', async () => {
    const open = await cluster.start('gateway');
    const res = await post(`${open.url}/v1/echo`, { n: 1 }, { 'fg-caller-id': 'mallory', 'x-request-id': 'auth-anon-1' });
    expect(res.status).toBe(200);
    const record = await requests.waitFor((r) => r.headers['fg-request-id'] === 'auth-anon-1', 15_000, 'the request record');
    expect(record.headers).not.toHaveProperty('fg-caller-id');
    await open.stop();
  });

  it.each([
    ['a missing key file', { FLOWGATE_API_KEYS_FILE: '/nonexistent/flowgate-keys' }, /FLOWGATE_API_KEYS_FILE=\/nonexistent\/flowgate-keys: ENOENT/],
    ['a key in clear', { FLOWGATE_API_KEYS_FILE: 'bad' }, /FLOWGATE_API_KEYS_FILE=.*line 2: expected "<caller-id> <sha-256 hex of the key>"/],
    ['no key file at all', { FLOWGATE_API_KEYS_FILE: '' }, /FLOWGATE_API_KEYS_FILE is required with FLOWGATE_AUTH=api-key/],
  ])('refuses to start with %s, naming the setting and never printing a key', async (_what, env, message) => {
    const bad = join(dir, 'bad-keys');
    writeFileSync(bad, `${keyLine('ada', keys.ada)}bob ${keys.bob}\n`);
    const resolved = env.FLOWGATE_API_KEYS_FILE === 'bad' ? { FLOWGATE_API_KEYS_FILE: bad } : env;
    const app = await cluster.start('gateway', { ...authEnv, ...resolved }, { waitReady: false });
    expect(await app.exited).toBe(1);
    expect(app.logs).toMatch(message);
    expect(app.logs).not.toContain(keys.bob);
  });
});
