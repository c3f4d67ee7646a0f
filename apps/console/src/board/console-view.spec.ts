import { GatewayStatus, ProcessorStatus, STATUS_VERSION, StatusJob } from '@flowgate/contracts';
import { buildConsoleView } from './console-view';

const bounds = [0.001, 0.01, 0.1];

function echoJob(records: number, failed: number, histogram: number[]): StatusJob {
  return {
    name: 'echo',
    lane: 'requests',
    nodes: [
      { id: 'echo/source', kind: 'source', name: 'route echo', route: 'echo' },
      { id: 'echo/1', kind: 'map', name: 'echo' },
      { id: 'echo/sink', kind: 'sink', name: 'reply to caller' },
    ],
    edges: [{ from: 'echo/source', to: 'echo/1' }, { from: 'echo/1', to: 'echo/sink' }],
    operators: { echo: { in: records, out: records - failed, duration: { counts: histogram, sum: 0, count: histogram.at(-1)! } } },
    routes: { echo: { processed: records - failed, failed } },
    routeDurations: {},
    outputs: {},
    commits: { committed: 0, aborted: 0 },
    lateEvents: 0,
  };
}

function processor(instance: string, updatedAt: number, job: StatusJob, partitions: { partition: number; paused?: boolean }[]): ProcessorStatus {
  return { v: STATUS_VERSION, app: 'processor', instance, startedAt: 0, updatedAt, bounds, lanes: [{ name: 'requests', topic: 'fg.requests', partitions }], jobs: [job], deadLetters: {} };
}

function gateway(updatedAt: number, ok: number): GatewayStatus {
  return {
    v: STATUS_VERSION, app: 'gateway', instance: 'g-1', startedAt: 0, updatedAt, bounds, eventRoute: 'echo',
    requests: { echo: { 200: ok } }, durations: {}, inflight: 5, inflightLimit: 1024, rejections: { full: ok / 10 }, timeouts: {}, replyPartition: 0,
  };
}

describe('buildConsoleView', () => {
  // Two processors run echo; between their two records (1 s apart, 2 s for p-2) each handled 100 more records.
  const view = buildConsoleView(10_000, [
    { previous: processor('p-1', 8_000, echoJob(100, 0, [100, 100, 100]), [{ partition: 0 }]), current: processor('p-1', 9_000, echoJob(200, 10, [150, 200, 200]), [{ partition: 0, paused: true }]) },
    { previous: processor('p-2', 7_000, echoJob(0, 0, [0, 0, 0]), [{ partition: 1 }]), current: processor('p-2', 9_000, echoJob(100, 0, [50, 100, 100]), [{ partition: 1 }]) },
    { previous: gateway(8_000, 1_000), current: gateway(9_000, 1_300) },
  ]);

  it('shows a job once, its figures summed over the processors running it', () => {
    expect(view.jobs.map((j) => j.name)).toEqual(['echo']);
    const [echo] = view.jobs;
    expect(echo.instances).toEqual(['p-1', 'p-2']);
    // p-1: 100 records/s, 10 of them failed; p-2: 100 records in 2 s.
    expect(echo.figures['echo/source']).toMatchObject({ inPerSec: 150, errorsPerSec: 10, inTotal: 300, errorsTotal: 10 });
    expect(echo.figures['echo/1']).toMatchObject({ inPerSec: 150, outPerSec: 140, inTotal: 300, outTotal: 290 });
  });

  it('computes p99 from the observations between the two records, over all processors', () => {
    // 200 new observations: 100 at most 1 ms, 100 in (1 ms, 10 ms]: p99 interpolates near 10 ms.
    expect(view.jobs[0].figures['echo/1'].p99Ms).toBeCloseTo(1 + 9 * (98 / 100), 1);
    expect(view.jobs[0].figures['echo/sink'].p99Ms).toBeUndefined();
  });

  it('says which processor owns which partition and which are paused', () => {
    expect(view.jobs[0].partitions).toEqual([
      { partition: 0, instance: 'p-1', paused: true },
      { partition: 1, instance: 'p-2', paused: false },
    ]);
    expect(view.processors.map((p) => [p.instance, p.lanes[0].partitions, p.lanes[0].paused])).toEqual([['p-1', [0], [0]], ['p-2', [1], []]]);
  });

  it('gives each gateway its routes\' rates by status, in-flight and rejections', () => {
    expect(view.gateways).toEqual([
      expect.objectContaining({ instance: 'g-1', inflight: 5, inflightLimit: 1024, rejectionsPerSec: 30, routes: [expect.objectContaining({ route: 'echo', path: '/v1/echo, /event', perSec: { 200: 300 }, totals: { 200: 1300 } })] }),
    ]);
  });

  it('shows rates of zero for an instance seen once', () => {
    const first = buildConsoleView(1, [{ current: processor('p-1', 9_000, echoJob(200, 0, [200, 200, 200]), []) }]);
    expect(first.jobs[0].figures['echo/source']).toMatchObject({ inPerSec: 0, inTotal: 200 });
  });

  it('shows each script\'s active versions and canary share with what each processor serves and calls per version', () => {
    const withScripts = (updatedAt: number, ok: number): ProcessorStatus => ({
      ...processor('p-1', updatedAt, echoJob(0, 0, [0, 0, 0]), []),
      scripts: [{ name: 'geofence', stable: 3, canary: 4, calls: { 3: { ok }, 4: { ok: ok / 10, error: 1 } } }],
    });
    const scripted = buildConsoleView(1, [{ previous: withScripts(1_000, 100), current: withScripts(2_000, 300) }], [
      { name: 'geofence', kind: 'step', stable: 3, canary: { version: 4, share: 0.1, rollbackMargin: 0.05, minCalls: 20 }, changedAt: 't', changedBy: 'ops', reason: 'canary' },
    ]);
    expect(scripted.scripts).toEqual([
      { name: 'geofence', kind: 'step', stable: 3, canary: { version: 4, share: 0.1 }, changedAt: 't', reason: 'canary', serving: [{ instance: 'p-1', stable: 3, canary: 4 }], callsPerSec: { 3: 200, 4: 20 }, errorsPerSec: { 3: 0, 4: 0 } },
    ]);
  });
});
