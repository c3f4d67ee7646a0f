import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AdminApi } from './support/admin-api';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { get, post } from './support/http';
import { validateOpenApi } from './support/openapi';
import { E2E_ADMIN_TOKEN } from './support/scripts';

const ROOT = resolve(__dirname, '../../..');
const HOOKS = resolve(__dirname, 'support/schemathesis_hooks.py');
/** Test cases per operation: a quick run by default; FLOWGATE_FUZZ_EXAMPLES=500 for a long one. */
const EXAMPLES = Number(process.env.FLOWGATE_FUZZ_EXAMPLES ?? 10);
/** The longest deadline a request may have here, so an answer later than a few of them is a hang. */
const MAX_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_S = 20;
/** A run's time: about 3 s per example and API at most on a busy machine, never under the suite's minute. */
const RUN_TIMEOUT_MS = Math.max(60_000, EXAMPLES * 3_000);
const CHECKS = ['flowgate_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance'];

/** A route script uploaded through the admin API, so the public API has a route that only exists at run time. */
const SHOUT = 'export default (input) => ({ shout: input.text.toUpperCase(), length: input.text.length });';
const SHOUT_MANIFEST = {
  kind: 'route',
  route: {
    summary: 'Shouts a text',
    keyField: 'text',
    bodySchema: { type: 'object', required: ['text'], properties: { text: { type: 'string', maxLength: 200 } } },
    responseSchema: { type: 'object', required: ['shout', 'length'], properties: { shout: { type: 'string' }, length: { type: 'integer' } } },
  },
  examples: [{ input: { text: 'hi' }, context: { key: 'hi' }, output: { shout: 'HI', length: 2 } }],
};

/**
 * The `st` command: FLOWGATE_SCHEMATHESIS (npm test sets it), else installed now by the project's
 * own script. No Schemathesis means this spec fails: it never skips.
 */
function schemathesis(): string {
  if (process.env.FLOWGATE_SCHEMATHESIS) return process.env.FLOWGATE_SCHEMATHESIS;
  const run = spawnSync(process.execPath, [resolve(ROOT, 'tools/dev/python-tools.mjs')], { encoding: 'utf8' });
  const path = /^schemathesis=(.+)$/m.exec(run.stdout)?.[1];
  if (run.status !== 0 || !path) throw new Error(`Schemathesis could not be installed (tools/dev/python-tools.mjs exited ${run.status}):\n${run.stderr}`);
  return path;
}

/** Runs Schemathesis on one API; resolves with its exit code and output. */
function fuzz(options: { schema: string; baseUrl: string; headers?: Record<string, string>; args?: string[] }): Promise<{ code: number | null; output: string }> {
  const args = [
    'run', options.schema, '--url', options.baseUrl,
    '--checks', CHECKS.join(','),
    '--max-examples', String(EXAMPLES),
    '--request-timeout', String(REQUEST_TIMEOUT_S),
    '--workers', '2',
    '--generation-database', 'none',
    '--no-color',
    ...(process.env.FLOWGATE_FUZZ_SEED ? ['--seed', process.env.FLOWGATE_FUZZ_SEED] : []),
    ...Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['--header', `${name}: ${value}`]),
    ...(options.args ?? []),
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(schemathesis(), args, {
      // Schemathesis keeps replay data in .schemathesis/ of its working directory: not in the repo.
      cwd: mkdtempSync(join(tmpdir(), 'flowgate-fuzz-')),
      env: { ...process.env, SCHEMATHESIS_HOOKS: HOOKS, FLOWGATE_FUZZ_FAILING_PATHS: '/v1/fail', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolvePromise({ code, output }));
  });
}

/** The run's closing figures ("N generated, N passed" and the seed), for the log and the README. */
function summary(output: string): string {
  const cases = /^\s*(\d+ generated.*)$/m.exec(output)?.[1] ?? '?';
  const seed = /^Seed: (\d+)$/m.exec(output)?.[1] ?? '?';
  return `${cases} (seed ${seed})`;
}

/**
 * Schemathesis fuzzes the gateway's public API, its script admin API and the console's API from
 * their own OpenAPI documents: every answer must be documented (status, content type, schema), no
 * 5xx but the ones flowgate answers on purpose (support/schemathesis_hooks.py), and no request may
 * go unanswered for REQUEST_TIMEOUT_S (a hang fails).
 */
describe('HTTP fuzzing from the OpenAPI documents (Schemathesis)', () => {
  const cluster = new Cluster('http-fuzz', {
    FLOWGATE_ADMIN_TOKEN: E2E_ADMIN_TOKEN,
    FLOWGATE_DEFAULT_TIMEOUT_MS: String(MAX_TIMEOUT_MS),
    FLOWGATE_MAX_TIMEOUT_MS: String(MAX_TIMEOUT_MS),
    FLOWGATE_ASYNC_TIMEOUT_MS: String(MAX_TIMEOUT_MS),
  });
  const auth = { Authorization: `Bearer ${E2E_ADMIN_TOKEN}` };
  let gateway: AppProcess;
  let console_: AppProcess;

  beforeAll(async () => {
    await cluster.start('processor');
    gateway = await cluster.start('gateway');
    console_ = await cluster.start('console');
    const admin = new AdminApi(gateway.adminUrl, E2E_ADMIN_TOKEN);
    expect((await admin.upload('shout', SHOUT, SHOUT_MANIFEST)).status).toBe(201);
    expect((await admin.action('shout', 'activate', { version: 1 })).status).toBe(200);
    await cluster.gatewaysServe(['shout']);
    expect((await post(`${gateway.url}/v1/shout`, { text: 'hi' })).json).toEqual({ shout: 'HI', length: 2 });
  });
  afterAll(() => cluster.stopAll());

  it('the public API, with an uploaded route script among the routes', async () => {
    const document = (await get(`${gateway.url}/openapi.json`)).json as { paths: Record<string, object> };
    expect(validateOpenApi(document)).toEqual({ valid: true });
    expect(Object.keys(document.paths)).toContain('/v1/shout');
    const operations = Object.values(document.paths).reduce((n, path) => n + Object.keys(path).length, 0);
    const run = await fuzz({ schema: `${gateway.url}/openapi.json`, baseUrl: gateway.url });
    console.log(`public API: ${summary(run.output)}`);
    expect({ code: run.code, output: run.code === 0 ? '' : run.output.slice(-6_000) }).toEqual({ code: 0, output: '' });
    expect(run.output).toMatch(new RegExp(`Operations: +${operations} selected / ${operations} total`));
  }, RUN_TIMEOUT_MS);

  it('the script admin API on the admin port, with the token', async () => {
    const schema = `${gateway.adminUrl}/admin/v1/openapi.json`;
    expect((await get(schema)).status).toBe(401);
    expect(validateOpenApi((await get(schema, auth)).json)).toEqual({ valid: true });
    const run = await fuzz({ schema, baseUrl: gateway.adminUrl, headers: auth });
    console.log(`admin API: ${summary(run.output)}`);
    expect({ code: run.code, output: run.code === 0 ? '' : run.output.slice(-6_000) }).toEqual({ code: 0, output: '' });
    // The fuzzer holds the token, so it may change scripts (even delete shout); the gateway must still be whole.
    expect((await get(`${gateway.adminUrl}/admin/v1/scripts`, auth)).status).toBe(200);
    expect((await get(`${gateway.url}/readyz`)).status).toBe(200);
  }, RUN_TIMEOUT_MS);

  it('the console API, with the token (the never-ending event stream left out)', async () => {
    const schema = `${console_.url}/openapi.json`;
    expect((await get(schema)).status).toBe(401);
    expect(validateOpenApi((await get(schema, auth)).json)).toEqual({ valid: true });
    const run = await fuzz({ schema, baseUrl: console_.url, headers: auth, args: ['--exclude-path', '/api/stream'] });
    console.log(`console API: ${summary(run.output)}`);
    expect({ code: run.code, output: run.code === 0 ? '' : run.output.slice(-6_000) }).toEqual({ code: 0, output: '' });
  }, RUN_TIMEOUT_MS);
});
