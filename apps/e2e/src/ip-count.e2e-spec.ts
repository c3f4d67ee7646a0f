import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, post } from './support/http';
import { KafkaRecords } from './support/kafka-records';

const IPS = Array.from({ length: 12 }, (_, i) => `10.1.0.${i + 1}`);
const SECONDS = 30;

/**
 * A generated access log with known counts: every IP once a second for 30 s (six 5 s windows of
 * 5), a fifth of the lines up to 3 s out of order (within the 5 s allowed lateness), then one
 * line per IP far too late, then one line per IP a minute later that closes the earlier windows.
 * Every IP has lines at the latest times, so whichever partition it lands on, that partition's
 * watermark has passed the same points: the expected result does not depend on partitioning.
 */
function accessLog(t0: number) {
  const inOrder: { ts: number; ip: string }[] = [];
  for (let s = 0; s < SECONDS; s++) for (const ip of IPS) inOrder.push({ ts: t0 + s * 1_000, ip });
  // Hold back every fifth line by three seconds' worth of lines.
  const shuffled: { ts: number; ip: string }[] = [];
  const held: { at: number; line: { ts: number; ip: string } }[] = [];
  inOrder.forEach((line, i) => {
    if (i % 5 === 0 && line.ts < t0 + (SECONDS - 3) * 1_000) held.push({ at: i + 3 * IPS.length, line });
    else shuffled.push(line);
    for (const h of held.filter((h) => h.at === i)) shuffled.push(h.line);
  });
  const tooLate = IPS.map((ip) => ({ ts: t0 + 2_000, ip }));
  const closing = IPS.map((ip) => ({ ts: t0 + 60_000, ip }));
  return { batches: [shuffled.slice(0, 150), shuffled.slice(150), tooLate, closing], total: shuffled.length };
}

const ndjson = (lines: { ts: number; ip: string }[]) => lines.map((l) => JSON.stringify(l)).join('\n');

async function ingest(gateway: AppProcess, lines: { ts: number; ip: string }[]) {
  const res = await fetch(`${gateway.url}/v1/ingest/access-log`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: ndjson(lines),
  });
  expect(res.status).toBe(202);
  expect(await res.json()).toEqual({ accepted: lines.length, rejected: 0, errors: [] });
}

function runIpCount(processors: number) {
  describe(`ip-count job with ${processors} processor(s)`, () => {
    const cluster = new Cluster(`ip-count-${processors}`);
    const records = new KafkaRecords(`ip-count-${processors}`);
    let gateway: AppProcess;
    const processorApps: AppProcess[] = [];
    // Aligned to a window, far enough back that no window of it is "now".
    const t0 = Math.floor(Date.now() / 5_000) * 5_000 - 10 * 60_000;

    beforeAll(async () => {
      for (let i = 0; i < processors; i++) processorApps.push(await cluster.start('processor'));
      gateway = await cluster.start('gateway');
    });
    afterAll(async () => {
      await records.close();
      await cluster.stopAll();
    });

    it('counts each IP exactly per 5 s window, drops too-late lines, and publishes closed windows', async () => {
      const log = accessLog(t0);
      const closedTail = await records.tail(`${cluster.prefix}ip-counts`);
      const lateTail = await records.tail(`${cluster.prefix}ip-counts.late`);
      for (const batch of log.batches) await ingest(gateway, batch);

      const expected = [
        ...Array.from({ length: SECONDS / 5 }, (_, k) => ({ start: t0 + k * 5_000, end: t0 + (k + 1) * 5_000, count: 5, final: true })),
        { start: t0 + 60_000, end: t0 + 65_000, count: 1, final: false },
      ];
      for (const ip of IPS) {
        await eventually(async () => {
          const res = await post(`${gateway.url}/v1/ip-counts`, { ip }, { 'x-timeout-ms': '20000' });
          return JSON.stringify(res.json) === JSON.stringify({ ip, windows: expected });
        }, 30_000, `windows of ${ip}`);
      }
      await eventually(() => closedTail.records.length >= IPS.length * (SECONDS / 5), 20_000, 'closed windows on the topic');
      const closed = closedTail.records.map((r) => JSON.parse(r.value!) as { ip: string; start: number; count: number });
      expect(closed).toHaveLength(IPS.length * (SECONDS / 5));
      expect(closed.every((w) => w.count === 5)).toBe(true);
      expect(new Set(closed.map((w) => `${w.ip}/${w.start}`)).size).toBe(closed.length);
      await eventually(() => lateTail.records.length >= IPS.length, 20_000, 'late events on the side output');
      expect(lateTail.records).toHaveLength(IPS.length);
      let late = 0;
      for (const processor of processorApps) late += await processor.metric('flowgate_processor_output_records_total', { job: 'ip-count', topic: 'ip-counts.late' });
      expect(late).toBe(IPS.length);
      let lateEvents = 0;
      for (const processor of processorApps) lateEvents += await processor.metric('flowgate_processor_late_events_total', { job: 'ip-count' });
      expect(lateEvents).toBe(IPS.length);
      await closedTail.stop();
      await lateTail.stop();
    }, 120_000);
  });
}

runIpCount(1);
runIpCount(2);

describe('ip-count job while its processor is SIGKILLed (exactly-once)', () => {
  const cluster = new Cluster('ip-count-crash');
  let gateway: AppProcess;
  let processor: AppProcess;
  const t0 = Math.floor(Date.now() / 5_000) * 5_000 - 20 * 60_000;

  beforeAll(async () => {
    processor = await cluster.start('processor');
    gateway = await cluster.start('gateway');
  });
  afterAll(() => cluster.stopAll());

  it('ends with exact counts: nothing lost, nothing counted twice', async () => {
    const log = accessLog(t0);
    const lines = log.batches.slice(0, 2).flat();
    const uploads = Array.from({ length: 12 }, (_, i) => lines.slice(i * 30, (i + 1) * 30)).filter((b) => b.length > 0);
    // Every upload is acknowledged (202) before the next; the processor dies between them and
    // mid-way through processing them.
    for (const [i, upload] of uploads.entries()) {
      await ingest(gateway, upload);
      if (i === 3 || i === 7) {
        processor.kill('SIGKILL');
        await processor.exited;
        processor = await cluster.start('processor', {}, { waitReady: false });
      }
    }
    await ingest(gateway, log.batches[2]);
    await ingest(gateway, log.batches[3]);
    await processor.waitReady();
    const expected = [
      ...Array.from({ length: SECONDS / 5 }, (_, k) => ({ start: t0 + k * 5_000, end: t0 + (k + 1) * 5_000, count: 5, final: true })),
      { start: t0 + 60_000, end: t0 + 65_000, count: 1, final: false },
    ];
    for (const ip of IPS) {
      let last: unknown;
      await eventually(async () => {
        last = (await post(`${gateway.url}/v1/ip-counts`, { ip }, { 'x-timeout-ms': '20000' })).json;
        return JSON.stringify(last) === JSON.stringify({ ip, windows: expected });
      }, 60_000, `exact windows of ${ip}`).catch((error: Error) => {
        throw new Error(`${error.message}; last answer ${JSON.stringify(last)}`);
      });
    }
  }, 150_000);
});

describe('access-log ingest', () => {
  const cluster = new Cluster('ingest');
  const records = new KafkaRecords('ingest');
  let gateway: AppProcess;
  beforeAll(async () => {
    await cluster.start('processor');
    gateway = await cluster.start('gateway');
  });
  afterAll(async () => {
    await records.close();
    await cluster.stopAll();
  });

  it('sends a poison event to the DLQ with the reason, and the job keeps counting', async () => {
    const dlq = await records.tail(`${cluster.prefix}dlq`);
    await records.write(`${cluster.prefix}access-log`, [{ key: 'poison', value: 'not json at all' }, { key: 'poison-2', value: '[1,2]' }]);
    const letter = await dlq.waitFor((r) => r.key === 'poison', 20_000, 'dead letter of the poison event');
    expect(letter.headers['fg-dlq-reason']).toMatch(/SyntaxError/);
    expect(letter.headers['fg-dlq-source']).toMatch(new RegExp(`^${cluster.prefix.replace(/\./g, '\\.')}access-log/\\d+/\\d+$`));
    expect((await dlq.waitFor((r) => r.key === 'poison-2', 20_000, 'dead letter of the array event')).headers['fg-dlq-reason']).toMatch(/not a JSON object/);
    const ts = Math.floor(Date.now() / 5_000) * 5_000 - 60_000;
    await ingest(gateway, [{ ts, ip: '10.9.9.9' }]);
    await eventually(async () => {
      const res = await post(`${gateway.url}/v1/ip-counts`, { ip: '10.9.9.9' });
      return JSON.stringify((res.json as { windows?: unknown[] })?.windows) === JSON.stringify([{ start: ts, end: ts + 5_000, count: 1, final: false }]);
    }, 20_000, 'the event after the poison counted');
    await dlq.stop();
  });

  it('accepts the seed\'s text lines, reports bad lines without dropping good ones', async () => {
    const res = await fetch(`${gateway.url}/v1/ingest/access-log`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '12:00:01 10.0.0.1\n12:00:02\t10.0.0.2\r\nnonsense\n25:00:00 10.0.0.3\n\n12:00:03 999.1.1.1\n12:00:04 10.0.0.4\n',
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: number; errors: { line: number; reason: string }[] };
    expect(body.accepted).toBe(3);
    expect(body.rejected).toBe(3);
    expect(body.errors.map((e) => e.line)).toEqual([3, 4, 6]);
  });

  it('refuses JSON and other media types with 415', async () => {
    const res = await post(`${gateway.url}/v1/ingest/access-log`, { ts: 1, ip: '10.0.0.1' });
    expect(res.status).toBe(415);
  });
});
