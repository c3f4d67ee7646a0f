import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, post } from './support/http';
import { KafkaRecords, RawRecord, TopicTail } from './support/kafka-records';

const TOKEN = `e2e-admin-${randomBytes(12).toString('hex')}`;
const SCRIPTS = resolve(__dirname, '../../../libs/examples/src/geofence/scripts');
/** A KV namespace of this run's own: Redis is shared by every spec. */
const NAMESPACE = `geofence-${randomBytes(3).toString('hex')}`;

/** A shipped script file and its manifest, the manifest's KV namespace made this run's own. */
function shipped(file: string): { source: string; manifest: Record<string, unknown> } {
  const manifest = JSON.parse(readFileSync(resolve(SCRIPTS, `${file}.manifest.json`), 'utf8')) as Record<string, { kv?: unknown }>;
  const capabilities = manifest.capabilities;
  return {
    source: readFileSync(resolve(SCRIPTS, `${file}.js`), 'utf8'),
    manifest: { ...manifest, capabilities: capabilities.kv ? { ...capabilities, kv: { namespace: NAMESPACE } } : capabilities },
  };
}

const square = (lat: number, lon: number, size: number) => [[lat, lon], [lat, lon + size], [lat + size, lon + size], [lat + size, lon]];
const valueOf = (record: RawRecord) => JSON.parse(record.value ?? 'null') as { vehicle: string; fence: string; type: string; ts: number };

describe('seed 003 examples: geofence alarms and alert routing, rules as scripts swapped while the jobs run', () => {
  const cluster = new Cluster('geofence', {
    FLOWGATE_ADMIN_TOKEN: TOKEN,
    FLOWGATE_JOBS: resolve(__dirname, '../../../dist/examples/geofence.js'),
  });
  const records = new KafkaRecords('geofence');
  const topic = (name: string) => `${cluster.prefix}${name}`;
  let gateway: AppProcess;
  let processor: AppProcess;
  const tails: Record<string, TopicTail> = {};

  /** Uploads a version through the admin API, activates it, and waits until the processor serves it. */
  async function release(name: string, file: string): Promise<number> {
    const admin = (path: string, method: string, body: unknown) =>
      fetch(`${gateway.adminUrl}/admin/v1/scripts/${name}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const uploaded = await admin('', 'PUT', shipped(file));
    const { version } = (await uploaded.json()) as { version: number };
    expect(uploaded.status).toBeLessThan(300);
    expect((await admin('/activate', 'POST', { version })).status).toBe(200);
    await eventually(async () => (await processor.metric('flowgate_script_active_version', { script: name, role: 'stable' })) === version, 10_000, `${name}@${version} active`);
    return version;
  }

  const position = (lat: number, lon: number, ts: number) =>
    records.write(topic('vehicle-positions'), [{ key: 'truck-7', value: JSON.stringify({ vehicle: 'truck-7', lat, lon, ts }) }]);
  /** `<type> <fence>` of each record of `tail` with this ts. */
  const seen = (tail: string, ts: number) => tails[tail].records.filter((r) => valueOf(r).ts === ts).map((r) => `${valueOf(r).type} ${valueOf(r).fence}`);

  beforeAll(async () => {
    gateway = await cluster.start('gateway');
    processor = await cluster.start('processor');
    for (const name of ['alarms', 'alerts-sms', 'alerts-email', 'alerts-push']) tails[name] = await records.tail(topic(name));
    await release('fences', 'fences');
    await release('geofence-rules', 'geofence-rules');
    await release('alert-routing', 'alert-routing');
    await cluster.gatewaysServe(['fences']);
  });
  afterAll(async () => {
    await records.close();
    await cluster.stopAll();
  });

  it('draws fences through the route script and raises enter/leave alarms routed to SMS and e-mail', async () => {
    const drawn = await post(`${gateway.url}/v1/fences`, { fences: [{ id: 'depot', polygon: square(52, 4, 0.1) }] });
    expect(drawn.status).toBe(200);
    expect(drawn.json).toEqual({ count: 1 });
    expect(drawn.headers.get('fg-script-version')).toBe('fences@1');

    await position(52.05, 4.05, 1);
    await position(52.06, 4.06, 2);
    await position(52.5, 4.5, 3);
    await tails['alerts-email'].waitFor((r) => valueOf(r).ts === 3, 15_000, 'the leave alarm by e-mail');
    expect([1, 2, 3].map((ts) => seen('alarms', ts))).toEqual([['enter depot'], [], ['leave depot']]);
    expect(seen('alerts-sms', 1)).toEqual(['enter depot']);
    expect(seen('alerts-email', 1)).toEqual(['enter depot']);
    expect(seen('alerts-sms', 3)).toEqual([]);
    expect(tails['alerts-sms'].records.every((r) => r.key === 'truck-7')).toBe(true);
  });

  it('applies redrawn fences from the next position, and a new routing version (push added, leave off) without a restart', async () => {
    await post(`${gateway.url}/v1/fences`, { fences: [{ id: 'depot', polygon: square(52, 4, 0.1) }, { id: 'harbour', polygon: square(52.4, 4.4, 0.2) }] });
    await position(52.5, 4.5, 4);
    await tails.alarms.waitFor((r) => valueOf(r).ts === 4, 15_000, 'the harbour alarm');
    expect(seen('alarms', 4)).toEqual(['enter harbour']);

    expect(await release('alert-routing', 'alert-routing.v2')).toBe(2);
    await position(52.9, 4.9, 5); // leaves harbour: switched off in v2
    await position(52.05, 4.05, 6); // enters depot: SMS, e-mail and now push
    await tails['alerts-push'].waitFor((r) => valueOf(r).ts === 6, 15_000, 'the push alert');
    // A vehicle's alarms stay in order on one partition: the leave (ts 5) was routed before the enter (ts 6).
    expect([seen('alarms', 5), seen('alerts-email', 5), seen('alerts-sms', 5), seen('alerts-push', 5)]).toEqual([['leave harbour'], [], [], []]);
    expect([seen('alerts-sms', 6), seen('alerts-email', 6), seen('alerts-push', 6)]).toEqual([['enter depot'], ['enter depot'], ['enter depot']]);
    expect(processor.running).toBe(true);
  });

  it('a processor with FLOWGATE_ROUTE_SCRIPTS=off stays out of the shared requests group while a route script is active', async () => {
    // With the route script active, a processor with only topic jobs joins the shared group before
    // it is ready (and so owns request partitions by then) unless told not to.
    const off = await cluster.start('processor', { FLOWGATE_ROUTE_SCRIPTS: 'off' });
    expect(await off.metric('flowgate_processor_assigned_partitions')).toBe(0);
    expect(await off.metric('flowgate_script_active_version', { script: 'fences' })).toBe(1); // it follows the scripts all the same
    expect((await post(`${gateway.url}/v1/fences`, { fences: [] })).json).toEqual({ count: 0 });
    expect(await processor.metric('flowgate_processor_assigned_partitions')).toBe(4);
  });
});
