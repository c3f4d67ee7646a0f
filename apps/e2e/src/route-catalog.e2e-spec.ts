import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppProcess } from './support/app-process';
import { Cluster, servedRoutes } from './support/cluster';
import { eventually, get, post } from './support/http';
import { KafkaRecords } from './support/kafka-records';
import { validateOpenApi } from './support/openapi';

const ROOT = resolve(__dirname, '../../..');
/** A job package that is not part of the processor's code: built on its own, loaded from FLOWGATE_JOBS. */
const ORDER_PRICING = resolve(ROOT, 'dist/examples/order-pricing.js');

const order = (customer: string, unitPriceCents: number, qty = 1) => ({ customer, items: [{ sku: 'sku-1', qty, unitPriceCents }] });

/** Runs the processor bundle's one-shot command with the cluster's environment. */
function processorCommand(cluster: Cluster, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [resolve(ROOT, 'dist/apps/processor/main.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...cluster.env, FLOWGATE_LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('the route catalog: a job package deployed next to the demo, served by a gateway already running', () => {
  const cluster = new Cluster('catalog');
  const records = new KafkaRecords('catalog');
  let gateway: AppProcess;

  beforeAll(async () => {
    await cluster.start('processor');
    gateway = await cluster.start('gateway');
  });
  afterAll(async () => {
    await records.close();
    await cluster.stopAll();
  });

  it('serves a route declared by a newly started processor without a gateway restart, with its keyed state', async () => {
    expect((await post(`${gateway.url}/v1/order-quote`, order('ada', 500))).status).toBe(404);
    const pid = gateway.pid;

    // Cluster.start waits (on /openapi.json) until the running gateway serves the new processor's routes.
    await cluster.start('processor', { FLOWGATE_JOBS: ORDER_PRICING });

    const first = await post(`${gateway.url}/v1/order-quote`, order('ada', 40_000, 3));
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ customer: 'ada', subtotalCents: 120_000, discountCents: 0, totalCents: 120_000, spentCents: 120_000 });
    // The customer's spend is keyed state: the second order gets the loyalty discount.
    const second = await post(`${gateway.url}/v1/order-quote`, order('ada', 10_000));
    expect(second.json).toEqual({ customer: 'ada', subtotalCents: 10_000, discountCents: 500, totalCents: 9_500, spentCents: 129_500 });
    expect(gateway.pid).toBe(pid);
    // The demo routes are still served, by the other processor.
    expect((await post(`${gateway.url}/v1/echo`, { still: 'here' })).json).toMatchObject({ still: 'here', result: 'ok' });
    expect(await gateway.metric('flowgate_gateway_catalog_changes_total', { change: 'added' })).toBe(7);
  });

  it('refuses a body that breaks the route schema with 400 listing every error, and nothing reaches Kafka', async () => {
    const before = await records.highWatermarkSum(`${cluster.prefix}orders`);
    const res = await post(`${gateway.url}/v1/order-quote`, { customer: '', items: [{ sku: 'a', qty: 0, unitPriceCents: 'free' }], coupon: 'X' });

    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.json).toMatchObject({ type: 'urn:flowgate:problem:bad-body', status: 400 });
    expect(res.json!.errors).toEqual(
      expect.arrayContaining([
        { path: '/', message: 'must NOT have additional properties: "coupon"' },
        { path: '/customer', message: 'must NOT have fewer than 1 characters' },
        { path: '/items/0/qty', message: 'must be >= 1' },
        { path: '/items/0/unitPriceCents', message: 'must be integer' },
      ]),
    );
    expect(res.json!.errors).toHaveLength(4);
    expect(await gateway.metric('flowgate_gateway_body_rejections_total', { route: 'order-quote' })).toBe(1);
    // A valid order after it lands in the topic: only then is the high watermark compared.
    expect((await post(`${gateway.url}/v1/order-quote`, order('bob', 100))).status).toBe(200);
    expect(await records.highWatermarkSum(`${cluster.prefix}orders`)).toBe(before + 1);
  });

  it('applies the route\'s own limits: body size and deadline', async () => {
    const big = { customer: 'cy', items: Array.from({ length: 100 }, (_, i) => ({ sku: `sku-${i}-${'x'.repeat(200)}`, qty: 1, unitPriceCents: 1 })) };
    const tooBig = await post(`${gateway.url}/v1/order-quote`, big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.json).toMatchObject({ detail: 'route order-quote takes bodies of at most 16384 bytes' });

    const tooLong = await post(`${gateway.url}/v1/order-quote`, order('cy', 1), { 'x-timeout-ms': '30001' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json).toMatchObject({ detail: 'X-Timeout-Ms must be a whole number from 1 to 30000' });
  });

  it('describes every route of the catalog in a valid OpenAPI 3.1 document', async () => {
    const res = await get(`${gateway.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(validateOpenApi(res.json)).toEqual({ valid: true });
    expect((await servedRoutes(gateway)).sort()).toEqual(['counter', 'counter-get', 'delay', 'echo', 'fail', 'ip-counts', 'order-quote']);
    const paths = res.json!.paths as Record<string, { post?: Record<string, unknown> }>;
    const quote = paths['/v1/order-quote'].post!;
    expect(quote.operationId).toBe('postOrderQuote');
    expect(quote.requestBody).toMatchObject({ content: { 'application/json': { schema: { required: ['customer', 'items'], additionalProperties: false } } } });
    expect(Object.keys(quote.responses as object)).toEqual(expect.arrayContaining(['200', '202', '400', '404', '413', '503', '504']));
    expect(paths['/event'].post!.summary).toMatch(/served by route echo/);
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/v1/requests/{id}', '/healthz', '/readyz']));
  });

  it('refuses at boot a job that declares a route another job serves, naming both, and never becomes ready', async () => {
    // A job package in plain JavaScript from an empty folder: the DSL comes with the context.
    const dir = mkdtempSync(join(tmpdir(), 'flowgate-jobs-'));
    writeFileSync(
      join(dir, 'jobs.mjs'),
      `export default ({ job, route }) => [
        job('rival-pricing')
          .fromRoute(route({ name: 'order-quote', summary: 'Prices orders differently', topic: 'rival-orders' }))
          .map('price', (order) => ({ total: 0 }))
          .toReply(),
      ];\n`,
    );
    const rival = await cluster.start('processor', { FLOWGATE_JOBS: join(dir, 'jobs.mjs') }, { waitReady: false });
    expect(await rival.exited).toBe(1);
    expect(rival.logs).toMatch(/route order-quote is served by job order-pricing; job rival-pricing declares it differently/);
    expect(rival.logs).not.toMatch(/processor ready/);
    // The catalog still has the first declaration.
    expect((await post(`${gateway.url}/v1/order-quote`, order('dee', 100))).json).toMatchObject({ totalCents: 100 });
  });

  it('serves the catalog to a gateway started later from the moment it is ready', async () => {
    const late = await cluster.start('gateway');
    expect((await post(`${late.url}/v1/order-quote`, order('eve', 100))).status).toBe(200);
  });

  it('answers 404 again once the route is retired, without a restart', async () => {
    const run = processorCommand(cluster, ['retire-routes', 'order-quote', 'never-declared'], { FLOWGATE_JOBS: ORDER_PRICING });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/retired order-quote \(not in the catalog: never-declared\)/);
    await eventually(async () => (await post(`${gateway.url}/v1/order-quote`, order('fay', 100))).status === 404, 10_000, 'order-quote retired');
    expect(await servedRoutes(gateway)).not.toContain('order-quote');
    expect(await gateway.metric('flowgate_gateway_catalog_changes_total', { change: 'retired' })).toBe(1);
  });
});

describe('job modules that cannot run', () => {
  const cluster = new Cluster('bad-jobs');
  afterAll(() => cluster.stopAll());

  it.each([
    ['a module that does not exist', 'dist/examples/no-such-module.js', /job module dist\/examples\/no-such-module.js could not be loaded/],
    ['a route name outside the alphabet', 'export default ({ job, route }) => [job("x").fromRoute(route({ name: "Order_Quote", summary: "s" })).toReply()];', /route name .{0,4}Order_Quote.{0,4} must be lower-case letters, digits/],
    ['keyed state on the shared requests topic', 'export default ({ job, route }) => [job("x").fromRoute(route({ name: "tally", summary: "s" })).keyBy("k", () => "k").process("p", ["s"], () => 1).toReply()];', /job x keeps keyed state: its routes need a topic of their own/],
    ['a schema no validator can compile', 'export default ({ job, route }) => [job("x").fromRoute(route({ name: "odd", summary: "s", bodySchema: { type: "nonsense" } })).toReply()];', /route odd: bodySchema is not a usable JSON Schema/],
  ])('stops the processor at boot with the reason: %s', async (_what, module, reason) => {
    let jobs = module;
    if (module.startsWith('export')) {
      jobs = join(mkdtempSync(join(tmpdir(), 'flowgate-jobs-')), 'jobs.mjs');
      writeFileSync(jobs, module);
    }
    const processor = await cluster.start('processor', { FLOWGATE_JOBS: jobs }, { waitReady: false });
    expect(await processor.exited).toBe(1);
    expect(processor.logs).toMatch(reason);
  });
});
