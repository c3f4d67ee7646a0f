// The faults, and the schedule that injects them one after another under the mixed load. Each
// fault: inject, hold, heal, then the load runs on until latency is back (recovery) or a bound
// passes; then the load stops, every request gets its answer, async requests their final state,
// the counters are read, and the ledger's checks run on that fault's requests alone (each fault
// increments counters of its own).
import { failedChecks } from './ledger.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every fault the schedule knows: `needs` names what the deployment must have for it. */
export const FAULTS = {
  'gateway-kill': {
    what: 'SIGKILL of gateway 0 (of 2), started again at once on its port',
    inject: (d) => d.app('gateway', 0).kill(),
    heal: (d) => d.app('gateway', 0).start().ready(),
  },
  'processor-kill': {
    what: 'SIGKILL of processor 0 (of 2) mid-load, exactly-once counter transactions open; started again',
    inject: (d) => d.app('processor', 0).kill(),
    heal: (d) => d.app('processor', 0).start().ready(),
  },
  'sweeper-kill': {
    what: 'SIGKILL of sweeper 0 (of 2), started again',
    inject: (d) => d.app('sweeper', 0).kill(),
    heal: (d) => d.app('sweeper', 0).start().ready(),
  },
  'redis-delay': {
    what: 'Redis 100 ms slower each way for 8 s (proxy delay)',
    holdMs: 8_000,
    inject: async (d) => d.proxies.redis.delay(100),
    heal: async (d) => d.proxies.redis.heal(),
  },
  'redis-loss': {
    what: 'Redis unreachable for 5 s: every packet lost, both ways (proxy stall; TCP delivers the rest on heal)',
    holdMs: 5_000,
    inject: async (d) => d.proxies.redis.stall(),
    heal: async (d) => d.proxies.redis.heal(),
  },
  'kafka-delay': {
    what: 'Kafka 100 ms slower each way for 8 s (proxy delay; the broker advertises the proxy)',
    needs: 'kafkaProxy',
    holdMs: 8_000,
    inject: async (d) => d.proxies.kafka.delay(100),
    heal: async (d) => d.proxies.kafka.heal(),
  },
  'kafka-loss': {
    what: 'Kafka connections reset, new ones refused, for 5 s (proxy reset)',
    needs: 'kafkaProxy',
    holdMs: 5_000,
    inject: async (d) => d.proxies.kafka.reset(),
    heal: async (d) => d.proxies.kafka.heal(),
  },
  'broker-leader-kill': {
    what: 'SIGKILL of the broker leading counter partition 0 (3-node KRaft cluster, RF 3, min ISR 2); restarted after 5 s',
    needs: 'kafkaCluster',
    holdMs: 5_000,
    inject: async (d) => {
      const leader = await d.kafkaCluster.leaderOf(`${d.prefix}counter`, 0);
      d.killedBroker = d.kafkaCluster.nodes.find((n) => n.id === leader);
      await d.killedBroker.kill();
    },
    heal: (d) => d.killedBroker.restart(),
  },
  'redis-primary-kill': {
    what: 'SIGKILL of the Redis primary (AOF, one replica, three Sentinels with quorum 2): Sentinel promotes the replica; the old primary restarted after 5 s',
    needs: 'redisSentinel',
    holdMs: 5_000,
    inject: async (d) => {
      const port = await d.redisSentinelSet.primaryPort();
      d.killedRedis = d.redisSentinelSet.nodes.find((n) => n.port === port);
      await d.killedRedis.kill();
    },
    heal: (d) => d.killedRedis.restart(),
  },
};

/** Faults on the single broker behind a proxy, then those on the replicated stores (a deployment of its own). */
export const FULL_SCHEDULE = ['processor-kill', 'gateway-kill', 'sweeper-kill', 'redis-delay', 'redis-loss', 'kafka-delay', 'kafka-loss', 'broker-leader-kill', 'redis-primary-kill'];
export const SHORT_SCHEDULE = ['processor-kill', 'gateway-kill', 'redis-delay'];

/** Waits until every app is ready and each gateway answers an echo with 200. */
async function settle(deployment, load, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  await deployment.ready(timeoutMs);
  const { call } = await import('./mixed-load.mjs');
  for (const url of deployment.gatewayUrls) {
    for (;;) {
      const answer = await call(load.agent, url, { path: '/v1/echo', body: { settle: true }, timeoutMs: 5_000, headers: { 'x-timeout-ms': '4000' } });
      if (answer.status === 200) break;
      if (Date.now() > deadline) throw new Error(`${url} does not answer an echo (last: ${answer.status ?? answer.error})`);
      await sleep(250);
    }
  }
}

/**
 * Runs `names` one after another. Returns [{ name, what, summary, recovery, failures }].
 * @param {{ deployment: import('./deployment.mjs').Deployment, load: import('./mixed-load.mjs').MixedLoad,
 *   ledger: import('./ledger.mjs').Ledger, names: string[], baselineMs?: number, maxRecoveryMs?: number,
 *   settleMs?: number, log?: (m: string) => void }} options
 */
export async function runSchedule({ deployment, load, ledger, names, baselineMs = 8_000, maxRecoveryMs = 30_000, settleMs = 120_000, warmupMs = 15_000, log = () => {} }) {
  const results = [];
  // Warm-up, not counted: JIT, connections, the first exactly-once transactions of a fresh broker.
  await settle(deployment, load, settleMs);
  log(`warming up for ${warmupMs / 1000} s`);
  load.start('warmup');
  await sleep(warmupMs);
  load.stop();
  await load.drained();
  for (const name of names) {
    const fault = FAULTS[name];
    if (!fault) throw new Error(`unknown fault ${name}; known: ${Object.keys(FAULTS).join(', ')}`);
    if (fault.needs === 'kafkaProxy' && !deployment.proxies.kafka) throw new Error(`${name} needs the run's own Kafka behind a proxy`);
    if (fault.needs === 'kafkaCluster' && !deployment.kafkaCluster) throw new Error(`${name} needs the run's own 3-node Kafka cluster`);
    if (fault.needs === 'redisSentinel' && !deployment.redisSentinelSet) throw new Error(`${name} needs the run's own Redis behind Sentinels`);
    await settle(deployment, load, settleMs);
    log(`${name}: ${fault.what}`);
    load.start(name);
    await sleep(baselineMs);
    const injectAt = Date.now();
    await fault.inject(deployment);
    if (fault.holdMs) await sleep(fault.holdMs);
    const healAt = Date.now();
    const healed = fault.heal(deployment).then(() => Date.now());
    // Observe until recovered and healed, or the bound; the recovery window needs its requests answered.
    let recovery;
    let healedAt;
    healed.then((t) => (healedAt = t), () => {});
    for (;;) {
      await sleep(1_000);
      const until = Date.now() - load.timeoutMs - load.slackMs;
      recovery = ledger.recovery({ phase: name, injectAt, healAt, baselineMs, until });
      if ((recovery.seconds !== undefined && healedAt) || Date.now() - healAt > maxRecoveryMs + load.timeoutMs + load.slackMs) break;
    }
    load.stop();
    await healed;
    await load.drained();
    recovery = ledger.recovery({ phase: name, injectAt, healAt, baselineMs });
    await load.readCounters(name);
    const summary = ledger.summary(name);
    const failures = failedChecks(summary);
    results.push({ name, what: fault.what, injectAt, healAt, healedAt, summary, recovery, failures });
    log(`${name}: sent ${summary.sent}, ok ${summary.ok}, failed ${summary.failed}, refused ${summary.refused}, hung ${summary.hung}, ` +
      `lost ${summary.lost}, duplicated ${summary.duplicated}, wrong caller ${summary.wrongCaller}, async not final ${summary.asyncNotFinal}, ` +
      `recovery ${recovery.seconds ?? `> ${maxRecoveryMs / 1000}`} s (p99 before ${recovery.baselineP99.toFixed(1)} ms)` +
      `${failures.length ? ` FAILED: ${failures.join('; ')}` : ''}`);
  }
  // At the end: every counter read again and every final async request polled again — an effect
  // that landed after its fault's checkpoint, or an outcome that changed, shows here.
  for (const { name } of results) {
    await load.readCounters(name);
    await load.recheck(name);
  }
  for (const result of results) {
    result.summary = ledger.summary(result.name);
    result.failures = failedChecks(result.summary);
  }
  return results;
}
