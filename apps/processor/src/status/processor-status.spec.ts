import { decodeStatus, encodeStatus, statusKey } from '@flowgate/contracts';
import { createRegistry, ProcessorMetrics, readMetricSamples } from '@flowgate/metrics';
import { describeJob, job, route } from '@flowgate/stream';
import { buildProcessorStatus, PROCESSOR_STATUS_METRICS } from './processor-status';

const echo = job('echo').fromRoute(route({ name: 'echo', summary: 'echo' })).map('echo', (body) => body).toReply();
const clicks = job('clicks').fromTopic<{ user: string }>('clicks').keyBy('by user', (c) => c.user).map('as count', (c) => c).toTopic('counts');

/** The value /metrics prints for one series. */
async function scraped(registry: ReturnType<typeof createRegistry>, series: string): Promise<number> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(series));
  return Number(line?.split(' ').at(-1));
}

describe('buildProcessorStatus', () => {
  const registry = createRegistry('processor');
  const metrics = new ProcessorMetrics(registry);
  metrics.records.inc({ route: 'echo', result: 'processed' }, 41);
  metrics.records.inc({ route: 'echo', result: 'failed' }, 1);
  metrics.handlerDuration.observe({ route: 'echo' }, 0.004);
  metrics.operatorRecords.inc({ job: 'echo', operator: 'echo', direction: 'in' }, 42);
  metrics.operatorRecords.inc({ job: 'echo', operator: 'echo', direction: 'out' }, 41);
  metrics.operatorDuration.observe({ job: 'echo', operator: 'echo' }, 0.0004);
  metrics.operatorDuration.observe({ job: 'echo', operator: 'echo' }, 0.02);
  metrics.partitionPaused.set('requests', new Map([[0, 1], [1, 0]]));
  metrics.partitionLag.set('requests', new Map([[0, 7], [1, 0]]));
  metrics.partitionLag.set('clicks', new Map([[3, 2]]));
  metrics.batchCommits.inc({ job: 'clicks', result: 'committed' }, 5);
  metrics.batchCommits.inc({ job: 'clicks', result: 'aborted' });
  metrics.outputRecords.inc({ job: 'clicks', topic: 'counts' }, 9);
  metrics.deadLetters.inc({ reason: 'handler' });

  const build = async () =>
    buildProcessorStatus({
      instance: 'p-1',
      startedAt: 1_000,
      now: 2_000,
      placed: [
        { topology: describeJob(echo), lane: 'requests', topic: 'fg.requests' },
        { topology: describeJob(clicks), lane: 'clicks', topic: 'fg.clicks' },
      ],
      samples: await readMetricSamples(registry, PROCESSOR_STATUS_METRICS),
    });

  it('carries each job\'s graph and its operators\' counters as /metrics reports them', async () => {
    const status = await build();
    const [echoJob, clicksJob] = status.jobs;
    expect(echoJob.nodes.map((n) => n.id)).toEqual(describeJob(echo).nodes.map((n) => n.id));
    expect(echoJob.operators.echo).toMatchObject({ in: 42, out: 41 });
    expect(echoJob.operators.echo.in).toBe(await scraped(registry, 'flowgate_processor_operator_records_total{job="echo",operator="echo",direction="in"'));
    expect(echoJob.routes).toEqual({ echo: { processed: 41, failed: 1 } });
    // Cumulative buckets: 0.4 ms is within every bound from 0.5 ms on, 20 ms from 25 ms on.
    const duration = echoJob.operators.echo.duration!;
    expect(duration.count).toBe(2);
    expect(duration.counts[status.bounds.indexOf(0.0005)]).toBe(1);
    expect(duration.counts[status.bounds.indexOf(0.025)]).toBe(2);
    expect(clicksJob).toMatchObject({ lane: 'clicks', commits: { committed: 5, aborted: 1 }, outputs: { counts: 9 } });
    expect(status.deadLetters).toEqual({ handler: 1 });
  });

  it('lists the partitions each lane owns, with lag and paused ones', async () => {
    const status = await build();
    expect(status.lanes).toEqual([
      { name: 'requests', topic: 'fg.requests', partitions: [{ partition: 0, lag: 7, paused: true }, { partition: 1, lag: 0, paused: false }] },
      { name: 'clicks', topic: 'fg.clicks', partitions: [{ partition: 3, lag: 2 }] },
    ]);
  });

  it('survives its wire encoding, and stays small', async () => {
    const status = await build();
    const bytes = encodeStatus(status);
    expect(decodeStatus(statusKey('processor', 'p-1'), bytes)).toEqual(status);
    expect(bytes.length).toBeLessThan(8_000);
  });
});

describe('buildProcessorStatus with scripts', () => {
  it('reports the versions it serves and their calls, from the scripts feature\'s metrics', () => {
    const samples = new Map([
      ['flowgate_script_active_version', [
        { labels: { script: 'geofence', role: 'stable' }, value: 3 },
        { labels: { script: 'geofence', role: 'canary' }, value: 4 },
      ]],
      ['flowgate_script_calls_total', [
        { labels: { script: 'geofence', version: '3', outcome: 'ok' }, value: 90 },
        { labels: { script: 'geofence', version: '4', outcome: 'ok' }, value: 9 },
        { labels: { script: 'geofence', version: '4', outcome: 'error' }, value: 1 },
      ]],
    ]);
    const status = buildProcessorStatus({ instance: 'p', startedAt: 0, now: 1, placed: [], samples });
    expect(status.scripts).toEqual([{ name: 'geofence', stable: 3, canary: 4, calls: { 3: { ok: 90 }, 4: { ok: 9, error: 1 } } }]);
    expect(buildProcessorStatus({ instance: 'p', startedAt: 0, now: 1, placed: [], samples: new Map() }).scripts).toBeUndefined();
  });
});
