// A lean HTTP/1.1 client for the load generator: keep-alive sockets, one request at a time per
// socket, requests written as one prebuilt string, responses parsed only as far as the status line
// and Content-Length. At thousands of requests per second a general client (undici) spends most of
// a core of this 2-core machine; this one spends a fraction of that, so the CPU goes to the
// systems being measured and the generator's own lag stays small. It speaks just enough HTTP for
// the benchmark's servers: every answer must carry Content-Length (chunked answers are errors).
import { connect } from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');

export class RawHttpError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * A fixed set of keep-alive connections to `url` (http only). `request` queues when every
 * connection is busy; `stats` mirrors undici's Pool.stats ({ connected, pending, running }).
 */
export class RawHttpPool {
  constructor(url, { connections, timeoutMs = 10_000 }) {
    const { hostname, port } = new URL(url);
    this.host = hostname;
    this.port = Number(port || 80);
    this.hostHeader = `${hostname}:${this.port}`;
    this.size = connections;
    this.timeoutMs = timeoutMs;
    this.idle = [];
    this.queue = [];
    this.queueHead = 0;
    this.all = new Set();
    this.running = 0;
    this.closed = false;
    // One timer checks every busy connection's deadline (a timer per request costs the generator).
    this.sweeper = setInterval(() => this.expire(), Math.min(100, timeoutMs));
    this.sweeper.unref();
  }

  get stats() {
    let connected = 0;
    for (const conn of this.all) if (conn.connected) connected++;
    return { connected, pending: this.queue.length - this.queueHead, running: this.running };
  }

  /** Opens every connection now, each with one GET `warmPath`; resolves with how many are open. */
  async open(warmPath) {
    await Promise.all(Array.from({ length: this.size - this.all.size }, () =>
      this.request({ method: 'GET', path: warmPath }).catch(() => {})));
    return this.stats.connected;
  }

  /**
   * Sends `method path` with `body` (a string) and `headers` (an object of string values).
   * Resolves with { status, body } (body: a Buffer when `readBody`, else undefined).
   */
  request({ method = 'POST', path, body = '', headers = {}, readBody = false }) {
    if (this.closed) return Promise.reject(new RawHttpError('closed', 'pool closed'));
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    return new Promise((resolve, reject) => {
      const job = { bytes: `${head}\r\n${body}`, readBody, resolve, reject, sentAt: 0 };
      const conn = this.idle.pop() ?? (this.all.size < this.size ? this.connection() : undefined);
      if (conn) this.dispatch(conn, job);
      else this.queue.push(job);
    });
  }

  async destroy() {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const job of this.queue.slice(this.queueHead)) job.reject(new RawHttpError('closed', 'pool closed'));
    this.queue = [];
    for (const conn of this.all) conn.fail(new RawHttpError('closed', 'pool closed'));
  }

  dispatch(conn, job) {
    this.running++;
    job.sentAt = performance.now();
    conn.send(job);
  }

  /** A connection finished its job: give it the next queued one, or park it. */
  release(conn) {
    this.running--;
    if (this.closed) return;
    if (this.queueHead < this.queue.length) {
      const job = this.queue[this.queueHead++];
      if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      this.dispatch(conn, job);
    } else {
      this.idle.push(conn);
    }
  }

  expire() {
    const now = performance.now();
    for (const conn of this.all) {
      if (conn.job && now - conn.job.sentAt > this.timeoutMs) conn.fail(new RawHttpError('UND_ERR_HEADERS_TIMEOUT', 'request timed out'));
    }
  }

  connection() {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    let buffered = null;
    const conn = {
      connected: false,
      job: undefined,
      send: (job) => {
        conn.job = job;
        socket.write(job.bytes);
      },
      /** Ends this connection; its job (if any) fails with `error`; a fresh one takes its place. */
      fail: (error) => {
        if (!this.all.delete(conn)) return;
        socket.destroy();
        const idleAt = this.idle.indexOf(conn);
        if (idleAt >= 0) this.idle.splice(idleAt, 1);
        const job = conn.job;
        conn.job = undefined;
        if (job) {
          job.reject(error);
          if (!this.closed) this.release(this.connection());
        }
      },
    };
    socket.once('connect', () => (conn.connected = true));
    socket.on('error', (error) => conn.fail(error));
    socket.on('close', () => conn.fail(new RawHttpError('UND_ERR_SOCKET', 'connection closed')));
    socket.on('data', (chunk) => {
      buffered = buffered ? Buffer.concat([buffered, chunk]) : chunk;
      for (;;) {
        const job = conn.job;
        if (!job) {
          if (buffered.length > 0) conn.fail(new RawHttpError('UND_ERR_INFO', 'unexpected bytes from the server'));
          return;
        }
        const parsed = parseResponse(buffered);
        if (parsed === undefined) return;
        if (parsed.error) return conn.fail(new RawHttpError('UND_ERR_INFO', parsed.error));
        buffered = parsed.end < buffered.length ? buffered.subarray(parsed.end) : null;
        conn.job = undefined;
        job.resolve({ status: parsed.status, body: job.readBody ? parsed.body : undefined });
        if (parsed.close) {
          // The server ends this connection: a fresh one takes its place.
          conn.fail(new RawHttpError('UND_ERR_SOCKET', 'server closed the connection'));
          return this.release(this.connection());
        }
        this.release(conn);
        if (!buffered) return;
      }
    });
    this.all.add(conn);
    return conn;
  }
}

/**
 * Parses one response at the start of `bytes`: undefined while incomplete, { error } when it is
 * not one this client reads, else { status, body, end, close } (end: the offset after it).
 */
export function parseResponse(bytes) {
  const headEnd = bytes.indexOf(HEADER_END);
  if (headEnd < 0) return bytes.length > 65_536 ? { error: 'response head too long' } : undefined;
  const head = bytes.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  if (!head.startsWith('HTTP/1.') || !Number.isInteger(status)) return { error: `not an HTTP/1 response: ${head.slice(0, 40)}` };
  const lower = head.toLowerCase();
  if (lower.includes('\r\ntransfer-encoding:')) return { error: 'chunked responses are not supported' };
  const at = lower.indexOf('\r\ncontent-length:');
  const lineEnd = at < 0 ? -1 : lower.indexOf('\r\n', at + 2);
  const length = at < 0 ? 0 : Number.parseInt(lower.slice(at + 17, lineEnd < 0 ? undefined : lineEnd), 10);
  if (!Number.isInteger(length) || length < 0) return { error: 'bad content-length' };
  const bodyStart = headEnd + 4;
  if (bytes.length < bodyStart + length) return undefined;
  return {
    status,
    body: bytes.subarray(bodyStart, bodyStart + length),
    end: bodyStart + length,
    close: lower.includes('\r\nconnection: close'),
  };
}

/**
 * Several servers behind one pool, the way a load balancer spreads a client fleet over replicas:
 * each server gets its share of the connections, requests go to them in turn.
 */
export class SpreadPool {
  constructor(urls, { connections, timeoutMs }) {
    this.pools = urls.map((url) => new RawHttpPool(url, { connections: Math.ceil(connections / urls.length), timeoutMs }));
    this.next = 0;
  }

  get stats() {
    const total = { connected: 0, pending: 0, running: 0 };
    for (const pool of this.pools) for (const key in total) total[key] += pool.stats[key];
    return total;
  }

  async open(warmPath) {
    return (await Promise.all(this.pools.map((pool) => pool.open(warmPath)))).reduce((a, b) => a + b, 0);
  }

  request(options) {
    const pool = this.pools[this.next];
    this.next = (this.next + 1) % this.pools.length;
    return pool.request(options);
  }

  async destroy() {
    await Promise.all(this.pools.map((pool) => pool.destroy()));
  }
}
