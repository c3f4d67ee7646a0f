import { connect, Socket } from 'node:net';
import { createRegistry } from '@flowgate/metrics';
import { ConfigError, HTTP_LIMITS_ENV, readEnv, readGatewayConfig } from '@flowgate/config';
import { AdminServer } from './admin-server';
import { clientErrorResponse } from './client-error';
import { DEFAULT_HTTP_LIMITS, HttpLimits, serverOptions } from './http-limits';
import { Readiness } from './readiness.service';

/** A raw connection: what the server sent, and when (ms after connecting) it closed the connection. */
class RawConnection {
  text = '';
  readonly closed: Promise<number>;
  private readonly socket: Socket;

  constructor(port: number) {
    const started = Date.now();
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8').on('data', (chunk: string) => (this.text += chunk)).on('error', () => undefined);
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve(Date.now() - started)));
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  /** Writes one byte every `everyMs` until the server closes the connection. */
  dribble(text: string, everyMs: number): void {
    let at = 0;
    const timer = setInterval(() => (at < text.length ? this.write(text[at++]!) : undefined), everyMs);
    void this.closed.then(() => clearInterval(timer));
  }

  end(): void {
    this.socket.destroy();
  }
}

const limits: HttpLimits = {
  FLOWGATE_HTTP_HEADERS_TIMEOUT_MS: 400,
  FLOWGATE_HTTP_REQUEST_TIMEOUT_MS: 800,
  FLOWGATE_HTTP_KEEPALIVE_TIMEOUT_MS: 300,
  FLOWGATE_HTTP_MAX_HEADER_BYTES: 2_048,
  FLOWGATE_HTTP_MAX_CONNECTIONS: 3,
};

describe('HTTP limits (FLOWGATE_HTTP_*)', () => {
  it('has bounded defaults, and refuses a request timeout below the headers timeout', () => {
    expect(DEFAULT_HTTP_LIMITS).toEqual({
      FLOWGATE_HTTP_HEADERS_TIMEOUT_MS: 10_000,
      FLOWGATE_HTTP_REQUEST_TIMEOUT_MS: 30_000,
      FLOWGATE_HTTP_KEEPALIVE_TIMEOUT_MS: 72_000,
      FLOWGATE_HTTP_MAX_HEADER_BYTES: 16_384,
      FLOWGATE_HTTP_MAX_CONNECTIONS: 10_000,
    });
    expect(() => readEnv(HTTP_LIMITS_ENV, { FLOWGATE_HTTP_MAX_HEADER_BYTES: '100' })).toThrow(ConfigError);
    expect(() => readGatewayConfig({ FLOWGATE_HTTP_HEADERS_TIMEOUT_MS: '5000', FLOWGATE_HTTP_REQUEST_TIMEOUT_MS: '4000' }))
      .toThrow(/FLOWGATE_HTTP_REQUEST_TIMEOUT_MS=4000 is below FLOWGATE_HTTP_HEADERS_TIMEOUT_MS=5000/);
    expect(readGatewayConfig({ FLOWGATE_HTTP_MAX_CONNECTIONS: '2000' }).FLOWGATE_HTTP_MAX_CONNECTIONS).toBe(2_000);
  });

  it('checks the deadlines often enough to keep them within a quarter of the headers timeout', () => {
    expect(serverOptions(DEFAULT_HTTP_LIMITS).connectionsCheckingInterval).toBe(1_000);
    expect(serverOptions(limits).connectionsCheckingInterval).toBe(100);
  });

  it('answers a refused request with a problem and closes the connection', () => {
    expect(clientErrorResponse('HPE_HEADER_OVERFLOW')).toMatch(/^HTTP\/1\.1 431 Request headers too large\r\n.*Content-Type: application\/problem\+json\r\n.*Connection: close\r\n\r\n\{"type":"urn:flowgate:problem:headers-too-large"/s);
    expect(clientErrorResponse('ERR_HTTP_REQUEST_TIMEOUT')).toMatch(/^HTTP\/1\.1 408 /);
    expect(clientErrorResponse('HPE_INVALID_TRANSFER_ENCODING')).toMatch(/^HTTP\/1\.1 400 Malformed HTTP request\r\n/);
  });

  describe('on a listener (the admin port)', () => {
    const server = new AdminServer({ registry: createRegistry('http-limits-spec'), readiness: new Readiness(), limits });
    let port: number;
    const open: RawConnection[] = [];
    const connection = () => {
      const c = new RawConnection(port);
      open.push(c);
      return c;
    };

    beforeAll(async () => {
      server.mount('/echo', { maxBodyBytes: 1_024, handle: async (request) => ({ status: 200, body: (await request.readBody()).toString() }) });
      port = await server.listen(0, '127.0.0.1');
    });
    afterEach(() => open.splice(0).forEach((c) => c.end()));
    afterAll(() => server.close());

    it('closes a connection whose headers dribble in (slowloris) with 408 after the headers timeout', async () => {
      const slow = connection();
      slow.dribble('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200), 50);
      const ms = await slow.closed;
      expect(slow.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(slow.text).toContain('urn:flowgate:problem:request-timeout');
      expect(ms).toBeGreaterThanOrEqual(limits.FLOWGATE_HTTP_HEADERS_TIMEOUT_MS);
    });

    it('closes a connection whose body dribbles in with 408 after the request timeout', async () => {
      const slow = connection();
      slow.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n');
      slow.dribble('b'.repeat(500), 50);
      const ms = await slow.closed;
      expect(slow.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(ms).toBeGreaterThanOrEqual(limits.FLOWGATE_HTTP_REQUEST_TIMEOUT_MS);
    });

    it('answers headers above FLOWGATE_HTTP_MAX_HEADER_BYTES with 431 and closes', async () => {
      const big = connection();
      big.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(3_000)}\r\n\r\n`);
      await big.closed;
      expect(big.text).toMatch(/^HTTP\/1\.1 431 /);
      const fits = connection();
      fits.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1_500)}\r\nConnection: close\r\n\r\n`);
      await fits.closed;
      expect(fits.text).toMatch(/^HTTP\/1\.1 200 /);
    });

    it('refuses Content-Length with Transfer-Encoding (request smuggling) with 400, and runs nothing smuggled', async () => {
      const smuggler = connection();
      smuggler.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\nsmuggled');
      await smuggler.closed;
      expect(smuggler.text).toMatch(/^HTTP\/1\.1 400 Malformed HTTP request\r\n/);
      expect(smuggler.text).not.toContain('smuggled');
      expect(smuggler.text.match(/^HTTP\/1\.1 /gm)).toHaveLength(1);
    });

    it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
      const idle = connection();
      idle.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      const ms = await idle.closed;
      expect(idle.text).toMatch(/^HTTP\/1\.1 200 /);
      expect(ms).toBeGreaterThanOrEqual(limits.FLOWGATE_HTTP_KEEPALIVE_TIMEOUT_MS);
    });

    it('holds at most FLOWGATE_HTTP_MAX_CONNECTIONS connections, closing one beyond at once', async () => {
      const held = [connection(), connection(), connection()];
      // A request on each proves the server has accepted all three before the fourth comes.
      held.forEach((c) => c.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
      await until(() => held.every((c) => c.text.includes('200 OK')));
      const beyond = connection();
      beyond.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      const ms = await beyond.closed;
      expect(beyond.text).toBe('');
      expect(ms).toBeLessThan(limits.FLOWGATE_HTTP_KEEPALIVE_TIMEOUT_MS);
    });
  });
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}
