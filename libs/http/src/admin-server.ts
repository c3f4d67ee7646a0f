import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { Registry } from '@flowgate/metrics';
import type { Readiness } from './readiness.service';

/**
 * The internal port for operators (FLOWGATE_ADMIN_PORT): `/metrics`, `/healthz` and `/readyz`,
 * on a listener of its own so nothing internal is reachable through the public port and a
 * NetworkPolicy can open it to Prometheus alone. Plain `node:http`: three GET endpoints need no
 * framework, and the public app's hooks (authentication, load shedding) do not apply here.
 */
export class AdminServer implements OnApplicationShutdown {
  private readonly server: Server;

  constructor(private readonly options: { registry: Registry; readiness: Readiness }) {
    this.server = createServer((request, response) => void this.handle(request, response));
    // Scrapes are short; idle connections should not hold the process open at shutdown.
    this.server.keepAliveTimeout = 5_000;
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
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'application/json', '{"error":"method not allowed"}', { allow: 'GET, HEAD' });
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
}

function send(response: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  response.end(body);
}
