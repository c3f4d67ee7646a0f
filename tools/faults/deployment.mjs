// The deployment a fault run works on: Kafka and Redis (started here, or given), a fault proxy
// in front of each one the apps reach, and gateways, processors and sweepers from the built
// bundles (dist/apps), each on a fixed port so that one killed and started again is found where
// it was. Everything on 127.0.0.1; app logs go to files under the run directory.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stablePortRun } from '../stack/common.mjs';
import { FaultProxy } from './proxy.mjs';

export const root = resolve(import.meta.dirname, '../..');
const PORT_VARIABLE = { gateway: 'FLOWGATE_GATEWAY_PORT', processor: 'FLOWGATE_PROCESSOR_PORT', sweeper: 'FLOWGATE_SWEEPER_PORT' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * `count` free ports below Linux's ephemeral range, each on its own: a process killed and started
 * again binds the same port, which an outgoing connection could otherwise have taken in between.
 */
async function fixedPorts(count) {
  const ports = new Set();
  for (let attempt = 0; ports.size < count && attempt < 500; attempt++) ports.add(await stablePortRun(1));
  if (ports.size < count) throw new Error(`no ${count} free ports between 20000 and 29000`);
  return [...ports];
}

/** Polls `url` until it answers 200, failing fast when `alive()` says the process is gone. */
export async function waitOk(url, { timeoutMs = 180_000, alive = () => true, what = url } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`${what} exited before it was ready`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

/** One app of the deployment: started, killed and started again on the same ports. */
class App {
  /** inspectPort: the Node inspector's port on 127.0.0.1 (the soak measures the live heap through it); none if undefined. */
  constructor({ name, index, port, adminPort, inspectPort, env, logDir }) {
    Object.assign(this, { name, index, port, adminPort, inspectPort, env, logDir });
    this.child = undefined;
    this.starts = 0;
  }

  get label() {
    return `${this.name}-${this.index}`;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get adminUrl() {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  get running() {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid() {
    return this.child?.pid;
  }

  start() {
    this.starts++;
    const out = openSync(join(this.logDir, `${this.label}.log`), 'a');
    const inspect = this.inspectPort === undefined ? [] : [`--inspect=127.0.0.1:${this.inspectPort}`];
    this.child = spawn(process.execPath, [...inspect, join(root, 'dist/apps', this.name, 'main.js')], {
      cwd: root,
      env: {
        ...process.env, FLOWGATE_LOG_LEVEL: 'warn', FLOWGATE_INSTANCE_ID: `${this.label}-${this.starts}`, ...this.env,
        [PORT_VARIABLE[this.name]]: String(this.port), ...(this.name === 'gateway' ? { FLOWGATE_ADMIN_PORT: String(this.adminPort) } : {}),
      },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    return this;
  }

  ready(timeoutMs) {
    const child = this.child;
    return waitOk(`${this.url}/readyz`, { timeoutMs, alive: () => child.exitCode === null && child.signalCode === null, what: this.label });
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill() {
    const child = this.child;
    if (!this.running) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /** SIGTERM (the app drains), SIGKILL after graceMs. */
  async stop(graceMs = 15_000) {
    const child = this.child;
    if (!this.running) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}

export class Deployment {
  /**
   * @param {{ runDir: string, prefix: string, kafka?: string, redis?: string,
   *   counts?: { gateway: number, processor: number, sweeper: number }, env?: Record<string, string>,
   *   log?: (m: string) => void }} options
   *   kafka / redis: use these (the apps reach Kafka directly: no Kafka faults); else start them
   *   kafkaNodes: 1 (a broker behind a proxy) or 3 (a KRaft cluster reached directly, for broker kills)
   *   redisSentinel: a Redis primary with AOF, a replica and three Sentinels (startRedisSentinel), which
   *     the apps reach directly through REDIS_SENTINELS (no Redis faults by proxy), for primary kills
   *   inspect: start every app with the Node inspector on a loopback port of its own (the soak's live heap)
   */
  constructor({ runDir, prefix, kafka, redis, kafkaNodes = 1, redisSentinel = false, counts = { gateway: 2, processor: 2, sweeper: 2 }, env = {}, inspect = false, log = () => {} }) {
    Object.assign(this, { runDir, prefix, givenKafka: kafka, givenRedis: redis, kafkaNodes, redisSentinel, counts, extraEnv: env, inspect, log });
    this.apps = [];
    this.proxies = {};
    this.stoppers = [];
  }

  /** Starts Kafka, Redis, the proxies and every app, and waits until all are ready. */
  async start() {
    mkdirSync(this.runDir, { recursive: true });
    let brokers = this.givenKafka;
    if (!brokers && this.kafkaNodes > 1) {
      const { startKafkaCluster } = await import('../stack/kafka.mjs');
      this.kafkaCluster = await startKafkaCluster({
        nodes: this.kafkaNodes, basePort: await stablePortRun(2 * this.kafkaNodes), dataDir: join(this.runDir, 'kafka'), logDir: this.runDir,
      });
      this.stoppers.push(() => this.kafkaCluster.stop());
      brokers = this.kafkaCluster.brokers;
    } else if (!brokers) {
      const { startKafka } = await import('../stack/kafka.mjs');
      const [kafkaPort, controllerPort, proxyPort] = await fixedPorts(3);
      // The broker tells clients the proxy's address, so every connection the apps make goes through it.
      this.proxies.kafka = await new FaultProxy({ listenPort: proxyPort, upstreamPort: kafkaPort, name: 'kafka' }).start();
      this.stoppers.push(() => this.proxies.kafka.stop());
      const kafka = await startKafka({
        port: kafkaPort, controllerPort, advertisedPort: proxyPort, dataDir: join(this.runDir, 'kafka'), logFile: join(this.runDir, 'kafka.log'),
      });
      this.stoppers.push(() => kafka.stop());
      this.kafkaPid = kafka.pid;
      brokers = this.proxies.kafka.address;
    }
    let redisEnv;
    if (this.redisSentinel) {
      const { startRedisSentinel } = await import('../stack/redis.mjs');
      this.redisSentinelSet = await startRedisSentinel({ basePort: await stablePortRun(5), dataDir: join(this.runDir, 'redis'), logDir: this.runDir });
      this.stoppers.push(() => this.redisSentinelSet.stop());
      // REDIS_URL gives only credentials, db and TLS in Sentinel mode: none here.
      redisEnv = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_SENTINELS: this.redisSentinelSet.sentinels, REDIS_SENTINEL_MASTER: this.redisSentinelSet.masterName };
    } else {
      let redisPort;
      if (this.givenRedis) {
        redisPort = Number(new URL(this.givenRedis).port || 6379);
      } else {
        const { startRedis } = await import('../stack/redis.mjs');
        [redisPort] = await fixedPorts(1);
        const redis = await startRedis({ port: redisPort, dataDir: join(this.runDir, 'redis'), logFile: join(this.runDir, 'redis.log') });
        this.stoppers.push(() => redis.stop());
        this.redisPid = redis.pid;
      }
      const [redisProxyPort] = await fixedPorts(1);
      this.proxies.redis = await new FaultProxy({ listenPort: redisProxyPort, upstreamPort: redisPort, name: 'redis' }).start();
      this.stoppers.push(() => this.proxies.redis.stop());
      redisEnv = { REDIS_URL: `redis://127.0.0.1:${this.proxies.redis.listenPort}` };
    }

    this.env = {
      KAFKA_BROKERS: brokers,
      ...redisEnv,
      FLOWGATE_TOPIC_PREFIX: this.prefix,
      FLOWGATE_JOBS: 'dist/examples/demo.js',
      FLOWGATE_REQUEST_PARTITIONS: '4',
      FLOWGATE_REPLY_PARTITIONS: '8',
      ...this.extraEnv,
    };
    await this.createTopics();
    const appCount = this.counts.gateway + this.counts.processor + this.counts.sweeper;
    const ports = await fixedPorts(appCount + this.counts.gateway + (this.inspect ? appCount : 0));
    const logDir = this.runDir;
    for (const name of ['processor', 'gateway', 'sweeper']) {
      for (let index = 0; index < this.counts[name]; index++) {
        const port = ports.pop();
        const adminPort = name === 'gateway' ? ports.pop() : port;
        const inspectPort = this.inspect ? ports.pop() : undefined;
        this.apps.push(new App({ name, index, port, adminPort, inspectPort, env: this.env, logDir }).start());
      }
    }
    await Promise.all(this.apps.map((app) => this.bootOnce(app)));
    this.log(`deployment ready: ${this.apps.map((a) => `${a.label} :${a.port}`).join(', ')}; Kafka ${brokers}, Redis ${this.redisSentinelSet ? `via Sentinels ${this.redisSentinelSet.sentinels}` : `via :${this.proxies.redis.listenPort}`}`);
  }

  /**
   * Waits for an app's first readiness; one that died while starting (on a machine busy enough to
   * time out Kafka requests at boot) is started once more, and counted in `bootRestarts`.
   */
  async bootOnce(app) {
    try {
      await app.ready();
    } catch (error) {
      if (app.running) throw error;
      this.bootRestarts = [...(this.bootRestarts ?? []), app.label];
      this.log(`${app.label} died while starting (${error.message}; see ${join(this.runDir, `${app.label}.log`)}): starting it once more`);
      await app.start().ready();
    }
  }

  /**
   * The topics, created before the apps start (the processor bundle's ensure-topics, as npm start
   * does). Not spawnSync: the proxies live in this process's event loop.
   */
  async createTopics() {
    const child = spawn(process.execPath, [join(root, 'dist/apps/processor/main.js'), 'ensure-topics'], {
      cwd: root, env: { ...process.env, FLOWGATE_LOG_LEVEL: 'warn', ...this.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const [code, signal] = await new Promise((r) => child.once('exit', (...exit) => r(exit)));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`ensure-topics failed (${code ?? signal}): ${output}`);
  }

  app(name, index = 0) {
    const app = this.apps.find((a) => a.name === name && a.index === index);
    if (!app) throw new Error(`no ${name}-${index}`);
    return app;
  }

  get gatewayUrls() {
    return this.apps.filter((a) => a.name === 'gateway').map((a) => a.url);
  }

  /** Every app running and ready. */
  async ready(timeoutMs = 180_000) {
    const dead = this.apps.filter((a) => !a.running);
    if (dead.length > 0) throw new Error(`not running: ${dead.map((a) => a.label).join(', ')}`);
    await Promise.all(this.apps.map((app) => app.ready(timeoutMs)));
  }

  async stop() {
    await Promise.all(this.apps.map((app) => app.stop()));
    for (const stop of this.stoppers.reverse()) await stop().catch((error) => this.log(`stopping: ${error.message}`));
  }
}
