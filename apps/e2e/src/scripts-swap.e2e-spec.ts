import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, HttpResult, post } from './support/http';
import { activeScriptVersion, ScriptAdmin } from './support/scripts';

/** Version n answers with n in its body: a reply whose body and header disagree would be a mix of versions. */
const versionSource = (n: number) => `export default (input) => ({ version: ${n}, n: input.n });`;
const manifestOf = (n: number) => ({
  kind: 'route' as const,
  route: { summary: 'Says which version answered' },
  examples: [{ input: { n: 1 }, output: { version: n, n: 1 } }],
});

/** Keeps `workers` requests in flight until stopped; every response is kept. */
function constantLoad(url: string, workers: number) {
  const results: HttpResult[] = [];
  let stopped = false;
  let n = 0;
  const running = Promise.all(
    Array.from({ length: workers }, async () => {
      while (!stopped) results.push(await post(url, { n: n++ }));
    }),
  );
  return {
    results,
    async stop() {
      stopped = true;
      await running;
    },
  };
}

function expectConsistent(results: HttpResult[], versions: number[]): void {
  for (const res of results) {
    expect(res.status).toBe(200);
    const header = res.headers.get('fg-script-version');
    expect(versions.map((v) => `swap@${v}`)).toContain(header);
    expect(`swap@${(res.json as { version: number }).version}`).toBe(header);
  }
}

describe('hot swap of a route script on two processors', () => {
  const cluster = new Cluster('scripts-swap');
  const admin = new ScriptAdmin(cluster);
  let gateway: AppProcess;
  let processors: AppProcess[];

  beforeAll(async () => {
    processors = [await cluster.start('processor'), await cluster.start('processor')];
    gateway = await cluster.start('gateway');
    await admin.activate(await admin.putVersion('swap', 1, versionSource(1), manifestOf(1)));
    await cluster.gatewaysServe(['swap']);
  });
  afterAll(async () => {
    await cluster.stopAll();
  });

  it('swaps under constant load: no failed request, each reply wholly old or new, both processors on the new version within 1 s', async () => {
    const v2 = await admin.putVersion('swap', 2, versionSource(2), manifestOf(2));
    const load = constantLoad(`${gateway.url}/v1/swap`, 24);
    await eventually(() => load.results.length >= 200, 30_000, '200 replies before the swap');

    const { writtenAt } = await admin.activate(v2);
    const switchedAfter = await Promise.all(
      processors.map(async (processor) => {
        await eventually(async () => (await activeScriptVersion(processor, 'swap')) === 2, 10_000, `processor ${processor.pid} on v2`);
        return Date.now() - writtenAt;
      }),
    );
    const swappedAt = load.results.length;
    await eventually(() => load.results.length >= swappedAt + 200, 30_000, '200 replies after the swap');
    await load.stop();

    console.log(`swap: ${load.results.length} requests; processors on v2 ${switchedAfter.join(' ms, ')} ms after the activation record was sent`);
    expect(load.results.filter((r) => r.status !== 200)).toEqual([]);
    expectConsistent(load.results, [1, 2]);
    for (const ms of switchedAfter) expect(ms).toBeLessThan(1_000);
    // Once both are on v2, a new request gets v2.
    const after = await post(`${gateway.url}/v1/swap`, { n: -1 });
    expect(after.headers.get('fg-script-version')).toBe('swap@2');
    expect(load.results.filter((r) => r.headers.get('fg-script-version') === 'swap@2').length).toBeGreaterThan(100);
  });

  it('runs the active version on processors restarted after SIGKILL before they report ready, and on a late one', async () => {
    for (const processor of processors) processor.kill('SIGKILL');
    await Promise.all(processors.map((p) => p.exited));

    const started = await Promise.all([0, 1].map(() => cluster.start('processor', {}, { waitReady: false })));
    // The moment /readyz first says ready, the processor already serves v2.
    await Promise.all(
      started.map(async (processor) => {
        await processor.waitReady();
        expect(await activeScriptVersion(processor, 'swap')).toBe(2);
      }),
    );
    const replies = await Promise.all(Array.from({ length: 40 }, (_, n) => post(`${gateway.url}/v1/swap`, { n })));
    expectConsistent(replies, [2]);

    const late = await cluster.start('processor', {}, { waitReady: false });
    await late.waitReady();
    const report = (await (await fetch(`${late.url}/readyz`)).json()) as { checks: Record<string, boolean> };
    expect(report.checks.scripts).toBe(true);
    expect(await activeScriptVersion(late, 'swap')).toBe(2);
    // Once the late processor owns partitions, it answers some requests itself, on v2.
    await eventually(async () => {
      expectConsistent(await Promise.all(Array.from({ length: 20 }, (_, n) => post(`${gateway.url}/v1/swap`, { n }))), [2]);
      return (await late.metric('flowgate_script_calls_total', { script: 'swap', version: '2', outcome: 'ok' })) > 0;
    }, 30_000, 'the late processor answering');
  });
});
