// The replicated stack (a 3-node Kafka cluster and Redis with Sentinel), driven over stdin for
// failure tests that cannot import ES modules (Jest specs):
//   node tools/stack/replicated-stack.mjs --kafka-port 20000 --redis-port 20010 --data /tmp/x
// Prints one JSON line {"ready":{"brokers","sentinels","masterName"}} on stdout when up, then
// answers each JSON line {"id",op,...} read on stdin with {"id","value"} or {"id","error"}:
//   {"op":"killKafka","node":1}  {"op":"restartKafka","node":1}  {"op":"leaderOf","topic":"t","partition":0}
//   {"op":"killRedis","port":20010}  {"op":"restartRedis","port":20010}  {"op":"redisPrimaryPort"}
// Everything stops on SIGTERM or when stdin closes (the test process died).
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { log } from './common.mjs';
import { startKafkaCluster } from './kafka.mjs';
import { startRedisSentinel } from './redis.mjs';

const { values } = parseArgs({ options: { 'kafka-port': { type: 'string' }, 'redis-port': { type: 'string' }, data: { type: 'string' } } });
const kafkaPort = Number(values['kafka-port']);
const redisPort = Number(values['redis-port']);
if (!(kafkaPort > 0) || !(redisPort > 0) || !values.data) {
  log('usage: node tools/stack/replicated-stack.mjs --kafka-port <port> --redis-port <port> --data <dir>');
  process.exit(2);
}

let kafka;
let redis;
let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.all([kafka?.stop(), redis?.stop()]);
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

const results = await Promise.allSettled([
  startKafkaCluster({ nodes: 3, basePort: kafkaPort, dataDir: join(values.data, 'kafka'), logDir: values.data }),
  startRedisSentinel({ basePort: redisPort, dataDir: join(values.data, 'redis'), logDir: values.data }),
]);
[kafka, redis] = results.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
const failed = results.find((r) => r.status === 'rejected');
if (failed) {
  log(failed.reason?.stack ?? String(failed.reason));
  await stop();
}

function member(list, match, what) {
  const found = list.find(match);
  if (!found) throw new Error(`no ${what}`);
  return found;
}
const kafkaNode = (id) => member(kafka.nodes, (n) => n.id === id, `kafka node ${id}`);
const redisNode = (port) => member(redis.nodes, (n) => n.port === port, `redis node on port ${port}`);
const OPS = {
  killKafka: ({ node }) => kafkaNode(node).kill(),
  restartKafka: ({ node }) => kafkaNode(node).restart(),
  leaderOf: ({ topic, partition }) => kafka.leaderOf(topic, partition),
  killRedis: ({ port }) => redisNode(port).kill(),
  restartRedis: ({ port }) => redisNode(port).restart(),
  redisPrimaryPort: () => redis.primaryPort(),
};

const reply = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
reply({ ready: { brokers: kafka.brokers, sentinels: redis.sentinels, masterName: redis.masterName } });
const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  let id;
  try {
    const { id: requestId, op, ...args } = JSON.parse(line);
    id = requestId;
    if (!OPS[op]) throw new Error(`unknown op ${op}`);
    reply({ id, value: (await OPS[op](args)) ?? null });
  } catch (error) {
    reply({ id, error: error.message });
  }
});
lines.on('close', stop);
