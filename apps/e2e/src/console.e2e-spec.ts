import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Browser, chromium, Page } from 'playwright-core';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, get, post, sleep } from './support/http';
import { KafkaRecords } from './support/kafka-records';

/** Debian's browser, which `npm test` installs when missing (tools/dev/test.mjs); no browser download by npm. */
const CHROMIUM = process.env.FLOWGATE_CHROMIUM ?? '/usr/bin/chromium';
const TOKEN = randomBytes(24).toString('base64url');
/** Status records every second, and the console's view every second: figures are at most this old. */
const REFRESH_MS = 2_500;

interface Topology {
  jobs: { name: string; nodes: { id: string }[]; edges: { from: string; to: string }[] }[];
}

/**
 * The console in a real browser against a real cluster: it signs in with the admin token, draws
 * every job with `/topology`'s nodes and edges, shows the echo path's rates under load in
 * agreement with the apps' /metrics, highlights a partition a slow route paused, and shows a
 * second processor joining with its partitions (and leaving again).
 */
describe('console: the live DAG in a browser', () => {
  // Two request partitions, so two processors split them; a queue of 2 at concurrency 1, so slow
  // `delay` requests pause a partition at once.
  const cluster = new Cluster('console', { FLOWGATE_REQUEST_PARTITIONS: '2', FLOWGATE_PARTITION_QUEUE: '2', FLOWGATE_PARTITION_CONCURRENCY: '1' });
  let processor: AppProcess;
  let gateway: AppProcess;
  let consoleApp: AppProcess;
  let browser: Browser;
  let page: Page;
  const kafka = new KafkaRecords('console');
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: run the tests through \`npm test\`, which installs Debian's chromium (or set FLOWGATE_CHROMIUM)`);
    processor = await cluster.start('processor', { FLOWGATE_INSTANCE_ID: 'proc-a' });
    // The admin surface's one token: the gateway's script admin API and the console take it.
    gateway = await cluster.start('gateway', { FLOWGATE_INSTANCE_ID: 'gw-a', FLOWGATE_ADMIN_TOKEN: TOKEN });
    consoleApp = await cluster.start('console', { FLOWGATE_ADMIN_TOKEN: TOKEN, FLOWGATE_CONSOLE_HOST: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
  });

  afterAll(async () => {
    await browser?.close();
    await kafka.close();
    await cluster.stopAll();
  });

  it('refuses its API without the token, and signs a browser in with #token= (a session cookie)', async () => {
    expect((await get(`${consoleApp.url}/api/view`)).status).toBe(401);
    expect((await get(`${consoleApp.url}/api/view`, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get(`${consoleApp.url}/api/view`, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await post(`${consoleApp.url}/api/session`, { token: 'wrong' })).status).toBe(401);

    await page.goto(`${consoleApp.url}/#token=${TOKEN}`);
    await page.waitForSelector('#app:not([hidden])');
    expect(page.url()).not.toContain(TOKEN); // the fragment is gone from the address bar
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'fg_console')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // Load times of the signed-in page: the first, and the median of five reloads. A string: the
    // page's DOM types are not this file's (it runs in Node).
    const loadMs = async () => Math.round(Number(await page.evaluate('performance.getEntriesByType("navigation")[0].loadEventEnd')));
    const first = await loadMs();
    const again: number[] = [];
    for (let i = 0; i < 5; i++) {
      await page.reload();
      await page.waitForSelector('#app:not([hidden])');
      again.push(await loadMs());
    }
    const median = again.sort((a, b) => a - b)[2];
    process.stdout.write(`console: page loaded in ${first} ms the first time, ${median} ms median of 5 reloads (navigation start to load event, loopback)\n`);
  });

  it('draws every job with as many nodes and edges as /topology has', async () => {
    const { jobs } = (await (await fetch(`${processor.url}/topology`)).json()) as Topology;
    expect(jobs.length).toBeGreaterThan(3);
    for (const job of jobs) {
      const drawn = async () => ({
        nodes: await page.$$eval(`svg[data-job="${job.name}"] g.node:not([data-derived])`, (els) => els.map((n) => n.getAttribute('data-node-id'))),
        edges: await page.$$eval(`svg[data-job="${job.name}"] path.edge:not([data-derived])`, (els) => els.map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}`)),
      });
      await eventually(async () => (await drawn()).nodes.length > 0, 10_000, `job ${job.name} drawn`);
      const { nodes, edges } = await drawn();
      expect({ job: job.name, nodes: nodes.length, edges: edges.length }).toEqual({ job: job.name, nodes: job.nodes.length, edges: job.edges.length });
      expect(nodes.sort()).toEqual(job.nodes.map((n) => n.id).sort());
      expect(edges.sort()).toEqual(job.edges.map((e) => `${e.from}>${e.to}`).sort());
    }
  });

  it('shows the echo path rising under load, its figures agreeing with /metrics within the refresh interval', async () => {
    let loading = true;
    let sent = 0;
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (loading) {
          const res = await post(`${gateway.url}/v1/echo`, { n: sent++ });
          if (res.status !== 200) throw new Error(`echo answered ${res.status}: ${res.text}`);
        }
      }),
    );
    // The processor's count of echo records, sampled while the page is read (each sample stamped
    // when its answer arrived: the count it holds is at least the count at that moment).
    const samples: { at: number; value: number }[] = [];
    const sampling = (async () => {
      while (loading) {
        const value = await processor.metric('flowgate_processor_records_total', { route: 'echo' });
        samples.push({ at: Date.now(), value });
        await sleep(100);
      }
    })();
    const node = (id: string, attribute: string) => page.getAttribute(`g.node[data-node-id="${id}"]`, attribute).then(Number);
    try {
      await eventually(async () => (await node('echo/source', 'data-in-rate')) > 0, 15_000, 'echo source rate above zero');
      await eventually(async () => (await node('echo/1', 'data-out-rate')) > 0, 5_000, 'echo map rate above zero');
      await eventually(async () => Number(await page.getAttribute('path.edge[data-from="echo/1"][data-to="echo/sink"]', 'data-rate')) > 0, 5_000, 'echo edge rate above zero');
      await eventually(async () => Number(await page.getAttribute('tr[data-gateway="gw-a"][data-route="echo"]', 'data-rate')) > 0, 5_000, 'gateway echo rate above zero');
      // Under load: what the page shows now lies between /metrics one refresh interval ago and
      // /metrics right after the page was read (the counter only grows).
      for (let i = 0; i < 5; i++) {
        const readAt = Date.now();
        const shown = await node('echo/source', 'data-in-total');
        const after = await processor.metric('flowgate_processor_records_total', { route: 'echo' });
        const before = samples.filter((s) => s.at <= readAt - REFRESH_MS).at(-1)?.value ?? 0;
        expect({ before, shown, after, between: before <= shown && shown <= after }).toEqual({ before, shown, after, between: true });
        await sleep(700);
      }
    } finally {
      loading = false;
      await Promise.all([load, sampling]);
    }
    // At rest, the page's totals are /metrics' own figures.
    const total = await processor.metric('flowgate_processor_records_total', { route: 'echo' });
    const operatorIn = await processor.metric('flowgate_processor_operator_records_total', { job: 'echo', operator: 'echo', direction: 'in' });
    const answered = await gateway.metric('flowgate_gateway_requests_total', { route: 'echo', status: '200' });
    expect(total).toBeGreaterThanOrEqual(sent - 8);
    await eventually(async () => (await node('echo/source', 'data-in-total')) === total, REFRESH_MS + 2_000, `page shows ${total} echo records`);
    expect(await node('echo/1', 'data-in-total')).toBe(operatorIn);
    const gatewayTotal = () => page.getAttribute('tr[data-gateway="gw-a"][data-route="echo"]', 'data-total');
    await eventually(async () => Number(await gatewayTotal()) === answered, REFRESH_MS + 2_000, `gateway row shows ${answered} answered`);
    process.stdout.write(`console: ${sent} echo requests; page and /metrics agree on ${total} records\n`);
  });

  it('highlights a partition that a slow route paused', async () => {
    const slow = Promise.all(Array.from({ length: 24 }, (_, i) => post(`${gateway.url}/v1/delay`, { ms: 500, i }, { 'x-timeout-ms': '60000' })));
    await page.waitForSelector('.partition.paused[data-job="delay"]', { timeout: 15_000 });
    const paused = await page.$$eval('.partition.paused[data-job="delay"]', (els) => els.map((e) => e.getAttribute('data-partition')));
    expect(paused.length).toBeGreaterThan(0);
    const results = await slow;
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    // Resumed once drained: the highlight goes away.
    await page.waitForSelector('.partition.paused[data-job="delay"]', { state: 'detached', timeout: 15_000 });
  });

  it('shows a second processor joining with its partitions, and leaving', async () => {
    const owners = () => page.$$eval('.partition[data-job="echo"]', (els) => els.map((e) => `${e.getAttribute('data-partition')}@${e.getAttribute('data-instance')}`).sort());
    expect(await owners()).toEqual(['0@proc-a', '1@proc-a']);
    const second = await cluster.start('processor', { FLOWGATE_INSTANCE_ID: 'proc-b' });
    await page.waitForSelector('.processor[data-instance="proc-b"]', { timeout: 15_000 });
    // After the rebalance each owns one of the two request partitions.
    await eventually(async () => {
      const now = await owners();
      return now.length === 2 && now.some((o) => o.endsWith('@proc-a')) && now.some((o) => o.endsWith('@proc-b'));
    }, 30_000, 'partitions split between proc-a and proc-b');
    expect(await page.$$eval('.processor[data-instance="proc-b"] .partition[data-lane="requests"]', (els) => els.length)).toBe(1);
    await second.stop();
    // Its tombstone removes it at once; the partitions go back to proc-a.
    await page.waitForSelector('.processor[data-instance="proc-b"]', { state: 'detached', timeout: 10_000 });
    await eventually(async () => JSON.stringify(await owners()) === JSON.stringify(['0@proc-a', '1@proc-a']), 30_000, 'partitions back on proc-a');
  });

  it('drops a processor that crashed once its records stop (no tombstone), within the age cut-off', async () => {
    const crashing = await cluster.start('processor', { FLOWGATE_INSTANCE_ID: 'proc-c' });
    await page.waitForSelector('.processor[data-instance="proc-c"]', { timeout: 15_000 });
    crashing.kill('SIGKILL');
    const killedAt = Date.now();
    // STATUS_MAX_AGE_MS (10 s) after its last record, plus a refresh.
    await page.waitForSelector('.processor[data-instance="proc-c"]', { state: 'detached', timeout: 15_000 });
    const goneAfterMs = Date.now() - killedAt;
    expect(goneAfterMs).toBeGreaterThan(5_000); // not by a tombstone: it wrote none
    process.stdout.write(`console: a killed processor disappeared after ${goneAfterMs} ms\n`);
    await eventually(async () => (await page.$$('.partition[data-job="echo"][data-instance="proc-c"]')).length === 0, 30_000, 'no partitions on proc-c');
  });

  it('shows a selected node\'s spec, its last minutes and its job\'s recent dead letters', async () => {
    expect((await post(`${gateway.url}/v1/fail`, { why: 'console' })).status).toBe(500);
    await page.click('g.node[data-node-id="fail/source"]');
    await page.waitForSelector('#detail h3:has-text("fail › route fail")');
    expect(await page.textContent('#detail pre')).toContain('"route": "fail"');
    await page.waitForSelector('#detail svg.chart polyline.in', { state: 'attached' });
    await page.waitForSelector('#detail .letters li:has-text("fail")', { timeout: 10_000 });
  });

  it('shows a script\'s active version, its canary and share, what each processor serves and its calls', async () => {
    const admin = (path: string, body: unknown, method = 'POST') =>
      fetch(`${gateway.adminUrl}/admin/v1/scripts/greeter${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const manifest = { kind: 'route', route: { summary: 'Greets the caller' }, examples: [{ input: { name: 'ada' }, output: { greeting: 'hello ada' } }] };
    for (const source of ['export default (input) => ({ greeting: `hello ${input.name}` });', 'export default (input) => ({ greeting: "hello " + input.name });']) {
      expect(await admin('', { source, manifest }, 'PUT')).toMatchObject({ status: 201 });
    }
    expect(await admin('/activate', { version: 1 })).toMatchObject({ status: 200 });
    expect(await admin('/canary', { version: 2, share: 0.25 })).toMatchObject({ status: 200 });
    await eventually(async () => (await post(`${gateway.url}/v1/greeter`, { name: 'ada' })).status === 200, 20_000, 'greeter served');
    for (let i = 0; i < 40; i++) expect((await post(`${gateway.url}/v1/greeter`, { name: `n${i}` })).status).toBe(200);
    const row = 'tr[data-script="greeter"]';
    await page.waitForSelector(`${row}:has-text("v2 · 25%")`, { timeout: 10_000 });
    await page.waitForSelector(`${row}:has-text("proc-a v1+v2")`, { timeout: 10_000 });
    expect(await page.textContent(row)).toMatch(/^greeterv1v2 · 25%/);
  });

  it('logged no errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
