import { JobContext, job, sliding } from '@flowgate/stream';
import { accessEventIp, accessEventTime } from './access-event';

/**
 * Requests per IP over the last 10 s, every 5 s: the access log of `ip-count`, read again by a job
 * of its own (own consumer group, own changelog) in sliding event-time windows, so each event
 * counts in two overlapping windows. Each window is written to `<prefix>ip-counts.sliding` when it
 * becomes final (watermark past its end + 5 s); too-late events are only counted.
 */
export function ipCountSlidingJob(topic: JobContext['topic']) {
  return job('ip-count-sliding')
    .fromTopic<Record<string, unknown>>(topic('access-log'))
    .keyBy('by ip', accessEventIp)
    .window(sliding(10_000, 5_000), { eventTime: accessEventTime, allowedLatenessMs: 5_000 })
    .aggregate('count per 10 s window every 5 s', { init: () => 0, add: (n: number) => n + 1 })
    .map('as ip-counts record', (w) => ({ ip: w.key, start: w.start, end: w.end, count: w.value }))
    .toTopic(topic('ip-counts.sliding'));
}
