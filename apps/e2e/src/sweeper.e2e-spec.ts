import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, get, post, sleep } from './support/http';
import { KafkaRecords, TopicTail } from './support/kafka-records';

/** Sweepers and async results when processes die: no outcome lost, none recorded twice. */
describe('sweeper and async results across crashes', () => {
  const cluster = new Cluster('sweeper', { FLOWGATE_PRODUCE_TIMEOUT_MS: '15000', FLOWGATE_SWEEP_CLAIM_MS: '2000' });
  const kafka = new KafkaRecords('sweeper');
  let timeouts: TopicTail;
  let sweepers: AppProcess[];
  let gateways: AppProcess[];

  beforeAll(async () => {
    await cluster.start('processor');
    sweepers = [await cluster.start('sweeper'), await cluster.start('sweeper')];
    gateways = [await cluster.start('gateway'), await cluster.start('gateway')];
    timeouts = await kafka.tail(`${cluster.prefix}timeouts`);
  });
  afterAll(async () => {
    await kafka.close();
    await cluster.stopAll();
  });

  /** Anonymous callers read results by the handle of the 202's Location. */
  const statusOf = async (gateway: AppProcess, location: string) => (await get(`${gateway.url}${location}`)).json;

  it('keeps the results of a SIGKILLed gateway\'s async requests, retrievable from another gateway', async () => {
    const [doomed, survivor] = gateways as [AppProcess, AppProcess];
    const ids = Array.from({ length: 20 }, (_, i) => `crash-${i}`);
    const accepted = await Promise.all(ids.map((id, i) =>
      post(`${doomed.url}/v1/delay`, { ms: 1_500, i }, { prefer: 'respond-async', 'x-request-id': id })));
    expect(accepted.map((r) => r.status)).toEqual(ids.map(() => 202));
    const locations = accepted.map((r) => r.headers.get('location')!);
    doomed.kill('SIGKILL');
    await doomed.exited;

    // Their replies land on the dead gateway's reply partition; the sweepers record them anyway.
    await eventually(async () => {
      const statuses = await Promise.all(locations.map((location) => statusOf(survivor, location)));
      return statuses.every((s) => s?.status === 'succeeded');
    }, 45_000, 'every async result recorded');
    for (const [i, location] of locations.entries()) {
      expect(await statusOf(survivor, location)).toMatchObject({ id: ids[i], status: 'succeeded', statusCode: 200, result: { ms: 1_500, i } });
    }
  });

  it('times every async request out exactly once while one of two sweepers is SIGKILLed mid-test', async () => {
    const gateway = gateways[1]!;
    const ids = Array.from({ length: 60 }, (_, i) => `expire-${i}`);
    // Deadlines spread over ~3 s; the processor would answer only after 20 s.
    const sending = Promise.all(ids.map(async (id, i) => {
      await sleep(i * 20);
      return post(`${gateway.url}/v1/delay`, { ms: 20_000 }, { prefer: 'respond-async', 'x-request-id': id, 'x-timeout-ms': String(500 + i * 30) });
    }));
    await sleep(800 + Math.floor(Math.random() * 1_200));
    sweepers[0]!.kill('SIGKILL');
    const accepted = await sending;
    expect(accepted.map((r) => r.status)).toEqual(ids.map(() => 202));
    const locations = accepted.map((r) => r.headers.get('location')!);

    await eventually(async () => {
      const statuses = await Promise.all(locations.map((location) => statusOf(gateway, location)));
      return statuses.every((s) => s?.status === 'timed_out');
    }, 30_000, 'every request timed out');
    await eventually(() => new Set(timeouts.records.filter((r) => r.key?.startsWith('expire-')).map((r) => r.key)).size === ids.length,
      20_000, 'a timeout record per request');
    await sleep(3_000); // a claim left by the killed sweeper would be re-published by now
    const records = timeouts.records.filter((r) => r.key?.startsWith('expire-'));
    // Exactly once in the registry; on the topic at least once, and twice only if the killed
    // sweeper died between its Kafka acknowledgement and removing the record from the outbox.
    expect(records.length - ids.length).toBeLessThanOrEqual(1);
    for (const record of records) expect(JSON.parse(record.value!)).toMatchObject({ route: 'delay', reason: 'sweeper' });
    expect(await sweepers[1]!.metric('flowgate_sweeper_timeouts_total', { reason: 'sweeper' })).toBeGreaterThan(0);
    await eventually(async () => (await sweepers[1]!.metric('flowgate_sweeper_timeout_outbox')) === 0, 10_000, 'outbox empty');
  });
});
