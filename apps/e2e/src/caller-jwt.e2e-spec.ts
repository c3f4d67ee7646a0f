import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, freePort } from './support/app-process';
import { Cluster } from './support/cluster';
import { serveJwks, TestIssuer, unsignedToken } from './support/credentials';
import { get, HttpResult, post } from './support/http';
import { KafkaRecords, TopicTail } from './support/kafka-records';

/** FLOWGATE_AUTH=jwt: tokens checked against the issuer's key set, the caller id from a claim. */
describe('caller identity with JWTs', () => {
  const issuer = new TestIssuer('https://login.example.test/');
  const foreign = new TestIssuer('https://evil.example.test/');
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-jwks-'));
  const cluster = new Cluster('caller-jwt', { FLOWGATE_PRODUCE_TIMEOUT_MS: '15000' });
  const kafka = new KafkaRecords('caller-jwt');
  let jwks: { url: string; server: Server; fetches: () => number };
  let gateway: AppProcess;
  let requests: TopicTail;
  const jwtEnv = (keys: Record<string, string>) => ({
    FLOWGATE_AUTH: 'jwt', FLOWGATE_JWT_ISSUER: issuer.issuer, FLOWGATE_JWT_AUDIENCE: 'flowgate, flowgate-admin', ...keys,
  });

  beforeAll(async () => {
    jwks = await serveJwks(() => issuer.jwks());
    await cluster.start('processor');
    gateway = await cluster.start('gateway', jwtEnv({ FLOWGATE_JWT_JWKS_URL: jwks.url }));
    requests = await kafka.tail(`${cluster.prefix}requests`);
  });
  afterAll(async () => {
    await kafka.close();
    await cluster.stopAll();
    jwks.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const now = () => Math.floor(Date.now() / 1000);
  const echo = (token: string | undefined, headers: Record<string, string> = {}, on = gateway) =>
    post(`${on.url}/v1/echo`, { n: 1 }, { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers });
  function expectRefused(res: HttpResult, detail: RegExp): void {
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="flowgate"/);
    expect(res.json).toMatchObject({ type: 'urn:flowgate:problem:unauthorized', status: 401, detail: expect.stringMatching(detail) });
  }

  it('serves a good token and tells the processor the caller from its sub, ignoring a client-sent fg-caller-id', async () => {
    const res = await echo(issuer.token({ sub: 'user-42', aud: 'flowgate' }), { 'fg-caller-id': 'mallory', 'x-request-id': 'jwt-who-1' });
    expect(res.status).toBe(200);
    const record = await requests.waitFor((r) => r.headers['fg-request-id'] === 'jwt-who-1', 15_000, 'the request record');
    expect(record.headers['fg-caller-id']).toBe('user-42');
    // Any one of the configured audiences will do, also in a list.
    expect((await echo(issuer.token({ sub: 'user-42', aud: ['other', 'flowgate-admin'] }))).status).toBe(200);
  });

  it('refuses no token, an expired one, a foreign issuer, a wrong audience, a foreign key, alg none and a missing claim with 401', async () => {
    const before = await kafka.highWatermarkSum(`${cluster.prefix}requests`);
    expectRefused(await echo(undefined), /send a token/);
    expect((await echo(undefined)).headers.get('www-authenticate')).toBe('Bearer realm="flowgate"');
    const expired = await echo(issuer.token({ sub: 'u', aud: 'flowgate', exp: now() - 120 }));
    expectRefused(expired, /expired/);
    expect(expired.headers.get('www-authenticate')).toBe('Bearer realm="flowgate", error="invalid_token"');
    expectRefused(await echo(issuer.token({ sub: 'u', aud: 'flowgate', iss: 'https://evil.example.test/' })), /"iss" claim/);
    expectRefused(await echo(issuer.token({ sub: 'u', aud: 'someone-else' })), /"aud" claim/);
    expectRefused(await echo(issuer.token({ sub: 'u', aud: 'flowgate', nbf: now() + 600 })), /"nbf" claim/);
    expectRefused(await echo(issuer.token({ sub: 'u', aud: 'flowgate', exp: undefined })), /"exp" claim/);
    expectRefused(await echo(issuer.token({ aud: 'flowgate' })), /"sub" claim/);
    // Signed by another key under this issuer's key id, and by another issuer's key.
    expectRefused(await echo(foreign.token({ sub: 'u', aud: 'flowgate', iss: issuer.issuer }, { kid: issuer.kid })), /not valid/);
    expectRefused(await echo(foreign.token({ sub: 'u', aud: 'flowgate', iss: issuer.issuer })), /unknown key/);
    expectRefused(await echo(unsignedToken({ sub: 'u', aud: 'flowgate', iss: issuer.issuer, exp: now() + 60 })), /algorithm|not valid/);
    expectRefused(await echo('not.a.jwt'), /not valid/);
    // Tokens are at most 8192 characters: a longer one is refused before it is parsed.
    const long = await echo(issuer.token({ sub: 'u', aud: 'flowgate', pad: 'p'.repeat(8_192) }));
    expectRefused(long, /send one token/);
    expect(long.headers.get('www-authenticate')).toBe('Bearer realm="flowgate", error="invalid_request"');
    expect(await kafka.highWatermarkSum(`${cluster.prefix}requests`)).toBe(before);
    expect(await gateway.metric('flowgate_gateway_auth_refusals_total', { reason: 'expired' })).toBe(1);
  });

  it('tolerates clock skew within FLOWGATE_JWT_CLOCK_SKEW_S (30 s) and no more', async () => {
    expect((await echo(issuer.token({ sub: 'u', aud: 'flowgate', exp: now() - 10 }))).status).toBe(200);
    expect((await echo(issuer.token({ sub: 'u', aud: 'flowgate', exp: now() - 45 }))).status).toBe(401);
  });

  it('takes a static key set from a file and the caller from another claim', async () => {
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify(issuer.jwks()));
    const other = await cluster.start('gateway', jwtEnv({ FLOWGATE_JWT_JWKS_FILE: file, FLOWGATE_JWT_CALLER_CLAIM: 'client_id' }));
    const fetchesBefore = jwks.fetches();
    const res = await echo(issuer.token({ sub: 'u', client_id: 'billing-service', aud: 'flowgate' }), { 'x-request-id': 'jwt-claim-1' }, other);
    expect(res.status).toBe(200);
    const record = await requests.waitFor((r) => r.headers['fg-request-id'] === 'jwt-claim-1', 15_000, 'the request record');
    expect(record.headers['fg-caller-id']).toBe('billing-service');
    expectRefused(await echo(issuer.token({ sub: 'u', client_id: 42, aud: 'flowgate' }), {}, other), /"client_id" claim/);
    expect(jwks.fetches()).toBe(fetchesBefore);
    await other.stop();
  });

  it('answers 503 auth-unavailable, not 401, while the issuer\'s key set cannot be fetched', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/jwks.json`;
    const cut = await cluster.start('gateway', jwtEnv({ FLOWGATE_JWT_JWKS_URL: closed }));
    const res = await echo(issuer.token({ sub: 'u', aud: 'flowgate' }), {}, cut);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.json).toMatchObject({ type: 'urn:flowgate:problem:auth-unavailable' });
    expect(await cut.metric('flowgate_gateway_auth_refusals_total', { reason: 'unavailable' })).toBe(1);
    expect((await get(`${cut.url}/readyz`)).status).toBe(200);
    await cut.stop();
  });

  it.each([
    ['a key set file holding a private key', () => {
      const file = join(dir, 'private.json');
      writeFileSync(file, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'secret-d' }] }));
      return { FLOWGATE_JWT_JWKS_FILE: file };
    }, /FLOWGATE_JWT_JWKS_FILE=.*holds a private key/],
    ['a key set file that is not one', () => {
      const file = join(dir, 'nonsense.json');
      writeFileSync(file, '{"keys":"none"}');
      return { FLOWGATE_JWT_JWKS_FILE: file };
    }, /FLOWGATE_JWT_JWKS_FILE=.*not a JSON Web Key Set/],
    ['no key source and no audience', () => ({ FLOWGATE_JWT_AUDIENCE: '' }), /exactly one of FLOWGATE_JWT_JWKS_URL and FLOWGATE_JWT_JWKS_FILE[\s\S]*FLOWGATE_JWT_AUDIENCE is required/],
  ])('refuses to start with %s, naming the setting', async (_what, env, message) => {
    const app = await cluster.start('gateway', { ...jwtEnv({}), ...env() }, { waitReady: false });
    expect(await app.exited).toBe(1);
    expect(app.logs).toMatch(message);
    expect(app.logs).not.toContain('secret-d');
  });
});
