import { randomBytes } from 'node:crypto';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, HttpResult, post, sleep } from './support/http';

const EXIT_WAIT_MS = 20_000;

/** The exit code, or 'still running' if the process has not exited within `ms`. */
function exitWithin(app: AppProcess, ms: number): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), ms);
  });
  return Promise.race([app.exited, late]).finally(() => clearTimeout(timer));
}

/** What a caller saw: a response, or a connection that was refused or cut. */
async function attempt(request: () => Promise<HttpResult>): Promise<HttpResult | { error: string }> {
  try {
    return await request();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { error: cause?.code ?? String(error) };
  }
}

function statusOf(result: HttpResult | { error: string }): number | string {
  return 'status' in result ? result.status : result.error;
}

describe('gateway drain: SIGTERM lets pending requests finish, refuses new ones, exits 0', () => {
  const cluster = new Cluster('drain-gw');
  const run = randomBytes(4).toString('hex');
  let gateway: AppProcess;

  let pending: HttpResult[] = [];
  let pendingDoneAt = 0;
  let afterSigterm: HttpResult | { error: string };
  const probes: { sentAt: number; status: number | string }[] = [];
  let killedAt = 0;
  let exit: number | null | 'still running';

  beforeAll(async () => {
    await cluster.start('processor');
    gateway = await cluster.start('gateway');

    const started = Date.now();
    const calls = Array.from({ length: 20 }, (_, n) =>
      post(`${gateway.url}/v1/delay`, { ms: 1_000, n, run }, { 'x-request-id': `drain-${run}-${n}` }),
    );
    await eventually(async () => (await gateway.metric('flowgate_gateway_inflight_requests')) === 20, 3_000, '20 in flight');
    await sleep(Math.max(0, 200 - (Date.now() - started)));

    gateway.kill('SIGTERM');
    killedAt = Date.now();
    let exited = false;
    void gateway.exited.then(() => (exited = true));

    // Poll readiness until the process is gone (bounded in count and time).
    const poller = (async () => {
      for (let i = 0; i < 200 && !exited && Date.now() - killedAt < EXIT_WAIT_MS; i++) {
        const sentAt = Date.now();
        const result = await attempt(async () => {
          const response = await fetch(`${gateway.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
          await response.arrayBuffer();
          return { status: response.status } as HttpResult;
        });
        probes.push({ sentAt, status: statusOf(result) });
        await sleep(50);
      }
    })();

    await sleep(150);
    afterSigterm = await attempt(() => post(`${gateway.url}/v1/echo`, { late: 'comer' }, {}, AbortSignal.timeout(5_000)));

    pending = await Promise.all(calls);
    pendingDoneAt = Date.now();
    exit = await exitWithin(gateway, EXIT_WAIT_MS);
    await poller;
  });
  afterAll(() => cluster.stopAll());

  it('answers all 20 pending callers 200 with their own body', () => {
    expect(pending.map((res) => res.status)).toEqual(Array(20).fill(200));
    pending.forEach((res, n) => {
      expect(res.json).toMatchObject({ ms: 1_000, n, run, result: 'ok' });
      expect(res.headers.get('x-request-id')).toBe(`drain-${run}-${n}`);
    });
  });

  it('does not answer 200 to a request sent after SIGTERM (503 or connection refused)', () => {
    const status = statusOf(afterSigterm);
    expect(status).not.toBe(200);
    if (typeof status === 'number') {
      expect(status).toBe(503);
      expect(afterSigterm).toMatchObject({ json: { status: 503 } });
    }
  });

  it('reports not ready on /readyz while draining, before it exits', () => {
    // Probes sent a little after the signal (it needs a moment to be handled) and while the 20
    // requests were still pending, i.e. while the gateway was certainly draining.
    const duringDrain = probes.filter((p) => p.sentAt >= killedAt + 150 && p.sentAt < pendingDoneAt - 100);
    expect(duringDrain.length).toBeGreaterThan(0);
    expect(duringDrain.filter((p) => p.status === 200)).toEqual([]);
    expect(probes.filter((p) => p.sentAt >= killedAt + 150 && p.status === 200)).toEqual([]);
  });

  it('exits with code 0 once drained', () => {
    expect(exit).toBe(0);
  });
});

describe('processor drain: SIGTERM finishes the requests it holds, then exits 0', () => {
  const cluster = new Cluster('drain-proc');
  const run = randomBytes(4).toString('hex');
  let gateway: AppProcess;
  let processor: AppProcess;

  beforeAll(async () => {
    processor = await cluster.start('processor');
    gateway = await cluster.start('gateway');
  });
  afterAll(() => cluster.stopAll());

  it('answers all 10 in-flight callers 200 with their own body and exits 0', async () => {
    const calls = Array.from({ length: 10 }, (_, n) => post(`${gateway.url}/v1/delay`, { ms: 1_000, n, run }));
    // The processor has fetched all 10 and is working on them.
    await eventually(async () => (await processor.metric('flowgate_processor_queued_records')) >= 10, 3_000, '10 records taken');
    processor.kill('SIGTERM');

    const results = await Promise.all(calls);
    expect(results.map((res) => res.status)).toEqual(Array(10).fill(200));
    results.forEach((res, n) => expect(res.json).toMatchObject({ ms: 1_000, n, run, result: 'ok' }));
    expect(await exitWithin(processor, EXIT_WAIT_MS)).toBe(0);
  });
});

describe('processor stopped while it starts: exits 0 with no fatal line', () => {
  const cluster = new Cluster('drain-boot');
  afterAll(() => cluster.stopAll());

  it('shuts down on a SIGTERM that comes while its microservice starts, before its HTTP listener', async () => {
    const processor = await cluster.start('processor', { FLOWGATE_LOG_LEVEL: 'info' }, { waitReady: false });
    // The signal handlers are in place by then. After the scripts come the route catalog and every
    // job's consumer joining its group, then the listener: hundreds of ms at least. (From the first
    // job's partitions, the listener could come within 90 ms, faster than this test reacts.)
    await eventually(() => /"message":"scripts read: /.test(processor.logs), 60_000, 'the scripts to be read');
    processor.kill('SIGTERM');
    expect(await exitWithin(processor, EXIT_WAIT_MS)).toBe(0);
    expect(processor.logs).toMatch(/SIGTERM: shutting down/);
    // It was stopped mid-boot (the case under test), and said so without a fatal line.
    expect(processor.logs).not.toMatch(/processor ready/);
    expect(processor.logs).not.toMatch(/"level":"fatal"/);
  }, 90_000);
});
