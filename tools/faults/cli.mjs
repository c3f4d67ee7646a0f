// The fault schedule, run on the built bundles (npm run faults builds them first; the CI spec
// apps/e2e/src/faults.e2e-spec.ts runs this directly):
//   node tools/faults/cli.mjs [--faults a,b,c | --short] [--rate 100] [--out result.json] [--md table.md]
// Without KAFKA_BROKERS it starts its own Kafka behind a fault proxy (Kafka faults possible);
// with it, the apps use that Kafka directly (Kafka faults refused). Redis likewise (REDIS_URL),
// but Redis is always reached through a proxy. Exits 1 when a check fails, 2 on bad arguments.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Deployment } from './deployment.mjs';
import { failedChecks, Ledger } from './ledger.mjs';
import { MixedLoad } from './mixed-load.mjs';
import { faultsMarkdown } from './report.mjs';
import { FAULTS, FULL_SCHEDULE, runSchedule, SHORT_SCHEDULE } from './schedule.mjs';

const log = (message) => process.stderr.write(`[faults] ${new Date().toISOString().slice(11, 19)} ${message}\n`);

export const USAGE = 'usage: node tools/faults/cli.mjs [--faults a,b,c | --short] [--rate n] [--warmup s] [--slack s] [--sweepers n] [--baseline s] [--max-recovery s] [--out file.json] [--md file.md]';

/** Options with their defaults; throws with the usage on anything else. */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      faults: { type: 'string' },
      short: { type: 'boolean', default: false },
      rate: { type: 'string', default: '50' },
      baseline: { type: 'string' },
      warmup: { type: 'string' },
      slack: { type: 'string', default: '5' },
      sweepers: { type: 'string', default: '2' },
      'max-recovery': { type: 'string' },
      out: { type: 'string' },
      md: { type: 'string' },
    },
  });
  const names = values.faults ? values.faults.split(',').filter(Boolean) : values.short ? SHORT_SCHEDULE : FULL_SCHEDULE;
  const unknown = names.filter((n) => !FAULTS[n]);
  if (unknown.length > 0) throw new Error(`unknown fault ${unknown.join(', ')}; known: ${Object.keys(FAULTS).join(', ')}\n${USAGE}`);
  const number = (value, what) => {
    const n = Number(value);
    if (!(n > 0)) throw new Error(`${what} must be a positive number, not ${value}\n${USAGE}`);
    return n;
  };
  return {
    names,
    rate: number(values.rate, '--rate'),
    baselineS: number(values.baseline ?? (values.short ? '5' : '8'), '--baseline'),
    slackS: number(values.slack, '--slack'),
    sweepers: number(values.sweepers, '--sweepers'),
    warmupS: number(values.warmup ?? (values.short ? '10' : '15'), '--warmup'),
    maxRecoveryS: number(values['max-recovery'] ?? (values.short ? '20' : '30'), '--max-recovery'),
    out: values.out,
    md: values.md,
  };
}

export async function runFaults(options) {
  const started = Date.now();
  const run = randomBytes(3).toString('hex');
  const cache = process.env.FLOWGATE_CACHE_DIR ?? join(homedir(), '.cache', 'flowgate');
  const ledger = new Ledger();
  // Deadlines well above the exactly-once counter's p99 on a busy 2-core machine (1-5 s), and a
  // slack for the gateways' own timers, which fire late when the machine is starved of CPU.
  const settings = { rate: options.rate, timeoutMs: 5_000, slackMs: options.slackS * 1000, asyncTimeoutMs: 8_000, baselineS: options.baselineS, maxRecoveryS: options.maxRecoveryS };
  // Faults on replicated stores (the 3-node Kafka cluster, Redis behind Sentinels) get a deployment
  // of their own, after the others.
  const replicated = (n) => FAULTS[n].needs === 'kafkaCluster' || FAULTS[n].needs === 'redisSentinel';
  const groups = [
    { kafkaNodes: 1, redisSentinel: false, names: options.names.filter((n) => !replicated(n)) },
    { kafkaNodes: 3, redisSentinel: true, names: options.names.filter(replicated) },
  ].filter((g) => g.names.length > 0);
  const deployments = [];
  // However this process ends, the apps it started end with it (Kafka and Redis have their own hook).
  process.on('exit', () => deployments.forEach((d) => d.apps.forEach((app) => app.running && app.child.kill('SIGKILL'))));
  log(`run ${run}: ${options.names.join(', ')} at ${options.rate} req/s`);
  const faults = [];
  let counts;
  for (const [i, group] of groups.entries()) {
    const deployment = new Deployment({
      runDir: join(cache, 'run', `faults-${run}-${i}`),
      prefix: `faults.${run}.${i}.`,
      kafka: process.env.KAFKA_BROKERS,
      redis: process.env.REDIS_URL,
      kafkaNodes: group.kafkaNodes,
      redisSentinel: group.redisSentinel,
      counts: { gateway: 2, processor: 2, sweeper: options.sweepers },
      log,
    });
    deployments.push(deployment);
    counts = deployment.counts;
    const load = new MixedLoad({ gateways: [], ledger, run: `${run}${i}`, ...settings });
    try {
      log(`deployment ${i} (${group.kafkaNodes === 1 ? 'one broker and Redis behind proxies' : `${group.kafkaNodes}-node Kafka cluster, Redis behind Sentinels`}); logs in ${deployment.runDir}`);
      await deployment.start();
      load.gateways = deployment.gatewayUrls;
      faults.push(...await runSchedule({
        deployment, load, ledger, names: group.names,
        baselineMs: options.baselineS * 1000, warmupMs: options.warmupS * 1000, maxRecoveryMs: options.maxRecoveryS * 1000, log,
      }));
    } finally {
      load.close();
      await deployment.stop();
    }
  }
  const total = ledger.summary(options.names);
  const full = {
    faults,
    total,
    failures: failedChecks(total),
    settings: {
      ...settings, gateways: counts.gateway, processors: counts.processor, sweepers: counts.sweeper,
      processing: process.env.FLOWGATE_PROCESSING ?? 'exactly_once', at: new Date(started).toISOString(), elapsedS: (Date.now() - started) / 1000,
      ownKafka: !process.env.KAFKA_BROKERS,
      bootRestarts: deployments.flatMap((d) => d.bootRestarts ?? []),
    },
  };
  const markdown = faultsMarkdown(full);
  process.stdout.write(`\n${markdown}\n`);
  for (const [file, text] of [[options.out, JSON.stringify(full, null, 2)], [options.md, `${markdown}\n`]]) {
    if (!file) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return full;
}

/**
 * Parses `argv`, runs the schedule, sets the exit code (0 passed, 1 a check failed or the run
 * did, 2 bad arguments). `defaults` fills options the arguments leave out (npm run faults: where
 * to write the table).
 */
export async function main(argv, defaults = {}) {
  // A signal ends the run at once: the exit hooks kill the apps, Kafka and Redis this run started.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) process.on(signal, () => process.exit(code));
  let options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    log(error.message);
    process.exit(2);
  }
  try {
    const { failures } = await runFaults({ ...options, out: options.out ?? defaults.out, md: options.md ?? defaults.md });
    log(failures.length ? `checks failed: ${failures.join('; ')}` : `every check passed${defaults.md ? `; wrote ${defaults.md}` : ''}`);
    process.exitCode = failures.length ? 1 : 0;
  } catch (error) {
    log(`fault run failed: ${error.stack ?? error}`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
