import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { helmTemplate, ofKind } from './support/manifests';
import { ConstantLoad, postJson } from './support/load';
import { AppProcess, ColourStack, ensureDebianTool, sleep, stackEnv, uniquePrefix } from './support/processes';
import { Prometheus } from './support/prometheus';
import { metricNames, panelsOf, withGrafanaVariables } from './support/promql';
import { ensureTools, INSTALL_TIMEOUT_MS, mustRun, repoRoot } from './support/tools';

// Debian's Prometheus scrapes a running gateway, processor and sweeper (the built bundles, on the
// Kafka and Redis of `npm test`) while the test puts bounded load through them, and evaluates
// every dashboard query and every alert of the chart.

const RELEASE = 'flowgate-blue';
const NAMESPACE = 'flowgate';
/** Turns the gateway's script admin API on, for the Scripts row's traffic. */
const ADMIN_TOKEN = 'prometheus-e2e-admin-token';
const DASHBOARD_DIR = join(repoRoot, 'helm/flowgate/files/dashboards');
const panels = readdirSync(DASHBOARD_DIR)
  .filter((f) => f.endsWith('.json'))
  .flatMap((f) => panelsOf(JSON.parse(readFileSync(join(DASHBOARD_DIR, f), 'utf8'))));
const queries = panels.flatMap((p) => p.targets.map((t) => ({ id: `${p.dashboard} / ${p.panel} [${t.refId}]`, expr: withGrafanaVariables(t.expr, '2m') })));

/**
 * Alerts whose condition a healthy stack cannot meet without breaking something the other specs
 * rely on (Kafka, Redis leases). For these the test checks that Prometheus evaluates the rule
 * without error, that the metric behind it has data, and that the alert stays quiet.
 */
const NOT_PROVOKED: Record<string, string> = {
  FlowgateGatewayWithoutReplySlot: 'a gateway only listens once it owns its reply partition',
  FlowgateReplySlotOwnedTwice: 'needs two gateways on one reply partition (a lost lease)',
  FlowgateKafkaUnreachable: 'needs the shared Kafka stopped',
};

/** The alert's expression without its final threshold comparison: the signal it watches. */
const signalOf = (expr: string): string => expr.trim().replace(/\s*(>|<|>=|<=|==|!=)\s*-?[0-9.e]+$/, '');

/** The chart's PrometheusRule with hair-trigger thresholds, so that the test's load fires the alerts. */
function renderRules(): { groups: { name: string; rules: { alert: string; expr: string }[] }[] } {
  const objects = helmTemplate('flowgate', {
    release: RELEASE,
    namespace: NAMESPACE,
    valuesFiles: [join(__dirname, 'fixtures/alerts-hair-trigger-values.yaml')],
  });
  return { groups: ofKind(objects, 'PrometheusRule')[0].spec.groups };
}

describe('dashboards and alerts on a real Prometheus scraping the running apps', () => {
  let stack: ColourStack | undefined;
  let standby: AppProcess | undefined;
  let prometheus: Prometheus | undefined;
  let rules: ReturnType<typeof renderRules>;
  const exported = new Set<string>(['up', 'ALERTS']);

  beforeAll(async () => {
    const { prometheus: binary, promtool } = ensureDebianTool('prometheus');
    ensureTools();
    rules = renderRules();
    const rulesText = stringify(rules);
    // promtool refuses rules Prometheus would refuse; it also names the problem.
    const rulesFile = join(mkdtempSync(join(tmpdir(), 'flowgate-rules-')), 'flowgate.rules.yaml');
    writeFileSync(rulesFile, rulesText);
    expect(mustRun(promtool, ['check', 'rules', rulesFile])).toContain(`SUCCESS: ${rules.groups[0].rules.length} rules found`);

    stack = await ColourStack.start(uniquePrefix('prom'), {
      // A small in-flight table and one record at a time per partition, so that a burst of slow
      // requests fills the table (503 full), pauses partitions and lets queued records expire.
      gateway: { FLOWGATE_MAX_INFLIGHT: '16', FLOWGATE_ADMISSION_WAIT_MS: '0', FLOWGATE_ADMIN_TOKEN: ADMIN_TOKEN },
      processor: { FLOWGATE_PARTITION_CONCURRENCY: '1', FLOWGATE_PARTITION_QUEUE: '2' },
    });
    // A second sweeper (they run as a highly available pair) goes away at the end, for
    // FlowgateTargetDown, while the first keeps reporting.
    standby = await AppProcess.start('sweeper', { ...stackEnv(), FLOWGATE_TOPIC_PREFIX: stack.prefix, FLOWGATE_REQUEST_PARTITIONS: '4', FLOWGATE_REPLY_PARTITIONS: '4' });
    await standby.waitReady();
    const jobs = stack.apps.map((app) => ({
      job: `${RELEASE}-${app.name}`,
      // The gateway's /metrics is on its internal port; the others' on their own.
      ports: app.name === 'sweeper' ? [app.adminPort, standby!.adminPort] : [app.adminPort],
      labels: { namespace: NAMESPACE },
    }));
    prometheus = await Prometheus.start(binary, jobs, { 'flowgate.rules.yaml': rulesText });
    await waitFor(async () => (await prometheus!.targets()).filter((t) => t.health === 'up').length === 4, 'all four targets up');
    await exercise(stack);
    for (const app of [...stack.apps, standby]) for (const [name, type] of await app.families()) for (const s of suffixes(type)) exported.add(name + s);
    expect(await standby.stop()).toBe(0);
    await waitFor(async () => (await prometheus!.query(`ALERTS{alertname="FlowgateTargetDown", alertstate="firing"}`)).length > 0, 'FlowgateTargetDown firing');
  }, INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([stack?.stop(), standby?.stop()]);
  });

  it('the release variable finds the release in the job labels', async () => {
    const jobs = (await prometheus!.query('up')).map((s) => s.metric.job);
    const releases = new Set(jobs.map((job) => /^(.+)-(?:gateway|processor|sweeper)$/.exec(job)?.[1]));
    expect([...releases]).toEqual([RELEASE]);
  });

  it('no panel names a metric the running apps do not export', () => {
    const unknown = queries.flatMap((q) => metricNames(q.expr).filter((m) => !exported.has(m)).map((m) => `${q.id}: ${m}`));
    expect(unknown).toEqual([]);
    expect(exported.size).toBeGreaterThan(50);
  });

  it.each(queries.map((q) => [q.id, q.expr]))('%s returns data', async (_id, expr) => {
    const samples = await prometheus!.query(expr);
    expect(samples.length).toBeGreaterThan(0);
    // NaN is what histogram_quantile and ratios give over no traffic: not data.
    expect(samples.some((s) => Number.isFinite(Number(s.value[1])))).toBe(true);
  });

  it('every alert reads only exported metrics and is evaluated by Prometheus without error', async () => {
    const state = await prometheus!.alertingRules();
    for (const rule of rules.groups.flatMap((g) => g.rules)) {
      expect({ alert: rule.alert, unknown: metricNames(rule.expr).filter((m) => !exported.has(m)) }).toEqual({ alert: rule.alert, unknown: [] });
      expect({ alert: rule.alert, health: state[rule.alert]?.health, error: state[rule.alert]?.lastError ?? '' }).toEqual({ alert: rule.alert, health: 'ok', error: '' });
    }
  });

  it.each(renderRules().groups.flatMap((g) => g.rules).map((r) => [r.alert, r.expr]))('%s: the signal it watches has data', async (_alert, expr) => {
    expect((await prometheus!.query(signalOf(expr))).length).toBeGreaterThan(0);
  });

  it.each(
    renderRules()
      .groups.flatMap((g) => g.rules)
      .filter((r) => !(r.alert in NOT_PROVOKED))
      .map((r) => [r.alert]),
  )('%s fired under the test load', async (alert) => {
    // ALERTS keeps every pending/firing moment: the alert need not still fire now.
    const fired = await prometheus!.query(`max_over_time(ALERTS{alertname="${alert}", alertstate="firing"}[10m])`);
    expect(fired.length).toBeGreaterThan(0);
  });

  it.each(Object.keys(NOT_PROVOKED).map((a) => [a]))('%s stays quiet on a healthy stack', async (alert) => {
    const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === alert);
    expect(rule).toBeDefined();
    expect(await prometheus!.query(rule!.expr)).toEqual([]);
    expect(await prometheus!.query(`ALERTS{alertname="${alert}"}`)).toEqual([]);
  });
});

const suffixes = (type: string): string[] => (type === 'histogram' ? ['_bucket', '_sum', '_count'] : type === 'summary' ? ['', '_sum', '_count'] : ['']);

const eventually = (probe: () => Promise<boolean>, what: string) => waitFor(probe, what, 10_000);

async function waitFor(probe: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await sleep(500);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/**
 * Traffic that makes every panel and alert have something to show: steady echo load, handler
 * failures (500 + DLQ), keyed jobs (counter, access-log windows with a late event), deadlines
 * that pass (504, late replies, expired records), callers hanging up, and a burst that fills
 * the in-flight table (503) and pauses partitions. All on loopback, bounded in count.
 */
async function exercise(stack: ColourStack): Promise<void> {
  const url = (path: string) => `${stack.gateway.url}${path}`;
  const expect200 = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const answer = await postJson(url(path), body, headers);
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${answer.body}`);
    return answer;
  };
  const ndjson = (lines: unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
  const ingest = async (lines: unknown[]) => expect((await postJson(url('/v1/ingest/access-log'), ndjson(lines), { 'content-type': 'application/x-ndjson' })).status).toBe(202);
  const t0 = Date.now() - 120_000;
  const timeout = () => postJson(url('/v1/delay'), { ms: 1500 }, { 'x-timeout-ms': '200' });
  const hangUp = () => postJson(url('/v1/delay'), { ms: 800 }, {}, { abortAfterMs: 100 }).catch(() => undefined);

  // A route script, for the Scripts row: uploaded and activated through the admin API.
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${stack.gateway.adminUrl}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const script = { kind: 'route', route: { summary: 'Greets' }, examples: [{ input: { name: 'ada' }, output: { greeting: 'hi ada' } }] };
  expect((await admin('PUT', '/scripts/prom-greet', { source: "export default (input) => ({ greeting: 'hi ' + input.name })", manifest: script })).status).toBe(201);
  expect((await admin('POST', '/scripts/prom-greet/activate', { version: 1 })).status).toBe(200);
  await eventually(async () => (await postJson(url('/v1/prom-greet'), { name: 'lin' })).status === 200, 'the route script served');

  // Twice each, seconds apart: a labelled series appears with its first increment, and rate()
  // sees only the increments after Prometheus first scraped it.
  for (const round of [0, 1]) {
    for (let i = 0; i < 3; i++) await expect200('/v1/prom-greet', { name: `n${i}` });
    expect((await admin('GET', '/scripts')).status).toBe(200);
    await expect200('/event', { user: 'u1' });
    for (let i = 0; i < 3; i++) await expect200('/v1/counter', { key: `k${i % 2}`, by: 1 });
    await expect200('/v1/counter-get', { key: 'k0' });
    for (let i = 0; i < 2; i++) expect((await postJson(url('/v1/fail'), {})).status).toBe(500);
    // A body without the counter's key field: refused at the door, never on Kafka.
    expect((await postJson(url('/v1/counter'), { by: 1 })).status).toBe(400);
    if (round === 0) {
      // An access-log window, with a line that is no event.
      await ingest([{ ts: t0, ip: '10.9.9.9' }, { ts: t0 + 1, ip: '10.9.9.9' }, 'not json']);
    } else {
      // A newer event closes the window; one more for it is late.
      await ingest([{ ts: t0 + 30_000, ip: '10.9.9.9' }]);
      await ingest([{ ts: t0 + 2, ip: '10.9.9.9' }, 'not json either']);
    }
    await expect200('/v1/ip-counts', { ip: '10.9.9.9' });
    // Registered requests: async (202; a sweeper records the result), an idempotent call and its
    // retry, an async request that times out with nobody waiting.
    expect((await postJson(url('/v1/echo'), { round }, { prefer: 'respond-async' })).status).toBe(202);
    for (let i = 0; i < 2; i++) await expect200('/v1/echo', { round }, { 'idempotency-key': `prom-${round}` });
    expect((await postJson(url('/v1/delay'), { ms: 1500 }, { prefer: 'respond-async', 'x-timeout-ms': '200' })).status).toBe(202);
    // Deadlines shorter than the work (504 now, a late reply afterwards), callers that hang up.
    const [a, b] = await Promise.all([timeout(), timeout(), hangUp()]);
    expect([a?.status, b?.status]).toEqual([504, 504]);
    const warmUp = await new ConstantLoad({ url: url('/v1/echo'), body: (n) => ({ n }), workers: 4, maxRequests: 200 }).untilDone();
    if (warmUp.failed > 0) throw new Error(`echo load failed: ${JSON.stringify(warmUp.failures)}`);
    await sleep(2500);
  }

  // The burst: slow records queue up one at a time per partition (paused partitions), quick
  // ones with short deadlines expire behind them, and the in-flight table overflows.
  // 14 slow requests hold 14 of the 16 in-flight slots for 2.5 s: of the 8 sent right after
  // the quick ones, at most 2 find a slot.
  const slow = Array.from({ length: 14 }, () => postJson(url('/v1/delay'), { ms: 2500 }, { 'x-timeout-ms': '20000' }));
  await eventually(async () => (await stack.gateway.metric('flowgate_gateway_inflight_requests')) >= 14, 'slow requests in flight');
  const quick = Array.from({ length: 2 }, (_, i) => postJson(url('/v1/echo'), { i }, { 'x-timeout-ms': i === 0 ? '300' : '1' }));
  const refused = await Promise.all(Array.from({ length: 8 }, () => postJson(url('/v1/echo'), {})));
  expect(refused.filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(6);
  await Promise.all([...slow, ...quick]);
  // Two scrapes after the last traffic, so every counter's last increase is stored.
  await sleep(2500);
}
