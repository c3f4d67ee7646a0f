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
import { Ledger } from './ledger.mjs';
import { MixedLoad } from './mixed-load.mjs';
import { faultsMarkdown } from './report.mjs';
import { FAULTS, FULL_SCHEDULE, runSchedule, SHORT_SCHEDULE } from './schedule.mjs';

const log = (message) => process.stderr.write(`[faults] ${new Date().toISOString().slice(11, 19)} ${message}\n`);

export const USAGE = 'usage: node tools/faults/cli.mjs [--faults a,b,c | --short] [--rate n] [--warmup s] [--baseline s] [--max-recovery s] [--out file.json] [--md file.md]';

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
  const deployment = new Deployment({
    runDir: join(cache, 'run', `faults-${run}`),
    prefix: `faults.${run}.`,
    kafka: process.env.KAFKA_BROKERS,
    redis: process.env.REDIS_URL,
    log,
  });
  const ledger = new Ledger();
  // Deadlines well above the exactly-once counter's p99 on a busy 2-core machine (about 1-2 s).
  const settings = { rate: options.rate, timeoutMs: 5_000, slackMs: 2_000, asyncTimeoutMs: 8_000, baselineS: options.baselineS, maxRecoveryS: options.maxRecoveryS };
  const load = new MixedLoad({ gateways: [], ledger, run, ...settings });
  // However this process ends, the apps it started end with it (Kafka and Redis have their own hook).
  process.on('exit', () => deployment.apps.forEach((app) => app.running && app.child.kill('SIGKILL')));
  try {
    log(`run ${run}: ${options.names.join(', ')} at ${options.rate} req/s; logs in ${deployment.runDir}`);
    await deployment.start();
    load.gateways = deployment.gatewayUrls;
    const result = await runSchedule({
      deployment, load, ledger, names: options.names, baselineMs: options.baselineS * 1000, warmupMs: options.warmupS * 1000, maxRecoveryMs: options.maxRecoveryS * 1000, log,
    });
    const full = {
      ...result,
      settings: {
        ...settings, gateways: deployment.counts.gateway, processors: deployment.counts.processor, sweepers: deployment.counts.sweeper,
        processing: process.env.FLOWGATE_PROCESSING ?? 'exactly_once', at: new Date(started).toISOString(), elapsedS: (Date.now() - started) / 1000,
        ownKafka: !process.env.KAFKA_BROKERS, runDir: deployment.runDir,
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
  } finally {
    load.close();
    await deployment.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    log(error.message);
    process.exit(2);
  }
  try {
    const { failures } = await runFaults(options);
    log(failures.length ? `checks failed: ${failures.join('; ')}` : 'every check passed');
    process.exitCode = failures.length ? 1 : 0;
  } catch (error) {
    log(`fault run failed: ${error.stack ?? error}`);
    process.exitCode = 1;
  }
}
