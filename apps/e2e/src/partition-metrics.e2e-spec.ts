import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, HttpResult, post } from './support/http';
import { partitionSamples } from './support/metric-samples';

const REQUESTS = 6;
const DELAY_MS = 1_500;

/**
 * Per-partition metrics on a live processor: the requests lane's consumer lag and paused
 * partitions while slow requests pile up in one partition (one at a time, two held), and a keyed
 * job's lag per partition.
 */
describe('per-partition metrics', () => {
  const cluster = new Cluster('partition-metrics', { FLOWGATE_REQUEST_PARTITIONS: '1' });
  let processor: AppProcess;
  let gateway: AppProcess;

  beforeAll(async () => {
    processor = await cluster.start('processor', { FLOWGATE_PARTITION_CONCURRENCY: '1', FLOWGATE_PARTITION_QUEUE: '2' });
    gateway = await cluster.start('gateway');
  });
  afterAll(() => cluster.stopAll());

  it('shows a full partition of the requests lane as paused and lagging, then caught up', async () => {
    await eventually(async () => JSON.stringify(await partitionSamples(processor, 'flowgate_processor_partition_paused', 'requests')) === '[{"partition":0,"value":0}]', 20_000, 'partition 0 reported, not paused');
    const calls: Promise<HttpResult>[] = [];
    for (let i = 0; i < REQUESTS; i++) calls.push(post(`${gateway.url}/v1/delay`, { ms: DELAY_MS, i }, { 'x-timeout-ms': '60000' }));
    // One record runs and one waits: the rest stay in Kafka, not yet committed, so they are lag.
    await eventually(async () => (await partitionSamples(processor, 'flowgate_processor_partition_paused', 'requests'))[0]?.value === 1, 30_000, 'partition 0 paused');
    await eventually(async () => ((await partitionSamples(processor, 'flowgate_processor_partition_lag', 'requests'))[0]?.value ?? 0) >= 1, 30_000, 'lag on partition 0');
    const answers = await Promise.all(calls);
    expect(answers.map((a) => a.status)).toEqual(Array(REQUESTS).fill(200));
    await eventually(async () => {
      const paused = await partitionSamples(processor, 'flowgate_processor_partition_paused', 'requests');
      const lag = await partitionSamples(processor, 'flowgate_processor_partition_lag', 'requests');
      return paused[0]?.value === 0 && lag[0]?.value === 0;
    }, 30_000, 'partition 0 resumed with no lag');
  }, 120_000);

  it('reports a keyed job\'s lag for each partition it owns', async () => {
    for (const key of ['p1', 'p2', 'p3']) expect((await post(`${gateway.url}/v1/counter`, { key }, { 'x-timeout-ms': '30000' })).status).toBe(200);
    await eventually(async () => {
      const lag = await partitionSamples(processor, 'flowgate_processor_partition_lag', 'counter');
      return JSON.stringify(lag) === '[{"partition":0,"value":0}]';
    }, 20_000, 'counter lag 0 on its one partition');
  });
});
