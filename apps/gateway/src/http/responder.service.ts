import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HEADERS, problem } from '@flowgate/contracts';
import { sendProblem } from '@flowgate/http';
import type { GatewayMetrics } from '@flowgate/metrics';
import { GATEWAY_METRICS } from '../gateway.tokens';
import type { Accepted, RegisteredResult } from '../registry/registered-dispatch.service';

/** The response styles: flowgate's own (`/v1/...`) and the seed server's (`/event`). */
export type ResponseStyle = 'v1' | 'seed';

const SEED_TIMEOUT = JSON.stringify({ code: 408, msg: '408 Request Timeout' });

/** Turns a dispatch result into the HTTP response, and counts it. */
@Injectable()
export class Responder {
  constructor(@Inject(GATEWAY_METRICS) private readonly metrics: GatewayMetrics) {}

  send(reply: FastifyReply, result: RegisteredResult, ctx: { route: string; requestId: string; style: ResponseStyle; startedNs: bigint }): void {
    const { route, requestId, style } = ctx;
    switch (result.kind) {
      case 'replay':
        // The first request's response, under its id.
        reply.header('x-request-id', result.requestId).header('idempotent-replayed', 'true');
        return this.send(reply, result.result, { ...ctx, requestId: result.requestId });
      case 'accepted':
        sendAccepted(reply, result);
        break;
      case 'reply':
        // Which script version answered (route scripts): callers and tests see a swap happen.
        if (result.scriptVersion !== undefined) reply.header(HEADERS.scriptVersion, result.scriptVersion);
        if (style === 'seed' && result.status === 200) {
          // The seed's envelope, built around the processor's bytes without parsing them again.
          reply.code(200).header('content-type', 'application/json');
          void reply.send(Buffer.concat([Buffer.from('{"code":200,"msg":"200 OK","data":'), result.body, Buffer.from('}')]));
        } else {
          void reply.code(result.status).header('content-type', result.contentType).send(result.body);
        }
        break;
      case 'timeout':
        this.metrics.timeouts.inc({ route });
        if (style === 'seed') void reply.code(408).header('content-type', 'application/json').send(SEED_TIMEOUT);
        else sendProblem(reply, problem('timeout', 'no reply before the deadline', requestId));
        break;
      case 'cancelled':
        // The caller is gone; nothing to write. Counted so disconnect storms are visible.
        this.metrics.cancelled.inc({ route });
        this.metrics.requests.inc({ route, status: '499' });
        return;
      case 'rejected':
        sendProblem(reply, problem(result.problem, result.detail, requestId),
          result.retryAfterS === undefined ? {} : { 'retry-after': String(result.retryAfterS) });
        break;
    }
    this.count(reply.statusCode, ctx);
  }

  /** Counts a response written elsewhere (bad input refused before dispatch). */
  count(status: number, ctx: { route: string; startedNs: bigint }): void {
    this.metrics.requests.inc({ route: ctx.route, status: String(status) });
    this.metrics.requestDuration.observe({ route: ctx.route }, Number(process.hrtime.bigint() - ctx.startedNs) / 1e9);
  }
}

/** 202 with the status URL (RFC 7240 respond-async). */
function sendAccepted(reply: FastifyReply, accepted: Accepted): void {
  const { location } = accepted;
  void reply
    .code(202)
    .header('location', location)
    .header('preference-applied', 'respond-async')
    .header('content-type', 'application/json')
    .send(JSON.stringify({ id: accepted.requestId, status: accepted.status, location }));
}
