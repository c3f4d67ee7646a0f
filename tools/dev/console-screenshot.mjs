// `npm run console:screenshot`: docs/console.png, the console under load, taken by Debian's
// chromium through playwright-core. Starts its own Kafka and Redis (or uses KAFKA_BROKERS /
// REDIS_URL), two processors, a gateway and the console on their own ports and topic prefix,
// puts load on (echo, slow delays that pause a partition, failures for the DLQ, counter and
// access-log events, a route script with a canary), selects the echo step, takes the picture,
// and stops everything it started.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApps, DEMO_ENV, ensureNpmPackages, ensureTopics, log, root, stopChildren, waitForOk } from './bootstrap.mjs';
import { onPinnedNode } from './node-runtime.mjs';

await onPinnedNode();

ensureNpmPackages();
const { startStack } = await import('../stack/stack.mjs');
const { ensureDebianTool } = await import('../stack/debian-tools.mjs');
const { chromium: chromiumPath } = await ensureDebianTool('chromium');
const { chromium } = await import('playwright-core');

const out = join(root, 'docs/console.png');
const ports = { gateway: 18580, admin: 18581, processorA: 18582, processorB: 18583, console: 18584 };
buildApps(['gateway', 'processor', 'console', 'examples']);
const stack = await startStack({ name: 'screenshot', kafkaPort: 29292, redisPort: 26579 });
const env = {
  ...DEMO_ENV,
  KAFKA_BROKERS: stack.brokers,
  REDIS_URL: stack.redisUrl,
  FLOWGATE_TOPIC_PREFIX: `shot${randomBytes(2).toString('hex')}.`,
  FLOWGATE_REQUEST_PARTITIONS: '4',
  FLOWGATE_LOG_LEVEL: 'warn',
  // A small queue, so the slow delays below pause a partition (backpressure) in the picture.
  FLOWGATE_PARTITION_QUEUE: '4',
  FLOWGATE_PARTITION_CONCURRENCY: '2',
};
const children = [];
// The apps' output (the fail route logs every failure) goes to a file, named if something goes wrong.
const logDir = mkdtempSync(join(tmpdir(), 'flowgate-screenshot-'));
const start = (app, appEnv) => {
  const child = spawn(process.execPath, [join(root, 'dist/apps', app, 'main.js')], { cwd: root, env: { ...process.env, ...env, ...appEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const file = createWriteStream(join(logDir, `${appEnv.FLOWGATE_INSTANCE_ID ?? app}.log`));
  child.stdout.pipe(file);
  child.stderr.pipe(file);
  children.push(child);
  return child;
};
let loading = true;
let browser;
try {
  ensureTopics(env);
  start('processor', { FLOWGATE_PROCESSOR_PORT: String(ports.processorA), FLOWGATE_INSTANCE_ID: 'processor-a' });
  await waitForOk(`http://127.0.0.1:${ports.processorA}/readyz`, { timeoutMs: 120_000 });
  start('processor', { FLOWGATE_PROCESSOR_PORT: String(ports.processorB), FLOWGATE_INSTANCE_ID: 'processor-b' });
  const token = randomBytes(24).toString('hex');
  start('gateway', { FLOWGATE_GATEWAY_PORT: String(ports.gateway), FLOWGATE_ADMIN_PORT: String(ports.admin), FLOWGATE_INSTANCE_ID: 'gateway-a', FLOWGATE_ADMIN_TOKEN: token });
  start('console', { FLOWGATE_CONSOLE_PORT: String(ports.console), FLOWGATE_CONSOLE_AUTH: 'loopback' });
  const gateway = `http://127.0.0.1:${ports.gateway}`;
  const consoleUrl = `http://127.0.0.1:${ports.console}`;
  for (const url of [`http://127.0.0.1:${ports.processorB}/readyz`, `${gateway}/readyz`, `${consoleUrl}/readyz`]) {
    if (!(await waitForOk(url, { timeoutMs: 120_000 }))) throw new Error(`${url} did not become ready (app logs in ${logDir})`);
  }
  const post = (path, body, headers = {}) =>
    fetch(`${gateway}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }).then((r) => r.arrayBuffer(), () => undefined);
  // A route script with a canary, through the admin API, so the scripts table has a row.
  const admin = (path, body, method = 'POST') =>
    fetch(`http://127.0.0.1:${ports.admin}/admin/v1/scripts/greeter${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const manifest = { kind: 'route', route: { summary: 'Greets the caller' }, examples: [{ input: { name: 'ada' }, output: { greeting: 'hello ada' } }] };
  await admin('', { source: 'export default (input) => ({ greeting: `hello ${input.name}` });', manifest }, 'PUT');
  await admin('', { source: 'export default (input) => ({ greeting: "hello " + input.name });', manifest }, 'PUT');
  await admin('/activate', { version: 1 });
  await admin('/canary', { version: 2, share: 0.2 });
  const loop = async (pause, send) => {
    for (let i = 0; loading; i++) {
      await send(i);
      if (pause) await new Promise((r) => setTimeout(r, pause));
    }
  };
  const load = [
    ...Array.from({ length: 6 }, () => loop(0, (i) => post('/v1/echo', { user: `u${i % 50}` }))),
    // More slow requests at once than 4 partitions x (2 running + 4 queued): some partition pauses.
    ...Array.from({ length: 32 }, (_, n) => loop(0, (i) => post('/v1/delay', { ms: 400, n, i }, { 'x-timeout-ms': '60000' }))),
    loop(50, (i) => post('/v1/counter', { key: `k${i % 20}`, by: 1 })),
    loop(400, () => post('/v1/fail', {})),
    loop(20, (i) => post('/v1/greeter', { name: `n${i}` })),
    loop(200, (i) => post('/v1/ingest/access-log', `{"ts":${Date.now() - 2_000},"ip":"10.0.0.${i % 8}"}\n`, { 'content-type': 'application/x-ndjson' })),
  ];
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1680, height: 1000 }, deviceScaleFactor: 1 });
  await page.goto(consoleUrl);
  await page.waitForSelector('g.node[data-node-id="echo/source"]');
  // Figures for a few seconds, a paused partition, and the selected step's chart.
  await page.waitForFunction(() => Number(document.querySelector('g.node[data-node-id="echo/1"]')?.getAttribute('data-in-rate')) > 0, null, { timeout: 30_000 });
  await page.click('g.node[data-node-id="echo/1"]');
  await page.waitForSelector('.partition.paused[data-job="delay"]', { timeout: 30_000 }).catch(() => log('no paused partition this time'));
  await new Promise((r) => setTimeout(r, 8_000));
  await page.waitForSelector('.partition.paused[data-job="delay"]', { timeout: 10_000 }).catch(() => undefined);
  await page.screenshot({ path: out, fullPage: true });
  log(`wrote ${out}`);
  loading = false;
  await Promise.race([Promise.all(load), new Promise((r) => setTimeout(r, 5_000))]);
} finally {
  loading = false;
  await browser?.close();
  await stopChildren(children, 30_000);
  await stack.stop();
}
