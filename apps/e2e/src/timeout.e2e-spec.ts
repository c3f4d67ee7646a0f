import { connect } from 'node:net';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { eventually, post, sleep } from './support/http';

/**
 * Sends one HTTP/1.1 request on a raw keep-alive socket and records every byte the gateway writes
 * back for `listenMs`, so a second response written to the same connection would be seen.
 */
async function rawExchange(
  port: number,
  path: string,
  body: unknown,
  headers: Record<string, string>,
  listenMs: number,
): Promise<{ firstResponseMs: number; received: string }> {
  const payload = JSON.stringify(body);
  const started = Date.now();
  return new Promise((resolveExchange, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let firstResponseMs = -1;
    const timer = setTimeout(() => {
      socket.destroy();
      resolveExchange({ firstResponseMs, received });
    }, listenMs);
    socket.on('data', (chunk: Buffer) => {
      if (firstResponseMs < 0) firstResponseMs = Date.now() - started;
      received += chunk.toString('utf8');
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', () => {
      const lines = [
        `POST ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(payload)}`,
        'Connection: keep-alive',
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n${payload}`);
    });
  });
}

describe('deadlines: a request without a reply in time gets 504 (v1) or the seed\'s 408 (/event)', () => {
  const cluster = new Cluster('timeout');
  const lonely = new Cluster('timeout-noproc');
  let gateway: AppProcess;
  let gatewayWithoutProcessor: AppProcess;

  beforeAll(async () => {
    await cluster.start('processor');
    // A processor that declared its routes and went away: the catalog keeps them, nobody answers.
    const gone = await lonely.start('processor');
    await gone.stop();
    [gateway, gatewayWithoutProcessor] = await Promise.all([cluster.start('gateway'), lonely.start('gateway')]);
  });
  afterAll(() => Promise.all([cluster.stopAll(), lonely.stopAll()]));

  it('answers 504 problem+json near the X-Timeout-Ms deadline, frees the slot at once, and counts the late reply', async () => {
    const timeoutsBefore = await gateway.metric('flowgate_gateway_timeouts_total', { route: 'delay' });
    const lateBefore = await gateway.metric('flowgate_gateway_late_replies_total');
    const orphansBefore = await gateway.metric('flowgate_gateway_orphan_replies_total');
    const res = await post(`${gateway.url}/v1/delay`, { ms: 1_500 }, { 'x-timeout-ms': '300', 'x-request-id': 'to-delay-1' });
    // Read at once: the gauge must already be back to 0 when the 504 is out.
    const inflightAfter = await gateway.metric('flowgate_gateway_inflight_requests');

    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('x-request-id')).toBe('to-delay-1');
    expect(res.json).toMatchObject({ status: 504, type: 'urn:flowgate:problem:timeout', requestId: 'to-delay-1' });
    expect(res.ms).toBeGreaterThanOrEqual(250);
    expect(res.ms).toBeLessThan(2_300);
    expect(inflightAfter).toBe(0);
    expect(await gateway.metric('flowgate_gateway_timeouts_total', { route: 'delay' })).toBe(timeoutsBefore + 1);

    // The processor still answers at ~1.5 s: that reply is late, counted once, and goes nowhere.
    await eventually(
      async () => (await gateway.metric('flowgate_gateway_late_replies_total')) >= lateBefore + 1,
      5_000,
      'late reply counted',
    );
    await sleep(300);
    expect(await gateway.metric('flowgate_gateway_late_replies_total')).toBe(lateBefore + 1);
    expect(await gateway.metric('flowgate_gateway_orphan_replies_total')).toBe(orphansBefore);
    expect(await gateway.metric('flowgate_gateway_timeouts_total', { route: 'delay' })).toBe(timeoutsBefore + 1);
    expect(await gateway.metric('flowgate_gateway_inflight_requests')).toBe(0);
  });

  it('writes exactly one response on the caller\'s connection, even after the late reply arrives', async () => {
    const lateBefore = await gateway.metric('flowgate_gateway_late_replies_total');
    const orphansBefore = await gateway.metric('flowgate_gateway_orphan_replies_total');
    const timeoutsBefore = await gateway.metric('flowgate_gateway_timeouts_total', { route: 'delay' });
    const okBefore = await gateway.metric('flowgate_gateway_requests_total', { route: 'delay', status: '200' });

    // Listen on the connection until well after the processor's reply (1.5 s) has come back.
    const { firstResponseMs, received } = await rawExchange(
      gateway.port,
      '/v1/delay',
      { ms: 1_500, tag: 'late-one' },
      { 'X-Timeout-Ms': '300', 'X-Request-Id': 'to-late-1' },
      3_000,
    );

    const statusLines = received.match(/HTTP\/1\.1 \d{3}/g) ?? [];
    expect(statusLines).toEqual(['HTTP/1.1 504']);
    expect(received).toMatch(/x-request-id: to-late-1/i);
    expect(firstResponseMs).toBeGreaterThanOrEqual(250);
    expect(firstResponseMs).toBeLessThan(2_300);

    await eventually(
      async () => (await gateway.metric('flowgate_gateway_late_replies_total')) >= lateBefore + 1,
      5_000,
      'late reply counted',
    );
    // A moment more, so a second (duplicate) count would show too.
    await sleep(200);
    expect(await gateway.metric('flowgate_gateway_late_replies_total')).toBe(lateBefore + 1);
    expect(await gateway.metric('flowgate_gateway_orphan_replies_total')).toBe(orphansBefore);
    expect(await gateway.metric('flowgate_gateway_timeouts_total', { route: 'delay' })).toBe(timeoutsBefore + 1);
    expect(await gateway.metric('flowgate_gateway_requests_total', { route: 'delay', status: '200' })).toBe(okBefore);
    expect(await gateway.metric('flowgate_gateway_inflight_requests')).toBe(0);
  });

  it('answers POST /event with the seed\'s exact 408 body when no processor replies in time', async () => {
    const timeoutsBefore = await gatewayWithoutProcessor.metric('flowgate_gateway_timeouts_total', { route: 'echo' });
    const res = await post(`${gatewayWithoutProcessor.url}/event`, { user: 'nobody-home' }, { 'x-timeout-ms': '300' });

    expect(res.status).toBe(408);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.text).toBe('{"code":408,"msg":"408 Request Timeout"}');
    expect(res.ms).toBeGreaterThanOrEqual(250);
    expect(res.ms).toBeLessThan(2_300);
    expect(await gatewayWithoutProcessor.metric('flowgate_gateway_inflight_requests')).toBe(0);
    expect(await gatewayWithoutProcessor.metric('flowgate_gateway_timeouts_total', { route: 'echo' })).toBe(timeoutsBefore + 1);
  });
});
