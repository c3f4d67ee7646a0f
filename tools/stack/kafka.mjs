// A single-node KRaft Kafka (or a cluster of them, startKafkaCluster) run from Maven Central jars with plain `java` (no Docker, no apache.org tarball).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { assertPortFree, crashable, defaultCacheDir, log, seconds, spawnServer, waitUntil } from './common.mjs';

export const KAFKA_VERSION = '3.9.1';
const POM = join(dirname(fileURLToPath(import.meta.url)), 'kafka-pom.xml');
const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';

/**
 * Makes sure the broker's jars are in <cacheDir>/kafka-<version>/libs and returns that directory.
 * Maven only runs when the marker is missing or kafka-pom.xml changed since the last complete copy.
 */
export async function ensureKafkaJars({ cacheDir = defaultCacheDir() } = {}) {
  const home = join(cacheDir, `kafka-${KAFKA_VERSION}`);
  const libs = join(home, 'libs');
  const marker = join(home, '.complete');
  const pomHash = createHash('sha256').update(readFileSync(POM)).digest('hex');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === pomHash) return libs;

  const start = Date.now();
  log(`fetching kafka ${KAFKA_VERSION} jars with maven into ${libs} (first run only)`);
  // Copy into a scratch dir and rename, so an interrupted download never looks complete.
  const partial = `${libs}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const args = ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${partial}`];
  try {
    // Output is only interesting on failure (with -q it is errors plus stray ANSI codes).
    await promisify(execFile)('mvn', args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    const hint = err.code === 'ENOENT' ? 'mvn not found; install Maven 3 and a JDK 17+' : `${err.stdout}${err.stderr}`;
    throw new Error(`mvn ${args.join(' ')} failed: ${hint}`);
  }
  rmSync(libs, { recursive: true, force: true });
  renameSync(partial, libs);
  writeFileSync(marker, pomHash);
  log(`kafka jars ready (${seconds(start)})`);
  return libs;
}

/**
 * One node's server.properties. A single node (replicas 1) is the local default; a cluster node
 * (replicas 3) gets the durability settings a production cluster needs, see README "Durability".
 * `listener` and `extra` serve the secured stack (tools/stack/secure-kafka.mjs).
 */
function serverProperties({ nodeId = 1, port, controllerPort, advertisedPort = port, voters = `${nodeId}@127.0.0.1:${controllerPort}`, logDir, replicas = 1, listener = 'PLAINTEXT', extra = '' }) {
  const minIsr = replicas >= 3 ? 2 : 1;
  const cluster = replicas > 1
    ? `default.replication.factor=${replicas}
unclean.leader.election.enable=false
# A killed broker is fenced (and its partitions get new leaders) after the session timeout; Kafka's
# 9 s default is for real networks, 4 s lets a local failover finish in seconds.
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=4000
num.network.threads=2
num.io.threads=4
`
    : '';
  return `process.roles=broker,controller
node.id=${nodeId}
controller.quorum.voters=${voters}
listeners=${listener}://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=${listener}://127.0.0.1:${advertisedPort}
listener.security.protocol.map=${listener}:${listener},CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=${listener}
log.dirs=${logDir}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=${replicas}
transaction.state.log.replication.factor=${replicas}
transaction.state.log.min.isr=${minIsr}
min.insync.replicas=${minIsr}
group.initial.rebalance.delay.ms=0
# Fewer partitions for the internal topics: a local broker starts and joins groups faster.
offsets.topic.num.partitions=8
transaction.state.log.num.partitions=8
${cluster}${extra}`;
}

function log4jProperties(logFile, requestLog = process.env.FLOWGATE_KAFKA_REQUEST_LOG) {
  return `log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=${logFile}
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
${requestLog ? requestLogger(requestLog) : ''}`;
}

/**
 * Every request the broker completes, with its time in each stage (queue, local, remote, response
 * queue, send), one line each, when FLOWGATE_KAFKA_REQUEST_LOG names a file: for the bench's
 * broker-side probe (bench/broker-report.mjs). Kafka logs them on `kafka.request.logger` at DEBUG.
 */
function requestLogger(file) {
  return `log4j.logger.kafka.request.logger=DEBUG, requests
log4j.additivity.kafka.request.logger=false
log4j.appender.requests=org.apache.log4j.FileAppender
log4j.appender.requests.File=${file}
log4j.appender.requests.Append=true
log4j.appender.requests.layout=org.apache.log4j.PatternLayout
log4j.appender.requests.layout.ConversionPattern=%m%n
`;
}

// Answers only once the broker is registered and serving metadata, which is what clients need.
export async function probeKafka(brokers, client = {}) {
  const kafka = new Kafka({
    ...client,
    clientId: 'flowgate-stack-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { brokers: live } = await admin.describeCluster();
    if (live.length === 0) throw new Error('no brokers registered yet');
  } finally {
    await admin.disconnect();
  }
}

/** A cluster id is a base64url-encoded 16-byte UUID without padding. */
function newClusterId() {
  // Like Kafka's Uuid.randomUuid, avoid a leading '-', which the tool's argument parser would take for an option.
  let clusterId;
  do clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-'));
  return clusterId;
}

/** Writes a node's config under <dataDir>/config; returns the java arguments that run it. */
function nodeConfig({ libs, dataDir, logFile, ...props }) {
  const configDir = join(dataDir, 'config');
  mkdirSync(configDir, { recursive: true });
  const serverProps = join(configDir, 'server.properties');
  const log4jProps = join(configDir, 'log4j.properties');
  writeFileSync(serverProps, serverProperties({ ...props, logDir: join(dataDir, 'log') }));
  writeFileSync(log4jProps, log4jProperties(logFile));
  return { serverProps, jvmArgs: ['-cp', join(libs, '*'), `-Dlog4j.configuration=file:${log4jProps}`] };
}

async function formatStorage({ jvmArgs, serverProps, clusterId, formatArgs = [] }) {
  try {
    await promisify(execFile)(java, [...jvmArgs, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', serverProps, ...formatArgs]);
  } catch (err) {
    // Not err.message: it repeats the command line, which may carry SCRAM passwords (formatArgs).
    throw new Error(`formatting kafka storage failed: ${err.stderr || err.stdout || `exit ${err.code ?? err.signal}`}`);
  }
}

/**
 * Starts a single-node KRaft broker+controller: freshly formatted, or with `keepData` on the log
 * dir a previous start left (a restart, as failure tests need).
 * Everything lives under dataDir; broker logs go to logFile, not stdout.
 * `security` (default: none, a PLAINTEXT listener) secures the client listener, as secure-kafka.mjs does:
 * { listener: its security protocol (e.g. 'SASL_SSL'), properties: lines appended to server.properties,
 *   formatArgs: extra arguments of `StorageTool format` (e.g. --add-scram), client: kafkajs options
 *   (ssl, sasl) the readiness probe connects with }.
 * `advertisedPort`: the port clients are told to use (a fault-injecting proxy in front of the
 * broker, tools/faults/proxy.mjs, which must be listening before the broker starts).
 * Returns { brokers: '127.0.0.1:<port>', pid, stop() }.
 */
export async function startKafka({ port = 9092, controllerPort = port + 1, advertisedPort = port, dataDir, logFile, cacheDir, keepData = false, security } = {}) {
  if (!dataDir || !logFile) throw new Error('startKafka needs dataDir and logFile');
  await assertPortFree(port, 'kafka');
  await assertPortFree(controllerPort, 'kafka controller');
  const libs = await ensureKafkaJars({ cacheDir });
  const start = Date.now();

  const restart = keepData && existsSync(join(dataDir, 'log', 'meta.properties'));
  if (!restart) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dirname(logFile), { recursive: true });
  if (!restart) writeFileSync(logFile, '');
  const node = nodeConfig({ libs, dataDir, logFile, port, controllerPort, advertisedPort, listener: security?.listener, extra: security?.properties });
  if (!restart) await formatStorage({ ...node, clusterId: newClusterId(), formatArgs: security?.formatArgs });

  const brokers = `127.0.0.1:${port}`;
  const server = spawnServer('kafka', java, ['-Xms256m', '-Xmx768m', ...node.jvmArgs, 'kafka.Kafka', node.serverProps], {
    logFile,
    cwd: dataDir,
  });
  try {
    await waitUntil(`kafka on ${brokers}`, () => probeKafka(brokers, security?.client), {
      timeoutMs: 90_000,
      death: server.death,
      logFile,
    });
  } catch (err) {
    await server.stop(5_000);
    throw err;
  }
  log(`kafka ${KAFKA_VERSION} ready on ${brokers} (${seconds(start)})`);
  return { brokers, pid: server.child.pid, stop: () => server.stop(20_000) };
}

/**
 * The JVM of one cluster node: three of them share a 2-core machine with the apps and tests. A
 * small heap; the serial collector and the C1 compiler alone spend far less CPU starting up than
 * G1 and C2. Measured on the busy 2-core machine (load average ~40; startKafkaCluster, then one
 * node's kill() and restart() timed, two runs each): the restarted node is registered again after
 * 18 s instead of 36-38 s, the cluster starts in 61-74 s instead of 78-79 s, and an idle node's
 * RSS is ~290 MB instead of ~330 MB.
 */
export const CLUSTER_NODE_JVM = ['-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

/**
 * The nodes connect to each other's controller ports from ephemeral ports, and a restarted node
 * needs its ports back: a port in Linux's ephemeral range can be taken by any outgoing connection
 * meanwhile (seen on a busy machine: a node failing to bind its controller port at start).
 */
function warnIfEphemeral(ports) {
  let range;
  try {
    range = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  } catch {
    return; // not Linux: nothing known to check against
  }
  const inside = ports.filter((p) => p >= range[0] && p <= range[1]);
  if (inside.length > 0) log(`warning: kafka ports ${inside.join(', ')} are in the ephemeral range ${range.join('-')}; outgoing connections may take them (pick ports below ${range[0]})`);
}

/** Broker port and controller port of each node of a cluster: basePort, basePort + 1, and so on in pairs. */
export function clusterPorts(basePort, nodes) {
  return Array.from({ length: nodes }, (_, i) => ({ id: i + 1, port: basePort + 2 * i, controllerPort: basePort + 2 * i + 1 }));
}

function admin(brokers) {
  return new Kafka({
    clientId: 'flowgate-stack-cluster',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 3, initialRetryTime: 200 },
  }).admin();
}

/**
 * Resolves once the node on `port` serves metadata that lists it as a live (unfenced) broker. It
 * asks that node alone: another broker's metadata may lag and still list a node that crashed.
 */
async function probeRegistered(port, id) {
  const client = admin(`127.0.0.1:${port}`);
  try {
    await client.connect();
    const { brokers: live } = await client.describeCluster();
    if (!live.some((b) => b.nodeId === id)) throw new Error(`broker ${id} not registered yet`);
  } finally {
    await client.disconnect();
  }
}

/**
 * Starts `nodes` combined broker+controller KRaft nodes, freshly formatted under dataDir with one
 * cluster id, replicating every topic `nodes` times (at most 3) with min.insync.replicas 2.
 * Node n (from 1) listens on basePort + 2(n-1) and its controller on the port after; its log is
 * <logDir>/kafka-<n>.log.
 *
 * Returns { brokers: 'h:p,h:p,h:p', nodes: [{ id, port, pid, kill(), restart() }], leaderOf(topic,
 * partition), stop() }. kill() is a SIGKILL (a crash); restart() starts the node again on the same
 * data (killing it first if it still runs) and resolves once it is registered again. leaderOf
 * resolves with the node id that leads the partition now.
 */
export async function startKafkaCluster({ nodes = 3, basePort = 9092, dataDir, logDir, cacheDir } = {}) {
  if (!dataDir || !logDir) throw new Error('startKafkaCluster needs dataDir and logDir');
  if (!(nodes >= 1)) throw new Error(`startKafkaCluster: nodes must be 1 or more, not ${nodes}`);
  const layout = clusterPorts(basePort, nodes);
  for (const { id, port, controllerPort } of layout) {
    await assertPortFree(port, `kafka node ${id}`);
    await assertPortFree(controllerPort, `kafka node ${id} controller`);
  }
  warnIfEphemeral(layout.flatMap((n) => [n.port, n.controllerPort]));
  const libs = await ensureKafkaJars({ cacheDir });
  const start = Date.now();
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const voters = layout.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
  const brokers = layout.map((n) => `127.0.0.1:${n.port}`).join(',');
  const clusterId = newClusterId();
  const replicas = Math.min(nodes, 3);

  const members = layout.map((n) => {
    const nodeDir = join(dataDir, `node-${n.id}`);
    const logFile = join(logDir, `kafka-${n.id}.log`);
    writeFileSync(logFile, '');
    const config = nodeConfig({ libs, dataDir: nodeDir, logFile, nodeId: n.id, port: n.port, controllerPort: n.controllerPort, voters, replicas });
    const launch = () => spawnServer(`kafka node ${n.id}`, java, [...CLUSTER_NODE_JVM, ...config.jvmArgs, 'kafka.Kafka', config.serverProps], { logFile, cwd: nodeDir });
    return { ...n, nodeDir, logFile, config, launch, server: null };
  });
  await Promise.all(members.map((m) => formatStorage({ ...m.config, clusterId })));

  const waitRegistered = async (m) => {
    await waitUntil(`kafka node ${m.id} on 127.0.0.1:${m.port}`, () => probeRegistered(m.port, m.id), {
      timeoutMs: 90_000,
      death: m.server.death,
      logFile: m.logFile,
    });
  };
  const stop = async () => {
    await Promise.all(members.map((m) => m.server?.stop(20_000)));
  };
  // All at once: no node is ready before a majority of the controller quorum runs.
  for (const m of members) m.server = m.launch();
  try {
    await Promise.all(members.map(waitRegistered));
  } catch (err) {
    await stop();
    throw err;
  }
  log(`kafka ${KAFKA_VERSION} cluster of ${nodes} ready on ${brokers} (${seconds(start)})`);

  return {
    brokers,
    nodes: members.map((m) =>
      crashable({ id: m.id, port: m.port }, m, {
        ports: [[m.port, `kafka node ${m.id}`], [m.controllerPort, `kafka node ${m.id} controller`]],
        async start() {
          const begin = Date.now();
          m.server = m.launch();
          await waitRegistered(m);
          log(`kafka node ${m.id} back on 127.0.0.1:${m.port} (${seconds(begin)})`);
        },
      }),
    ),
    async leaderOf(topic, partition) {
      const client = admin(brokers);
      try {
        await client.connect();
        const { topics } = await client.fetchTopicMetadata({ topics: [topic] });
        const found = topics[0]?.partitions.find((p) => p.partitionId === partition);
        if (!found) throw new Error(`no partition ${topic}-${partition}`);
        return found.leader;
      } finally {
        await client.disconnect();
      }
    },
    stop,
  };
}
