import { randomUUID } from 'node:crypto';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { post } from './support/http';
import { RawConnection, until } from './support/raw-http';

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const KEEPALIVE_TIMEOUT_MS = 1_500;
const MAX_HEADER_BYTES = 4_096;
/** Node checks the headers and request deadlines every quarter of the headers timeout (at most 1 s). */
const CHECK_MS = HEADERS_TIMEOUT_MS / 4;
/**
 * What a busy machine may add to a deadline before the close is seen: generous (a shared CI
 * machine runs at many times its core count), yet every bound stays well under what the
 * server would do without the limits (Node's 60 s headers timeout, Fastify's 72 s keep-alive, no
 * limit at all on a slow body), so a limit that is not applied fails the test.
 */
const SLACK_MS = 15_000;
const IDLE_CONNECTIONS = 2_000;

/**
 * Raw HTTP abuse against the gateway's public port, its admin port and a processor's port (every app
 * reads FLOWGATE_HTTP_*; raw sockets, so the bytes
 * reach the server's parser as written): each gets a problem+json 4xx or a closed connection
 * within the configured limits, and a normal caller is served meanwhile.
 */
describe('hostile HTTP input (slowloris, oversized headers, smuggling, idle floods)', () => {
  const cluster = new Cluster('http-abuse', {
    FLOWGATE_HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    FLOWGATE_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    FLOWGATE_HTTP_KEEPALIVE_TIMEOUT_MS: String(KEEPALIVE_TIMEOUT_MS),
    FLOWGATE_HTTP_MAX_HEADER_BYTES: String(MAX_HEADER_BYTES),
    FLOWGATE_HTTP_MAX_CONNECTIONS: String(IDLE_CONNECTIONS + 500),
  });
  let gateway: AppProcess;
  let processor: AppProcess;
  const open: RawConnection[] = [];
  const connection = (port = gateway.port) => {
    const c = new RawConnection(port);
    open.push(c);
    return c;
  };
  /** A normal caller: one echo round trip through Kafka and the processor. */
  const served = async () => {
    const id = `normal-${randomUUID()}`;
    const res = await post(`${gateway.url}/v1/echo`, { normal: true }, { 'x-request-id': id, 'x-timeout-ms': '20000' });
    return res.status === 200 && res.headers.get('x-request-id') === id;
  };
  const counterOf = async (key: string) => (await post(`${gateway.url}/v1/counter-get`, { key }, { 'x-timeout-ms': '20000' })).json?.value;

  beforeAll(async () => {
    processor = await cluster.start('processor');
    gateway = await cluster.start('gateway');
    expect(await served()).toBe(true);
  });
  afterEach(() => open.splice(0).forEach((c) => c.destroy()));
  afterAll(() => cluster.stopAll());

  const ports = () => ({ public: gateway.port, admin: gateway.adminPort, processor: processor.port });

  describe.each(['public', 'admin', 'processor'] as const)('on the %s port', (which) => {
    it('slow headers (slowloris) get 408 problem+json and a closed connection after the headers timeout; others are served meanwhile', async () => {
      const slow = connection(ports()[which]);
      slow.dribble(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'s'.repeat(100)}`, 100);
      expect(await served()).toBe(true);
      const ms = await slow.closed;
      expect(slow.statuses()).toEqual([408]);
      expect(slow.responses()[0]!.head).toMatch(/^content-type: application\/problem\+json$/im);
      expect(slow.received).toContain('urn:flowgate:problem:request-timeout');
      expect(ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS);
      expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + CHECK_MS + SLACK_MS);
    });

    it(`headers above ${MAX_HEADER_BYTES} bytes get 431 and a closed connection; smaller ones are served`, async () => {
      const big = connection(ports()[which]);
      big.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(MAX_HEADER_BYTES)}\r\n\r\n`);
      await big.closed;
      expect(big.statuses()).toEqual([431]);
      expect(big.received).toContain('urn:flowgate:problem:headers-too-large');
      const fits = connection(ports()[which]);
      fits.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(MAX_HEADER_BYTES / 2)}\r\nConnection: close\r\n\r\n`);
      await fits.closed;
      expect(fits.statuses()).toEqual([200]);
    });

    it('Content-Length with Transfer-Encoding (request smuggling) gets 400 and a closed connection', async () => {
      const smuggler = connection(ports()[which]);
      smuggler.write('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n');
      await smuggler.closed;
      expect(smuggler.statuses()).toEqual([400]);
      expect(smuggler.received).toContain('urn:flowgate:problem:malformed-request');
    });
  });

  it('a slow body gets 408 and a closed connection after the request timeout, and is never forwarded', async () => {
    const key = `slow-body-${randomUUID()}`;
    const body = JSON.stringify({ key, pad: 'p'.repeat(200) });
    const slow = connection();
    slow.write(`POST /v1/counter HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    slow.dribble(body, 50);
    expect(await served()).toBe(true);
    const ms = await slow.closed;
    expect(slow.statuses()).toEqual([408]);
    expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + CHECK_MS + SLACK_MS);
    expect(await counterOf(key)).toBe(0);
  });

  it('pipelined requests are answered in order, each with its own reply', async () => {
    const ids = [0, 1, 2, 3].map((i) => `pipe-${i}-${randomUUID()}`);
    const pipe = connection();
    pipe.write(ids.map((id, i) => {
      const body = JSON.stringify({ n: i, pad: 'x'.repeat((3 - i) * 50) });
      return `POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Request-Id: ${id}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    }).join(''));
    await until(() => pipe.statuses().length === ids.length, 20_000, 'four pipelined answers');
    expect(pipe.statuses()).toEqual([200, 200, 200, 200]);
    expect(pipe.responses().map((r) => /^x-request-id: (\S+)$/im.exec(r.head)?.[1])).toEqual(ids);
    expect(pipe.responses().map((r) => (JSON.parse(r.body) as { n: number }).n)).toEqual([0, 1, 2, 3]);
    expect(pipe.isClosed).toBe(false);
  });

  it('invalid chunked encoding gets 400 and a closed connection', async () => {
    const bad = connection();
    bad.write('POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{"a":1}\r\n0\r\n\r\n');
    await bad.closed;
    expect(bad.statuses()).toEqual([400]);
    expect(bad.received).toContain('urn:flowgate:problem:malformed-request');
  });

  it.each([
    ['Content-Length with Transfer-Encoding', (prefix: string) => `Content-Length: ${prefix.length}\r\nTransfer-Encoding: chunked`],
    ['two Content-Length headers', (prefix: string) => `Content-Length: ${prefix.length}\r\nContent-Length: 0`],
  ])('%s gets 400 and a closed connection; the smuggled request never runs', async (_what, framing) => {
    const key = `smuggled-${randomUUID()}`;
    const smuggled = JSON.stringify({ key, by: 1000 });
    const inner = `POST /v1/counter HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`;
    // To a parser that believes the chunked framing, the body ends at "0\r\n\r\n" and `inner` is a second request.
    const prefix = '0\r\n\r\n';
    const smuggler = connection();
    smuggler.write(`POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${framing(prefix)}\r\n\r\n${prefix}${inner}`);
    await smuggler.closed;
    expect(smuggler.statuses()).toEqual([400]);
    // The counter would show the smuggled increment; a plain increment shows it is visible.
    expect(await counterOf(key)).toBe(0);
    expect((await post(`${gateway.url}/v1/counter`, { key }, { 'x-timeout-ms': '20000' })).json).toEqual({ key, value: 1 });
  });

  it(`${IDLE_CONNECTIONS} idle connections are closed after the headers or keep-alive timeout, others are served, memory stays bounded`, async () => {
    const rss = () => gateway.metric('process_resident_memory_bytes');
    const before = await rss();
    const idle: RawConnection[] = [];
    for (let i = 0; i < IDLE_CONNECTIONS; i++) {
      const c = connection();
      // A quarter make one request first and then idle on the kept-alive connection.
      if (i % 4 === 0) c.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      idle.push(c);
      if (i % 200 === 199) await Promise.all(idle.slice(-200).map((x) => x.connected));
    }
    const opened = Date.now();
    expect(await served()).toBe(true);
    const during = await rss();
    const closedMs = await Promise.all(idle.map((c) => c.closed));
    const allClosedAfter = Date.now() - opened;
    expect(await served()).toBe(true);
    const after = await rss();
    const mib = (bytes: number) => Math.round(bytes / 1_048_576);
    console.log(`${IDLE_CONNECTIONS} idle connections: gateway RSS ${mib(before)} MiB before, ${mib(during)} MiB with them open, ${mib(after)} MiB after; all closed ${allClosedAfter} ms after the last opened (slowest ${Math.max(...closedMs)} ms after its connect)`);
    // Nothing was sent on three quarters: Node answers those 408 at the headers timeout; the rest idle out after keep-alive (+1 s Node adds).
    expect(idle.filter((c, i) => i % 4 !== 0).every((c) => c.statuses().join() === '408')).toBe(true);
    expect(idle.filter((_c, i) => i % 4 === 0).every((c) => c.statuses().join() === '200')).toBe(true);
    expect(allClosedAfter).toBeLessThan(KEEPALIVE_TIMEOUT_MS + 1_000 + CHECK_MS + SLACK_MS);
    expect(during - before).toBeLessThan(64 * 1_048_576);
  });
});
