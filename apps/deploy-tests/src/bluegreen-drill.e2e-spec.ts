import { ConstantLoad, LoadReport, percentile } from './support/load';
import { Nginx } from './support/nginx';
import { ColourStack, ensureDebianTool, sleep, uniquePrefix } from './support/processes';

// The local blue/green drill: two complete colour stacks (gateway, processor, sweeper each, own
// topic prefix) on the Kafka and Redis of `npm test`, Debian's nginx as the stable entry point.
// Under constant load through nginx, nginx is repointed from blue to green with a graceful
// reload; blue drains (SIGTERM) and exits. No request may fail.

const LOAD = { workers: 8, maxRequests: 40_000 };

describe('blue/green drill behind nginx', () => {
  let blue: ColourStack | undefined;
  let green: ColourStack | undefined;
  let nginx: Nginx | undefined;
  let load: ConstantLoad | undefined;

  afterAll(async () => {
    await load?.stop();
    await nginx?.stop();
    await Promise.all([blue?.stop(), green?.stop()]);
  });

  it('switches from blue to green under load without a failed request; blue drains and exits 0', async () => {
    const { nginx: binary } = ensureDebianTool('nginx');
    [blue, green] = await Promise.all([ColourStack.start(uniquePrefix('blue')), ColourStack.start(uniquePrefix('green'))]);
    expect(blue.prefix).not.toBe(green.prefix);
    nginx = await Nginx.start(binary, blue.gateway.port);

    load = new ConstantLoad({ url: `${nginx.url}/v1/echo`, body: (n) => ({ n }), ...LOAD });
    await eventually(async () => (await blue!.gateway.metric('flowgate_gateway_requests_total')) >= 200, 'blue serving through nginx');
    await sleep(2_000);

    const switchedAt = Date.now();
    nginx.reloadTo(green.gateway.port);
    // Once no old nginx worker is left, no request can reach blue any more.
    await eventually(() => nginx!.workerStates().every((w) => w === 'nginx: worker process'), 'old nginx workers gone');
    await eventually(async () => (await green!.gateway.metric('flowgate_gateway_requests_total')) > 0, 'green serving');
    await eventually(async () => (await blue!.gateway.metric('flowgate_gateway_inflight_requests')) === 0, 'blue drained');
    const blueServed = await blue.gateway.metric('flowgate_gateway_requests_total');
    const exits = await Promise.all(blue.apps.map((app) => app.stop()));
    const blueExitedAt = Date.now();
    expect(exits).toEqual([0, 0, 0]);

    await sleep(3_000); // green alone
    const report = await load.stop();
    load = undefined;
    const greenServed = await green.gateway.metric('flowgate_gateway_requests_total');

    const during = report.samples.filter((s) => s.startedAt >= switchedAt - 1_000 && s.startedAt <= blueExitedAt);
    const figures = {
      sent: report.sent,
      failed: report.failed,
      p99Ms: round(percentile(report.latenciesMs, 0.99)),
      duringSwitch: { sent: during.length, failed: during.filter((s) => !s.ok).length, p99Ms: round(percentile(during.map((s) => s.ms), 0.99)) },
      blueServed,
      greenServed,
      switchToBlueExitMs: blueExitedAt - switchedAt,
    };
    console.log(`blue/green drill: ${JSON.stringify(figures)}`);
    expect(report.sent).toBeLessThan(LOAD.maxRequests); // the load ran until stopped, not out
    expect(failures(report)).toEqual({});
    expect(report.failed).toBe(0);
    expect(during.length).toBeGreaterThan(0);
    expect(blueServed).toBeGreaterThan(0);
    expect(greenServed).toBeGreaterThan(0);
    expect(blueServed + greenServed).toBe(report.sent);
  }, 240_000);
});

const round = (ms: number) => Math.round(ms * 10) / 10;
const failures = (report: LoadReport) => report.failures;

async function eventually(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}
