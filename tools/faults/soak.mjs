// The soak: the fault schedule's mixed load, no faults, at half of capacity for a long time, with
// every process's resources and the latency recorded per minute, and a verdict on trends.
import { readFileSync } from 'node:fs';
import { quantile } from './ledger.mjs';
import { liveHeapMiB } from './live-heap.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** prom-client default metrics an app exports (labelled component), per scrape. */
const APP_METRICS = {
  rssMiB: ['process_resident_memory_bytes', 1 / 2 ** 20],
  heapMiB: ['nodejs_heap_size_used_bytes', 1 / 2 ** 20],
  fds: ['process_open_fds', 1],
  // prom-client's event-loop histogram restarts at every scrape: one scrape a minute gives the minute's p99.
  loopP99Ms: ['nodejs_eventloop_lag_p99_seconds', 1000],
};

export async function scrape(url) {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  return Object.fromEntries(Object.entries(APP_METRICS).map(([key, [name, scale]]) => {
    const value = Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
    return [key, value * scale];
  }));
}

/** RSS and open descriptors of a process that exports no metrics (Kafka, Redis), from /proc. */
export function procStats(pid) {
  try {
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
    return { rssMiB: rss };
  } catch {
    return {};
  }
}

/** Least-squares slope of values against their index. */
export function slope(values) {
  const n = values.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  values.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return num / den;
}

/**
 * How much a metric may grow over the judged minutes before it counts as a trend: relative to
 * its mean there, and an absolute floor (a few MiB, descriptors or ms are noise, not a leak).
 */
export const TREND_LIMITS = {
  rssMiB: { relative: 0.1, absolute: 8 },
  // The heap after a full GC (live-heap.mjs); heap used as scraped also holds uncollected garbage,
  // which climbs for many minutes between major GCs: recorded, not judged.
  liveHeapMiB: { relative: 0.15, absolute: 4 },
  fds: { relative: 0.1, absolute: 10 },
  loopP99Ms: { relative: 0.5, absolute: 10 },
  p99Ms: { relative: 0.5, absolute: 20 },
};

/**
 * A sustained upward trend in `values` (one per minute): judged on the last two thirds (the first
 * third is warm-up: JIT, pools, caches filling), it is one when BOTH the least-squares line rises
 * over those minutes by more than the limit, AND the median of their last quarter is above the
 * median of their first quarter by more than the limit. The line alone would flag a single late
 * spike; the medians make it a sustained rise. Fewer than 6 minutes: not judged.
 */
export function trend(values, { relative, absolute }) {
  const judged = values.slice(Math.floor(values.length / 3)).filter(Number.isFinite);
  if (judged.length < 4 || values.length < 6) return { judged: false };
  const mean = judged.reduce((a, b) => a + b, 0) / judged.length;
  const limit = Math.max(relative * mean, absolute);
  const rise = slope(judged) * (judged.length - 1);
  const q = Math.max(1, Math.floor(judged.length / 4));
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const step = median(judged.slice(-q)) - median(judged.slice(0, q));
  return { judged: true, rise, step, limit, upward: rise > limit && step > limit };
}

/**
 * Offers the load at `rate` for `minutes`, scraping every app once a minute. Returns the
 * per-minute rows and the trend verdicts.
 */
export async function soak({ deployment, load, ledger, rate, minutes, log = () => {}, minuteMs = 60_000 }) {
  load.rate = rate;
  // A scrape before the first minute starts that minute's event-loop histogram.
  await Promise.all(deployment.apps.map((app) => scrape(app.adminUrl).catch(() => undefined)));
  const started = Date.now();
  load.start('soak');
  const rows = [];
  for (let m = 1; m <= minutes; m++) {
    await sleep(Math.max(0, started + m * minuteMs - Date.now()));
    const processes = {};
    for (const app of deployment.apps) {
      processes[app.label] = await scrape(app.adminUrl).catch(() => ({}));
      if (app.inspectPort !== undefined) processes[app.label].liveHeapMiB = await liveHeapMiB(app.inspectPort).catch(() => NaN);
    }
    if (deployment.kafkaPid) processes.kafka = procStats(deployment.kafkaPid);
    if (deployment.redisPid) processes.redis = procStats(deployment.redisPid);
    // Latency of the minute before last: its requests have all been answered by now (deadline 5 s).
    const from = started + (m - 1) * minuteMs;
    const requests = ledger.requests.filter((r) => r.phase === 'soak' && r.dueAt >= from && r.dueAt < from + minuteMs);
    rows.push({ minute: m, processes, requests });
    log(`minute ${m}/${minutes}: ${requests.length} requests; ${Object.entries(processes).map(([p, v]) => `${p} ${v.rssMiB?.toFixed(0)} MiB`).join(', ')}`);
  }
  load.stop();
  await load.drained();
  await load.readCounters('soak');
  // Latency per minute once everything is answered.
  const minutesOut = rows.map(({ minute, processes, requests }) => {
    const ok = requests.filter((r) => r.outcome === 'ok' && r.kind !== 'idem-retry').map((r) => r.latencyMs).sort((a, b) => a - b);
    return { minute, sent: requests.length, ok: requests.filter((r) => r.outcome === 'ok').length, p50Ms: quantile(ok, 0.5), p99Ms: quantile(ok, 0.99), processes };
  });
  const verdicts = [];
  // flowgate's apps are judged; Kafka and Redis are recorded only: a JVM's RSS grows towards its
  // -Xmx by design, and Redis holds the registry's outcomes until their TTL.
  const labels = [...new Set(minutesOut.flatMap((r) => Object.keys(r.processes)))].filter((label) => label !== 'kafka' && label !== 'redis');
  for (const label of labels) {
    for (const metric of Object.keys(TREND_LIMITS).filter((m) => m !== 'p99Ms')) {
      const values = minutesOut.map((r) => r.processes[label]?.[metric]);
      if (!values.some(Number.isFinite)) continue;
      verdicts.push({ process: label, metric, ...trend(values, TREND_LIMITS[metric]) });
    }
  }
  verdicts.push({ process: 'load', metric: 'p99Ms', ...trend(minutesOut.map((r) => r.p99Ms), TREND_LIMITS.p99Ms) });
  return { rate, minutes, rows: minutesOut, verdicts, summary: ledger.summary('soak') };
}

/**
 * Capacity of the deployment for the mixed load: after `warmupS` at `from`/2 (a fresh deployment's
 * first exactly-once transactions are slow), rates doubled from `from` while at least 95 % of a
 * `stepS`-second step is answered ok; the last such rate.
 */
export async function measureCapacity({ load, ledger, from = 20, max = 640, stepS = 10, warmupS = 20, log = () => {} }) {
  load.rate = from / 2;
  load.start('capacity-warmup');
  await sleep(warmupS * 1000);
  load.stop();
  await load.drained();
  let capacity = 0;
  for (let rate = from; rate <= max; rate *= 2) {
    load.rate = rate;
    const phase = `capacity-${rate}`;
    load.start(phase);
    await sleep(stepS * 1000);
    load.stop();
    await load.drained();
    const s = ledger.summary(phase);
    const share = s.ok / Math.max(1, s.sent);
    log(`capacity step ${rate}/s: ${(share * 100).toFixed(1)} % ok of ${s.sent}`);
    if (share < 0.95) break;
    capacity = rate;
  }
  return capacity;
}

export function soakMarkdown(result) {
  const labels = [...new Set(result.rows.flatMap((r) => Object.keys(r.processes)))];
  const cell = (v) => (v === undefined || !Number.isFinite(v.rssMiB) ? '–'
    : [v.rssMiB.toFixed(0), Number.isFinite(v.heapMiB) ? v.heapMiB.toFixed(0) : '', Number.isFinite(v.liveHeapMiB) ? v.liveHeapMiB.toFixed(0) : '', Number.isFinite(v.fds) ? v.fds : '', Number.isFinite(v.loopP99Ms) ? v.loopP99Ms.toFixed(0) : '']
      .filter((x) => x !== '').join(' / '));
  const lines = [
    `| min | sent | ok % | p50 ms | p99 ms | ${labels.join(' | ')} |`,
    `|---:|---:|---:|---:|---:|${labels.map(() => '---|').join('')}`,
  ];
  for (const r of result.rows) {
    lines.push(`| ${r.minute} | ${r.sent} | ${((r.ok / Math.max(1, r.sent)) * 100).toFixed(1)} | ${r.p50Ms.toFixed(0)} | ${r.p99Ms.toFixed(0)} | ${labels.map((l) => cell(r.processes[l])).join(' | ')} |`);
  }
  lines.push('');
  lines.push('Per app: RSS MiB / heap used MiB / heap after a full GC MiB / open fds / event-loop delay p99 ms (Kafka, Redis: RSS MiB). Heap used holds garbage no major GC has collected yet, so the trend is judged on the heap after a full GC.');
  const upward = result.verdicts.filter((v) => v.upward);
  const judged = result.verdicts.filter((v) => v.judged);
  lines.push(judged.length === 0 ? 'Too short to judge trends (fewer than 6 minutes).'
    : upward.length === 0 ? `No sustained upward trend in ${judged.length} series.`
      : `**Upward trends**: ${upward.map((v) => `${v.process} ${v.metric} (+${v.rise.toFixed(1)} by the fitted line, +${v.step.toFixed(1)} last vs first quarter; limit ${v.limit.toFixed(1)})`).join('; ')}.`);
  const s = result.summary;
  lines.push(`${result.rate} req/s for ${result.minutes} min: ${s.sent} requests, ${s.ok} ok, ${s.failed} failed, ${s.refused} refused, ${s.hung} hung; ` +
    `counters: ${s.acked} increments acknowledged, ${s.lost} lost, ${s.duplicated} duplicated; async ${s.asyncAccepted} accepted, ${s.asyncNotFinal} never final.`);
  return lines.join('\n');
}
