// CPU an idle deployment burns: a gateway, a processor (the demo jobs) and a sweeper of each build
// given, started in turn on the Kafka and Redis in KAFKA_BROKERS / REDIS_URL, a few requests
// answered, then their CPU over a quiet window from /proc. The builds alternate, round by round,
// and each figure is printed per round and as the median, with its ratio to the first build's.
//   KAFKA_BROKERS=... REDIS_URL=... node bench/idle-cpu.mjs <dist dir> [<dist dir> ...]
//   (env: IDLE_ROUNDS=3, IDLE_SECONDS=15; IDLE_KAFKA_PID=<pid>: the broker's CPU in the same windows too)
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { DEMO_ENV, ensureTopics, root } from '../tools/dev/bootstrap.mjs';
import { cpuSeconds } from './lib/procstat.mjs';
import { median } from './lib/rounds.mjs';

const dists = process.argv.slice(2).map((dir) => resolve(dir));
const rounds = Number(process.env.IDLE_ROUNDS ?? 3);
const seconds = Number(process.env.IDLE_SECONDS ?? 15);
const kafkaPid = process.env.IDLE_KAFKA_PID ? Number(process.env.IDLE_KAFKA_PID) : undefined;
if (dists.length === 0 || !process.env.KAFKA_BROKERS || !process.env.REDIS_URL) {
  throw new Error('usage: KAFKA_BROKERS=... REDIS_URL=... node bench/idle-cpu.mjs <dist dir> [<dist dir> ...]');
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PORTS = { gateway: 38480, admin: 38483, processor: 38481, sweeper: 38482 };

async function waitOk(url, ms = 90_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(5_000) })).status === 200) return;
    } catch { /* not up yet */ }
    await sleep(250);
  }
  throw new Error(`${url} never answered 200`);
}

const common = { ...process.env, ...DEMO_ENV, FLOWGATE_TOPIC_PREFIX: 'idle.' };
// The topics first, as `npm start` does.
ensureTopics({ FLOWGATE_TOPIC_PREFIX: 'idle.' });

async function measure(dist) {
  const env = {
    ...common,
    FLOWGATE_GATEWAY_PORT: String(PORTS.gateway), FLOWGATE_ADMIN_PORT: String(PORTS.admin),
    FLOWGATE_PROCESSOR_PORT: String(PORTS.processor), FLOWGATE_SWEEPER_PORT: String(PORTS.sweeper),
  };
  const apps = Object.fromEntries(['processor', 'sweeper', 'gateway'].map((app) => [app, spawn(process.execPath, [join(dist, 'apps', app, 'main.js')], { cwd: root, env, stdio: 'ignore' })]));
  try {
    await waitOk(`http://127.0.0.1:${PORTS.gateway}/v1/echo`);
    for (let i = 0; i < 20; i++) await waitOk(`http://127.0.0.1:${PORTS.gateway}/v1/echo`);
    await sleep(2_000); // the answers' own work done
    const pids = { ...Object.fromEntries(Object.entries(apps).map(([app, child]) => [app, child.pid])), ...(kafkaPid ? { kafka: kafkaPid } : {}) };
    const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
    await sleep(seconds * 1_000);
    return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, (100 * (cpuSeconds(pid) - before[name])) / seconds]));
  } finally {
    await Promise.all(Object.values(apps).map((child) => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); })));
  }
}

const results = dists.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < dists.length; i++) {
    const at = (i + round) % dists.length;
    const pct = await measure(dists[at]);
    results[at].push(pct);
    console.log(`round ${round + 1}, ${dists[at]}: ${Object.entries(pct).map(([app, p]) => `${app} ${p.toFixed(2)} %`).join(', ')} of a core`);
  }
}
/** The apps' total: the broker, when measured, is shown apart. */
const total = (pct) => Object.entries(pct).filter(([name]) => name !== 'kafka').reduce((a, [, p]) => a + p, 0);
const base = median(results[0].map(total));
console.log(`idle CPU, % of a core, median of ${rounds} rounds of ${seconds} s (gateway + processor + sweeper):`);
dists.forEach((dist, i) => {
  const sum = median(results[i].map(total));
  const apps = Object.keys(results[i][0]).map((app) => `${app} ${median(results[i].map((r) => r[app])).toFixed(2)}`).join(', ');
  console.log(`${dist}: ${sum.toFixed(2)} % (${apps}), ${(sum / base).toFixed(2)}× the first`);
});
