import { createHash, randomBytes } from 'node:crypto';
import { AdminApi } from './support/admin-api';
import { AppProcess } from './support/app-process';
import { Cluster, servedRoutes } from './support/cluster';
import { eventually, get } from './support/http';
import { KafkaRecords, RawRecord, TopicTail } from './support/kafka-records';

const TOKEN = `e2e-admin-${randomBytes(12).toString('hex')}`;
const FINGERPRINT = `token:${createHash('sha256').update(TOKEN).digest('hex').slice(0, 12)}`;

/** A route script: greets the caller; its example is what the sandbox checks before the version is stored. */
const GREETER = 'export default (input, ctx) => ({ greeting: `hello ${input.name}` });\n';
const greeterManifest = (examples: unknown[] = [{ input: { name: 'ada' }, output: { greeting: 'hello ada' } }]) => ({
  kind: 'route',
  route: {
    summary: 'Greets the caller',
    bodySchema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
  },
  examples,
});
/** A step script: drops non-positive amounts. */
const POSITIVE = 'export default (event) => (event.amount > 0 ? event : null);\n';
const positiveManifest = { kind: 'step', capabilities: { log: true }, examples: [{ input: { amount: 1 }, output: { amount: 1 } }, { input: { amount: 0 }, output: null }] };

const json = (record: RawRecord | undefined) => (record?.value ? (JSON.parse(record.value) as Record<string, unknown>) : undefined);

describe('the script admin API on the gateway\'s admin port', () => {
  // Log level info: the admin API's log lines are checked too.
  const cluster = new Cluster('scripts-admin', { FLOWGATE_ADMIN_TOKEN: TOKEN, FLOWGATE_LOG_LEVEL: 'info' });
  const records = new KafkaRecords('scripts-admin');
  let gateway: AppProcess;
  let admin: AdminApi;
  let scripts: TopicTail;
  let audit: TopicTail;
  const scriptsTopic = () => `${cluster.prefix}scripts`;

  beforeAll(async () => {
    gateway = await cluster.start('gateway');
    admin = new AdminApi(gateway.adminUrl, TOKEN);
    scripts = await records.tail(scriptsTopic());
    audit = await records.tail(`${cluster.prefix}audit`);
  });
  afterAll(async () => {
    await records.close();
    await cluster.stopAll();
  });

  it('answers 401 with WWW-Authenticate: Bearer without the token or with a wrong one, and audits the attempt', async () => {
    for (const token of [null, 'not-the-admin-token-at-all', `${TOKEN}x`]) {
      const res = await admin.call('GET', '/admin/v1/scripts', undefined, { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.json).toMatchObject({ type: 'urn:flowgate:problem:unauthorized', status: 401 });
    }
    const refused = await admin.call('PUT', '/admin/v1/scripts/sneaky', { source: GREETER, manifest: greeterManifest() }, { token: 'wrong-token-wrong-token' });
    expect(refused.status).toBe(401);
    const record = json(await audit.waitFor((r) => r.key === 'sneaky', 15_000, 'audit of the refused upload'));
    expect(record).toMatchObject({ actor: 'unauthenticated', action: 'refused:upload', script: 'sneaky' });
    expect(await gateway.metric('flowgate_admin_requests_total', { action: 'list', status: '401' })).toBe(3);
  });

  it('is not served on the public port', async () => {
    for (const path of ['/admin/v1/scripts', '/admin/v1/scripts/greeter', '/admin/v1/audit']) {
      const res = await get(`${gateway.url}${path}`, { authorization: `Bearer ${TOKEN}` });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
  });

  it('stores an upload that passes its checks as version 1, and a retry of it as the same version', async () => {
    const res = await admin.upload('greeter', GREETER, greeterManifest());
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ name: 'greeter', version: 1, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(res.headers.get('location')).toBe('/admin/v1/scripts/greeter/versions/1');
    const stored = json(await scripts.waitFor((r) => r.key === 'version/greeter/1', 15_000, 'version record'));
    expect(stored).toEqual({
      name: 'greeter', version: 1, source: GREETER, manifest: greeterManifest(), sha256: res.json!.sha256,
      uploadedAt: expect.any(String), uploadedBy: FINGERPRINT,
    });

    const before = await records.highWatermarkSum(scriptsTopic());
    const retry = await admin.upload('greeter', GREETER, greeterManifest());
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(res.json);
    expect(await records.highWatermarkSum(scriptsTopic())).toBe(before);

    const second = await admin.upload('greeter', GREETER.replace('hello', 'hi'), greeterManifest([{ input: { name: 'bo' }, output: { greeting: 'hi bo' } }]));
    expect(second.status).toBe(201);
    expect(second.json).toMatchObject({ name: 'greeter', version: 2 });
  });

  it('refuses a version that does not compile, throws at load, fails an example or asks for an unknown capability, with the reason, writing nothing', async () => {
    const before = await records.highWatermarkSum(scriptsTopic());
    const refusals: [string, string, unknown, RegExp][] = [
      ['syntax error', 'export default (input) => {', greeterManifest([]), /SyntaxError|expect|unexpected/i],
      ['throws at load', "throw new Error('no config at load');\nexport default (input) => input;", greeterManifest([]), /no config at load/],
      ['wrong example', GREETER, greeterManifest([{ input: { name: 'ada' }, output: { greeting: 'good day ada' } }]),
        /example 0: expected output \{"greeting":"good day ada"\}, got output \{"greeting":"hello ada"\}/],
      ['unknown capability', POSITIVE, { ...positiveManifest, capabilities: { sql: { url: 'postgres://db' } } }, /capabilities.*"sql"/],
    ];
    for (const [what, source, manifest, reason] of refusals) {
      const res = await admin.upload('refused', source, manifest);
      expect({ what, status: res.status }).toEqual({ what, status: 422 });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.json).toMatchObject({ type: 'urn:flowgate:problem:script-refused', status: 422 });
      const errors = res.json!.errors as { path: string; message: string }[];
      expect({ what, reasons: errors.map((e) => e.message).join('\n') }).toEqual({ what, reasons: expect.stringMatching(reason) });
    }
    // Several problems at once: every one is listed.
    const many = await admin.upload('Not A Name', POSITIVE, { kind: 'step', capabilities: { sql: {} }, limits: { cpuMs: 0 } });
    expect(many.status).toBe(422);
    expect((many.json!.errors as unknown[]).length).toBeGreaterThanOrEqual(3);

    const tooLarge = await admin.upload('big', `export default (x) => x; // ${'x'.repeat(400 * 1024)}`, positiveManifest);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json).toMatchObject({ type: 'urn:flowgate:problem:body-too-large' });

    expect(await records.highWatermarkSum(scriptsTopic())).toBe(before);
    const record = json(await audit.waitFor((r) => json(r)?.action === 'refused:upload' && r.key === 'refused' && /good day/.test(String(json(r)?.detail)), 15_000, 'audit of a refusal'));
    expect(record).toMatchObject({ actor: FINGERPRINT, script: 'refused' });
    expect(record).not.toHaveProperty('version');
  });

  it('lists the scripts, describes one, and gives a version with its source', async () => {
    expect((await admin.upload('positive', POSITIVE, positiveManifest)).status).toBe(201);
    const list = await admin.call('GET', '/admin/v1/scripts');
    expect(list.status).toBe(200);
    expect(list.json).toEqual({ scripts: [{ name: 'greeter', kind: 'route', versions: [1, 2] }, { name: 'positive', kind: 'step', versions: [1] }] });

    const one = await admin.call('GET', '/admin/v1/scripts/greeter');
    expect(one.json).toMatchObject({ name: 'greeter', kind: 'route', versions: [{ version: 1, uploadedBy: FINGERPRINT }, { version: 2 }] });
    expect(one.text).not.toContain('export default');

    const version = await admin.call('GET', '/admin/v1/scripts/positive/versions/1');
    expect(version.json).toMatchObject({ name: 'positive', version: 1, source: POSITIVE, manifest: positiveManifest, uploadedBy: FINGERPRINT, sha256: expect.any(String), uploadedAt: expect.any(String) });
    expect((await admin.call('GET', '/admin/v1/scripts/positive/versions/9')).json).toMatchObject({ status: 404, type: 'urn:flowgate:problem:unknown-script-version' });
    expect((await admin.call('GET', '/admin/v1/scripts/nope')).json).toMatchObject({ status: 404, type: 'urn:flowgate:problem:unknown-script' });
  });

  it('serves an activated route script\'s route in /openapi.json without a restart, and refuses a route another job serves', async () => {
    expect(await servedRoutes(gateway)).not.toContain('greeter');
    const res = await admin.action('greeter', 'activate', { version: 1 });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ name: 'greeter', kind: 'route', stable: 1, changedBy: FINGERPRINT, reason: 'activate' });
    expect(res.json).not.toHaveProperty('canary');
    await eventually(async () => (await servedRoutes(gateway)).includes('greeter'), 15_000, 'greeter in /openapi.json');
    const openapi = await get(`${gateway.url}/openapi.json`);
    const paths = openapi.json!.paths as Record<string, { post: { summary: string } }>;
    expect(paths['/v1/greeter'].post.summary).toBe('Greets the caller');

    // A route a job serves is not taken over by a script of the same name.
    await records.write(`${cluster.prefix}routes`, [{ key: 'taken', value: JSON.stringify({ job: 'pricing', route: { name: 'taken', summary: 'A job\'s route' } }) }]);
    await eventually(async () => (await servedRoutes(gateway)).includes('taken'), 15_000, 'taken in /openapi.json');
    expect((await admin.upload('taken', GREETER, greeterManifest())).status).toBe(201);
    const conflict = await admin.action('taken', 'activate', { version: 1 });
    expect(conflict.status).toBe(409);
    expect(conflict.json).toMatchObject({ type: 'urn:flowgate:problem:script-route-conflict', detail: expect.stringMatching(/route taken is served by job pricing/) });
  });

  it('writes canary, promote and rollback activations with their content', async () => {
    const canary = await admin.action('greeter', 'canary', { version: 2, share: 0.2, promoteAfter: 500 });
    expect(canary.status).toBe(200);
    const canaryRecord = json(await scripts.waitFor((r) => r.key === 'active/greeter' && json(r)?.reason === 'canary', 15_000, 'canary activation'));
    expect(canaryRecord).toEqual({
      name: 'greeter', kind: 'route', stable: 1, canary: { version: 2, share: 0.2, rollbackMargin: 0.05, minCalls: 50, promoteAfter: 500 },
      changedAt: expect.any(String), changedBy: FINGERPRINT, reason: 'canary',
    });
    expect((await admin.call('GET', '/admin/v1/scripts/greeter')).json).toMatchObject({ stable: 1, canary: { version: 2, share: 0.2 } });

    const rollback = await admin.action('greeter', 'rollback');
    expect(rollback.json).toMatchObject({ stable: 1, reason: 'rollback' });
    expect(rollback.json).not.toHaveProperty('canary');
    expect((await admin.action('greeter', 'promote')).json).toMatchObject({ status: 409, type: 'urn:flowgate:problem:script-state-conflict' });

    expect((await admin.action('greeter', 'canary', { version: 2, share: 0.5, rollbackMargin: 0.1, minCalls: 20 })).status).toBe(200);
    const promote = await admin.action('greeter', 'promote');
    expect(promote.status).toBe(200);
    expect(json(await scripts.waitFor((r) => r.key === 'active/greeter' && json(r)?.reason === 'promote', 15_000, 'promotion'))).toEqual({
      name: 'greeter', kind: 'route', stable: 2, changedAt: expect.any(String), changedBy: FINGERPRINT, reason: 'promote',
    });

    // Rollback to an earlier version is an activation of it.
    const back = await admin.action('greeter', 'rollback', { version: 1 });
    expect(back.json).toMatchObject({ stable: 1, reason: 'rollback' });
    expect((await admin.action('greeter', 'canary', { version: 7, share: 0.1 })).status).toBe(404);
    expect((await admin.action('greeter', 'canary', { version: 2, share: 1.5 })).json).toMatchObject({ status: 400, errors: [{ path: '', message: expect.stringMatching(/^share must be/) }] });
  });

  it('deletes a script: tombstones for its activation and every version, and its route disappears', async () => {
    const res = await admin.call('DELETE', '/admin/v1/scripts/greeter');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ name: 'greeter', deleted: true, versions: [1, 2], routeRetired: true });
    for (const key of ['active/greeter', 'version/greeter/1', 'version/greeter/2']) {
      await scripts.waitFor((r) => r.key === key && r.value === null, 15_000, `tombstone of ${key}`);
    }
    await eventually(async () => !(await servedRoutes(gateway)).includes('greeter'), 15_000, 'greeter gone from /openapi.json');
    expect((await admin.call('GET', '/admin/v1/scripts/greeter')).status).toBe(404);
    // A new upload of the name starts again at 1.
    expect((await admin.upload('greeter', GREETER, greeterManifest())).json).toMatchObject({ version: 1 });
  });

  it('never gives one version number to two uploads, also when two gateways take uploads of one script at the same moment', async () => {
    const other = new AdminApi((await cluster.start('gateway')).adminUrl, TOKEN);
    const stored: { version: number; sha256: string }[] = [];
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all([admin, other].map((api, i) => api.upload('race', `export default (x) => ({ round: ${round}, gateway: ${i} });\n`, { kind: 'step' })));
      for (const res of results) expect([201, 409]).toContain(res.status);
      // The loser is told to upload again; it is never told it has a version someone else has.
      expect(results.some((res) => res.status === 201)).toBe(true);
      for (const res of results.filter((r) => r.status === 409)) expect(res.json).toMatchObject({ type: 'urn:flowgate:problem:script-version-taken' });
      stored.push(...results.filter((r) => r.status === 201).map((r) => r.json as { version: number; sha256: string }));
    }
    const versions = stored.map((s) => s.version);
    expect(new Set(versions).size).toBe(versions.length);
    for (const { version, sha256 } of stored) {
      const newest = await scripts.waitFor((r) => r.key === `version/race/${version}`, 15_000, `version ${version} of race`);
      const last = [...scripts.records].reverse().find((r) => r.key === newest.key);
      expect(json(last)).toMatchObject({ version, sha256 });
    }
  });

  it('audits every change with the token\'s fingerprint and never the token, and serves the newest records', async () => {
    await eventually(() => audit.records.some((r) => json(r)?.action === 'delete'), 15_000, 'audit of the delete');
    const actions = audit.records.filter((r) => r.key === 'greeter').map((r) => json(r)!.action);
    expect(actions).toEqual(expect.arrayContaining(['upload', 'activate', 'canary', 'rollback', 'promote', 'delete', 'refused:promote']));
    for (const record of audit.records) {
      expect(record.value).not.toContain(TOKEN);
      expect(record.value).not.toContain('export default');
    }
    expect(json(audit.records.find((r) => json(r)?.action === 'canary'))).toMatchObject({
      actor: FINGERPRINT, script: 'greeter', version: 2, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), detail: expect.stringMatching(/canary 2 on 0.2 of keys/),
    });
    expect(gateway.logs).not.toContain(TOKEN);
    expect(gateway.logs).toMatch(/admin upload greeter v1 by token:[0-9a-f]{12}: 201/);

    // Newest first: the re-upload after the delete, then the 404 of the GET before it.
    const newest = async () => (await admin.call('GET', '/admin/v1/audit?script=greeter&limit=2')).json?.records as { action: string }[];
    await eventually(async () => (await newest())[0]?.action === 'upload', 15_000, 'the upload in GET /admin/v1/audit');
    expect((await newest()).map((r) => r.action)).toEqual(['upload', 'refused:get']);
  });

  it('is off when no token is configured: every /admin/v1 path answers 404, and the gateway says so once', async () => {
    const off = await cluster.start('gateway', { FLOWGATE_ADMIN_TOKEN: '' });
    const api = new AdminApi(off.adminUrl, TOKEN);
    for (const [method, path] of [['GET', '/admin/v1/scripts'], ['PUT', '/admin/v1/scripts/greeter'], ['POST', '/admin/v1/scripts/greeter/activate'], ['GET', '/admin/v1/audit']]) {
      expect({ method, path, status: (await api.call(method, path, method === 'GET' ? undefined : {})).status }).toEqual({ method, path, status: 404 });
    }
    expect(off.logs.match(/script admin API off/g)).toHaveLength(1);
    expect((await get(`${off.adminUrl}/metrics`)).status).toBe(200);
  });

  it('refuses at boot a token shorter than 16 characters, without printing it', async () => {
    const short = await cluster.start('gateway', { FLOWGATE_ADMIN_TOKEN: 'short-s3cret' }, { waitReady: false });
    expect(await short.exited).toBe(1);
    expect(short.logs).toMatch(/FLOWGATE_ADMIN_TOKEN must be at least 16 characters/);
    expect(short.logs).not.toContain('short-s3cret');
  });
});
