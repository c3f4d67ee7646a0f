// `npm run bench`: flowgate's echo through gateway -> Kafka -> processor -> Kafka -> gateway,
// next to a plain Fastify echo (no Kafka), at the same offered loads in the same run.
// Loopback only; bounded: BENCH_SECONDS per rate (default 5) over BENCH_RATES (default
// 250,500,1000,2000). Writes bench/results/latest.{json,md}.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApps, coreTopics, ensureNpmPackages, log, root, startApp, waitForOk } from './bootstrap.mjs';

ensureNpmPackages();
buildApps(['gateway', 'processor']);
const { startStack, createTopics } = await import('../stack/stack.mjs');
const { offerLoad } = await import('../../bench/load.mjs');

const rates = (process.env.BENCH_RATES ?? '250,500,1000,2000').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const stack = await startStack({ name: 'bench', kafkaPort: 49092, redisPort: 46379 });
const children = [];
const stopAll = async () => {
  await Promise.all(children.map((c) => new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', resolve);
    c.kill('SIGTERM');
  })));
  await stack.stop();
};

try {
  const env = {
    KAFKA_BROKERS: stack.brokers,
    REDIS_URL: stack.redisUrl,
    FLOWGATE_TOPIC_PREFIX: 'bench.',
    FLOWGATE_GATEWAY_PORT: '18180',
    FLOWGATE_PROCESSOR_PORT: '18181',
    FLOWGATE_LOG_LEVEL: 'warn',
  };
  await createTopics({ brokers: stack.brokers, topics: coreTopics(env) });
  children.push(startApp('processor', env), startApp('gateway', env));
  const peer = spawn(process.execPath, [join(root, 'bench/peers/fastify-echo.mjs')], {
    cwd: root, env: { ...process.env, PORT: '18190' }, stdio: 'ignore',
  });
  children.push(peer);
  if (!(await waitForOk('http://127.0.0.1:18180/readyz'))) throw new Error('gateway not ready');
  if (!(await waitForOk('http://127.0.0.1:18181/readyz'))) throw new Error('processor not ready');

  const systems = [
    { name: 'flowgate', url: 'http://127.0.0.1:18180' },
    { name: 'fastify (no Kafka)', url: 'http://127.0.0.1:18190' },
  ];
  const body = JSON.stringify({ user: 'bench', item: 42, note: 'a small JSON event' });
  for (const system of systems) {
    log(`warming up ${system.name}`);
    await offerLoad({ url: system.url, path: '/v1/echo', body, rate: 300, seconds: 3 });
  }
  const rows = [];
  for (const rate of rates) {
    for (const system of systems) {
      const result = await offerLoad({ url: system.url, path: '/v1/echo', body, rate, seconds });
      rows.push({ system: system.name, ...result });
      log(`${system.name} @ ${rate}/s: ${result.throughput.toFixed(0)}/s ok, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms`);
    }
  }
  const table = [
    `| offered/s | system | ok/s | p50 ms | p99 ms | p99.9 ms | non-200 | p50 ratio |`,
    `|---:|---|---:|---:|---:|---:|---:|---:|`,
    ...rows.map((row) => {
      const base = rows.find((r) => r.rate === row.rate && r.system !== 'flowgate');
      const ratio = row.system === 'flowgate' ? `${(row.p50 / base.p50).toFixed(1)}x` : '1.0x';
      return `| ${row.rate} | ${row.system} | ${row.throughput.toFixed(0)} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${row.p999.toFixed(2)} | ${row.sent - row.ok} | ${ratio} |`;
    }),
  ].join('\n');
  console.log(`\n${table}\n\n(${seconds} s per rate, loopback, ${new Date().toISOString()})`);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/latest.json'), JSON.stringify({ seconds, rows, at: new Date().toISOString() }, null, 2));
  writeFileSync(join(root, 'bench/results/latest.md'), `${table}\n`);
} finally {
  await stopAll();
}
