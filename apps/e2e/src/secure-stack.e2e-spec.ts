import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, ResourcePatternTypes } from 'kafkajs';
import { AppName, AppProcess } from './support/app-process';
import { keyLine } from './support/credentials';
import { stablePorts } from './support/kafka-node';
import { eventually, get, HttpResult, post } from './support/http';
import { SecureStack, SecureUser } from './support/secure-stack';
import { DEMO_ENV, uniquePrefix } from './support/stack';

/**
 * Every app against a Kafka that speaks only SASL_SSL (SCRAM-SHA-512) with ACLs per app, and a
 * Redis that speaks only TLS with an ACL user per app (tools/stack/secure-*.mjs): the request
 * paths work; an app with wrong credentials, an untrusted certificate or another app's user stops
 * at boot with one clear line; and no password, token or key shows up in any log, /metrics page
 * or error response.
 */
describe('secure stack: Kafka TLS + SASL/SCRAM + ACLs, Redis TLS + ACL users', () => {
  const prefix = uniquePrefix('secure');
  const stack = new SecureStack(prefix);
  const adminToken = randomBytes(24).toString('base64url');
  const apiKey = randomBytes(24).toString('base64url');
  const wrongPassword = randomBytes(12).toString('hex');
  const keysDir = mkdtempSync(join(tmpdir(), 'flowgate-secure-keys-'));
  const keysFile = join(keysDir, 'api-keys');
  const apps: AppProcess[] = [];
  /** Bodies of the error responses this spec provoked: checked for secrets at the end. */
  const errorResponses: HttpResult[] = [];
  let gateway: AppProcess;
  let processor: AppProcess;
  let sweeper: AppProcess;
  let consoleApp: AppProcess;
  /** A gateway with a wrong Kafka password, a sweeper with a wrong Redis password, a gateway without the CA, a sweeper as the console's Kafka user, a processor with a wrong Redis password. */
  let refused: Promise<AppProcess[]>;

  const base = { ...DEMO_ENV, FLOWGATE_REQUEST_PARTITIONS: '2', FLOWGATE_REPLY_PARTITIONS: '2', FLOWGATE_LOG_LEVEL: 'info' };
  const env = (user: SecureUser, extra: Parameters<SecureStack['env']>[0] | undefined = undefined) => ({ ...base, ...stack.env(extra ?? { kafka: user }) });
  // Ports for every app of the spec, taken at once (apps started side by side that each asked for
  // free ports could be given the same one) and below the ephemeral range: eight apps booting at
  // once on a busy host bind tens of seconds later, time enough for an ephemeral port to become
  // the local end of some connection (it happened: EADDRINUSE).
  let ports: number[] = [];
  const PORTS = 2 * 9; // two for each of the nine apps below
  const PORT_VARIABLE: Record<AppName, string> = { gateway: 'FLOWGATE_GATEWAY_PORT', processor: 'FLOWGATE_PROCESSOR_PORT', sweeper: 'FLOWGATE_SWEEPER_PORT', console: 'FLOWGATE_CONSOLE_PORT' };
  async function start(name: AppName, appEnv: Record<string, string>, waitReady = true): Promise<AppProcess> {
    const [port, adminPort] = ports.splice(0, 2);
    if (adminPort === undefined) throw new Error(`no ports left for ${name}: raise PORTS`);
    const portEnv = { [PORT_VARIABLE[name]]: String(port), ...(name === 'gateway' ? { FLOWGATE_ADMIN_PORT: String(adminPort) } : {}) };
    // All of its output: the secrets check reads every line an app wrote.
    const app = await AppProcess.start(name, { ...appEnv, ...portEnv }, { waitReady: false, keepAllOutput: true });
    apps.push(app);
    if (waitReady) await app.waitReady(120_000);
    return app;
  }
  /** The exit code of an app that must stop by itself at boot (it would otherwise be killed after 60 s). */
  async function exitCode(app: AppProcess): Promise<number | null | 'still running'> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 60_000)));
    const code = await Promise.race([app.exited, timeout]);
    clearTimeout(timer);
    return code;
  }
  const auth = { authorization: `Bearer ${apiKey}` };
  const call = (route: string, body: unknown, headers: Record<string, string> = {}) => post(`${gateway.url}/v1/${route}`, body, { ...auth, 'x-timeout-ms': '30000', ...headers });

  beforeAll(async () => {
    writeFileSync(keysFile, keyLine('ada', apiKey));
    await stack.start();
    const first = await stablePorts(PORTS);
    ports = Array.from({ length: PORTS }, (_, i) => first + i);
    // The topics exist before the apps start, as Helm's topics Job makes them: only the processor may create topics.
    expect(await stack.ensureTopics(base)).toContain('topics ready');
    // Apps that must stop by themselves at boot start now too, so their start-up overlaps the others'.
    refused = Promise.all([
      start('gateway', env('gateway', { kafka: 'gateway', kafkaPassword: wrongPassword }), false),
      start('sweeper', env('sweeper', { kafka: 'sweeper', redisPassword: wrongPassword }), false),
      start('gateway', { ...env('gateway'), NODE_EXTRA_CA_CERTS: '' }, false),
      // The sweeper with the console's Kafka user: the sweeper's topics are not the console's.
      start('sweeper', env('sweeper', { kafka: 'console', redis: 'sweeper' }), false),
      start('processor', env('processor', { kafka: 'processor', redisPassword: wrongPassword }), false),
    ]);
    [processor, gateway, sweeper, consoleApp] = await Promise.all([
      start('processor', env('processor')),
      start('gateway', { ...env('gateway'), FLOWGATE_AUTH: 'api-key', FLOWGATE_API_KEYS_FILE: keysFile, FLOWGATE_ADMIN_TOKEN: adminToken }),
      start('sweeper', env('sweeper')),
      start('console', { ...env('console'), FLOWGATE_ADMIN_TOKEN: adminToken, FLOWGATE_CONSOLE_HOST: '127.0.0.1' }),
    ]);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await stack.stop();
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('answers a synchronous request through Kafka over TLS', async () => {
    await eventually(async () => (await call('echo', { n: 1 })).status === 200, 60_000, 'the gateway to serve echo');
    const res = await call('echo', { n: 2 });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ n: 2 });
  });

  it('increments the counter exactly once per request: transactions under the processor\'s ACLs', async () => {
    expect((await call('counter', { key: 'secure' })).json).toEqual({ key: 'secure', value: 1 });
    expect((await call('counter', { key: 'secure', by: 4 })).json).toEqual({ key: 'secure', value: 5 });
    expect((await call('counter-get', { key: 'secure' })).json).toEqual({ key: 'secure', value: 5 });
    expect(await processor.metric('flowgate_processor_batch_commits_total', { job: 'counter', result: 'committed' })).toBeGreaterThanOrEqual(1);
  });

  it('answers an async request: the registry in Redis under the gateway\'s and the sweeper\'s ACL users', async () => {
    const accepted = await call('delay', { ms: 50, n: 7 }, { prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location')!;
    let done!: HttpResult;
    await eventually(async () => {
      done = await get(`${gateway.url}${location}`, auth);
      return done.json?.status !== 'pending';
    }, 30_000, `${location} to settle`);
    expect(done.json).toMatchObject({ route: 'delay', status: 'succeeded', result: { ms: 50, n: 7 } });
    // A sweeper recorded the reply (nobody waited on the gateway): its ACL user wrote the registry.
    expect(await sweeper.metric('flowgate_sweeper_results_total', { result: 'recorded' })).toBeGreaterThanOrEqual(1);
  });

  it('serves the console\'s API from the status topic it may read', async () => {
    const headers = { authorization: `Bearer ${adminToken}` };
    await eventually(async () => {
      const view = await get(`${consoleApp.url}/api/view`, headers);
      return view.status === 200 && JSON.stringify(view.json).includes('counter');
    }, 30_000, 'the console to show the processor\'s jobs');
  });

  it('answers 503 when an ACL no longer lets the gateway write a route\'s topic; its log names the user and topic; served again once allowed', async () => {
    const admin = new Kafka({
      clientId: 'secure-acl-change', brokers: [stack.env({ kafka: 'admin' }).KAFKA_BROKERS],
      ssl: { ca: [readFileSync(stack.ca, 'utf8')] }, sasl: { mechanism: 'scram-sha-512', username: 'admin', password: stack.passwords.admin },
    }).admin();
    const counterWrite = {
      resourceType: AclResourceTypes.TOPIC, resourceName: `${prefix}counter`, resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: 'User:gateway', host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW,
    };
    await admin.connect();
    try {
      await admin.deleteAcls({ filters: [counterWrite] });
      let denied!: HttpResult;
      await eventually(async () => (denied = await call('counter', { key: 'acl' })).status === 503, 30_000, 'the write to be denied');
      expect(denied.json).toMatchObject({ type: 'urn:flowgate:problem:kafka-unavailable', detail: 'Kafka refused to take the request: the gateway is not allowed to write it (see the gateway\'s log)' });
      errorResponses.push(denied);
      expect(gateway.logs).toMatch(new RegExp(`"level":"error".*Kafka denied user gateway access to a topic \\(TOPIC_AUTHORIZATION_FAILED\\) while writing request [^ ]+ to ${prefix}counter: its ACLs do not allow it`));
      expect(await gateway.metric('flowgate_gateway_admission_rejections_total', { reason: 'kafka_denied' })).toBeGreaterThanOrEqual(1);
      // A denial is not an outage: other routes are served meanwhile.
      expect((await call('echo', { n: 3 })).status).toBe(200);
      await admin.createAcls({ acl: [counterWrite] });
      await eventually(async () => (await call('counter', { key: 'acl' })).status === 200, 30_000, 'the write to be allowed again');
    } finally {
      await admin.createAcls({ acl: [counterWrite] }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 90_000);

  it('provokes error responses, kept for the secrets check', async () => {
    const provoked = await Promise.all([
      call('echo', { n: 1 }, { authorization: `Bearer ${wrongPassword}` }),
      call('counter', { by: 1 }),
      get(`${gateway.url}/v1/requests/${'x'.repeat(32)}`, auth),
      get(`${consoleApp.url}/api/view`, { authorization: `Bearer ${wrongPassword}` }),
    ]);
    expect(provoked.map((r) => r.status)).toEqual([401, 400, 404, 401]);
    errorResponses.push(...provoked);
  });

  it('stops an app at boot with one clear line when Kafka refuses its password, its certificate or its ACLs', async () => {
    const [wrongKafka, wrongRedis, untrusted, otherUser, processorWrongRedis] = await refused;
    const cases: [AppProcess, RegExp][] = [
      [wrongKafka, /"level":"fatal".*"message":"Kafka refused the SASL credentials for user gateway while ensuring topics [^"]*: check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"/],
      [wrongRedis, /"level":"fatal".*"message":"Redis refused the credentials for user sweeper: check the user and password in REDIS_URL"/],
      [untrusted, /"level":"fatal".*"message":"Kafka's TLS certificate is not trusted while ensuring topics [^"]*: self-signed certificate in certificate chain \(SELF_SIGNED_CERT_IN_CHAIN\); give its CA in NODE_EXTRA_CA_CERTS"/],
      [otherUser, /"level":"fatal".*"message":"Kafka denied user console access to a topic \(TOPIC_AUTHORIZATION_FAILED\) while ensuring topics [^"]*: its ACLs do not allow it"/],
      [processorWrongRedis, /"level":"fatal".*"message":"Redis refused the credentials for user processor: check the user and password in REDIS_URL"/],
    ];
    for (const [app, line] of cases) {
      expect({ code: await exitCode(app), logs: app.logs }).toEqual({ code: 1, logs: expect.stringMatching(line) });
      // One line says it; no stack trace anywhere in the output.
      expect(app.logs).not.toMatch(/\n\s+at |\\n\s+at /);
    }
  });

  it('never shows a password, the admin token or an API key in logs, /metrics or error responses', async () => {
    const secrets = [...Object.values(stack.passwords), wrongPassword, adminToken, apiKey];
    const metrics = await Promise.all([gateway, processor, sweeper].map(async (app) => (await get(`${app.adminUrl}/metrics`)).text));
    expect(metrics.every((text) => text.includes('flowgate_'))).toBe(true);
    const texts = [...apps.map((app) => `${app.name} log:\n${app.logs}`), ...metrics, ...errorResponses.map((r) => r.text)];
    expect(apps.every((app) => app.logs.length > 0)).toBe(true);
    const leaks = texts.flatMap((text) => secrets.filter((secret) => text.includes(secret)).map((secret) => `${secret.slice(0, 4)}… in ${text.slice(0, 40)}`));
    expect(leaks).toEqual([]);
  });
});
