import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { KafkaNode } from './support/kafka-node';
import { eventually, post } from './support/http';

/**
 * Kafka goes away and comes back: the gateway answers 503 fast instead of hanging, says it is not
 * ready, and serves again once Kafka is back, without a restart of any app.
 */
describe('Kafka outage', () => {
  const kafka = KafkaNode.create();
  let cluster: Cluster;
  let gateway: AppProcess;
  let processor: AppProcess;

  beforeAll(async () => {
    const node = await kafka;
    await node.start();
    cluster = new Cluster('kafka-outage', { KAFKA_BROKERS: node.brokers });
    processor = await cluster.start('processor', { FLOWGATE_LOG_LEVEL: 'info' });
    gateway = await cluster.start('gateway', { FLOWGATE_LOG_LEVEL: 'info' });
    expect((await post(`${gateway.url}/v1/echo`, { before: true })).status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stopAll();
    await (await kafka).destroy();
  });

  it('answers 503 fast while Kafka is down, turns unready, and recovers when it is back', async () => {
    const node = await kafka;
    await node.stop();

    // The first request may wait for the failed produce (FLOWGATE_PRODUCE_TIMEOUT_MS, 2 s).
    const first = await post(`${gateway.url}/v1/echo`, { during: 0 }, { 'x-timeout-ms': '20000' });
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(first.json).toMatchObject({ type: 'urn:flowgate:problem:kafka-unavailable' });
    expect(first.ms).toBeLessThan(5_000);

    // From then on the breaker is open: refusals are immediate, not a hang until the deadline.
    const later = await Promise.all(Array.from({ length: 20 }, (_, i) => post(`${gateway.url}/v1/echo`, { during: i + 1 }, { 'x-timeout-ms': '20000' })));
    expect(later.map((r) => r.status)).toEqual(Array(20).fill(503));
    expect(Math.max(...later.map((r) => r.ms))).toBeLessThan(1_000);
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(503);
    expect(await gateway.metric('flowgate_gateway_kafka_up')).toBe(0);
    expect(await gateway.metric('flowgate_gateway_admission_rejections_total', { reason: 'kafka_down' })).toBeGreaterThanOrEqual(20);

    // The processor's request consumer gives up while Kafka is away: not ready until it rejoins.
    await eventually(async () => (await readiness(processor)).consumer === false, 60_000, 'processor consumer reported down');

    await node.start();
    await eventually(async () => (await fetch(`${gateway.url}/readyz`)).status === 200, 60_000, 'gateway ready again');
    await eventually(async () => (await readiness(processor)).consumer === true, 60_000, 'processor consumer ready again');
    const statuses: number[] = [];
    await eventually(async () => statuses[statuses.push((await post(`${gateway.url}/v1/echo`, { after: true })).status) - 1] === 200, 60_000, 'echo served again')
      .catch(async (error: Error) => {
        // What each side saw, for a failure that only shows on a loaded machine.
        const exited = await Promise.race([processor.exited.then((code) => `exited (${code})`), Promise.resolve('running')]);
        throw new Error(`${error.message}; statuses ${statuses.join(',')}; processor ${exited}\n--- gateway ---\n${gateway.logs}\n--- processor ---\n${processor.logs}`);
      });
    // Both apps' consumers crashed while Kafka was away and were started again.
    expect(await processor.metric('flowgate_processor_consumer_crashes_total', { consumer: 'requests' })).toBeGreaterThan(0);
    expect(await gateway.metric('flowgate_gateway_consumer_crashes_total', { consumer: 'replies' })).toBeGreaterThan(0);
    const after = await post(`${gateway.url}/v1/echo`, { after: 'yes' });
    expect(after.status).toBe(200);
    expect(after.json).toMatchObject({ after: 'yes', result: 'ok' });
    expect(await gateway.metric('flowgate_gateway_kafka_up')).toBe(1);

    // kafkajs retried all along; its identical lines were held back to one per 10 s, not a flood.
    for (const app of [gateway, processor]) expect(mostRepeatedKafkaLine(app.logs)).toBeLessThanOrEqual(3);
  }, 150_000);
});

/** The named checks of an app's /readyz. */
async function readiness(app: AppProcess): Promise<Record<string, boolean>> {
  return ((await (await fetch(`${app.url}/readyz`)).json()) as { checks: Record<string, boolean> }).checks;
}

/** How many times the most repeated kafkajs log line (same logger, message and error) occurs. */
function mostRepeatedKafkaLine(logs: string): number {
  const counts = new Map<string, number>();
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"kafkajs.')) continue;
    try {
      const { logger, message, error } = JSON.parse(line) as Record<string, unknown>;
      const key = `${String(logger)}|${String(message)}|${String(error)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // a line cut by the log buffer's start
    }
  }
  return Math.max(0, ...counts.values());
}
