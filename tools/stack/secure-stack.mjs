// A secured Kafka (SASL_SSL, SCRAM-SHA-512, ACLs) and a TLS-only Redis with ACL users, for the secure-stack e2e
// spec and for trying the apps against them by hand:
//   FLOWGATE_SECURE_PASSWORDS='{"admin":"...","gateway":"...","processor":"...","sweeper":"...","console":"..."}' \
//   node tools/stack/secure-stack.mjs --kafka-port 44000 --controller-port 44001 --redis-port 44010 --dir /tmp/secure --prefix flowgate.
// Passwords come in the environment (never in arguments: the process list shows those). Prints one line
// `SECURE_STACK {"brokers":...,"redis":...,"ca":...}` on stdout when both are ready; SIGTERM/SIGINT stop both.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { log } from './common.mjs';
import { DEMO_ROUTE_TOPICS, KAFKA_APPS, startSecureKafka } from './secure-kafka.mjs';
import { startSecureRedis } from './secure-redis.mjs';
import { ensureTlsCerts } from './tls-certs.mjs';

const { values } = parseArgs({
  options: {
    'kafka-port': { type: 'string' },
    'controller-port': { type: 'string' },
    'redis-port': { type: 'string' },
    dir: { type: 'string' },
    prefix: { type: 'string', default: 'flowgate.' },
    // Topics (without the prefix) of routes with a topic of their own: the gateway may write there.
    'route-topics': { type: 'string', default: DEMO_ROUTE_TOPICS.join(',') },
  },
});
const kafkaPort = Number(values['kafka-port']);
const controllerPort = Number(values['controller-port'] ?? kafkaPort + 1);
const redisPort = Number(values['redis-port']);
let passwords;
try {
  passwords = JSON.parse(process.env.FLOWGATE_SECURE_PASSWORDS ?? '');
} catch {
  passwords = undefined;
}
if (!(kafkaPort > 0) || !(redisPort > 0) || !(controllerPort > 0) || !values.dir || typeof passwords !== 'object' || passwords === null) {
  log('usage: FLOWGATE_SECURE_PASSWORDS=\'{"admin":"…",' + KAFKA_APPS.map((a) => `"${a}":"…"`).join(',') + '}\' node tools/stack/secure-stack.mjs --kafka-port <p> [--controller-port <p>] --redis-port <p> --dir <dir> [--prefix flowgate.] [--route-topics counter,access-log]');
  process.exit(2);
}

const dir = values.dir;
const certs = await ensureTlsCerts(join(dir, 'certs'));
const running = [];
let stopping = false;
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  await Promise.all(running.map((server) => server.stop()));
  process.exit(code);
};
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
try {
  const common = { certs, passwords, prefix: values.prefix };
  const [kafka, redis] = await Promise.all([
    startSecureKafka({ ...common, routeTopics: values['route-topics'].split(',').filter(Boolean), port: kafkaPort, controllerPort, dataDir: join(dir, 'kafka'), logFile: join(dir, 'kafka.log') }).then((k) => (running.push(k), k)),
    startSecureRedis({ ...common, port: redisPort, dataDir: join(dir, 'redis'), logFile: join(dir, 'redis.log') }).then((r) => (running.push(r), r)),
  ]);
  if (!stopping) process.stdout.write(`SECURE_STACK ${JSON.stringify({ brokers: kafka.brokers, redis: redis.url, ca: certs.ca })}\n`);
} catch (err) {
  log(`secure stack failed: ${err.message}`);
  await stop(1);
}
setInterval(() => {}, 1 << 30);
