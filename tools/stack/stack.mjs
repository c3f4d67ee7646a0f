// Local Kafka + Redis for development and tests, reusing KAFKA_BROKERS / REDIS_URL when they are set.
//   node tools/stack/stack.mjs up [--kafka-port 9092] [--redis-port 6379] [--name dev] [--kafka-nodes 3] [--redis-sentinel]
// --kafka-nodes 3: a replicated 3-node KRaft cluster on kafka-port .. kafka-port + 5 instead of one broker;
// --redis-sentinel: an AOF primary, a replica and 3 Sentinels on redis-port .. redis-port + 4.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { assertPortFree, defaultCacheDir, log, seconds, waitUntil } from './common.mjs';
import { clusterPorts, probeKafka, startKafka, startKafkaCluster } from './kafka.mjs';
import { probeRedis, startRedis, startRedisSentinel } from './redis.mjs';

async function useExisting(what, url, probe) {
  const start = Date.now();
  await waitUntil(`${what} at ${url}`, () => probe(url), { timeoutMs: 10_000 });
  log(`using existing ${what} at ${url} (${seconds(start)})`);
  return { stop: async () => {} };
}

/**
 * Starts Kafka (ports kafkaPort and kafkaPort + 1, or a kafkaNodes-node cluster on kafkaPort to
 * kafkaPort + 2 * kafkaNodes - 1) and Redis (redisPort, or with redisSentinel a primary, a replica
 * and 3 Sentinels on redisPort to redisPort + 4) under <cacheDir>/run/<name>, or reuses
 * KAFKA_BROKERS / REDIS_URL from the environment after checking they answer.
 * Returns { brokers, redisUrl, redisSentinels?, redisSentinelMaster?, stop() }; stop() only stops
 * what this call started.
 */
export async function startStack({ name = 'dev', kafkaPort = 9092, redisPort = 6379, kafkaNodes = 1, redisSentinel = false } = {}) {
  const start = Date.now();
  const runDir = join(defaultCacheDir(), 'run', name);
  const externalKafka = process.env.KAFKA_BROKERS;
  const externalRedis = process.env.REDIS_URL;

  const kafkaPorts = kafkaNodes > 1 ? clusterPorts(kafkaPort, kafkaNodes).flatMap((n) => [n.port, n.controllerPort]) : [kafkaPort, kafkaPort + 1];
  const redisPorts = Array.from({ length: redisSentinel ? 5 : 1 }, (_, i) => redisPort + i);
  const clash = redisPorts.filter((p) => kafkaPorts.includes(p));
  if (!externalKafka && !externalRedis && clash.length > 0) {
    throw new Error(`redis ports ${redisPorts.join(', ')} clash with kafka ports ${kafkaPorts.join(', ')}`);
  }
  // Check before wiping runDir: a busy port may well be a stack still running out of that directory.
  if (!externalKafka) for (const port of kafkaPorts) await assertPortFree(port, 'kafka');
  if (!externalRedis) for (const port of redisPorts) await assertPortFree(port, 'redis');
  if (!externalKafka || !externalRedis) claimRunDir(runDir, name);

  const startKafkaHere = () =>
    kafkaNodes > 1
      ? startKafkaCluster({ nodes: kafkaNodes, basePort: kafkaPort, dataDir: join(runDir, 'kafka'), logDir: runDir })
      : startKafka({ port: kafkaPort, controllerPort: kafkaPort + 1, dataDir: join(runDir, 'kafka'), logFile: join(runDir, 'kafka.log') });
  const startRedisHere = () =>
    redisSentinel
      ? startRedisSentinel({ basePort: redisPort, dataDir: join(runDir, 'redis'), logDir: runDir })
      : startRedis({ port: redisPort, dataDir: join(runDir, 'redis'), logFile: join(runDir, 'redis.log') });
  const results = await Promise.allSettled([
    externalKafka ? useExisting('kafka', externalKafka, probeKafka).then((s) => ({ ...s, brokers: externalKafka })) : startKafkaHere(),
    externalRedis ? useExisting('redis', externalRedis, probeRedis).then((s) => ({ ...s, url: externalRedis })) : startRedisHere(),
  ]);
  const started = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  const stop = async () => {
    await Promise.all(started.map((s) => s.stop()));
  };
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const [kafka, redis] = started;
  log(`stack ready (${seconds(start)})${externalKafka && externalRedis ? '' : `; logs in ${runDir}`}`);
  return redis.sentinels
    ? { brokers: kafka.brokers, redisSentinels: redis.sentinels, redisSentinelMaster: redis.masterName, stop }
    : { brokers: kafka.brokers, redisUrl: redis.url, stop };
}

/**
 * Wipes and takes a run dir, refusing one that a live stack still uses: two stacks of one name
 * would delete each other's Kafka log dir.
 */
function claimRunDir(runDir, name) {
  const pidFile = join(runDir, 'owner.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (pid !== process.pid && isAlive(pid)) {
      throw new Error(`a stack named "${name}" is already running (pid ${pid}); stop it or pick another --name`);
    }
  }
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  writeFileSync(pidFile, String(process.pid));
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/**
 * Idempotently creates topics ([{ topic, numPartitions, configs?: { 'retention.ms': '...' } }]), grows
 * topics that have fewer partitions, and waits until every partition has a leader.
 */
export async function createTopics({ brokers, topics }) {
  const start = Date.now();
  const kafka = new Kafka({ clientId: 'flowgate-stack', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      // Resolves false instead of failing if someone else created a topic in the meantime. The
      // leaders are waited for below: kafkajs's own wait fails on a cluster whose other brokers
      // do not know the new topic yet (UNKNOWN_TOPIC_OR_PARTITION).
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map(({ topic, numPartitions, configs = {} }) => ({
          topic,
          numPartitions,
          configEntries: Object.entries(configs).map(([name, value]) => ({ name, value: String(value) })),
        })),
      });
    }

    // Checks all topics, not just pre-existing ones: a concurrent creator may have used fewer partitions.
    const names = topics.map((t) => t.topic);
    const { topics: current } = await waitUntil(`metadata of ${names.join(', ')}`, () => admin.fetchTopicMetadata({ topics: names }), { timeoutMs: 30_000 });
    const counts = new Map(current.map((m) => [m.name, m.partitions.length]));
    const grow = topics.filter((t) => counts.get(t.topic) < t.numPartitions);
    if (grow.length > 0) {
      await admin.createPartitions({ topicPartitions: grow.map((t) => ({ topic: t.topic, count: t.numPartitions })) });
    }

    const wanted = new Map(topics.map((t) => [t.topic, t.numPartitions]));
    await waitUntil(`leaders for ${names.join(', ')}`, async () => {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: names });
      for (const m of metadata) {
        const leaderless = m.partitions.filter((p) => p.leader < 0 || p.partitionErrorCode !== 0);
        if (m.partitions.length < wanted.get(m.name) || leaderless.length > 0) {
          throw new Error(`${m.name}: ${m.partitions.length} partitions, ${leaderless.length} without leader`);
        }
      }
    }, { timeoutMs: 30_000 });
  } finally {
    await admin.disconnect();
  }
  log(`topics ready: ${topics.map((t) => `${t.topic}(${t.numPartitions})`).join(', ')} (${seconds(start)})`);
}

const USAGE = 'usage: node tools/stack/stack.mjs up [--kafka-port 9092] [--redis-port 6379] [--name dev] [--kafka-nodes 3] [--redis-sentinel]';

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const options = { name: 'dev', kafkaPort: 9092, redisPort: 6379, kafkaNodes: 1, redisSentinel: false };
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (flag === '--redis-sentinel') {
      options.redisSentinel = true;
      i -= 1; // a switch without a value
    } else if (flag === '--name' && value) options.name = value;
    else if (flag === '--kafka-port' && Number(value) > 0) options.kafkaPort = Number(value);
    else if (flag === '--redis-port' && Number(value) > 0) options.redisPort = Number(value);
    else if (flag === '--kafka-nodes' && /^[1-9]$/.test(value ?? '')) options.kafkaNodes = Number(value);
    else throw new Error(`unknown or incomplete option: ${flag} ${value ?? ''}\n${USAGE}`);
  }
  if (command !== 'up') throw new Error(USAGE);
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  let stack;
  let stopping = false;
  const shutdown = async (signal) => {
    if (stopping) {
      // Second Ctrl-C: don't wait for a graceful stop; the exit hook kills the children.
      log(`${signal} again; killing`);
      process.exit(130);
    }
    stopping = true;
    log(`${signal}; stopping`);
    await stack?.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  stack = await startStack(options);
  if (stopping) return; // a signal arrived during startup; shutdown() is already stopping it
  const redisEnv = stack.redisSentinels
    ? `REDIS_SENTINELS=${stack.redisSentinels} REDIS_SENTINEL_MASTER=${stack.redisSentinelMaster}`
    : `REDIS_URL=${stack.redisUrl}`;
  process.stdout.write(`KAFKA_BROKERS=${stack.brokers} ${redisEnv}\n`);
  log('press Ctrl-C to stop');
  // Signal listeners do not keep Node alive on their own.
  setInterval(() => {}, 1 << 30);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    log(err.stack ?? String(err));
    process.exit(1);
  });
}
