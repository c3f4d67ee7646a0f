import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isValidRequestId, problem, PROBLEM_CONTENT_TYPE } from '@flowgate/contracts';
import type { GatewayMetrics } from '@flowgate/metrics';
import type { InflightTable } from './inflight-table';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Refuses a plain request with 503 as soon as its headers are in, when the in-flight table would
 * refuse it anyway — in the HTTP server's own `request` listener, before Fastify and Nest see it:
 * no request/reply objects, no routing, no hooks, no body read. Under overload most requests are
 * refused, so what a refusal costs decides how fast the refusals are and how much of the event
 * loop is left for the admitted ones. The answer is the one the dispatcher gives (problem
 * `overloaded`, Retry-After, X-Request-Id, counted as reason `full`).
 *
 * Left to the normal path: requests the table would not refuse at once, and those it does not
 * govern or that may get another answer — unknown routes, bad X-Request-Id, `Prefer` (async
 * requests take no slot) and `Idempotency-Key` (a replay is answered from the registry).
 */
export interface SheddingDeps {
  readonly table: InflightTable;
  readonly metrics: GatewayMetrics;
  readonly maxInflight: number;
  /** Whether the route catalog serves the route now. */
  readonly serves: (route: string) => boolean;
  /** The route `POST /event` serves (empty: none). */
  readonly eventRoute: string;
}

export function shedWhenFull(server: Server, deps: SheddingDeps): void {
  const { table, metrics } = deps;
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length !== 1) throw new Error(`expected the HTTP framework's one request listener, found ${listeners.length}`);
  const [framework] = listeners;
  const detail = `${deps.maxInflight} requests in flight`;
  const counted = new Map<string, { refused: () => void; took: (seconds: number) => void }>();
  const countsOf = (route: string) => {
    let counts = counted.get(route);
    if (!counts) {
      const requests = metrics.requests.labels({ route, status: '503' });
      const duration = metrics.requestDuration.labels({ route });
      const rejections = metrics.admissionRejections.labels({ reason: 'full' });
      counts = { refused: () => (requests.inc(), rejections.inc()), took: (seconds) => duration.observe(seconds) };
      counted.set(route, counts);
    }
    return counts;
  };

  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!table.refusesAtOnce || request.method !== 'POST') return framework.call(server, request, response);
    const startedNs = process.hrtime.bigint();
    const route = routeOf(request.url ?? '', deps);
    const { headers } = request;
    if (route === undefined || headers['prefer'] !== undefined || headers['idempotency-key'] !== undefined) return framework.call(server, request, response);
    const sentId = headers['x-request-id'];
    const requestId = sentId === undefined ? randomUUID() : typeof sentId === 'string' && isValidRequestId(sentId) ? sentId : undefined;
    if (requestId === undefined) return framework.call(server, request, response);
    const counts = countsOf(route);
    counts.refused();
    // The unread body is discarded by Node once the response has finished; the connection stays open.
    const body = JSON.stringify(problem('overloaded', detail, requestId));
    response.writeHead(503, {
      'content-type': PROBLEM_CONTENT_TYPE,
      'content-length': Buffer.byteLength(body),
      'retry-after': '1',
      'x-request-id': requestId,
    });
    response.end(body);
    counts.took(Number(process.hrtime.bigint() - startedNs) / 1e9);
  });
}

/** The served route of `POST /v1/{route}` or `POST /event`; undefined for anything else. */
function routeOf(url: string, deps: SheddingDeps): string | undefined {
  const path = url.split('?', 1)[0];
  const name = path === '/event' ? deps.eventRoute : path.startsWith('/v1/') ? path.slice(4) : undefined;
  return name !== undefined && deps.serves(name) ? name : undefined;
}
