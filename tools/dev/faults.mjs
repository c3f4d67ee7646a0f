// `npm run faults`: the fault schedule (tools/faults) under steady mixed load, on its own Kafka and
// Redis behind fault proxies, loopback only, bounded (about 8-12 minutes). Prints the "Faults
// survived" table and writes it to bench/results/faults.md (the ledger's figures to faults.json);
// exits 1 when a check fails. Options (after `--`): --faults a,b,c, --rate n, --warmup s,
// --baseline s, --max-recovery s, --slack s, --sweepers n (node tools/faults/cli.mjs lists them).
import { join } from 'node:path';
import { buildApps, ensureNpmPackages, root } from './bootstrap.mjs';
import { onPinnedNode } from './node-runtime.mjs';

await onPinnedNode();

ensureNpmPackages();
buildApps(['gateway', 'processor', 'sweeper', 'examples']);
const { main } = await import('../faults/cli.mjs');
await main(process.argv.slice(2), { out: join(root, 'bench/results/faults.json'), md: join(root, 'bench/results/faults.md') });
