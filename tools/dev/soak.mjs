// `npm run soak`: the fault schedule's mixed load (tools/faults/mixed-load.mjs) at half of the
// measured capacity, no faults, for --minutes (default 30), on its own Kafka and Redis (or
// KAFKA_BROKERS / REDIS_URL). Per minute and process: RSS, heap used, open file descriptors,
// event-loop delay p99 (the apps' /metrics), and the load's latency p50/p99. Fails (exit 1) on a
// sustained upward trend (tools/faults/soak.mjs, `trend`), or when a ledger check fails. Writes
// bench/results/soak.md and soak.json. Options: --minutes n, --rate n (skips the capacity search).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApps, ensureNpmPackages, log, root } from './bootstrap.mjs';
import { onPinnedNode } from './node-runtime.mjs';

await onPinnedNode();

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' }, rate: { type: 'string' } } });
const minutes = Number(values.minutes);
const givenRate = values.rate === undefined ? undefined : Number(values.rate);
if (!(minutes >= 1) || (givenRate !== undefined && !(givenRate > 0))) {
  log('usage: npm run soak -- [--minutes 30] [--rate <requests/s>]');
  process.exit(2);
}
ensureNpmPackages();
buildApps(['gateway', 'processor', 'sweeper', 'examples']);
const { Deployment } = await import('../faults/deployment.mjs');
const { Ledger, failedChecks } = await import('../faults/ledger.mjs');
const { MixedLoad } = await import('../faults/mixed-load.mjs');
const { measureCapacity, soak, soakMarkdown } = await import('../faults/soak.mjs');

const run = randomBytes(3).toString('hex');
const deployment = new Deployment({
  runDir: join(process.env.FLOWGATE_CACHE_DIR ?? join(homedir(), '.cache', 'flowgate'), 'run', `soak-${run}`),
  prefix: `soak.${run}.`,
  kafka: process.env.KAFKA_BROKERS,
  redis: process.env.REDIS_URL,
  // The Node inspector on loopback: each minute's heap is measured after a full GC (live-heap.mjs).
  inspect: true,
  log,
});
const ledger = new Ledger();
const load = new MixedLoad({ gateways: [], ledger, run, rate: 1, timeoutMs: 5_000, slackMs: 2_000, asyncTimeoutMs: 8_000 });
process.on('exit', () => deployment.apps.forEach((app) => app.running && app.child.kill('SIGKILL')));
try {
  await deployment.start();
  load.gateways = deployment.gatewayUrls;
  let rate = givenRate;
  if (rate === undefined) {
    const capacity = await measureCapacity({ load, ledger, log });
    if (capacity === 0) throw new Error('the deployment did not serve even 20 requests/s with 95 % answered ok');
    rate = capacity / 2;
    log(`capacity ${capacity}/s: soaking at ${rate}/s`);
  }
  const result = await soak({ deployment, load, ledger, rate, minutes, log });
  const markdown = `${soakMarkdown(result)}\n\n${new Date().toISOString()}, Node ${process.version}, \`npm run soak -- --minutes ${minutes}${givenRate ? ` --rate ${givenRate}` : ''}\`.`;
  console.log(`\n${markdown}\n`);
  writeFileSync(join(root, 'bench/results/soak.md'), `${markdown}\n`);
  writeFileSync(join(root, 'bench/results/soak.json'), JSON.stringify({ ...result, at: new Date().toISOString() }, null, 2));
  const failures = [...result.verdicts.filter((v) => v.upward).map((v) => `${v.process} ${v.metric} rises`), ...failedChecks(result.summary)];
  log(failures.length ? `soak failed: ${failures.join('; ')}` : 'soak passed; wrote bench/results/soak.md and soak.json');
  process.exitCode = failures.length ? 1 : 0;
} catch (error) {
  log(`soak failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  load.close();
  await deployment.stop();
}
