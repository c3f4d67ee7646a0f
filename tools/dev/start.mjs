// `npm start`: Kafka and Redis (or KAFKA_BROKERS / REDIS_URL), topics, then gateway, processor,
// sweeper and console from their bundles. Ctrl-C stops the apps (they drain), then the servers.
import { buildApps, ensureNpmPackages, ensureTopics, log, startApp, stopChildren, waitForOk } from './bootstrap.mjs';
import { onPinnedNode } from './node-runtime.mjs';

await onPinnedNode();

ensureNpmPackages();
const { startStack } = await import('../stack/stack.mjs');

const stack = await startStack({ name: 'dev', kafkaPort: 9092, redisPort: 6379 });
let stopping = false;
const children = new Map();

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  log('stopping apps (they finish in-flight requests first)…');
  await stopChildren([...children.values()], 70_000);
  await stack.stop();
  log('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

const env = { KAFKA_BROKERS: stack.brokers, REDIS_URL: stack.redisUrl };
try {
  buildApps();
  ensureTopics(env);
} catch (error) {
  log(`start failed: ${error.message}`);
  await stack.stop();
  process.exit(1);
}

const launch = (name, appEnv = {}) => {
  const child = startApp(name, { ...env, ...appEnv }, {
    onExit: (code, signal) => {
      if (!stopping) log(`${name} exited (${signal ?? code}); the other apps keep running`);
    },
  });
  children.set(name, child);
  return child;
};

// The processor first: once it is ready its routes are in the catalog, so the gateway (ready only
// after reading the catalog) serves them from its first request.
const processor = launch('processor');
const processorPort = process.env.FLOWGATE_PROCESSOR_PORT ?? '9101';
if (!(await waitForOk(`http://127.0.0.1:${processorPort}/readyz`, { timeoutMs: 120_000, alive: () => processor.exitCode === null }))) {
  log('the processor did not become ready; see its log lines above (starting the others anyway)');
}
const gateway = launch('gateway');
launch('sweeper');

const port = process.env.FLOWGATE_GATEWAY_PORT ?? '8080';
const url = `http://127.0.0.1:${port}`;
if (await waitForOk(`${url}/readyz`, { alive: () => gateway.exitCode === null })) {
  log(`ready: ${url}  (try: curl -s -X POST ${url}/v1/echo -H 'content-type: application/json' -d '{"hello":"world"}')`);
  log(`metrics: http://127.0.0.1:${process.env.FLOWGATE_ADMIN_PORT ?? '9100'}/metrics  (the gateway's internal port; not on ${port})`);
} else {
  log('the gateway did not become ready; see its log lines above');
}

// The console: with FLOWGATE_ADMIN_TOKEN it asks for that token; without one it runs open, and
// therefore on 127.0.0.1 only (FLOWGATE_CONSOLE_AUTH=loopback; see docs/console.md).
const token = process.env.FLOWGATE_ADMIN_TOKEN;
const consoleApp = launch('console', token ? {} : { FLOWGATE_CONSOLE_AUTH: 'loopback' });
const consoleUrl = `http://127.0.0.1:${process.env.FLOWGATE_CONSOLE_PORT ?? '9300'}`;
if (await waitForOk(`${consoleUrl}/readyz`, { alive: () => consoleApp.exitCode === null })) {
  log(`console: ${consoleUrl}/${token ? '  (sign in with FLOWGATE_ADMIN_TOKEN)' : '  (no token set: open, on 127.0.0.1 only)'}`);
} else {
  log('the console did not become ready; see its log lines above');
}
