import { JobContext, job, tumbling, WindowResult } from '@flowgate/stream';
import { accessEventIp, accessEventTime } from './access-event';
import { ROUTES } from './routes';

const count = { init: () => 0, add: (n: number) => n + 1 };

/** The `ip-counts` answer: the IP's retained windows, oldest first. */
function answer(ip: string, windows: WindowResult<number>[]) {
  return { ip, windows: windows.map(({ start, end, value, final }) => ({ start, end, count: value, final })) };
}

/**
 * The seed's job: requests per client IP in 5 s tumbling event-time windows (watermark per
 * partition, 5 s allowed lateness, windows kept 10 minutes). Each window is written to
 * `<prefix>ip-counts` when it becomes final; too-late events go to `<prefix>ip-counts.late`.
 * Events and `ip-counts` queries share the `access-log` topic keyed by IP, so both meet in the
 * partition that owns the IP's windows, in order; queries are answered from those windows.
 */
export function ipCountJob(topic: JobContext['topic']) {
  return job('ip-count')
    .fromRoutes([ROUTES.ipCounts], { events: true })
    .keyBy('by ip', accessEventIp)
    .window(tumbling(5_000), { eventTime: accessEventTime, allowedLatenessMs: 5_000, retainMs: 10 * 60_000, lateTo: topic('ip-counts.late') })
    .aggregate('count per 5 s window', count, { query: { routes: [ROUTES.ipCounts.name], answer } })
    .map('as ip-counts record', (w) => ({ ip: w.key, start: w.start, end: w.end, count: w.value }))
    .toTopic(topic('ip-counts'));
}
