// Open-loop HTTP load generator (schedule and latency rules in lib/open-loop.mjs). Used two ways:
//   import { offerLoad } from './load.mjs'      in-process
//   fork('bench/load.mjs', ['--serve'])          a child driven over IPC (what `npm run bench`
//                                               does, so its event loop is its own)
// Latencies are reported overall and per status code (`byStatus`), e.g. the p99 of the 503s.
import { Pool } from 'undici';
import { pathToFileURL } from 'node:url';
import { serve } from './lib/ipc.mjs';
import { startOpenLoop, summarize } from './lib/open-loop.mjs';
import { RawHttpPool, SpreadPool } from './lib/raw-http.mjs';

// BENCH_HTTP_CLIENT=undici: the general-purpose client instead of the lean one (lib/raw-http.mjs),
// e.g. to see what the generator itself costs.
const CLIENT = process.env.BENCH_HTTP_CLIENT ?? 'raw';

const DEFAULT_HEADERS = { 'content-type': 'application/json' };

/**
 * Starts offering POST `path` with `body` at `rate`/s for `seconds`. Every request is bounded by
 * `timeoutMs` from its send (queueing in the pool included); one that runs out counts as an error.
 * Returns { scheduled, done } like startOpenLoop, with `done` resolving to the raw result.
 */
export function startHttpLoad({
  url, path, body, bodies, headers = {}, uniqueHeader, okStatus = 200, rate, seconds, connections = 256, timeoutMs = 10_000, shouldStop, onSend, onDone, legs = true, pool: given,
}) {
  // `uniqueHeader`: a header whose value differs per request (e.g. a fresh Idempotency-Key);
  // `okStatus`: the status that counts as success (e.g. 202 for async requests).
  const run = Date.now().toString(36);
  const headersOf = (i) => ({ ...DEFAULT_HEADERS, ...headers, ...(uniqueHeader ? { [uniqueHeader]: `bench-${run}-${i}` } : {}) });
  // `pool`: one made (and warmed) by openPool; it is destroyed at the end like an own one.
  const pool = given ?? newPool(url, connections, timeoutMs);
  // `bodies`: request i sends bodies[i % length] (e.g. a counter increment per key in turn).
  const send = (i) =>
    pool
      .request({ path, body: bodies ? bodies[i % bodies.length] : body, headers: headersOf(i), readBody: legs })
      .then((res) => {
        if (res.status !== 200 || !legs) return res.status === okStatus ? 200 : res.status;
        // The echo answer's timestamps give the legs of the latency (see lib/open-loop.mjs).
        try {
          const { request_timestamp: requestTs, response_timestamp: responseTs } = JSON.parse(res.body.toString());
          return { status: 200, requestTs, responseTs };
        } catch {
          return 200;
        }
      });
  const loop = startOpenLoop({ rate, seconds, send, shouldStop, onSend, onDone, graceMs: timeoutMs + 5_000 });
  // Requests waiting inside the client for a free connection never reach the server: when this
  // is above 0 the server saw less concurrency than was offered (too few connections, or a
  // generator short of CPU).
  const queue = { maxWaiting: 0, sumWaiting: 0, samples: 0, maxRunning: 0 };
  const sampler = setInterval(() => {
    const { pending, running } = pool.stats;
    queue.maxWaiting = Math.max(queue.maxWaiting, pending);
    queue.maxRunning = Math.max(queue.maxRunning, running);
    queue.sumWaiting += pending;
    queue.samples++;
  }, 250);
  return {
    scheduled: loop.scheduled,
    done: loop.done
      .then((raw) => ({
        ...raw,
        clientQueue: { maxWaiting: queue.maxWaiting, meanWaiting: queue.samples ? queue.sumWaiting / queue.samples : 0, maxRunning: queue.maxRunning, connections },
      }))
      .finally(() => {
        clearInterval(sampler);
        // Everything counted is answered or abandoned: drop whatever is still out.
        return pool.destroy().catch(() => {});
      }),
  };
}

/** A pool with the lean client's interface: request({ method, path, body, headers, readBody }) -> { status, body }. */
function newPool(url, connections, timeoutMs) {
  // A comma-separated `url`: replicas, each given its share of the connections.
  if (url.includes(',')) return new SpreadPool(url.split(','), { connections, timeoutMs });
  if (CLIENT === 'raw') return new RawHttpPool(url, { connections, timeoutMs });
  const pool = new Pool(url, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: timeoutMs },
  });
  const request = async ({ method = 'POST', path, body, headers, readBody }) => {
    const res = await pool.request({ method, path, body, headers, signal: AbortSignal.timeout(timeoutMs) });
    if (!readBody) {
      await res.body.dump();
      return { status: res.statusCode };
    }
    return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
  };
  return {
    get stats() {
      return pool.stats;
    },
    destroy: () => pool.destroy(),
    open: async (warmPath) => {
      await Promise.all(Array.from({ length: connections }, () => request({ method: 'GET', path: warmPath }).catch(() => {})));
      return pool.stats.connected;
    },
    request,
  };
}

/**
 * A pool with its `connections` already open (one GET `warmPath` on each, all at once), so that
 * a load offered through it does not open hundreds of connections in its first second: opening
 * them costs the generator and the server CPU that a client fleet with warm connections does
 * not pay, and requests wait in the client meanwhile. Returns the pool and how many opened.
 */
export async function openPool(url, { connections, timeoutMs = 10_000, warmPath = '/healthz' }) {
  const pool = newPool(url, connections, timeoutMs);
  return { pool, open: await pool.open(warmPath) };
}

/**
 * @param {{ url: string, path: string, body?: string, bodies?: string[], rate: number, seconds: number, connections?: number, timeoutMs?: number, timelineBucketS?: number }} options
 */
export async function offerLoad(options) {
  const raw = await startHttpLoad(options).done;
  return summarize(raw, { timelineBucketS: options.timelineBucketS });
}

/**
 * Overload, then recovery: offers `rate` for `seconds` (with enough connections to fill the
 * server's admission limit), and the moment that schedule ends starts a probe load at
 * `probeRate`, cut in `windowMs` windows by due time. Recovered = the first window whose p50 is
 * within `2 x baselineP50` (failed probe requests count as infinitely slow). The probe stops at
 * recovery or after `probeMaxSeconds`; `probeRate` 0: no probe (a short trial of a setting).
 * `objectiveMs`: the overload's goodput also counted at that objective (lib/open-loop.mjs).
 * `startedAt` (epoch ms) is when the overload's schedule began, after the connections opened,
 * so the caller can line its own samples (CPU, metrics) up with it.
 */
export async function runOverload({
  url, path, body, rate, seconds, connections = 4096, timeoutMs = 10_000,
  probeRate, probeMaxSeconds, baselineP50, windowMs = 500, objectiveMs,
}) {
  const probing = probeRate > 0;
  // Connections opened before the schedule starts (see openPool), the probe's too.
  const [{ pool, open }, probePool] = await Promise.all([
    openPool(url, { connections, timeoutMs }),
    probing ? openPool(url, { connections: 64, timeoutMs }).then((p) => p.pool) : undefined,
  ]);
  const startedAt = Date.now();
  // No body parsing here (no legs): the generator's CPU goes into offering the load.
  const overload = startHttpLoad({ url, path, body, rate, seconds, connections, timeoutMs, legs: false, pool });
  await overload.scheduled;
  if (!probing) {
    return { openedConnections: open, startedAt, overload: summarize(await overload.done, { timelineBucketS: 1, objectiveMs }) };
  }

  const thresholdMs = 2 * baselineP50;
  const probeInterval = 1000 / probeRate;
  const windows = [];
  let checked = 0;
  let lastSentWindow = -1;
  let recoveredAtS;
  const windowOf = (i) => Math.floor((i * probeInterval) / windowMs);
  const check = () => {
    while (recoveredAtS === undefined && checked < windows.length) {
      const w = windows[checked];
      // Complete once the schedule has moved past it and all its requests are back.
      if (!w || lastSentWindow <= checked || w.lats.length < w.sent) return;
      const sorted = Float64Array.from(w.lats).sort();
      w.p50 = sorted[Math.floor(sorted.length / 2)] ?? Infinity;
      if (w.p50 <= thresholdMs) recoveredAtS = ((checked + 1) * windowMs) / 1000;
      checked++;
    }
  };
  const probe = startHttpLoad({
    url, path, body, rate: probeRate, seconds: probeMaxSeconds, connections: 64, timeoutMs, legs: false, pool: probePool,
    shouldStop: () => recoveredAtS !== undefined,
    onSend: (i) => {
      const w = windowOf(i);
      lastSentWindow = w;
      while (windows.length <= w) windows.push({ sent: 0, lats: [] });
      windows[w].sent++;
      check();
    },
    onDone: (i, status, latency) => {
      windows[windowOf(i)].lats.push(status === 200 ? latency : Infinity);
      check();
    },
  });
  const [overloadRaw, probeRaw] = await Promise.all([overload.done, probe.done]);
  // The last window may complete only when the schedule ends.
  lastSentWindow = Infinity;
  check();
  return {
    openedConnections: open,
    startedAt,
    overload: summarize(overloadRaw, { timelineBucketS: 1, objectiveMs }),
    probe: summarize(probeRaw),
    thresholdMs,
    recoverySeconds: recoveredAtS ?? null,
    probeMaxSeconds,
    windows: windows.map((w, i) => ({ t: (i * windowMs) / 1000, p50: w.p50 ?? null })),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--serve') {
  serve({ offer: offerLoad, overload: runOverload });
}
