import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isValidRequestId, problem, PROBLEM_CONTENT_TYPE, type ProblemKind } from '@flowgate/contracts';
import type { GatewayMetrics } from '@flowgate/metrics';
import { fairnessKey, timeoutOf } from '../http/request-headers';
import type { FlowControl } from './flow-control.service';
import type { InflightTable } from './inflight-table';
import { deadlineDetail, overloadedDetail } from './refusal-details';

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/** What the door needs from flow control. */
export type DoorSignals = Pick<FlowControl, 'congested' | 'queueDelayMs' | 'deadlineUnreachable' | 'retryAfterSeconds'>;

/**
 * Refuses a plain request with 503 as soon as its headers are in, when the dispatcher would refuse
 * it anyway — in the HTTP server's own `request` listener, before Fastify and Nest see it: no
 * request/reply objects, no routing, no hooks, no body read. Under overload most requests are
 * refused, so what a refusal costs decides how fast the refusals are and how much of the event
 * loop is left for the admitted ones. The answers are the dispatcher's: `overloaded` (the limit,
 * or the caller's fair share of it, is taken; reason `full`) and `deadline-unreachable` (requests
 * queue longer than its deadline; reason `deadline`), with a computed Retry-After and X-Request-Id.
 *
 * Left to the normal path: everything while the table has room and requests do not queue beyond
 * the target, and those it does not govern or that may get another answer — unknown routes, bad
 * X-Request-Id or X-Timeout-Ms, `Prefer` (async requests take no slot) and `Idempotency-Key` (a
 * replay is answered from the registry).
 */
export interface SheddingDeps {
  readonly table: InflightTable;
  readonly flow: DoorSignals;
  readonly metrics: GatewayMetrics;
  /** Whether the route catalog serves the route now. */
  readonly serves: (route: string) => boolean;
  /** The route `POST /event` serves (empty: none). */
  readonly eventRoute: string;
  /** FLOWGATE_FAIRNESS_HEADER ('' for one pool). */
  readonly fairnessHeader: string;
  /** The route's default and largest X-Timeout-Ms. */
  readonly timeouts: (route: string) => { readonly defaultTimeoutMs: number; readonly maxTimeoutMs: number };
}

export function shedAtTheDoor(server: Server, deps: SheddingDeps): void {
  const { table, flow, metrics } = deps;
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length !== 1) throw new Error(`expected the HTTP framework's one request listener, found ${listeners.length}`);
  const [framework] = listeners;
  const counted = new Map<string, { refused: (reason: Reason) => void; took: (seconds: number) => void }>();
  const countsOf = (route: string) => {
    let counts = counted.get(route);
    if (!counts) {
      const requests = metrics.requests.labels({ route, status: '503' });
      const duration = metrics.requestDuration.labels({ route });
      const rejections = { full: metrics.admissionRejections.labels({ reason: 'full' }), deadline: metrics.admissionRejections.labels({ reason: 'deadline' }) };
      counts = { refused: (reason) => (requests.inc(), rejections[reason].inc()), took: (seconds) => duration.observe(seconds) };
      counted.set(route, counts);
    }
    return counts;
  };

  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'POST' || !(table.atLimit || flow.congested)) return framework.call(server, request, response);
    const startedNs = process.hrtime.bigint();
    const route = routeOf(request.url ?? '', deps);
    const { headers } = request;
    if (route === undefined || headers['prefer'] !== undefined || headers['idempotency-key'] !== undefined) return framework.call(server, request, response);
    const sentId = headers['x-request-id'];
    const requestId = sentId === undefined ? randomUUID() : typeof sentId === 'string' && isValidRequestId(sentId) ? sentId : undefined;
    if (requestId === undefined) return framework.call(server, request, response);
    const refusal = refusalOf(route, headers, deps);
    if (refusal === undefined) return framework.call(server, request, response);
    const counts = countsOf(route);
    counts.refused(refusal.reason);
    // The unread body is discarded by Node once the response has finished; the connection stays open.
    const body = JSON.stringify(problem(refusal.kind, refusal.detail, requestId));
    response.writeHead(503, {
      'content-type': PROBLEM_CONTENT_TYPE,
      'content-length': Buffer.byteLength(body),
      'retry-after': String(flow.retryAfterSeconds()),
      'x-request-id': requestId,
    });
    response.end(body);
    counts.took(Number(process.hrtime.bigint() - startedNs) / 1e9);
  });
}

type Reason = 'full' | 'deadline';

/** Why the dispatcher would refuse this request now, or undefined when it may get in (or the header needs the normal path). */
function refusalOf(route: string, headers: IncomingMessage['headers'], deps: SheddingDeps): { kind: ProblemKind; reason: Reason; detail: string } | undefined {
  const { table, flow } = deps;
  // The deadline first, as the dispatcher does: it tells the caller more than "full".
  if (flow.congested) {
    const { defaultTimeoutMs, maxTimeoutMs } = deps.timeouts(route);
    const timeoutMs = timeoutOf(headers['x-timeout-ms'], defaultTimeoutMs, maxTimeoutMs);
    // A malformed X-Timeout-Ms gets its 400 from the normal path.
    if (timeoutMs === undefined) return undefined;
    if (flow.deadlineUnreachable(timeoutMs)) return { kind: 'deadlineUnreachable', reason: 'deadline', detail: deadlineDetail(flow.queueDelayMs, timeoutMs) };
  }
  if (table.refusesAtOnce(fairnessKey(headers, deps.fairnessHeader))) {
    return { kind: 'overloaded', reason: 'full', detail: overloadedDetail(table.size) };
  }
  return undefined;
}

/** The served route of `POST /v1/{route}` or `POST /event`; undefined for anything else. */
function routeOf(url: string, deps: SheddingDeps): string | undefined {
  const path = url.split('?', 1)[0];
  const name = path === '/event' ? deps.eventRoute : path.startsWith('/v1/') ? path.slice(4) : undefined;
  return name !== undefined && deps.serves(name) ? name : undefined;
}
