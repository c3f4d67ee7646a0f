// Open-loop load generator: requests are sent on a fixed schedule whatever the server does, and
// each latency is measured from the moment the request was due, not from when it was sent, so a
// stalled server cannot hide its stall (no coordinated omission).
import { Pool } from 'undici';

/**
 * @param {{ url: string, path: string, body: string, rate: number, seconds: number, connections?: number, timeoutMs?: number }} options
 */
export async function offerLoad({ url, path, body, rate, seconds, connections = 256, timeoutMs = 10_000 }) {
  const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const total = Math.round(rate * seconds);
  const latencies = new Float64Array(total);
  const statuses = new Map();
  let done = 0;
  let errors = 0;
  const started = performance.now();
  const finished = new Promise((resolve) => {
    if (total === 0) resolve();
    const send = (i) => {
      const due = started + (i * 1000) / rate;
      pool
        .request({ method: 'POST', path, body, headers: { 'content-type': 'application/json' } })
        .then(async (res) => {
          await res.body.dump();
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        })
        .catch(() => errors++)
        .finally(() => {
          latencies[i] = performance.now() - due;
          if (++done === total) resolve();
        });
    };
    let next = 0;
    // Send everything that is due, then sleep until the next one is: a 1 ms tick keeps the
    // schedule even at thousands of requests per second.
    const tick = () => {
      const now = performance.now();
      while (next < total && started + (next * 1000) / rate <= now) send(next++);
      if (next < total) setTimeout(tick, 1);
    };
    tick();
  });
  await finished;
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  const ok = statuses.get(200) ?? 0;
  return {
    rate,
    sent: total,
    ok,
    errors,
    statuses: Object.fromEntries(statuses),
    throughput: ok / elapsed,
    p50: q(0.5),
    p99: q(0.99),
    p999: q(0.999),
  };
}
