// `npm run faults`: the fault schedule (tools/faults) under steady mixed load, on its own Kafka and
// Redis behind fault proxies, loopback only, bounded (about 6-8 minutes). Prints the "Faults
// survived" table and writes it to bench/results/faults.md (the ledger's figures to faults.json);
// exits 1 when a check fails. Options (after `--`): --faults a,b,c, --rate n, --warmup s,
// --baseline s, --max-recovery s (node tools/faults/cli.mjs lists them).
import { join } from 'node:path';
import { buildApps, ensureNpmPackages, log, root } from './bootstrap.mjs';
import { onPinnedNode } from './node-runtime.mjs';

await onPinnedNode();

ensureNpmPackages();
buildApps(['gateway', 'processor', 'sweeper', 'examples']);
const { parseOptions, runFaults } = await import('../faults/cli.mjs');
let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  log(error.message);
  process.exit(2);
}
try {
  const { failures } = await runFaults({
    out: join(root, 'bench/results/faults.json'),
    md: join(root, 'bench/results/faults.md'),
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  });
  log(failures.length ? `checks failed: ${failures.join('; ')}` : 'every check passed; wrote bench/results/faults.md and faults.json');
  process.exitCode = failures.length ? 1 : 0;
} catch (error) {
  log(`fault run failed: ${error.stack ?? error}`);
  process.exitCode = 1;
}
