import { Controller, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayConfig } from '@flowgate/config';
import type { GatewayMetrics } from '@flowgate/metrics';
import { problem, ProblemKind, RouteDeclaration, SchemaViolation } from '@flowgate/contracts';
import { sendProblem } from '@flowgate/http';
import { RouteCatalog } from '../catalog/route-catalog.service';
import { RequestDispatcher } from '../dispatch/request-dispatcher.service';
import { GATEWAY_CONFIG, GATEWAY_METRICS } from '../gateway.tokens';
import { RegisteredDispatch } from '../registry/registered-dispatch.service';
import type { Pending } from '../admission/inflight-table';
import type { JsonBody } from './json-body';
import { RawBody } from './raw-body';
import { fairnessKey, parseCallerHeaders, timeoutLimits } from './request-headers';
import { Responder, ResponseStyle } from './responder.service';

/**
 * `POST /v1/{route}`: the body goes to the route's processor and its reply comes back as the
 * response. Routes come from the route catalog, with their checks and limits. `POST /event`: the
 * route FLOWGATE_EVENT_ROUTE names, for the seed server's clients, in the seed's envelope.
 */
@Controller()
export class RouteController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly dispatcher: RequestDispatcher,
    private readonly registered: RegisteredDispatch,
    private readonly responder: Responder,
    private readonly catalog: RouteCatalog,
    @Inject(GATEWAY_METRICS) private readonly metrics: GatewayMetrics,
  ) {}

  @Post('v1/:route')
  async v1(@Param('route') route: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.handle(route, 'v1', request, reply);
  }

  @Post('event')
  async event(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.handle(this.config.FLOWGATE_EVENT_ROUTE, 'seed', request, reply);
  }

  private async handle(route: string, style: ResponseStyle, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const startedNs = process.hrtime.bigint();
    const served = this.catalog.get(route);
    const headers = parseCallerHeaders(request.headers, timeoutLimits(this.config, served?.route));
    const { requestId } = headers;
    reply.header('x-request-id', requestId);
    const refuse = (kind: ProblemKind, detail: string, errors?: readonly SchemaViolation[]) => {
      sendProblem(reply, { ...problem(kind, detail, requestId), ...(errors ? { errors } : {}) });
      this.responder.count(reply.statusCode, { route: served ? route : 'unknown', startedNs });
    };
    if (!served) return refuse('unknownRoute', route === '' ? 'POST /event serves no route here (FLOWGATE_EVENT_ROUTE)' : `no route named "${route}"`);
    if (!headers.ok) return refuse('badHeader', headers.detail);
    if (!isJsonBody(request.body)) return refuse('unsupportedMediaType', 'send the body as application/json');
    const body = request.body;
    const { maxBodyBytes, requiredFields } = served.route;
    if (maxBodyBytes !== undefined && body.raw.length > maxBodyBytes) return refuse('bodyTooLarge', `route ${route} takes bodies of at most ${maxBodyBytes} bytes`);
    const missing = requiredFields?.filter((field) => !isKeyValue(body.value[field]));
    if (missing?.length) {
      this.metrics.bodyRejections.inc({ route });
      return refuse('badBody', `route ${route} needs ${missing.map((f) => `"${f}"`).join(', ')} (a string or number)`);
    }
    const errors = served.checkBody?.(body.value);
    if (errors?.length) {
      this.metrics.bodyRejections.inc({ route });
      return refuse('badBody', `the body does not match the schema of route ${route}`, errors);
    }

    const dispatch = {
      route,
      topic: served.topic,
      requestId,
      body: body.raw,
      key: partitionKey(served.route, body, requestId),
      deadline: Date.now() + headers.timeoutMs,
      ...(headers.traceparent ? { traceparent: headers.traceparent } : {}),
      ...(request.callerId === undefined ? {} : { callerId: request.callerId }),
      fairnessKey: fairnessKey(request.headers, this.config.FLOWGATE_FAIRNESS_HEADER),
      onAdmitted: (pending: Pending) => {
        // 'close' on the response fires when it is finished or the connection drops; cancel is a
        // no-op once the request has settled, so only a real disconnect frees the slot early.
        if (reply.raw.destroyed) pending.cancel();
        else reply.raw.once('close', pending.cancel);
      },
    };
    // Only requests that ask for it pay for the registry (Redis); the seed's /event never does.
    const registered = style === 'v1' && (headers.async !== undefined || headers.idempotencyKey !== undefined);
    const result = registered
      ? await this.registered.dispatch({
        ...dispatch,
        ...(headers.async ? { async: headers.async } : {}),
        ...(headers.idempotencyKey === undefined ? {} : { idempotencyKey: headers.idempotencyKey }),
      })
      : await this.dispatcher.dispatch(dispatch);
    this.responder.send(reply, result, { route, requestId, style, startedNs });
  }

}

function isJsonBody(body: unknown): body is JsonBody {
  return typeof body === 'object' && body !== null && !(body instanceof RawBody) && Buffer.isBuffer((body as JsonBody).raw);
}

function isKeyValue(value: unknown): value is string | number {
  return (typeof value === 'string' && value.length > 0 && value.length <= 256) || (typeof value === 'number' && Number.isFinite(value));
}

function partitionKey(route: RouteDeclaration, body: JsonBody, requestId: string): string {
  const field = route.keyField;
  const value = field === undefined ? undefined : body.value[field];
  return value === undefined || value === null ? requestId : String(value);
}
