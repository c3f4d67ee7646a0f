// An A/B of the stream runtime's code: two builds' gateway and processor (demo jobs, exactly-once)
// side by side on one Kafka, each with topics of its own, given the same load at the same time:
//   1. `counter` increments, one caller at a time: the exactly-once round trip alone;
//   2. `counter` increments from 16 callers at once: batches, transactions, the fetch loop;
//   3. access-log lines into the `ip-count` job (8 posters of 20 lines): events/s until the job
//      has taken all, batches, mean batch time (`flowgate_processor_batch_duration_seconds`).
// Rounds repeat the three; the report gives each round's figures, A then B.
//
//   KAFKA_BROKERS=... REDIS_URL=... node bench/job-ab.mjs <dist A> <dist B> [rounds=2]
import { spawn, spawnSync } from 'node:child_process';
import { DEMO_ENV, root } from '../tools/dev/bootstrap.mjs';
import { sumSeries } from './lib/metrics-text.mjs';
import { quantile } from './lib/open-loop.mjs';

const [distA, distB, rounds = '2'] = process.argv.slice(2);
if (!distB || !process.env.KAFKA_BROKERS || !process.env.REDIS_URL) {
  throw new Error('usage: KAFKA_BROKERS=... REDIS_URL=... node bench/job-ab.mjs <dist A> <dist B> [rounds]');
}
const SEQUENTIAL = 100;
const CALLERS = 16;
const PER_CALLER = 30;
const POSTS = 200;
const LINES = 20;
const run = Date.now();

const builds = [[distA, 'joba', 27500], [distB, 'jobb', 27600]].map(([dist, name, port]) => {
  const env = {
    ...process.env, ...DEMO_ENV, FLOWGATE_LOG_LEVEL: 'warn', FLOWGATE_TOPIC_PREFIX: `${name}${run}.`,
    FLOWGATE_GATEWAY_PORT: String(port), FLOWGATE_ADMIN_PORT: String(port + 7), FLOWGATE_PROCESSOR_PORT: String(port + 1),
  };
  const ensured = spawnSync(process.execPath, [`${dist}/apps/processor/main.js`, 'ensure-topics'], { cwd: root, env, stdio: 'ignore' });
  if (ensured.status !== 0) throw new Error(`${dist}: ensure-topics failed`);
  const apps = ['processor', 'gateway'].map((app) => spawn(process.execPath, [`${dist}/apps/${app}/main.js`], { cwd: root, env, stdio: 'ignore' }));
  return { dist, gateway: `http://127.0.0.1:${port}`, metrics: `http://127.0.0.1:${port + 1}/metrics`, apps };
});

async function increment(build, key) {
  const started = performance.now();
  const response = await fetch(`${build.gateway}/v1/counter`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key, by: 1 }) });
  await response.text();
  if (response.status !== 200) throw new Error(`${build.dist}: counter answered ${response.status}`);
  return performance.now() - started;
}

async function ingest(build, post) {
  const now = new Date().toISOString().slice(11, 19);
  const body = Array.from({ length: LINES }, (_, line) => `${now} 10.0.${post % 50}.${line}`).join('\n');
  const response = await fetch(`${build.gateway}/v1/ingest/access-log`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
  const { accepted } = await response.json();
  if (response.status !== 202) throw new Error(`${build.dist}: ingest answered ${response.status}`);
  return accepted;
}

/** The sum of a metric's series on the build's processor whose labels include `labels`. */
const metric = async (build, name, labels) => sumSeries(await (await fetch(build.metrics)).text(), name, labels);
const eventsTaken = (build) => metric(build, 'flowgate_processor_operator_records_total', { job: 'ip-count', operator: 'by ip', direction: 'in' });
const batchCount = (build) => metric(build, 'flowgate_processor_batch_duration_seconds_count', { job: 'ip-count' });
const batchSeconds = (build) => metric(build, 'flowgate_processor_batch_duration_seconds_sum', { job: 'ip-count' });

async function untilReady(build) {
  for (let attempt = 0; attempt < 600; attempt++) {
    try {
      await increment(build, 'warm-up');
      await ingest(build, 0);
      if ((await eventsTaken(build)) > 0) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${build.dist}: not ready in 120 s`);
}

const latencies = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return `p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p90 ${quantile(sorted, 0.9).toFixed(1)} ms`;
};

async function measure(build, round) {
  const sequential = [];
  for (let i = 0; i < SEQUENTIAL; i++) sequential.push(await increment(build, `r${round}-s${i % 8}`));
  const concurrent = [];
  await Promise.all(Array.from({ length: CALLERS }, async (_, caller) => {
    for (let i = 0; i < PER_CALLER; i++) concurrent.push(await increment(build, `r${round}-c${caller}-${i % 8}`));
  }));
  const [takenBefore, batchesBefore, secondsBefore] = [await eventsTaken(build), await batchCount(build), await batchSeconds(build)];
  const started = performance.now();
  let accepted = 0;
  await Promise.all(Array.from({ length: 8 }, async (_, poster) => {
    for (let post = poster; post < POSTS; post += 8) {
      const n = await ingest(build, post);
      accepted += n;
    }
  }));
  while ((await eventsTaken(build)) - takenBefore < accepted) await new Promise((resolve) => setTimeout(resolve, 20));
  const ms = performance.now() - started;
  const batches = (await batchCount(build)) - batchesBefore;
  const seconds = (await batchSeconds(build)) - secondsBefore;
  return `one caller ${latencies(sequential)}; ${CALLERS} callers ${latencies(concurrent)}; ` +
    `ip-count ${(accepted / ms * 1000).toFixed(0)} events/s (${accepted} in ${batches} batches, mean ${(seconds / batches * 1000).toFixed(0)} ms)`;
}

try {
  await Promise.all(builds.map(untilReady));
  for (let round = 1; round <= Number(rounds); round++) {
    const figures = await Promise.all(builds.map((build) => measure(build, round)));
    builds.forEach((build, i) => console.log(`round ${round}, ${build.dist}: ${figures[i]}`));
  }
} finally {
  for (const build of builds) for (const app of build.apps) app.kill('SIGTERM');
}
