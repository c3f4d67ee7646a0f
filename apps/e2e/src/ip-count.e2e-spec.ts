import { ingestAccessLog, windowAlignedPast } from './support/access-log';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, post, sleep } from './support/http';
import { KafkaRecords, RawRecord, TopicTail } from './support/kafka-records';
import { partitionSamples } from './support/metric-samples';

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

/** The windows every IP of `accessLog(t0)` ends with: six final windows of 5, and the closing line's open window. */
function expectedWindows(t0: number) {
  return [
    ...Array.from({ length: SECONDS / 5 }, (_, k) => ({ start: t0 + k * 5_000, end: t0 + (k + 1) * 5_000, count: 5, final: true })),
    { start: t0 + 60_000, end: t0 + 65_000, count: 1, final: false },
  ];
}

type Window = ReturnType<typeof expectedWindows>[number];

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** `promise`, or an error naming `what` once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Asks the gateway for an IP's windows until `settled` accepts them; resolves with those windows. */
async function windowsOf(gateway: AppProcess, ip: string, settled: (windows: Window[]) => boolean, timeoutMs: number): Promise<Window[]> {
  let last: unknown;
  let windows: Window[] = [];
  await eventually(async () => {
    const res = await post(`${gateway.url}/v1/ip-counts`, { ip }, { 'x-timeout-ms': '20000' });
    last = res.json ?? `${res.status} ${res.text}`;
    windows = (res.json as { windows?: Window[] } | undefined)?.windows ?? [];
    return res.status === 200 && settled(windows);
  }, timeoutMs, `windows of ${ip}`).catch((error: Error) => {
    throw new Error(`${error.message}; last answer ${JSON.stringify(last)}`);
  });
  return windows;
}

/** The partitions of the ip-count job a processor owns, as its lag metric shows them (sampled every 2 s). */
async function ownedPartitions(processor: AppProcess): Promise<number[]> {
  return (await partitionSamples(processor, 'flowgate_processor_partition_lag', 'ip-count')).map((s) => s.partition);
}

const END_MARKER = 'e2e-end-marker';

/**
 * Everything on `topic` so far: writes a marker to each of its partitions and waits until `tail`
 * has read them all, so every record before them has been read too (markers left out).
 */
async function recordsToNow(records: KafkaRecords, tail: TopicTail, topic: string, partitions: number): Promise<RawRecord[]> {
  await records.write(topic, Array.from({ length: partitions }, (_, partition) => ({ key: END_MARKER, value: '{}', partition })));
  await eventually(() => tail.records.filter((r) => r.key === END_MARKER).length >= partitions, 30_000, `end markers on every partition of ${topic}`);
  return tail.records.filter((r) => r.key !== END_MARKER);
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

describe('ip-count job while a processor joins and another leaves (rebalance)', () => {
  // A slow machine must not turn a slow acknowledgement into a 503 whose lines land anyway.
  const cluster = new Cluster('ip-count-rebalance', { FLOWGATE_PRODUCE_TIMEOUT_MS: '15000' });
  const records = new KafkaRecords('ip-count-rebalance');
  const partitions = Number(cluster.env.FLOWGATE_REQUEST_PARTITIONS);
  const allPartitions = JSON.stringify(Array.from({ length: partitions }, (_, p) => p));
  let gateway: AppProcess;
  let first: AppProcess;
  const t0 = windowAlignedPast(30);

  beforeAll(async () => {
    first = await cluster.start('processor');
    gateway = await cluster.start('gateway');
  });
  afterAll(async () => {
    await records.close();
    await cluster.stopAll();
  });

  it('keeps every window exact and publishes each closed window once', async () => {
    const log = accessLog(t0);
    const closedTail = await records.tail(`${cluster.prefix}ip-counts`);
    const lateTail = await records.tail(`${cluster.prefix}ip-counts.late`);
    await eventually(async () => JSON.stringify(await ownedPartitions(first)) === allPartitions, 60_000, 'the first processor owning every partition of ip-count');

    // The 360 in-window lines in uploads of 5, each acknowledged (202) before the next.
    const uploads = chunks(log.batches.slice(0, 2).flat(), 5);
    let sent = 0;
    /** Uploads on (at least `atLeast` more, never beyond upload `upTo`) until `change` has settled; resolves as it did. */
    const uploadDuring = async <T>(change: Promise<T>, atLeast: number, upTo: number): Promise<T> => {
      let settled = false;
      void change.then(
        () => (settled = true),
        () => (settled = true),
      );
      const minimum = sent + atLeast;
      while (sent < upTo && (sent < minimum || !settled)) {
        await ingestAccessLog(gateway, uploads[sent]);
        sent++;
        await sleep(200);
      }
      return change;
    };

    // The first processor alone.
    await uploadDuring(Promise.resolve(), 8, 8);
    // A second processor starts and takes partitions of the job over while the uploads go on.
    const joining = (async () => {
      const second = await cluster.start('processor');
      await eventually(async () => (await ownedPartitions(second)).length > 0, 60_000, 'the second processor owning partitions of ip-count');
      return second;
    })();
    const second = await uploadDuring(joining, 8, 40);
    // The first leaves gracefully (SIGTERM) while the uploads go on; the second takes its partitions.
    await uploadDuring(first.stop(), 8, 64);
    expect(await first.exited).toBe(0);
    await eventually(async () => JSON.stringify(await ownedPartitions(second)) === allPartitions, 60_000, 'the second processor owning every partition of ip-count');
    await uploadDuring(Promise.resolve(), uploads.length - sent, uploads.length);
    await ingestAccessLog(gateway, log.batches[2]);
    await ingestAccessLog(gateway, log.batches[3]);

    const expected = JSON.stringify(expectedWindows(t0));
    for (const ip of IPS) await windowsOf(gateway, ip, (windows) => JSON.stringify(windows) === expected, 60_000);
    // Every IP's windows are answered, so every batch before is committed: read both topics to here.
    const closed = (await recordsToNow(records, closedTail, `${cluster.prefix}ip-counts`, partitions)).map((r) => JSON.parse(r.value!) as { ip: string; start: number; count: number });
    expect(closed).toHaveLength(IPS.length * (SECONDS / 5));
    expect(closed.filter((w) => w.count !== 5)).toEqual([]);
    expect(new Set(closed.map((w) => `${w.ip}/${w.start}`)).size).toBe(closed.length);
    expect(await recordsToNow(records, lateTail, `${cluster.prefix}ip-counts.late`, partitions)).toHaveLength(IPS.length);
    // The second processor restored the state of every partition it was handed.
    expect(await second.metric('flowgate_processor_state_restore_seconds_count', { job: 'ip-count' })).toBeGreaterThanOrEqual(partitions);
  }, 240_000);
});

/**
 * Why exactly-once exists, on windows. The test-only fail point makes the processor SIGKILL
 * itself when a keyed job's batch is written (outputs and state changes) and its offset not yet
 * committed. At least once, its successor restores a state that already holds the batch and
 * replays the batch on top of it: the windows it touched count its lines twice (lines of windows
 * that the batch itself closed are late on replay and stay out), and nothing is lost. Exactly
 * once, the batch was an open transaction that the successor's producer aborts: every window is
 * exact.
 */
describe.each([{ mode: 'at_least_once' }, { mode: 'exactly_once' }])('ip-count job when its processor dies between a batch\'s output and its commit ($mode)', ({ mode }) => {
  const name = `ip-count-failpoint-${mode.replace(/_/g, '-')}`;
  const cluster = new Cluster(name, { FLOWGATE_PROCESSING: mode, FLOWGATE_PRODUCE_TIMEOUT_MS: '15000' });
  const records = new KafkaRecords(name);
  let gateway: AppProcess;
  const t0 = windowAlignedPast(40);

  beforeAll(async () => {
    gateway = await cluster.start('gateway');
  });
  afterAll(async () => {
    await records.close();
    await cluster.stopAll();
  });

  it(mode === 'at_least_once' ? 'over-counts some windows and loses nothing' : 'ends with exact counts', async () => {
    const log = accessLog(t0);
    // In Kafka (202) before any processor runs: the doomed processor's first batch of a partition
    // is that partition's share of these 150 lines (12.5 s of the log).
    await ingestAccessLog(gateway, log.batches[0]);
    // ip-count-sliding reads the same topic in a group of its own, and the fail point fires in
    // whichever keyed job commits first. Moved past these lines, it has nothing to commit: the
    // first commit, and the crash, are ip-count's.
    await records.moveGroupToEnd(`${cluster.prefix}job.ip-count-sliding`, `${cluster.prefix}access-log`);
    const doomed = await cluster.start('processor', { FLOWGATE_FAILPOINT: 'after-output-before-commit' }, { waitReady: false });
    expect(await within(doomed.exited, 120_000, 'the processor killing itself at the fail point')).toBeNull();
    expect(doomed.logs).toMatch(/failpoint after-output-before-commit reached/);

    await cluster.start('processor');
    for (const upload of [...chunks(log.batches[1], 30), log.batches[2], log.batches[3]]) await ingestAccessLog(gateway, upload);
    const expected = expectedWindows(t0);
    const shape = (windows: Window[]) => JSON.stringify(windows.map(({ start, end, final }) => ({ start, end, final })));
    const answers: { ip: string; start: number; count: number; truth: number }[] = [];
    for (const ip of IPS) {
      // The closing line, the IP's last, counted: every line before it in its partition is too.
      const windows = await windowsOf(gateway, ip, (w) => shape(w) === shape(expected) && w.at(-1)?.count === 1, 90_000);
      windows.forEach((w, k) => answers.push({ ip, start: w.start, count: w.count, truth: expected[k].count }));
    }
    expect(answers.filter((a) => a.count < a.truth)).toEqual([]); // nothing lost
    const overCounted = answers.filter((a) => a.count > a.truth);
    if (mode === 'at_least_once') expect(overCounted.length).toBeGreaterThan(0);
    else expect(overCounted).toEqual([]);
  }, 240_000);
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
    expect(letter.headers['fg-dlq-reason']).toMatch(/value is not JSON/);
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
