import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { Registry } from '@flowgate/metrics';
import { answerClientError } from './client-error';
import { DEFAULT_HTTP_LIMITS, type HttpLimits, limitServer, serverOptions } from './http-limits';
import type { Readiness } from './readiness.service';

/** A request to a handler mounted on the admin port. */
export interface AdminRequest {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /**
   * The body, read on demand (so a handler can refuse an unauthenticated caller before reading
   * anything). Rejects with AdminBodyTooLargeError once it exceeds the mount's `maxBodyBytes`.
   */
  readBody(): Promise<Buffer>;
}

export interface AdminResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface AdminMount {
  readonly handle: (request: AdminRequest) => Promise<AdminResponse>;
  /** Largest body `readBody()` accepts. */
  readonly maxBodyBytes: number;
}

/** A body larger than the mount accepts; the rest of it is not read and the connection is closed after the answer. */
export class AdminBodyTooLargeError extends Error {
  readonly retriable = false;
  constructor(readonly limit: number) {
    super(`body is larger than ${limit} bytes`);
    this.name = 'AdminBodyTooLargeError';
  }
}

const OWN_PATHS = new Set(['/metrics', '/healthz', '/readyz']);

/**
 * The internal port for operators (FLOWGATE_ADMIN_PORT): `/metrics`, `/healthz` and `/readyz`,
 * on a listener of its own so nothing internal is reachable through the public port and a
 * NetworkPolicy can open it to Prometheus alone. Plain `node:http`: a few endpoints need no
 * framework, and the public app's hooks (authentication, load shedding) do not apply here. Apps
 * mount handlers of their own under a path prefix (`mount`), e.g. the gateway's script admin API;
 * a path nothing serves answers 404 whatever the method, as if the port did not know it.
 */
export class AdminServer implements OnApplicationShutdown {
  private readonly server: Server;
  private readonly mounts = new Map<string, AdminMount>();

  constructor(private readonly options: { registry: Registry; readiness: Readiness; limits?: HttpLimits }) {
    const limits = options.limits ?? DEFAULT_HTTP_LIMITS;
    this.server = createServer(serverOptions(limits), (request, response) => void this.handle(request, response));
    // Scrapes are short; idle connections should not hold the process open at shutdown.
    limitServer(this.server, limits, { keepAliveTimeoutMs: Math.min(5_000, limits.FLOWGATE_HTTP_KEEPALIVE_TIMEOUT_MS) });
    this.server.on('clientError', answerClientError);
  }

  /** Serves every method on `prefix` and the paths under it (`prefix/...`) with `mount.handle`. */
  mount(prefix: string, mount: AdminMount): void {
    if (OWN_PATHS.has(prefix) || !prefix.startsWith('/') || prefix.endsWith('/')) throw new Error(`cannot mount ${prefix} on the admin port`);
    this.mounts.set(prefix, mount);
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Closed after the app's drain, so the draining gateway's metrics stay readable to the end. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://admin');
    const path = url.pathname;
    const mount = this.mountOf(path);
    if (mount) return this.handleMounted(mount, request, response, { path, query: url.searchParams });
    if (OWN_PATHS.has(path) && request.method !== 'GET' && request.method !== 'HEAD') {
      return send(response, 405, 'application/json', '{"error":"method not allowed"}', { allow: 'GET, HEAD' });
    }
    switch (path) {
      case '/metrics': {
        const { registry } = this.options;
        try {
          return send(response, 200, registry.contentType, await registry.metrics());
        } catch (error) {
          return send(response, 500, 'text/plain', `metrics failed: ${(error as Error).message}`);
        }
      }
      case '/healthz':
        return send(response, 200, 'application/json', '{"status":"ok"}');
      case '/readyz': {
        const report = this.options.readiness.report();
        return send(response, report.ready ? 200 : 503, 'application/json', JSON.stringify(report));
      }
      default:
        return send(response, 404, 'application/json', '{"error":"not found"}');
    }
  }

  private mountOf(path: string): AdminMount | undefined {
    for (const [prefix, mount] of this.mounts) if (path === prefix || path.startsWith(`${prefix}/`)) return mount;
    return undefined;
  }

  private async handleMounted(mount: AdminMount, request: IncomingMessage, response: ServerResponse, where: { path: string; query: URLSearchParams }): Promise<void> {
    const body = new BoundedBody(request, mount.maxBodyBytes);
    let answer: AdminResponse;
    try {
      answer = await mount.handle({ method: request.method ?? 'GET', ...where, headers: request.headers, readBody: () => body.read() });
    } catch (error) {
      answer = { status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: `handler failed: ${(error as Error).message}` }) };
    }
    const text = answer.body ?? '';
    // A body left unread (refused caller, too large) is not drained: the connection ends with the answer.
    const close = body.complete ? {} : { connection: 'close' };
    response.writeHead(answer.status, { 'content-length': Buffer.byteLength(text), ...answer.headers, ...close });
    response.end(request.method === 'HEAD' ? undefined : text);
  }
}

/** A request body read at most once, up to a bound. */
class BoundedBody {
  private reading: Promise<Buffer> | undefined;
  /** Whether the whole body has been read (true at once for a request without one). */
  complete: boolean;

  constructor(private readonly request: IncomingMessage, private readonly limit: number) {
    const length = request.headers['content-length'];
    this.complete = request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
  }

  read(): Promise<Buffer> {
    this.reading ??= this.readOnce();
    return this.reading;
  }

  private readOnce(): Promise<Buffer> {
    const declared = Number(this.request.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.limit) return Promise.reject(new AdminBodyTooLargeError(this.limit));
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const stop = () => {
        this.request.off('data', onData).off('end', onEnd).off('error', onError);
        // Paused, not destroyed: destroying the request would close the socket before the answer.
        this.request.pause();
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size <= this.limit) return void chunks.push(chunk);
        stop();
        reject(new AdminBodyTooLargeError(this.limit));
      };
      const onEnd = () => {
        stop();
        this.complete = true;
        resolve(Buffer.concat(chunks));
      };
      const onError = (error: Error) => {
        stop();
        reject(error);
      };
      this.request.on('data', onData).on('end', onEnd).on('error', onError);
    });
  }
}

function send(response: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  response.end(body);
}
