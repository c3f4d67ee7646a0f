// `npm run bench`: flowgate next to the alternatives, in one run, on the same Kafka and machine,
// loopback only, bounded in time. The same open-loop echo load (bench/load.mjs) goes to
//   flowgate            gateway -> Kafka -> processor -> Kafka -> gateway (the bundles in dist/apps)
//   nestjs kafka        Nest HTTP controller -> ClientKafka.send -> @MessagePattern in a Nest
//                       microservice -> reply -> controller (bench/peers/nest-kafka)
//   kafka floor         the Kafka round trip alone with kafkajs, no HTTP (bench/floor); the same on
//                       @platformatic/kafka with BENCH_SYSTEMS=...,floorPlatformatic, on librdkafka
//                       (@confluentinc/kafka-javascript, built on demand) with ...,floorConfluent (bench/floor/kafka/)
//   fastify (no kafka)  the ceiling: a plain Fastify echo (bench/peers/fastify-echo.mjs)
// at fixed rates, then a step search for the highest rate each keeps p99 within budget, CPU
// seconds per 1000 requests and peak RSS per process; then the overload (bench/overload.mjs):
// flowgate with its adaptive in-flight limit, flowgate with the best fixed limit for this machine
// and the NestJS peer, each at 3 x its own p99 capacity (goodput at the p99 budget, latency per
// status, CPU, memory, recovery). Writes bench/results/latest.{md,json} and latency.png.
//
// Every fixed rate and the step search run in rounds, the systems' order rotating from round to
// round (so that whatever else the machine does is shared); the report gives each figure's median
// and min–max, CPU per request of the whole system (apps, Kafka above idle, Redis; the generator
// apart) as the primary efficiency figure, and judges each target on the median ("met in k of n
// rounds"). A second load generator, vegeta, cross-checks ours at the headline rates.
//
// Environment (defaults; BENCH_QUICK=1 gives a ~2 minute run per round):
//   BENCH_ROUNDS=3                    rounds of the fixed rates and the step search
//   BENCH_GENERATORS=own,vegeta       generators of the cross-check (own alone: no cross-check); vegeta
//                                     is built once with `go install` into ~/.cache/flowgate/go (with a Go
//                                     from the Go module proxy when the machine has no Go 1.21+)
//   BENCH_CROSSCHECK_RATES=1000,2000  its rates, against flowgate, the NestJS peer and the Fastify
//                                     ceiling, both generators interleaved, BENCH_ROUNDS rounds
//   BENCH_RATES=500,1000,2000         fixed offered loads (quick: 1000)
//   BENCH_LADDER=250,...,4000         step search rates (quick: 500,1000,2000,3000)
//   BENCH_SECONDS=5                   seconds per step (quick: 3)
//   BENCH_OVERLOAD_SECONDS=30         length of each full overload run, 0 skips the overload (quick: 10)
//   BENCH_OVERLOAD_RATE=<n>           flowgate's overload rate instead of 3 x its p99 capacity (the
//                                     NestJS peer stays at 3 x its own)
//   BENCH_OVERLOAD_FIXED_LIMITS=16,32,64,128   candidate FLOWGATE_MAX_INFLIGHT values for the
//                                     fixed-limit run: each tried at flowgate's overload rate, the
//                                     highest goodput within BENCH_P99_BUDGET_MS is run in full;
//                                     one value: no trials; 0: no fixed-limit run
//   BENCH_OVERLOAD_TRIAL_SECONDS=5    length of each of those trials
//   BENCH_OVERLOAD_ROUNDS=1           full runs of adaptive, fixed and the peer, interleaved; the
//                                     report gives each one's median round
//   BENCH_OVERLOAD_VARIANT="FLOWGATE_X=v ..."  one more adaptive run in every round, its gateway with
//                                     these settings too: an A/B of a gateway setting under overload
//   BENCH_OVERLOAD_VARIANT_DIST=<dir>  the same, its gateway running the bundles in <dir>/apps (as
//                                     BENCH_VARIANT_DIST): an A/B of the gateway's code under overload
//   BENCH_OVERLOAD_CONNECTIONS=<n>    client connections during the overload, all opened before it
//                                     begins (default FLOWGATE_MAX_INFLIGHT + 256: more than the
//                                     adaptive limit's upper bound)
//   (the adaptive run: the gateway restarted with FLOWGATE_INFLIGHT_LIMIT=adaptive and the run's
//                                     FLOWGATE_MAX_INFLIGHT, default 1024, as its upper bound)
//   BENCH_WARM_SECONDS=3              seconds of each warm-up rate (300/s, then 1000/s) per system
//                                     (15 when one system runs alone; quick: 2)
//   BENCH_P99_BUDGET_MS=50            the p99 bound of the step search, and the overload's objective
//   BENCH_SYSTEMS=flowgate,nest,floor,fastify,processing   (also floorPlatformatic, floorConfluent; processing: the counter route under
//                                     exactly_once vs at_least_once, bench/processing.mjs)
//   BENCH_PROCESSING_RATES=250,...    counter rates of that comparison (quick: 250,500,1000)
//   (registry, with flowgate: echo plain vs Idempotency-Key vs Prefer: respond-async on the same
//                                     deployment plus a sweeper, bench/registry-cost.mjs)
//   BENCH_REGISTRY_RATES=500,1000     rates of that comparison (quick: 500)
//   (validation, with flowgate: echo with and without a route JSON Schema, bench/validation-cost.mjs)
//   BENCH_VALIDATION_RATES=500,1000   rates of that comparison (quick: 500)
//   BENCH_VALIDATION_ROUNDS=3         rounds of it, the two variants interleaved (quick: 2)
//   (auth, with flowgate: echo through gateways with FLOWGATE_AUTH none, api-key and jwt, admitted
//                                     and refused credentials side by side, bench/auth-cost.mjs)
//   BENCH_AUTH_RATES=500,1000         rates of that comparison (quick: 500)
//   BENCH_AUTH_ROUNDS=3               rounds of it, the variants' order rotating (quick: 2)
//   BENCH_CPU_PROF=<dir>              run gateway and processor with --cpu-prof into <dir>
//   BENCH_APP_NODE_ARGS="--trace-gc"  node flags for gateway and processor, also ones NODE_OPTIONS refuses
//   BENCH_HOP_TRACE=<dir>             flowgate's and the kafkajs floor's processes record when each request
//                                     passes each hop, to the microsecond (bench/lib/hop-trace.mjs); then
//                                     `node bench/hop-report.mjs <dir>` gives each hop's quartiles
//   BENCH_VARIANT="FLOWGATE_X=v ..."  a second flowgate (its own processor and gateway, topics benchv.*,
//                                     ports 18380/18381/18387) with these settings, as one more system
//                                     of every round: an A/B of a setting, paired round by round
//   BENCH_VARIANT="BENCH_NATIVE_PRODUCER=1"  the variant's gateway produces through librdkafka
//                                     (@confluentinc/kafka-javascript, built on demand; bench/lib/native-producer.mjs)
//   BENCH_VARIANT="BENCH_NODE_ARGS=--a,--b"  node flags for the variant's gateway and processor only
//   BENCH_VARIANT_DIST=<dir>          the variant runs the bundles in <dir>/apps (a build of another commit,
//                                     copied under dist/ so that it finds node_modules): an A/B of code
//   BENCH_GATEWAYS=1                  flowgate gateway replicas (ports 18180, 18280, ...), the load spread over
//                                     them like a load balancer would; more than 1 skips the overload
//   BENCH_HTTP_CLIENT=undici          the load generator on undici instead of its lean client (bench/lib/raw-http.mjs)
//   BENCH_OUT=<file>                  also write the results JSON there (any run; bench/results/latest.*
//                                     is only written by runs with both flowgate and nest)
//   BENCH_NEST_NAGLE=1                NestJS peer with kafkajs's default sockets (Nagle on)
// FLOWGATE_* variables are passed to the gateway and processor (e.g. FLOWGATE_ADMISSION_WAIT_MS).
import { fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildApps, DEMO_ENV, ensureNpmPackages, ensureTopics, log, root, startApp, waitForOk } from './bootstrap.mjs';
import { onPinnedNode } from './node-runtime.mjs';

await onPinnedNode();

ensureNpmPackages();
buildApps(['gateway', 'processor', 'sweeper', 'examples']); // examples: the demo jobs (DEMO_ENV) the processor loads
const { ensureVegeta, runVegeta, VEGETA_VERSION } = await import('../../bench/lib/vegeta.mjs');
const generators = (process.env.BENCH_GENERATORS ?? 'own,vegeta').split(',').map((g) => g.trim()).filter(Boolean);
const unknownGenerators = generators.filter((g) => !['own', 'vegeta'].includes(g));
if (unknownGenerators.length > 0 || !generators.includes('own')) {
  throw new Error(`BENCH_GENERATORS=${process.env.BENCH_GENERATORS}: a list of own and vegeta, with own (the steps' generator) in it`);
}
// Built before anything starts, so that its build (minutes, once) is no part of the run.
let vegeta;
if (generators.includes('vegeta')) {
  try {
    vegeta = { bin: await ensureVegeta({ log }) };
  } catch (error) {
    vegeta = { error: error.message };
    log(`vegeta cross-check skipped: ${error.message}`);
  }
}
const { startStack, createTopics } = await import('../stack/stack.mjs');
const { probeRedis } = await import('../stack/redis.mjs');
const { client: ipcClient } = await import('../../bench/lib/ipc.mjs');
const { cpuSeconds, findPid, mainThreadSched, RssSampler, totalCpu } = await import('../../bench/lib/procstat.mjs');
const { accountCpu } = await import('../../bench/lib/cpu-account.mjs');
const { watchConnections } = await import('../../bench/lib/connections.mjs');
const { medianRow, rotation } = await import('../../bench/lib/rounds.mjs');
const { nestTopics } = await import('../../bench/peers/nest-kafka/kafka-options.mjs');
const { floorTopics } = await import('../../bench/floor/topics.mjs');
const { markdown, targets } = await import('../../bench/report.mjs');
const { compareOverload } = await import('../../bench/overload.mjs');
const { compareProcessing, processingMarkdown } = await import('../../bench/processing.mjs');
const { compareRegistry, registryMarkdown } = await import('../../bench/registry-cost.mjs');
const { compareValidation, validationMarkdown } = await import('../../bench/validation-cost.mjs');
const { authFixtures, compareAuth, authMarkdown } = await import('../../bench/auth-cost.mjs');
const { plotResults } = await import('../../bench/plot.mjs');

// ------------------------------------------------------------------ settings

const quick = process.env.BENCH_QUICK === '1';
const list = (value) => value.split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
const fixedRates = list(process.env.BENCH_RATES ?? (quick ? '1000' : '500,1000,2000'));
const ladder = list(process.env.BENCH_LADDER ?? (quick ? '500,1000,2000,3000' : '250,500,1000,1500,2000,3000,4000'));
const stepSeconds = Number(process.env.BENCH_SECONDS ?? (quick ? 3 : 5));
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`BENCH_ROUNDS=${process.env.BENCH_ROUNDS}: a whole number of rounds, 1 or more`);
const crossCheckRates = list(process.env.BENCH_CROSSCHECK_RATES ?? '1000,2000');
const gatewayCount = Number(process.env.BENCH_GATEWAYS ?? 1);
// The overload restarts one gateway with its own limit: with replicas it is not run.
const overloadSeconds = gatewayCount > 1 ? 0 : Number(process.env.BENCH_OVERLOAD_SECONDS ?? (quick ? 10 : 30));
const budgetMs = Number(process.env.BENCH_P99_BUDGET_MS ?? 50);
const wanted = new Set((process.env.BENCH_SYSTEMS ?? 'flowgate,nest,floor,fastify,registry,validation,auth,processing').split(','));
/** The floors: system key → Kafka client (bench/floor/kafka/<client>.mjs). */
const FLOOR_SYSTEMS = { floor: 'kafkajs', floorPlatformatic: 'platformatic', floorConfluent: 'confluent' };
const FLOOR_CLIENT_NAMES = { kafkajs: 'kafkajs', platformatic: '@platformatic/kafka', confluent: 'librdkafka via @confluentinc/kafka-javascript' };
const registryRates = list(process.env.BENCH_REGISTRY_RATES ?? (quick ? '500' : '500,1000'));
const validationRates = list(process.env.BENCH_VALIDATION_RATES ?? (quick ? '500' : '500,1000'));
const validationRounds = Number(process.env.BENCH_VALIDATION_ROUNDS ?? (quick ? 2 : 3));
const authRates = list(process.env.BENCH_AUTH_RATES ?? (quick ? '500' : '500,1000'));
const authRounds = Number(process.env.BENCH_AUTH_ROUNDS ?? (quick ? 2 : 3));
const processingRates = list(process.env.BENCH_PROCESSING_RATES ?? (quick ? '250,500,1000' : '250,500,1000,1500,2000'));
const stepTimeoutMs = 10_000;
const probeMaxSeconds = quick ? 10 : 30;
const body = JSON.stringify({ user: 'bench', item: 42, note: 'a small JSON event' });
// Gateway replica i: public port gateway + 100 i, internal (/metrics) port gatewayAdmin + 100 i.
const ports = { gateway: 18180, gatewayAdmin: 18187, processor: 18181, sweeper: 18186, fastify: 18190, nest: 18200 };
/** The variant's ports (BENCH_VARIANT). */
const VARIANT_PORTS = { gateway: 18380, gatewayAdmin: 18387, processor: 18381 };
/** The settings in `name`'s value, "FLOWGATE_A=1 FLOWGATE_B=x", as an env object. */
const settingsOf = (name) => Object.fromEntries((process.env[name] ?? '').split(/\s+/).filter(Boolean).map((pair) => {
  const at = pair.indexOf('=');
  if (at < 1) throw new Error(`${name}: "${pair}" is not NAME=value`);
  return [pair.slice(0, at), pair.slice(at + 1)];
}));
/** BENCH_VARIANT: a second flowgate with these settings, as one more system. */
const variantEnv = settingsOf('BENCH_VARIANT');
/** BENCH_VARIANT="BENCH_NATIVE_PRODUCER=1": the variant's gateway produces through librdkafka. */
const nativeProducer = variantEnv.BENCH_NATIVE_PRODUCER === '1';
// The native client (floorConfluent, the native producer) is built before anything starts, like
// vegeta, so that its build is no part of the run.
if (wanted.has('floorConfluent') || nativeProducer) await (await import('../../bench/lib/native-kafka.mjs')).ensureNativeKafka({ log });
/** BENCH_OVERLOAD_VARIANT: one more adaptive overload run, the gateway with these settings. */
const overloadVariantEnv = settingsOf('BENCH_OVERLOAD_VARIANT');

// ------------------------------------------------------------------ processes

const children = []; // { name, child }
let stopping;
const alive = (child) => child.exitCode === null && child.signalCode === null;
/** BENCH_HOP_TRACE: where traced processes write, and the node flags that load the tracer. */
const hopTraceDir = process.env.BENCH_HOP_TRACE ? resolve(process.env.BENCH_HOP_TRACE) : undefined;
if (hopTraceDir) mkdirSync(hopTraceDir, { recursive: true });
const hopTraceArgs = hopTraceDir ? ['--import', pathToFileURL(join(root, 'bench/lib/hop-trace.mjs')).href] : [];
/** The flags that let a gateway with BENCH_NATIVE_PRODUCER=1 swap its producer. */
const nativeProducerArgs = nativeProducer ? ['--import', pathToFileURL(join(root, 'bench/lib/native-producer.mjs')).href] : [];

/** Starts a Node script with its output prefixed by name (fork: with an IPC channel). */
function startNode(name, file, { env = {}, args = [], ipc = false, nodeArgs = [] } = {}) {
  const traceEnv = hopTraceDir ? { HOP_TRACE_DIR: hopTraceDir, HOP_TRACE_NAME: name } : {};
  const options = { cwd: root, env: { ...process.env, ...traceEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? ['ipc'] : [])] };
  const child = ipc
    ? fork(join(root, file), args, { ...options, execArgv: nodeArgs })
    : spawn(process.execPath, [...nodeArgs, join(root, file), ...args], options);
  prefixOutput(name, child);
  track(name, child);
  return child;
}

function prefixOutput(name, child) {
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.on('data', (chunk) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop();
      for (const line of lines) process.stdout.write(`[${name}] ${line}\n`);
    });
  }
}

const deaths = []; // processes that ended while the benchmark still needed them
const retired = new WeakSet(); // processes stopped on purpose (a gateway restarted for the overload)
function track(name, child) {
  children.push({ name, child });
  child.once('exit', (code, signal) => {
    if (stopping || retired.has(child)) return;
    log(`${name} exited unexpectedly (${signal ?? `code ${code}`})`);
    deaths.push({ name, exit: signal ?? `code ${code}`, at: new Date().toISOString() });
  });
  return child;
}

async function stopChildren() {
  await Promise.all(
    children.map(({ child }) => new Promise((resolve) => {
      if (!alive(child)) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    })),
  );
}

let stack;
function stopAll() {
  stopping ??= (async () => {
    sampler.stop();
    await stopChildren();
    await stack?.stop();
  })();
  return stopping;
}
// Ctrl-C / SIGTERM: stop every child and the stack, then leave. The exit hook is the backstop.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(signal, () => {
    if (stopping) {
      // Again while stopping: give up waiting; the exit hooks kill what is left.
      log(`${signal} again: killing`);
      process.exit(code);
    }
    log(`${signal}: stopping everything`);
    stopAll().finally(() => process.exit(code));
  });
}
process.on('exit', () => {
  for (const { child } of children) if (alive(child)) child.kill('SIGKILL');
});

// ------------------------------------------------------------------ measuring helpers

const sampler = new RssSampler(100);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function machineBusySeconds() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0);
  return (fields.reduce((a, b) => a + b, 0) - idle) / 100; // USER_HZ
}

/** Answers with the echo result, checked for the fields every system must return. */
async function checkEcho(url) {
  const response = await fetch(`${url}/v1/echo`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(2_000),
  });
  if (response.status !== 200) throw new Error(`status ${response.status}`);
  const json = await response.json();
  const expected = JSON.parse(body);
  const fine = json.result === 'ok' && Number.isFinite(json.request_timestamp) && Number.isFinite(json.response_timestamp)
    && Object.entries(expected).every(([k, v]) => json[k] === v);
  if (!fine) throw new Error(`unexpected answer ${JSON.stringify(json)}`);
  return json;
}

async function waitForEcho(name, url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      return await checkEcho(url);
    } catch (error) {
      last = error;
      await sleep(250);
    }
  }
  throw new Error(`${name} never answered the echo: ${last?.message}`);
}

// ------------------------------------------------------------------ the run

const benchStarted = performance.now();
const results = {
  at: new Date().toISOString(),
  quick,
  stepSeconds,
  rounds,
  budgetMs,
  fixedRates,
  ladder,
  body,
  machine: { cpus: cpus().length, node: process.version, loadBefore: loadavg() },
  // FLOWGATE_* settings given to the apps for this run (e.g. FLOWGATE_MAX_INFLIGHT), so the report says under what limits.
  flowgateEnv: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('FLOWGATE_')).sort()),
  systems: [],
  steps: [],
  skipped: [],
  retried: [],
  capacity: {},
  capacityRounds: {},
  phases: {},
  peakRss: {},
  overload: undefined,
};

try {
  stack = await startStack({ name: 'bench', kafkaPort: 49092, redisPort: 46379 });
  const kafkaPid = process.env.KAFKA_BROKERS ? undefined : findPid(['kafka.Kafka', '/run/bench/']);
  const redisPid = process.env.REDIS_URL ? undefined : await probeRedis(stack.redisUrl).catch(() => undefined);
  sampler.track('kafka', kafkaPid);
  sampler.track('redis', redisPid);

  const appEnv = {
    KAFKA_BROKERS: stack.brokers,
    REDIS_URL: stack.redisUrl,
    FLOWGATE_TOPIC_PREFIX: 'bench.',
    FLOWGATE_GATEWAY_PORT: String(ports.gateway),
    FLOWGATE_ADMIN_PORT: String(ports.gatewayAdmin),
    FLOWGATE_PROCESSOR_PORT: String(ports.processor),
    FLOWGATE_LOG_LEVEL: 'warn',
    ...DEMO_ENV,
    // The demo jobs and the bench's checked echo (bench/validation-cost.mjs).
    FLOWGATE_JOBS: `${DEMO_ENV.FLOWGATE_JOBS},bench/jobs/checked-echo.mjs`,
  };
  // --cpu-prof is not allowed in NODE_OPTIONS, so profiled apps are started here with the flag;
  // the profiles are written when they exit (on the SIGTERM at the end).
  const profDir = process.env.BENCH_CPU_PROF;
  const nodeArgs = [...hopTraceArgs, ...nativeProducerArgs, ...(process.env.BENCH_APP_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])];
  const launchApp = (name, extraEnv = {}, dist = 'dist') => {
    const args = [...nodeArgs, ...(extraEnv.BENCH_NODE_ARGS?.split(',').filter(Boolean) ?? [])];
    return args.length > 0 || dist !== 'dist'
      ? startNode(name, `${dist}/apps/${name}/main.js`, { env: { ...appEnv, ...extraEnv }, nodeArgs: args })
      : track(name, startApp(name, { ...appEnv, ...extraEnv }));
  };
  const peerEnv = { KAFKA_BROKERS: stack.brokers, KAFKAJS_NO_PARTITIONER_WARNING: '1' };
  ensureTopics(appEnv);
  // A busy machine's fresh broker may answer the creator's metadata request before it hosts the new
  // topics, which kafkajs does not retry (only LEADER_NOT_AVAILABLE): again, until they exist (on a
  // machine with a load of 15 on 2 cores, 2 s was not always enough).
  const peerTopics = { brokers: stack.brokers, topics: [...nestTopics(), ...floorTopics()] };
  for (let attempt = 1; ; attempt++) {
    try {
      await createTopics(peerTopics);
      break;
    } catch (error) {
      if (attempt === 5) throw error;
      log(`creating the peers' topics: ${error.message}; again in ${2 * attempt} s`);
      await sleep(2_000 * attempt);
    }
  }

  // The load generator: a child of its own, so sampling here never delays its schedule.
  const loadChild = startNode('load', 'bench/load.mjs', { args: ['--serve'], ipc: true });
  const load = ipcClient(loadChild);
  sampler.track('load generator', loadChild.pid);
  const httpOffer = (url) => (rate, seconds) => load.call('offer', { url, path: '/v1/echo', body, rate, seconds, timeoutMs: stepTimeoutMs });

  const systems = [];
  /**
   * A flowgate deployment (a processor, `gatewayCount` gateways) as a system of the bench: `key`,
   * `name`, the processes' `label` prefix, its `ports`, extra `env` (the variant's own topic
   * prefix and settings) and the `dist` directory of its bundles.
   */
  const flowgateSystem = ({ key, name, label = '', ports: own, replicas, env = {}, dist }) => {
    const portEnv = { FLOWGATE_GATEWAY_PORT: String(own.gateway), FLOWGATE_ADMIN_PORT: String(own.gatewayAdmin), FLOWGATE_PROCESSOR_PORT: String(own.processor) };
    const processor = launchApp('processor', { ...portEnv, ...env }, dist);
    const gateway = launchApp('gateway', { ...portEnv, ...env }, dist);
    const gatewayPorts = Array.from({ length: replicas }, (_, i) => own.gateway + 100 * i);
    const moreGateways = Object.fromEntries(gatewayPorts.slice(1).map((port, i) =>
      [`${label}gateway ${i + 2}`, launchApp('gateway', { ...portEnv, ...env, FLOWGATE_GATEWAY_PORT: String(port), FLOWGATE_ADMIN_PORT: String(own.gatewayAdmin + 100 * (i + 1)) }, dist)]));
    return {
      key, name, url: gatewayPorts.map((port) => `http://127.0.0.1:${port}`).join(','),
      // Connections are counted on the one gateway's port (with replicas, not at all).
      port: replicas === 1 ? own.gateway : undefined, usesKafka: true,
      procs: { [`${label}gateway`]: gateway, ...moreGateways, [`${label}processor`]: processor }, extraPids: { redis: redisPid },
      // Produce requests and records per app, from their own metrics (batching evidence).
      counters: async () => {
        const read = async (port, app) => {
          const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
          const value = (metric) => Number(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
          return {
            [`${app}ProduceRequests`]: value(`flowgate_${app}_produce_batch_size_count`),
            [`${app}ProducedRecords`]: value(`flowgate_${app}_produce_batch_size_sum`),
            // prom-client resets its event-loop delay histogram on every scrape: these are the step's.
            [`${app}LoopDelayP50Ms`]: value('nodejs_eventloop_lag_p50_seconds') * 1000,
            [`${app}LoopDelayP99Ms`]: value('nodejs_eventloop_lag_p99_seconds') * 1000,
            [`${app}LoopDelayMaxMs`]: value('nodejs_eventloop_lag_max_seconds') * 1000,
          };
        };
        try {
          return { ...(await read(own.gatewayAdmin, 'gateway')), ...(await read(own.processor, 'processor')) };
        } catch {
          return {};
        }
      },
      ready: async function () {
        for (const [i, port] of gatewayPorts.entries()) {
          const proc = () => this.procs[i === 0 ? `${label}gateway` : `${label}gateway ${i + 1}`];
          if (!(await waitForOk(`http://127.0.0.1:${port}/readyz`, { alive: () => alive(proc()) }))) throw new Error(`gateway :${port} not ready`);
        }
        if (!(await waitForOk(`http://127.0.0.1:${own.processor}/readyz`, { alive: () => alive(processor) }))) throw new Error('processor not ready');
        for (const url of this.url.split(',')) await waitForEcho(this.name, url);
        return { ok: true };
      },
    };
  };
  if (wanted.has('flowgate')) systems.push(flowgateSystem({ key: 'flowgate', name: 'flowgate', ports, replicas: gatewayCount }));
  const variantDist = process.env.BENCH_VARIANT_DIST;
  if (wanted.has('flowgate') && (Object.keys(variantEnv).length > 0 || variantDist)) {
    // Other settings or other bundles, on topics of their own, in the same rounds: an A/B.
    const env = { FLOWGATE_TOPIC_PREFIX: 'benchv.', ...variantEnv };
    ensureTopics({ ...appEnv, ...env });
    const name = ['flowgate', variantDist && `of ${variantDist}`, process.env.BENCH_VARIANT?.trim() && `with ${process.env.BENCH_VARIANT.trim()}`].filter(Boolean).join(' ');
    systems.push(flowgateSystem({ key: 'flowgateVariant', name, label: 'variant ', ports: VARIANT_PORTS, replicas: 1, env, dist: variantDist }));
  }
  if (wanted.has('nest')) {
    const service = startNode('nest service', 'bench/peers/nest-kafka/service.mjs', { env: peerEnv });
    const http = startNode('nest http', 'bench/peers/nest-kafka/http.mjs', { env: { ...peerEnv, PORT: String(ports.nest) } });
    systems.push({
      key: 'nest', name: 'nestjs kafka', url: `http://127.0.0.1:${ports.nest}`, port: ports.nest, usesKafka: true,
      procs: { 'nest http': http, 'nest service': service },
      ready: async function () {
        if (!(await waitForOk(`${this.url}/readyz`, { alive: () => alive(http) }))) throw new Error('nest http not ready');
        return waitForEcho(this.name, this.url);
      },
    });
  }
  for (const [key, client] of Object.entries(FLOOR_SYSTEMS)) {
    if (!wanted.has(key)) continue;
    const env = { ...peerEnv, FLOOR_KAFKA_CLIENT: client };
    const label = client === 'kafkajs' ? 'floor' : `floor-${client}`;
    const echo = startNode(`${label} echo`, 'bench/floor/echo.mjs', { env, nodeArgs: hopTraceArgs });
    const floorChild = startNode(`${label} client`, 'bench/floor/client.mjs', { args: ['--serve'], ipc: true, env, nodeArgs: hopTraceArgs });
    const floor = ipcClient(floorChild);
    systems.push({
      key, name: `kafka floor (${FLOOR_CLIENT_NAMES[client]})`,
      // Its client is its own generator too (no HTTP): all of it is charged as the system's.
      procs: { [`${label} client`]: floorChild, [`${label} echo`]: echo }, usesKafka: true,
      offer: (rate, seconds) => floor.call('offer', { body, rate, seconds, timeoutMs: stepTimeoutMs }),
      ready: async () => {
        await Promise.race([floor.ready, sleep(60_000).then(() => Promise.reject(new Error(`${key} client not ready`)))]);
        // The echo service may still be joining its group: offer a trickle until every request comes back.
        for (let attempt = 0; attempt < 30; attempt++) {
          const r = await floor.call('offer', { body, rate: 50, seconds: 1, timeoutMs: 2_000 });
          if (r.ok === r.sent) return { ok: true };
        }
        throw new Error(`the ${key} floor never completed a round trip`);
      },
    });
  }
  if (wanted.has('fastify')) {
    const fastify = startNode('fastify', 'bench/peers/fastify-echo.mjs', { env: { PORT: String(ports.fastify) } });
    systems.push({
      key: 'fastify', name: 'fastify (no kafka)', url: `http://127.0.0.1:${ports.fastify}`, port: ports.fastify, usesKafka: false,
      procs: { fastify },
      ready: async function () {
        return waitForEcho(this.name, this.url);
      },
    });
  }
  for (const system of systems) {
    system.offer ??= httpOffer(system.url);
    system.processes = Object.keys(system.procs);
    system.pids = () => [...Object.values(system.procs).map((c) => c.pid), ...Object.values(system.extraPids ?? {})].filter(Boolean);
    for (const [name, child] of Object.entries(system.procs)) sampler.track(name, child.pid);
    for (const [name, pid] of Object.entries(system.extraPids ?? {})) {
      system.processes.push(name);
      sampler.track(name, pid);
    }
  }
  await load.ready;
  sampler.start();
  const answers = await Promise.all(systems.map((s) => s.ready()));
  systems.forEach((s, i) => log(`${s.name} ready; answers ${JSON.stringify(answers[i])}`));
  results.systems = systems.map((s) => ({ key: s.key, name: s.name, processes: s.processes }));

  // Warm-up (JIT, connections, heap) at a low and then a moderate rate, so that the first steps
  // of the search are not the ones that pay for it.
  // BENCH_WARM_SECONDS: longer for runs of one system, where a freshly started Kafka would
  // otherwise still be warming up (JIT, internal topics) during the first steps.
  const warmSeconds = Number(process.env.BENCH_WARM_SECONDS ?? (quick ? 2 : systems.length > 1 ? 3 : 15));
  for (const system of systems) {
    log(`warming up ${system.name}`);
    await system.offer(300, warmSeconds);
    await system.offer(1000, warmSeconds);
  }
  await kafkaSettled();

  // Kafka's own idle cost (every system's consumers long-poll it all the time), subtracted from
  // its CPU per step so that 'Kafka CPU per 1k' is what the requests cost it. Measured again before
  // every round: on a shared machine it moves (30 % of a core once, under a load average of 30).
  let kafkaIdleRate = 0;
  results.kafkaIdleCpuPctByRound = [];
  const measureKafkaIdle = async () => {
    if (!kafkaPid) return;
    kafkaIdleRate = await kafkaCpuRate();
    results.kafkaIdleCpuPctByRound.push(kafkaIdleRate * 100);
    results.kafkaIdleCpuPct ??= kafkaIdleRate * 100;
    log(`kafka idle: ${(kafkaIdleRate * 100).toFixed(1)}% of a core`);
  };

  /**
   * Kafka settled after its start and the warm-up: a freshly started broker goes on compiling (JIT)
   * and housekeeping for a minute, at 64–106 % of a core in 3 s windows where it later idles at
   * 10–16 %, and every run's first round was measured in that (its first system refused requests
   * where the same code in later rounds did not). Until a 3 s window is under 30 % of a core, or 90 s.
   */
  async function kafkaSettled() {
    if (!kafkaPid) return;
    const started = Date.now();
    for (;;) {
      const rate = await kafkaCpuRate();
      if (rate < 0.3 || Date.now() - started > 90_000) {
        log(`kafka settled after the warm-up in ${((Date.now() - started) / 1000).toFixed(0)} s (${(rate * 100).toFixed(0)} % of a core)`);
        results.kafkaSettleS = (Date.now() - started) / 1000;
        return;
      }
    }
  }

  /** Kafka's CPU over the next 3 s, in cores. */
  async function kafkaCpuRate() {
    const k0 = cpuSeconds(kafkaPid);
    await sleep(3_000);
    return (cpuSeconds(kafkaPid) - k0) / 3;
  }

  /** CPU of the system's processes dropping to near idle (a backlog drained), at most maxMs. */
  async function settle(system, maxMs = 30_000) {
    const started = Date.now();
    await sleep(300);
    for (;;) {
      const before = totalCpu(system.pids());
      await sleep(300);
      const used = totalCpu(system.pids()) - before;
      if (used < 0.3 * 0.1 || Date.now() - started > maxMs) return (Date.now() - started) / 1000;
    }
  }

  let order = 0;
  const vegetaDir = mkdtempSync(join(tmpdir(), 'flowgate-bench-vegeta-'));
  /**
   * One step: `rate`/s for stepSeconds offered to `system` by `generator` (own: bench/load.mjs, or
   * the floor's own client; vegeta), its row pushed to `into`. CPU is sampled around it for every
   * process that serves the request (bench/lib/cpu-account.mjs), connections on its port.
   */
  async function step(system, rate, { round = 0, generator = 'own', into = results.steps } = {}) {
    const pids = Object.fromEntries(system.processes.map((name) => [name, sampler.processes.get(name)]));
    const roles = Object.fromEntries(system.processes.map((name) => [name, 'app']));
    const add = (name, pid, role) => {
      pids[name] = pid;
      roles[name] = role;
    };
    if (kafkaPid && system.usesKafka) add('kafka', kafkaPid, 'kafka');
    if (system.url && generator === 'own') add('load generator', loadChild.pid, 'generator');
    // vegeta's CPU comes with its result (it has exited by then): 0 before, its total after.
    if (generator === 'vegeta') add('vegeta', undefined, 'generator');
    const sampleCpu = () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, pid && cpuSeconds(pid)]));
    // How long each process's main thread (a Node process's event loop) was ready to run but waited for a CPU.
    const sampleWaits = () => Object.fromEntries(system.processes.map((name) => [name, pids[name] && mainThreadSched(pids[name])?.waiting]));
    const cpu0 = sampleCpu();
    const waits0 = sampleWaits();
    const kafka0 = kafkaPid ? cpuSeconds(kafkaPid) : 0;
    const load0 = cpuSeconds(loadChild.pid) ?? 0;
    const busy0 = machineBusySeconds();
    const counters0 = await system.counters?.();
    const stopWatching = system.port ? watchConnections(system.port) : undefined;
    const wall0 = performance.now();
    const result = generator === 'vegeta'
      ? await runVegeta({ bin: vegeta.bin, dir: vegetaDir, url: system.url, path: '/v1/echo', body, rate, seconds: stepSeconds, timeoutMs: stepTimeoutMs })
      : await system.offer(rate, stepSeconds);
    const wall = (performance.now() - wall0) / 1000;
    const connections = stopWatching?.();
    const cpu1 = sampleCpu();
    const waits1 = sampleWaits();
    if (generator === 'vegeta') [cpu0.vegeta, cpu1.vegeta] = [0, result.cpuS];
    const counters1 = await system.counters?.();
    const counters = counters0 && counters1
      ? Object.fromEntries(Object.keys(counters1).map((k) => [k, k.includes('Loop') ? counters1[k] : counters1[k] - counters0[k]]))
      : undefined;
    const account = accountCpu({ before: cpu0, after: cpu1, roles, requests: result.ok, wallS: wall, idleRates: { kafka: kafkaIdleRate } });
    const cpuByProcess = Object.fromEntries(system.processes.map((name) => [name, account.byProcess[name].cpuS]));
    const cpu = Object.values(cpuByProcess).reduce((a, b) => a + b, 0);
    const kafkaCpu = kafkaPid ? cpuSeconds(kafkaPid) - kafka0 : undefined;
    const loadCpu = (cpuSeconds(loadChild.pid) ?? 0) - load0 + (generator === 'vegeta' ? result.cpuS : 0);
    const otherCpu = machineBusySeconds() - busy0 - cpu - (kafkaCpu ?? 0) - loadCpu;
    const ok = Math.max(1, result.ok);
    const cpuWaitMs = Object.fromEntries(Object.keys(waits1)
      .filter((name) => waits0[name] !== undefined && waits1[name] !== undefined)
      .map((name) => [name, ((waits1[name] - waits0[name]) * 1000) / ok]));
    const row = {
      key: system.key, system: system.name, round, generator, order: order++, ...result,
      cpuS: cpu, cpuByProcess, cpuPer1k: (cpu / ok) * 1000,
      kafkaCpuS: kafkaCpu, kafkaCpuPer1k: kafkaCpu === undefined ? undefined : (Math.max(0, kafkaCpu - kafkaIdleRate * wall) / ok) * 1000,
      // CPU ms per answered request by role; `system` (apps + Kafka above idle) is the primary figure.
      cpu: {
        app: account.app, kafka: account.kafka, generator: account.generator, system: account.system, machine: account.machine,
        // Kafka's whole use in the step, idle included: on a contended machine the idle rate itself moves.
        kafkaTotal: system.usesKafka && kafkaCpu !== undefined ? (kafkaCpu * 1000) / ok : undefined,
        byProcess: Object.fromEntries(Object.entries(account.byProcess).map(([name, p]) => [name, p.msPerRequest])), missing: account.missing,
      },
      // ms per answered request each process's main thread waited for a CPU (/proc/<pid>/schedstat).
      cpuWaitMs,
      connections,
      loadGeneratorCpuS: loadCpu, counters, otherCpuPct: Math.max(0, (otherCpu / wall) * 100), wallS: wall,
    };
    row.passed = row.p99 <= budgetMs && row.ok === row.sent;
    // Not sustained: a non-200 answer, or under 95% answered by 1 s after the last request was
    // due (a backlog that grew, even if everything was answered before the timeout). vegeta
    // reports no due times: only its non-200s count there.
    row.saturated = row.ok < row.sent || (row.okInTimeShare ?? 1) < 0.95;
    row.settleS = await settle(system);
    into.push(row);
    log(`round ${round + 1}, ${system.name} @ ${rate}/s${generator === 'own' ? '' : ` (${generator})`}: ${row.throughput.toFixed(0)} ok/s, ` +
      `p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, non-200 ${row.sent - row.ok}, ` +
      `CPU ${row.cpu.system?.toFixed(3)} ms/req (apps ${row.cpuPer1k.toFixed(3)})${waitsText(cpuWaitMs)}${connections ? `, ${connections.peak} connections` : ''}${row.passed ? '' : ' (over budget)'}`);
    return row;
  }

  /** ", main threads waited for a CPU: gateway 0.081, processor 0.064 ms/req" (empty without figures). */
  function waitsText(waits) {
    const entries = Object.entries(waits);
    return entries.length === 0 ? '' : `, main threads waited for a CPU: ${entries.map(([name, ms]) => `${name} ${ms.toFixed(3)}`).join(', ')} ms/req`;
  }

  // Rate by rate (interleaving the systems, so that noise from the machine is shared), each system
  // climbs the ladder until the first step it does not sustain (a non-200, or under 95% answered
  // by 1 s after the last request was due). Two figures come out: the p99 capacity, the highest
  // rate whose step kept p99 within budget with every answer a 200 (the first step over budget is
  // run twice, so one noisy moment does not decide), and the highest rate sustained at any latency. Fixed rates are
  // measured for every system in every round, also above a rate it could not sustain: their CPU
  // per request is the primary figure, and settle() lets a backlog drain before the next step.
  // All of it `rounds` times, the systems' order rotating; the capacity kept for what follows (the
  // overload's rates) is the median round's.
  const rates = [...new Set([...fixedRates, ...ladder])].sort((a, b) => a - b);
  const roundsStarted = performance.now();
  for (let round = 0; round < rounds; round++) {
    const roundOrder = rotation(systems, round);
    log(`round ${round + 1} of ${rounds}: ${roundOrder.map((s) => s.name).join(', ')}`);
    await measureKafkaIdle();
    const state = Object.fromEntries(systems.map((s) => [s.key, {
      climbing: true, p99Open: true, best: undefined, failedAt: undefined, sustained: undefined, saturatedAt: undefined,
    }]));
    for (const rate of rates) {
      for (const system of roundOrder) {
        const s = state[system.key];
        const onLadder = ladder.includes(rate) && s.climbing;
        const fixed = fixedRates.includes(rate);
        if (!onLadder && !fixed) continue;
        const dead = Object.entries(system.procs).find(([, child]) => !alive(child));
        if (dead) {
          results.skipped.push({ key: system.key, rate, round, reason: `${dead[0]} exited` });
          s.climbing = false;
          continue;
        }
        let row = await step(system, rate, { round });
        if (onLadder && s.p99Open && !row.passed) {
          log(`${system.name} @ ${rate}/s over budget; confirming`);
          results.steps.splice(results.steps.indexOf(row), 1);
          results.retried.push(row);
          row = await step(system, rate, { round });
        }
        if (row.saturated) s.saturatedAt ??= rate;
        if (!onLadder) continue;
        if (row.passed) s.best = row;
        else if (s.p99Open) {
          s.p99Open = false;
          s.failedAt = row;
        }
        if (row.saturated) s.climbing = false;
        else s.sustained = row;
      }
    }
    // A system that failed the lowest ladder rate gets two more chances below it.
    for (const system of roundOrder) {
      const s = state[system.key];
      let rate = ladder[0];
      const running = () => Object.values(system.procs).every(alive);
      for (let i = 0; i < 2 && !s.best && running(); i++) {
        rate = Math.max(1, Math.round(rate / 2));
        const row = await step(system, rate, { round });
        if (row.passed) s.best = row;
        if (!row.saturated && !s.sustained) s.sustained = row;
      }
      const sustained = s.sustained ? { sustainedRate: s.sustained.rate, sustainedThroughput: s.sustained.throughput, sustainedP99: s.sustained.p99, notSustainedAt: s.saturatedAt } : { notSustainedAt: s.saturatedAt };
      (results.capacityRounds[system.key] ??= []).push(s.best
        ? { round, passed: true, rate: s.best.rate, throughput: s.best.throughput, p50: s.best.p50, p99: s.best.p99, cpuPer1k: s.best.cpuPer1k, cpuMs: s.best.cpu.system, failedAt: s.failedAt, ...sustained }
        : { round, passed: false, lowestTried: rate, failedAt: s.failedAt, ...sustained });
    }
  }
  for (const system of systems) {
    const caps = results.capacityRounds[system.key] ?? [];
    results.capacity[system.key] = medianRow(caps, (c) => (c.passed ? c.throughput : 0));
  }
  results.phases.roundsS = (performance.now() - roundsStarted) / 1000;

  // The cross-check: the same steps at the headline rates through vegeta, interleaved with ours
  // (per system, the generators' order rotating with the rounds), on the HTTP systems only.
  const crossSystems = systems.filter((s) => s.port && ['flowgate', 'nest', 'fastify'].includes(s.key));
  if (vegeta?.error) results.crossCheck = { skipped: vegeta.error };
  else if (vegeta?.bin && crossSystems.length > 0) {
    const crossStarted = performance.now();
    results.crossCheck = { generators, rates: crossCheckRates, rounds, vegeta: `${VEGETA_VERSION} (default workers and connections)`, rows: [] };
    for (let round = 0; round < rounds; round++) {
      await measureKafkaIdle();
      for (const rate of crossCheckRates) {
        for (const system of rotation(crossSystems, round)) {
          if (!Object.values(system.procs).every(alive)) continue;
          for (const generator of rotation(generators, round)) await step(system, rate, { round, generator, into: results.crossCheck.rows });
        }
      }
    }
    results.phases.crossCheckS = (performance.now() - crossStarted) / 1000;
  }

  // Peak RSS of the steps; the overload's own memory figures are reported with it.
  results.peakRss = Object.fromEntries(sampler.peaks);

  // Overload (bench/overload.mjs): flowgate with its adaptive in-flight limit, flowgate with the
  // best fixed limit for this machine, and the NestJS peer, each at 3 x its own p99 capacity.
  const flowgate = systems.find((s) => s.key === 'flowgate' && Object.values(s.procs).every(alive));
  const nest = systems.find((s) => s.key === 'nest' && Object.values(s.procs).every(alive));
  /** Stops the gateway and starts it again with `extraEnv` over the run's own, ready and warm. */
  const restartGateway = async (extraEnv, dist) => {
    const old = flowgate.procs.gateway;
    retired.add(old);
    const exited = new Promise((resolve) => old.once('exit', resolve));
    old.kill('SIGTERM');
    await Promise.race([exited, sleep(20_000).then(() => old.kill('SIGKILL'))]);
    await exited;
    flowgate.procs.gateway = launchApp('gateway', extraEnv, dist);
    sampler.track('gateway', flowgate.procs.gateway.pid);
    await flowgate.ready();
    await flowgate.offer(300, warmSeconds);
    await flowgate.offer(1000, warmSeconds);
  };
  if ((flowgate || nest) && overloadSeconds > 0) {
    const maxInflight = Number(process.env.FLOWGATE_MAX_INFLIGHT ?? 1024);
    const overloadStarted = performance.now();
    results.overload = await compareOverload({
      flowgate, nest, capacity: results.capacity, budgetMs, seconds: overloadSeconds, stepSeconds, probeMaxSeconds, maxInflight,
      rounds: Number(process.env.BENCH_OVERLOAD_ROUNDS ?? 1), variantEnv: overloadVariantEnv,
      variantDist: process.env.BENCH_OVERLOAD_VARIANT_DIST,
      fixedLimits: list(process.env.BENCH_OVERLOAD_FIXED_LIMITS ?? '16,32,64,128'),
      trialSeconds: Number(process.env.BENCH_OVERLOAD_TRIAL_SECONDS ?? 5),
      flowgateRate: process.env.BENCH_OVERLOAD_RATE ? Number(process.env.BENCH_OVERLOAD_RATE) : undefined,
      // More connections than the adaptive limit's upper bound: the gateway, not the client, decides who waits.
      connections: Number(process.env.BENCH_OVERLOAD_CONNECTIONS ?? maxInflight + 256),
      deps: {
        restartGateway,
        overload: (url, args) => load.call('overload', { url, path: '/v1/echo', body, ...args }),
        settle,
        record: (names) => sampler.record(names),
        metrics: async () => (await fetch(`http://127.0.0.1:${ports.gatewayAdmin}/metrics`, { signal: AbortSignal.timeout(2_000) })).text(),
        others: () => ({ kafka: kafkaPid, 'load generator': loadChild.pid }),
        log,
      },
    });
    results.phases.overloadS = (performance.now() - overloadStarted) / 1000;
    // What follows (validation, auth, registry) measures the gateway as configured again.
    if (flowgate && ['validation', 'auth', 'registry'].some((key) => wanted.has(key))) {
      log('overload: restarting the gateway with the run\'s own settings');
      await restartGateway({});
    }
  }

  // What validating bodies against a route schema adds: the same deployment, before the sweeper starts.
  if (wanted.has('validation') && flowgate && Object.values(flowgate.procs).every(alive)) {
    log(`validation: echo with and without a body schema at ${validationRates.join(', ')}/s, ${validationRounds} rounds`);
    results.validation = await compareValidation({
      rates: validationRates,
      rounds: validationRounds,
      stepSeconds,
      body,
      deps: {
        offer: (path, rate, seconds) => load.call('offer', { url: flowgate.url, path, body, rate, seconds, timeoutMs: stepTimeoutMs }),
        cpu: totalCpu,
        pids: () => [flowgate.procs.gateway.pid],
        settle: () => settle({ pids: () => flowgate.pids() }),
        log,
      },
    });
  }

  // What authentication adds, and what a refused credential costs next to an admitted request:
  // two more gateways (api-key, jwt) on the run's processor, stopped again afterwards.
  if (wanted.has('auth') && flowgate && Object.values(flowgate.procs).every(alive)) {
    const fixtures = authFixtures(mkdtempSync(join(tmpdir(), 'flowgate-bench-auth-')));
    const authPorts = { 'api-key': [18170, 18171], jwt: [18172, 18173] };
    const authGateways = Object.fromEntries(Object.entries(authPorts).map(([mode, [port, admin]]) =>
      [mode, launchApp('gateway', { FLOWGATE_GATEWAY_PORT: String(port), FLOWGATE_ADMIN_PORT: String(admin), ...fixtures.env[mode] })]));
    for (const [mode, [port]] of Object.entries(authPorts)) {
      if (!(await waitForOk(`http://127.0.0.1:${port}/readyz`, { alive: () => alive(authGateways[mode]) }))) throw new Error(`gateway ${mode} not ready`);
    }
    const urlOf = (gateway) => (gateway === 'open' ? flowgate.url : `http://127.0.0.1:${authPorts[gateway][0]}`);
    const pidOf = (gateway) => (gateway === 'open' ? flowgate.procs.gateway.pid : authGateways[gateway].pid);
    log(`auth: echo through none, api-key and jwt gateways, admitted and refused, at ${authRates.join(', ')}/s, ${authRounds} rounds`);
    results.auth = await compareAuth({
      rates: authRates,
      rounds: authRounds,
      stepSeconds,
      fixtures,
      deps: {
        offer: (gateway, rate, seconds, options) => load.call('offer', { url: urlOf(gateway), path: '/v1/echo', body, rate, seconds, timeoutMs: stepTimeoutMs, ...options }),
        cpu: totalCpu,
        pid: pidOf,
        settle: () => settle({ pids: () => [...flowgate.pids(), ...Object.values(authGateways).map((g) => g.pid)] }),
        log,
      },
    });
    await Promise.all(Object.values(authGateways).map((gateway) => new Promise((resolve) => {
      retired.add(gateway);
      gateway.once('exit', resolve);
      gateway.kill('SIGTERM');
    })));
  }

  // What the request registry adds: after the comparison of systems, so the sweeper it starts
  // (it reads every reply to record async ones) is not in those figures.
  if (wanted.has('registry') && flowgate && Object.values(flowgate.procs).every(alive)) {
    const sweeperEnv = { ...appEnv, FLOWGATE_SWEEPER_PORT: String(ports.sweeper) };
    const sweeper = track('sweeper', startApp('sweeper', sweeperEnv));
    if (!(await waitForOk(`http://127.0.0.1:${ports.sweeper}/readyz`, { alive: () => alive(sweeper) }))) throw new Error('sweeper not ready');
    log(`registry: echo plain vs Idempotency-Key vs async at ${registryRates.join(', ')}/s`);
    results.registry = await compareRegistry({
      rates: registryRates,
      stepSeconds,
      deps: {
        offer: (rate, seconds, options) => load.call('offer', { url: flowgate.url, path: '/v1/echo', body, rate, seconds, timeoutMs: stepTimeoutMs, ...options }),
        cpu: totalCpu,
        pids: () => [...flowgate.pids(), sweeper.pid],
        settle: () => settle({ pids: () => [...flowgate.pids(), sweeper.pid] }),
        log,
      },
    });
  }

  // Exactly-once vs at-least-once on the keyed counter: last, so it disturbs nothing above.
  if (wanted.has('processing')) {
    log(`counter: exactly_once vs at_least_once at ${processingRates.join(', ')}/s`);
    results.processing = await compareProcessing({
      baseEnv: appEnv,
      rates: processingRates,
      stepSeconds,
      budgetMs,
      deps: {
        createTopics: async (envs) => envs.forEach(ensureTopics),
        start: (name, app, env) => track(name, startApp(app, env)),
        ready: async (url, child) => {
          // Generous: on a fresh broker (BENCH_SYSTEMS=processing) the first groups and transactions wait for Kafka's internal topics.
          if (!(await waitForOk(url, { timeoutMs: 180_000, alive: () => alive(child) }))) throw new Error(`${url} not ready`);
        },
        offer: (url, rate, seconds, bodies) => load.call('offer', { url, path: '/v1/counter', bodies, rate, seconds, timeoutMs: stepTimeoutMs }),
        cpu: totalCpu,
        settle: (pids) => settle({ pids: () => pids }),
        log,
      },
    });
  }

  results.peakRssWithOverload = Object.fromEntries(sampler.peaks);
  results.phases.totalS = (performance.now() - benchStarted) / 1000;
  results.deaths = deaths;
  results.machine.loadAfter = loadavg();
  results.targets = targets(results);
  const report = markdown(results);
  console.log(`\n${report}\n`);
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  // Only a run comparing flowgate with the NestJS peer replaces the echo results the README
  // quotes; a partial one (BENCH_SYSTEMS=processing, flowgate,floor, floor,floorPlatformatic...)
  // leaves them be (BENCH_OUT keeps its JSON).
  if (['flowgate', 'nest'].every((key) => results.systems.some((s) => s.key === key))) {
    writeFileSync(join(root, 'bench/results/latest.md'), `${report}\n`);
    writeFileSync(join(root, 'bench/results/latest.json'), JSON.stringify(results, null, 2));
    writeFileSync(join(root, 'bench/results/latency.png'), plotResults(results));
    log('wrote bench/results/latest.md, latest.json, latency.png');
  }
  // BENCH_OUT=<file>: every run's results as JSON there too (flowgate-only runs write nothing else).
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify(results, null, 2));
  if (results.registry) {
    const footer = `${stepSeconds} s per step, ${results.machine.cpus} CPUs, Node ${results.machine.node}, ${results.at}${quick ? ', BENCH_QUICK' : ''}.`;
    writeFileSync(join(root, 'bench/results/registry.md'), `${registryMarkdown(results.registry)}\n${footer}\n`);
    writeFileSync(join(root, 'bench/results/registry.json'), JSON.stringify({ at: results.at, quick, stepSeconds, machine: results.machine, ...results.registry }, null, 2));
    log('wrote bench/results/registry.md, registry.json');
  }
  if (results.auth) {
    const footer = `${stepSeconds} s per step, ${results.machine.cpus} CPUs, Node ${results.machine.node}, ${results.at}${quick ? ', BENCH_QUICK' : ''}.`;
    writeFileSync(join(root, 'bench/results/auth.md'), `${authMarkdown(results.auth)}\n${footer}\n`);
    writeFileSync(join(root, 'bench/results/auth.json'), JSON.stringify({ at: results.at, quick, stepSeconds, machine: results.machine, ...results.auth }, null, 2));
    log('wrote bench/results/auth.md, auth.json');
  }
  if (results.validation) {
    const footer = `${stepSeconds} s per step, ${results.machine.cpus} CPUs, Node ${results.machine.node}, ${results.at}${quick ? ', BENCH_QUICK' : ''}.`;
    writeFileSync(join(root, 'bench/results/validation.md'), `${validationMarkdown(results.validation)}\n${footer}\n`);
    writeFileSync(join(root, 'bench/results/validation.json'), JSON.stringify({ at: results.at, quick, stepSeconds, machine: results.machine, ...results.validation }, null, 2));
    log('wrote bench/results/validation.md, validation.json');
  }
  if (results.processing) {
    const footer = `${stepSeconds} s per step, ${results.machine.cpus} CPUs, Node ${results.machine.node}, ${results.at}${quick ? ', BENCH_QUICK' : ''}.`;
    writeFileSync(join(root, 'bench/results/processing.md'), `${[...processingMarkdown(results.processing, budgetMs), '', footer].join('\n').trim()}\n`);
    writeFileSync(join(root, 'bench/results/processing.json'), JSON.stringify({ at: results.at, quick, stepSeconds, budgetMs, machine: results.machine, ...results.processing }, null, 2));
    log('wrote bench/results/processing.md, processing.json');
  }
} catch (error) {
  // After a signal, a failing step is just the shutdown under way.
  if (!stopping) {
    log(`bench failed: ${error.stack ?? error}`);
    process.exitCode = 1;
  }
} finally {
  await stopAll();
}
