import type { TopicNames } from '@flowgate/contracts';
import { job, RouteError, TumblingWindows, TumblingWindowsOptions, TumblingWindowsState } from '@flowgate/stream';

/** The seed's job: requests per client IP in 5 s tumbling event-time windows. */
export const IP_COUNT_WINDOWS: TumblingWindowsOptions = { sizeMs: 5_000, allowedLatenessMs: 5_000, retainMs: 10 * 60_000 };

interface AccessEvent {
  readonly ts: number;
  readonly ip: string;
}

/**
 * Counts access-log events per IP and 5 s window (watermark per partition, 5 s allowed lateness),
 * writes each window to `<prefix>ip-counts` when it closes, counts too-late events, and answers
 * the `ip-counts` route from the state of the partition that owns the IP. Events and queries
 * share the `access-log` topic keyed by IP, so both meet in that partition, in order.
 *
 * The partition's windows are kept as one snapshot (restored and re-snapshotted per record):
 * simple and exact, but O(retained windows) per record; per-window changelog entries are the
 * next step for large IP counts.
 */
export function ipCountJob(topics: TopicNames) {
  // The live windows object of the latest snapshot: saves restoring it for every record. A
  // rolled-back batch leaves an older snapshot in the store, which is not in here and is restored.
  const live = new WeakMap<TumblingWindowsState, TumblingWindows>();
  const windowsFrom = (snapshot: TumblingWindowsState | undefined) => {
    if (!snapshot) return new TumblingWindows(IP_COUNT_WINDOWS);
    let windows = live.get(snapshot);
    if (!windows) live.set(snapshot, (windows = TumblingWindows.restore(IP_COUNT_WINDOWS, snapshot)));
    return windows;
  };

  return job('ip-count')
    .fromRoutes(['ip-counts'], { events: true })
    .keyBy('by ip', (value) => String(value.ip))
    .process('count per 5 s window', ['windows'], (value, ctx, state) => {
      const before = state.partition.get<TumblingWindowsState>('windows');
      const windows = windowsFrom(before);
      if (ctx.route === 'ip-counts') {
        return { ip: ctx.key, windows: windows.windowsOf(ctx.key!).map(({ start, end, count, final }) => ({ start, end, count, final })) };
      }
      const event = value as unknown as AccessEvent;
      if (!Number.isSafeInteger(event.ts) || event.ts < 0) throw new RouteError('badBody', '"ts" must be epoch milliseconds');
      const added = windows.add({ key: event.ip, ts: event.ts });
      if (added.kind === 'late') state.emit(`${topics.ipCounts}.late`, event.ip, { ...event, windowStart: added.windowStart });
      for (const closed of windows.drainFinal()) {
        state.emit(topics.ipCounts, closed.key, { ip: closed.key, start: closed.start, end: closed.end, count: closed.count });
      }
      // The object no longer matches the snapshot it came from: forget that pairing.
      if (before) live.delete(before);
      const after = windows.snapshot();
      live.set(after, windows);
      state.partition.put('windows', after);
      return undefined;
    })
    .toReply();
}
