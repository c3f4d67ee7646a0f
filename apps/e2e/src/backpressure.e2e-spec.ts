import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, HttpResult, post, sleep } from './support/http';

const CONCURRENCY = 2;
const QUEUE = 4;
const REQUESTS = 40;
const DELAY_MS = 300;

/**
 * A processor with a small per-partition queue pauses its partition when the queue is full and
 * resumes it when half drained, so Kafka holds the backlog instead of the processor's memory.
 * Records that do not fit are left unresolved and fetched again after the resume, so the queue
 * never holds more than FLOWGATE_PARTITION_QUEUE records, however many are waiting in Kafka.
 */
describe('processor backpressure: pause and resume a full partition', () => {
  const cluster = new Cluster('backpressure', { FLOWGATE_REQUEST_PARTITIONS: '1' });
  let processor: AppProcess;
  let gateway: AppProcess;

  beforeAll(async () => {
    processor = await cluster.start('processor', {
      FLOWGATE_PARTITION_CONCURRENCY: String(CONCURRENCY),
      FLOWGATE_PARTITION_QUEUE: String(QUEUE),
    });
    gateway = await cluster.start('gateway');
    expect(await processor.metric('flowgate_processor_paused_partitions')).toBe(0);
  });
  afterAll(() => cluster.stopAll());

  it(`pauses while ${REQUESTS} slow requests queue up, answers them all, then resumes`, async () => {
    let finished = 0;
    const requests = Array.from({ length: REQUESTS }, (_, i) =>
      post(`${gateway.url}/v1/delay`, { ms: DELAY_MS, i }, { 'x-timeout-ms': '30000', 'x-request-id': `bp-${i}` }).finally(() => finished++),
    );

    let maxPaused = 0;
    let maxQueued = 0;
    const samples: string[] = [];
    // 40 x 300 ms at 2 at a time is ~6 s of work; sample until all are answered (bounded).
    const sampleUntil = Date.now() + 25_000;
    while (finished < REQUESTS && Date.now() < sampleUntil) {
      const [paused, queued] = await Promise.all([
        processor.metric('flowgate_processor_paused_partitions'),
        processor.metric('flowgate_processor_queued_records'),
      ]);
      maxPaused = Math.max(maxPaused, paused);
      maxQueued = Math.max(maxQueued, queued);
      if (samples.length < 400) samples.push(`${finished}:${paused}/${queued}`);
      await sleep(50);
    }
    const results: HttpResult[] = await Promise.all(requests);

    const bad = results
      .map((res, i) => ({ i, status: res.status, ms: (res.json as { ms?: number; i?: number } | undefined)?.ms, echoed: (res.json as { i?: number } | undefined)?.i }))
      .filter(({ i, status, ms, echoed }) => status !== 200 || ms !== DELAY_MS || echoed !== i);
    expect(bad).toEqual([]);

    const report = { maxPaused, maxQueued, samples: samples.join(' ') };
    expect(report).toEqual({ maxPaused: 1, maxQueued: expect.any(Number), samples: expect.any(String) });
    // The queue really filled (so pausing was earned) and never held more than its limit.
    expect(maxQueued).toBe(QUEUE);

    await eventually(async () => (await processor.metric('flowgate_processor_paused_partitions')) === 0, 10_000, 'partition resumed');
    await eventually(async () => (await processor.metric('flowgate_processor_queued_records')) === 0, 10_000, 'queue drained');
    expect(await processor.metric('flowgate_processor_records_total', { route: 'delay', result: 'processed' })).toBeGreaterThanOrEqual(REQUESTS);
    process.stdout.write(`backpressure: peak queued_records ${maxQueued}, paused_partitions reached ${maxPaused}\n`);
  });
});
