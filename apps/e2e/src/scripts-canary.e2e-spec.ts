import type { AuditRecord, ScriptActivationRecord, ScriptVersionRecord } from '@flowgate/contracts';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, HttpResult, post } from './support/http';
import { KafkaRecords, RawRecord, TopicTail } from './support/kafka-records';
import { activeScriptVersion, ScriptAdmin } from './support/scripts';

const MANIFEST = { kind: 'route' as const, route: { summary: 'Prices by customer', keyField: 'customer' } };
const stableSource = 'export default (input) => ({ customer: input.customer, price: 100 });';
/** The canary under test fails for every key it gets, except the one of its example. */
const failingSource = `export default (input) => {
  if (input.customer !== 'example') throw new Error('injected failure for ' + input.customer);
  return { customer: input.customer, price: 90 };
};`;
const cleanSource = 'export default (input) => ({ customer: input.customer, price: 95 });';
const example = (price: number) => [{ input: { customer: 'example' }, context: { key: 'example' }, output: { customer: 'example', price } }];

const activationOf = (record: RawRecord) => JSON.parse(record.value!) as ScriptActivationRecord;

describe('canaries: rolled back automatically when they fail, promoted after enough clean calls (two processors)', () => {
  const cluster = new Cluster('scripts-canary');
  const records = new KafkaRecords('scripts-canary');
  const admin = new ScriptAdmin(cluster);
  let gateway: AppProcess;
  let processors: AppProcess[];
  let scripts: TopicTail;
  let audit: TopicTail;
  let v1: ScriptVersionRecord;

  /** One request per customer c0…c(n-1): the key's hash decides the version. */
  const requests = (count: number, from = 0): Promise<HttpResult[]> =>
    Promise.all(Array.from({ length: count }, (_, i) => post(`${gateway.url}/v1/price`, { customer: `c${from + i}` })));
  const sumOver = async (name: string, labels: Record<string, string>) =>
    (await Promise.all(processors.map((p) => p.metric(name, labels)))).reduce((a, b) => a + b, 0);

  beforeAll(async () => {
    processors = [await cluster.start('processor'), await cluster.start('processor')];
    gateway = await cluster.start('gateway');
    scripts = await records.tail(`${cluster.prefix}scripts`);
    audit = await records.tail(`${cluster.prefix}audit`);
  });
  afterAll(async () => {
    await records.close();
    await cluster.stopAll();
  });

  it('rolls back a canary whose error rate exceeds the stable one\'s by the margin: activation record, audit record, the canary keys back on stable', async () => {
    v1 = await admin.putVersion('price', 1, stableSource, { ...MANIFEST, examples: example(100) });
    const v2 = await admin.putVersion('price', 2, failingSource, { ...MANIFEST, examples: example(90) });
    await admin.activate(v1);
    await cluster.gatewaysServe(['price']);
    await admin.canary('price', { version: 2, share: 0.5, rollbackMargin: 0.2, minCalls: 5 });
    await eventually(async () => (await Promise.all(processors.map((p) => activeScriptVersion(p, 'price', 'canary')))).every((v) => v === 2), 10_000, 'canary v2 loaded');

    const during = await requests(60);
    const failed = during.filter((r) => r.status === 500);
    expect(failed.length).toBeGreaterThan(0);
    for (const res of failed) expect(res.headers.get('fg-script-version')).toBe('price@2');

    const rollback = await scripts.waitFor((r) => r.key === 'active/price' && activationOf(r).reason.startsWith('auto-rollback'), 15_000, 'auto-rollback activation');
    const decided = activationOf(rollback);
    expect(decided).toMatchObject({ name: 'price', kind: 'route', stable: 1, changedBy: expect.stringMatching(/^processor:/) });
    expect(decided.canary).toBeUndefined();
    expect(decided.reason).toMatch(/^auto-rollback: canary v2 error rate 1\.000 vs stable 0\.000$/);
    const audited = await audit.waitFor((r) => (JSON.parse(r.value!) as AuditRecord).action === 'auto-rollback', 15_000, 'auto-rollback audit record');
    expect(JSON.parse(audited.value!)).toMatchObject({ actor: decided.changedBy, script: 'price', version: 2, sha256: v2.sha256, detail: decided.reason });
    expect(await sumOver('flowgate_script_canary_decisions_total', { script: 'price', decision: 'rollback' })).toBeGreaterThanOrEqual(1);
    // …and a log line of the processor that decided.
    expect(processors.some((p) => p.logs.includes('script price: auto-rollback: canary v2 error rate 1.000 vs stable 0.000'))).toBe(true);

    // Every key is on v1 again, on both processors.
    await eventually(async () => (await Promise.all(processors.map((p) => activeScriptVersion(p, 'price', 'canary')))).every((v) => v === undefined), 10_000, 'canary gone');
    const afterwards = await requests(60);
    for (const res of afterwards) {
      expect(res.status).toBe(200);
      expect(res.headers.get('fg-script-version')).toBe('price@1');
    }
  });

  it('promotes a clean canary after promoteAfter calls without an error', async () => {
    const v3 = await admin.putVersion('price', 3, cleanSource, { ...MANIFEST, examples: example(95) });
    await admin.canary('price', {
      version: 3, share: 0.5, rollbackMargin: 0.2, minCalls: 5, promoteAfter: 10,
    });
    await eventually(async () => (await Promise.all(processors.map((p) => activeScriptVersion(p, 'price', 'canary')))).every((v) => v === 3), 10_000, 'canary v3 loaded');

    const during = await requests(80, 1_000);
    for (const res of during) expect(res.status).toBe(200);
    expect(during.some((r) => r.headers.get('fg-script-version') === 'price@3')).toBe(true);

    const promotion = await scripts.waitFor((r) => r.key === 'active/price' && activationOf(r).reason.startsWith('auto-promote'), 15_000, 'auto-promote activation');
    expect(activationOf(promotion)).toMatchObject({ stable: 3, reason: 'auto-promote: canary v3 had 10 calls in a row without an error' });
    expect(activationOf(promotion).canary).toBeUndefined();
    const audited = await audit.waitFor((r) => (JSON.parse(r.value!) as AuditRecord).action === 'auto-promote', 15_000, 'auto-promote audit record');
    expect(JSON.parse(audited.value!)).toMatchObject({ script: 'price', version: 3, sha256: v3.sha256 });

    await eventually(async () => (await Promise.all(processors.map((p) => activeScriptVersion(p, 'price')))).every((v) => v === 3), 10_000, 'v3 stable everywhere');
    for (const res of await requests(40, 2_000)) expect(res.headers.get('fg-script-version')).toBe('price@3');
  });
});

