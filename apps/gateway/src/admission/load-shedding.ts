import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { isRouteName, isValidRequestId, problem, RouteName, SEED_EVENT_ROUTE } from '@flowgate/contracts';
import { sendProblem } from '@flowgate/http';
import type { GatewayMetrics } from '@flowgate/metrics';
import type { InflightTable } from './inflight-table';

/**
 * Refuses a plain request with 503 as soon as its headers are in, when the in-flight table would
 * refuse it anyway: no body read or parsed, no routing through Nest. Under overload most requests
 * are refused, so what a refusal costs decides how fast the refusals are and how much of the
 * event loop is left for the admitted ones. The answer is the one the dispatcher gives (problem
 * `overloaded`, Retry-After, X-Request-Id, counted as reason `full`).
 *
 * Left to the normal path: requests the table would not refuse at once, and those it does not
 * govern or that may get another answer — unknown routes, bad X-Request-Id, `Prefer` (async
 * requests take no slot) and `Idempotency-Key` (a replay is answered from the registry).
 */
export function shedWhenFull(
  fastify: FastifyInstance,
  deps: { table: InflightTable; metrics: GatewayMetrics; maxInflight: number },
): void {
  const { table, metrics } = deps;
  const detail = `${deps.maxInflight} requests in flight`;
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!table.refusesAtOnce || request.method !== 'POST') return done();
    const startedNs = process.hrtime.bigint();
    const route = routeOf(request.url);
    const { headers } = request;
    if (route === undefined || headers['prefer'] !== undefined || headers['idempotency-key'] !== undefined) return done();
    const sentId = headers['x-request-id'];
    const requestId = sentId === undefined ? randomUUID() : typeof sentId === 'string' && isValidRequestId(sentId) ? sentId : undefined;
    if (requestId === undefined) return done();
    metrics.admissionRejections.inc({ reason: 'full' });
    metrics.requests.inc({ route, status: '503' });
    reply.header('x-request-id', requestId);
    // Replying from the hook ends the request here: done() is not called.
    sendProblem(reply, problem('overloaded', detail, requestId), { 'retry-after': '1' });
    metrics.requestDuration.observe({ route }, Number(process.hrtime.bigint() - startedNs) / 1e9);
  });
}

/** The route of `POST /v1/{route}` or `POST /event`; undefined for anything else. */
function routeOf(url: string): RouteName | undefined {
  const path = url.split('?', 1)[0];
  if (path === '/event') return SEED_EVENT_ROUTE;
  if (!path.startsWith('/v1/')) return undefined;
  const name = path.slice(4);
  return isRouteName(name) ? name : undefined;
}
