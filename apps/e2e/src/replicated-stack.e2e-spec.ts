import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { Answers, exactlyOnceProblems } from './support/exactly-once';
import { eventually, get, HttpResult, post, sleep } from './support/http';
import { ReplicatedStack } from './support/replicated-stack';

/**
 * Gateway, processor and sweeper on a 3-node Kafka cluster and on Redis behind Sentinel (the
 * replicated stack of README "Durability"): a crashed partition leader and a crashed Redis primary
 * each cost seconds of service, not data.
 */
describe('replicated stack (3 Kafka nodes, Redis with Sentinel)', () => {
  let stack: ReplicatedStack;
  let cluster: Cluster;
  let gateway: AppProcess;
  let processor: AppProcess;
  let sweeper: AppProcess;

  /** How long each step took, printed at the end: where this spec's wall time goes. */
  const steps: string[] = [];
  let stepStart = Date.now();
  const step = (name: string) => {
    steps.push(`${name} ${Date.now() - stepStart} ms`);
    stepStart = Date.now();
  };

  beforeAll(async () => {
    stack = await ReplicatedStack.start();
    step('stack up');
    // A slow acknowledgement must not turn into a 503 whose increment lands anyway.
    cluster = new Cluster('replicated', { ...stack.env, FLOWGATE_PRODUCE_TIMEOUT_MS: '15000' });
    // One after the other: apps started at once could be handed the same free port.
    processor = await cluster.start('processor');
    sweeper = await cluster.start('sweeper');
    gateway = await cluster.start('gateway');
    step('apps up');
  }, 240_000);
  afterAll(async () => {
    await cluster?.stopAll();
    await stack?.destroy();
    step('stopped');
    console.log(`replicated stack spec steps: ${steps.join(', ')}`);
  });

  it('creates every topic with 3 replicas and min.insync.replicas 2', async () => {
    // The core topics, and a job's changelog (the processor creates those): state is as durable as requests.
    for (const topic of ['requests', 'replies', 'timeouts', 'counter.changelog']) {
      const { partitions, minIsr } = await stack.replication(`${cluster.prefix}${topic}`);
      expect({ topic, minIsr, replicas: partitions.map((p) => p.replicas.length) }).toEqual({ topic, minIsr: 2, replicas: partitions.map(() => 3) });
    }
  });

  it('answers again within seconds of a SIGKILL of a requests partition leader, counts every acknowledged increment once, and the broker rejoins', async () => {
    const requests = `${cluster.prefix}requests`;
    const load = startLoad(gateway);
    await eventually(() => load.ready(3), 60_000, 'three answered increments per key before the crash');
    step('load running');

    const leader = await stack.leaderOf(requests, 0);
    const killedAt = Date.now();
    const before = load.answered();
    await stack.killKafka(leader);
    // Served again: every key answered (200) after the crash.
    await eventually(() => load.answeredSince(before), 60_000, 'increments answered after the crash');
    const failoverMs = Date.now() - killedAt;
    step('kafka failover');
    expect(await stack.leaderOf(requests, 0)).not.toBe(leader);

    await stack.restartKafka(leader);
    step('broker restart');
    await eventually(async () => (await stack.replication(requests)).partitions.every((p) => p.isr.length === 3), 60_000, `node ${leader} back in every ISR of ${requests}`);
    step('ISR rejoin');
    const rejoined = load.answered();
    await eventually(() => load.answeredSince(rejoined), 60_000, 'increments answered after the rejoin');
    const { counters, asyncLocations } = await load.stop();
    step('load stopped');

    for (const [key, answers] of Object.entries(counters)) {
      const final = (await post(`${gateway.url}/v1/counter-get`, { key }, { 'x-timeout-ms': '30000' })).json?.value as number;
      expect({ key, problems: exactlyOnceProblems(answers, final) }).toEqual({ key, problems: [] });
    }
    // Every async request the gateway accepted ends with its result.
    for (const location of asyncLocations) {
      const done = await settled(location);
      expect({ location, status: done.json?.status }).toEqual({ location, status: 'succeeded' });
    }
    expect(asyncLocations.length).toBeGreaterThan(0);
    step('counters and async results checked');
    // Logged for the README's failover figure; bounded loosely for a busy 2-core machine.
    const answers = Object.values(counters).flat();
    console.log(`kafka failover: node ${leader} killed, all keys answered again after ${failoverMs} ms; increments answered 200: ${answers.filter((a) => a !== null).length}, refused: ${answers.filter((a) => a === null).length}; async requests accepted: ${asyncLocations.length}`);
    expect(failoverMs).toBeLessThan(60_000);
  }, 180_000);

  it('serves async and idempotent requests again within seconds of a SIGKILL of the Redis primary', async () => {
    const primary = await stack.redisPrimaryPort();
    const killedAt = Date.now();
    await stack.killRedis(primary);
    await eventually(async () => (await stack.redisPrimaryPort()) !== primary, 30_000, 'Sentinel to promote the replica');

    let accepted: HttpResult | undefined;
    await eventually(async () => {
      accepted = await post(`${gateway.url}/v1/echo`, { after: 'redis-failover' }, { prefer: 'respond-async' });
      if (accepted.status !== 202) await sleep(100);
      return accepted.status === 202;
    }, 30_000, 'an async request accepted after the Redis failover');
    const servedMs = Date.now() - killedAt;
    step('redis failover');
    const done = await settled(accepted!.headers.get('location')!);
    expect(done.json).toMatchObject({ status: 'succeeded', result: { after: 'redis-failover', result: 'ok' } });

    const headers = { 'idempotency-key': '"replicated-1"', 'x-timeout-ms': '30000' };
    const first = await post(`${gateway.url}/v1/counter`, { key: 'idem', by: 5 }, headers);
    const again = await post(`${gateway.url}/v1/counter`, { key: 'idem', by: 5 }, headers);
    expect([first.status, first.json]).toEqual([200, { key: 'idem', value: 5 }]);
    expect([again.status, again.json, again.headers.get('idempotent-replayed')]).toEqual([200, { key: 'idem', value: 5 }, 'true']);
    console.log(`redis failover: primary ${primary} killed, async request accepted again after ${servedMs} ms`);
    expect(servedMs).toBeLessThan(30_000);
  }, 90_000);

  async function settled(location: string): Promise<HttpResult> {
    let last!: HttpResult;
    await eventually(async () => {
      last = await get(`${gateway.url}${location}`);
      return last.status === 200 && last.json?.status !== 'pending';
    }, 60_000, `${location} to settle`).catch((error: Error) => {
      // What each side saw, for a failure that only shows on a loaded machine.
      const tail = (app: AppProcess) => `--- ${app.name} ---\n${app.logs.slice(-4_000)}`;
      throw new Error(`${error.message}; last answer ${last?.status} ${last?.text}\n${[gateway, processor, sweeper].map(tail).join('\n')}\n--- stack ---\n${stack.logs.slice(-2_000)}`);
    });
    return last;
  }
});

const KEYS = ['r1', 'r2', 'r3', 'r4'];

/**
 * A steady stream until stop(): each key incremented one request after the other, and an async
 * echo request every 200 ms. A refused request is followed by a 100 ms pause, not a hot loop.
 */
function startLoad(gateway: AppProcess) {
  const counters: Record<string, Answers> = Object.fromEntries(KEYS.map((k) => [k, []]));
  const asyncLocations: string[] = [];
  let stopping = false;
  const increments = KEYS.map(async (key) => {
    while (!stopping) {
      const res = await post(`${gateway.url}/v1/counter`, { key }, { 'x-timeout-ms': '30000' }).catch(() => undefined);
      counters[key].push(res?.status === 200 ? (res.json?.value as number) : null);
      if (res?.status !== 200) await sleep(100);
    }
  });
  const asyncRequests = (async () => {
    for (let n = 0; !stopping; n++) {
      const res = await post(`${gateway.url}/v1/echo`, { n }, { prefer: 'respond-async' }).catch(() => undefined);
      if (res?.status === 202) asyncLocations.push(res.headers.get('location')!);
      await sleep(200);
    }
  })();
  const successes = (answers: Answers) => answers.filter((a) => a !== null).length;
  return {
    ready: (perKey: number) => KEYS.every((k) => successes(counters[k]) >= perKey),
    /** How many answers each key has had so far (200 or not). */
    answered: () => Object.fromEntries(KEYS.map((k) => [k, counters[k].length])),
    /** Whether every key had a 200 among the answers after `mark`. */
    answeredSince: (mark: Record<string, number>) => KEYS.every((k) => counters[k].slice(mark[k]).some((a) => a !== null)),
    async stop() {
      stopping = true;
      await Promise.all([...increments, asyncRequests]);
      return { counters, asyncLocations };
    },
  };
}
