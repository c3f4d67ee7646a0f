// A single-node KRaft Kafka run from Maven Central jars with plain `java` (no Docker, no apache.org tarball).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { assertPortFree, defaultCacheDir, log, seconds, spawnServer, waitUntil } from './common.mjs';

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

function serverProperties({ port, controllerPort, advertisedPort, logDir }) {
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${advertisedPort}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=${logDir}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
# Fewer partitions for the internal topics: a single local broker starts and joins groups faster.
offsets.topic.num.partitions=8
transaction.state.log.num.partitions=8
`;
}

function log4jProperties(logFile) {
  return `log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=${logFile}
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
`;
}

// Answers only once the broker is registered and serving metadata, which is what clients need.
export async function probeKafka(brokers) {
  const kafka = new Kafka({
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

/**
 * Starts a single-node KRaft broker+controller: freshly formatted, or with `keepData` on the log
 * dir a previous start left (a restart, as failure tests need).
 * Everything lives under dataDir; broker logs go to logFile, not stdout.
 * `advertisedPort`: the port clients are told to use (a fault-injecting proxy in front of the
 * broker, tools/faults/proxy.mjs, which must be listening before the broker starts).
 * Returns { brokers: '127.0.0.1:<port>', pid, stop() }.
 */
export async function startKafka({ port = 9092, controllerPort = port + 1, advertisedPort = port, dataDir, logFile, cacheDir, keepData = false } = {}) {
  if (!dataDir || !logFile) throw new Error('startKafka needs dataDir and logFile');
  await assertPortFree(port, 'kafka');
  await assertPortFree(controllerPort, 'kafka controller');
  const libs = await ensureKafkaJars({ cacheDir });
  const start = Date.now();

  const restart = keepData && existsSync(join(dataDir, 'log', 'meta.properties'));
  if (!restart) rmSync(dataDir, { recursive: true, force: true });
  const configDir = join(dataDir, 'config');
  mkdirSync(configDir, { recursive: true });
  mkdirSync(dirname(logFile), { recursive: true });
  if (!restart) writeFileSync(logFile, '');
  const serverProps = join(configDir, 'server.properties');
  const log4jProps = join(configDir, 'log4j.properties');
  writeFileSync(serverProps, serverProperties({ port, controllerPort, advertisedPort, logDir: join(dataDir, 'log') }));
  writeFileSync(log4jProps, log4jProperties(logFile));

  const jvmArgs = ['-cp', join(libs, '*'), `-Dlog4j.configuration=file:${log4jProps}`];
  // A cluster id is a base64url-encoded 16-byte UUID without padding. Like Kafka's Uuid.randomUuid, avoid a
  // leading '-', which the tool's argument parser would take for an option.
  let clusterId;
  do clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-'));
  try {
    if (!restart) await promisify(execFile)(java, [...jvmArgs, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', serverProps]);
  } catch (err) {
    throw new Error(`formatting kafka storage failed: ${err.stderr || err.stdout || err.message}`);
  }

  const brokers = `127.0.0.1:${port}`;
  const server = spawnServer('kafka', java, ['-Xms256m', '-Xmx768m', ...jvmArgs, 'kafka.Kafka', serverProps], {
    logFile,
    cwd: dataDir,
  });
  try {
    await waitUntil(`kafka on ${brokers}`, () => probeKafka(brokers), {
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
