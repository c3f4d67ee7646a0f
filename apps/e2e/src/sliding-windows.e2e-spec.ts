import { AppProcess } from './support/app-process';
import { AccessLine, ingestAccessLog, windowAlignedPast } from './support/access-log';
import { Cluster } from './support/cluster';
import { eventually } from './support/http';
import { KafkaRecords } from './support/kafka-records';
import { partitionSamples } from './support/metric-samples';

const IPS = ['10.2.0.1', '10.2.0.2', '10.2.0.3', '10.2.0.4', '10.2.0.5'];
const SECONDS = 20;

interface SlidingCount {
  readonly ip: string;
  readonly start: number;
  readonly end: number;
  readonly count: number;
}

/**
 * The built-in `ip-count-sliding` job: the access log in 10 s windows every 5 s. Every IP sends
 * one line a second for 20 s, some out of order within the 5 s lateness, one far too late, and one
 * a minute later that makes every earlier window final. Each second lands in two windows, so the
 * windows starting at t0 - 5 s ... t0 + 15 s count 5, 10, 10, 10, 5.
 */
describe('sliding windows (ip-count-sliding job)', () => {
  const cluster = new Cluster('sliding');
  const records = new KafkaRecords('sliding');
  let gateway: AppProcess;
  let processor: AppProcess;
  const t0 = windowAlignedPast(10);

  beforeAll(async () => {
    processor = await cluster.start('processor');
    gateway = await cluster.start('gateway');
  });
  afterAll(async () => {
    await records.close();
    await cluster.stopAll();
  });

  it('writes each final window of every IP once, with exact counts, and counts the too-late lines', async () => {
    const out = await records.tail(`${cluster.prefix}ip-counts.sliding`);
    const lines: AccessLine[] = [];
    for (let s = 0; s < SECONDS; s++) for (const ip of IPS) lines.push({ ts: t0 + s * 1_000, ip });
    // Second 12 of every IP arrives after second 15 (out of order, within the lateness).
    const held = lines.filter((l) => l.ts === t0 + 12_000);
    const inOrder = lines.filter((l) => l.ts !== t0 + 12_000);
    const second16 = inOrder.findIndex((l) => l.ts === t0 + 16_000);
    await ingestAccessLog(gateway, inOrder.slice(0, second16));
    await ingestAccessLog(gateway, [...held, ...inOrder.slice(second16)]);
    // Watermark t0 + 19 s: second 2 is in [t0 - 5 s, t0 + 5 s) and [t0, t0 + 10 s), both final.
    await ingestAccessLog(gateway, IPS.map((ip) => ({ ts: t0 + 2_000, ip })));
    await ingestAccessLog(gateway, IPS.map((ip) => ({ ts: t0 + 60_000, ip })));

    const counts = [5, 10, 10, 10, 5];
    const expected = IPS.flatMap((ip) => counts.map((count, k) => ({ ip, start: t0 + (k - 1) * 5_000, end: t0 + (k + 1) * 5_000, count })));
    const key = (w: SlidingCount) => `${w.ip} ${w.start}`;
    await eventually(() => out.records.length >= expected.length, 30_000, 'every final window on the topic');
    const written = out.records.map((r) => JSON.parse(r.value!) as SlidingCount);
    expect(written.map(key).sort()).toEqual(expected.map(key).sort());
    expect(written.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(expected.sort((a, b) => key(a).localeCompare(key(b))));
    expect(out.records.every((r) => r.key === JSON.parse(r.value!).ip)).toBe(true);

    // No more windows are final than those: the lines of t0 + 60 s keep theirs open.
    expect(out.records).toHaveLength(expected.length);
    await eventually(async () => (await processor.metric('flowgate_processor_late_events_total', { job: 'ip-count-sliding' })) === IPS.length, 20_000, 'late events counted');
    await out.stop();
  }, 120_000);

  it('shows the sliding window spec on GET /topology', async () => {
    const { jobs } = (await (await fetch(`${processor.url}/topology`)).json()) as { jobs: { name: string; nodes: Record<string, unknown>[] }[] };
    const sliding = jobs.find((j) => j.name === 'ip-count-sliding')!;
    expect(sliding.nodes.map((n) => n.kind)).toEqual(['source', 'keyBy', 'window', 'map', 'sink']);
    expect(sliding.nodes[0]).toMatchObject({ topic: `${cluster.prefix}access-log` });
    expect(sliding.nodes[2]).toMatchObject({
      window: { type: 'sliding', sizeMs: 10_000, slideMs: 5_000, allowedLatenessMs: 5_000, description: '10 s sliding every 5 s' },
    });
    expect(sliding.nodes[4]).toMatchObject({ topic: `${cluster.prefix}ip-counts.sliding` });
  });

  it('reports each partition\'s watermark lag and its consumer lag down to zero', async () => {
    // Every partition that saw events has a watermark of t0 + 60 s, about ten minutes ago.
    const lags = await partitionSamples(processor, 'flowgate_processor_watermark_lag_seconds', 'ip-count-sliding');
    expect(lags.length).toBeGreaterThanOrEqual(1);
    for (const { value } of lags) {
      expect(value).toBeGreaterThan(8 * 60);
      expect(value).toBeLessThan(60 * 60);
    }
    await eventually(async () => {
      const consumer = await partitionSamples(processor, 'flowgate_processor_partition_lag', 'ip-count-sliding');
      return consumer.length === 4 && consumer.every((s) => s.value === 0);
    }, 20_000, 'consumer lag 0 on all 4 partitions');
  });
});
