// `npm run start:<app>`: one app against Kafka and Redis that are already running
// (KAFKA_BROKERS, REDIS_URL, and the app's FLOWGATE_* variables from the environment; the
// processor runs the demo jobs unless FLOWGATE_JOBS names others).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildApps, DEMO_ENV, ensureNpmPackages, root } from './bootstrap.mjs';
import { onPinnedNode } from './node-runtime.mjs';

await onPinnedNode();

const name = process.argv[2];
if (!['gateway', 'processor', 'sweeper', 'console'].includes(name)) {
  console.error('usage: node tools/dev/start-app.mjs gateway|processor|sweeper|console');
  process.exit(2);
}
ensureNpmPackages();
buildApps([name, 'examples']);
// Arguments after the app name go to it (e.g. `npm run start:processor -- retire-routes order-quote`).
const child = spawn(process.execPath, [join(root, 'dist/apps', name, 'main.js'), ...process.argv.slice(3)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...DEMO_ENV, ...process.env },
});
// The app handles SIGINT/SIGTERM itself (drain); forward them and exit with its code.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
