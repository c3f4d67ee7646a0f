import { Controller, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayConfig } from '@flowgate/config';
import { isRouteName, problem, ProblemKind, ROUTES, RouteName, SEED_EVENT_ROUTE } from '@flowgate/contracts';
import { sendProblem } from '@flowgate/http';
import { RequestDispatcher } from '../dispatch/request-dispatcher.service';
import { GATEWAY_CONFIG } from '../gateway.tokens';
import { RegisteredDispatch } from '../registry/registered-dispatch.service';
import type { Pending } from '../admission/inflight-table';
import type { JsonBody } from './json-body';
import { RawBody } from './raw-body';
import { parseCallerHeaders } from './request-headers';
import { Responder, ResponseStyle } from './responder.service';

/**
 * `POST /v1/{route}`: the body goes to the route's processor and its reply comes back as the
 * response. `POST /event`: the same for the seed server's clients, in the seed's envelope.
 */
@Controller()
export class RouteController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly dispatcher: RequestDispatcher,
    private readonly registered: RegisteredDispatch,
    private readonly responder: Responder,
  ) {}

  @Post('v1/:route')
  async v1(@Param('route') route: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.handle(route, 'v1', request, reply);
  }

  @Post('event')
  async event(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.handle(SEED_EVENT_ROUTE, 'seed', request, reply);
  }

  private async handle(route: string, style: ResponseStyle, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const startedNs = process.hrtime.bigint();
    const headers = parseCallerHeaders(request.headers, {
      defaultTimeoutMs: this.config.FLOWGATE_DEFAULT_TIMEOUT_MS,
      asyncTimeoutMs: this.config.FLOWGATE_ASYNC_TIMEOUT_MS,
      maxTimeoutMs: this.config.FLOWGATE_MAX_TIMEOUT_MS,
    });
    const { requestId } = headers;
    reply.header('x-request-id', requestId);
    const refuse = (kind: ProblemKind, detail: string) => {
      sendProblem(reply, problem(kind, detail, requestId));
      this.responder.count(reply.statusCode, { route: isRouteName(route) ? route : 'unknown', startedNs });
    };
    if (!isRouteName(route)) return refuse('unknownRoute', `no route named "${route}"`);
    if (!headers.ok) return refuse('badHeader', headers.detail);
    if (!isJsonBody(request.body)) return refuse('unsupportedMediaType', 'send the body as application/json');
    const body = request.body;
    const missing = ROUTES[route].requiredFields?.filter((field) => !isKeyValue(body.value[field]));
    if (missing?.length) return refuse('badBody', `route ${route} needs ${missing.map((f) => `"${f}"`).join(', ')} (a string or number)`);

    const dispatch = {
      route,
      requestId,
      body: body.raw,
      key: partitionKey(route, body, requestId),
      deadline: Date.now() + headers.timeoutMs,
      ...(headers.traceparent ? { traceparent: headers.traceparent } : {}),
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

function partitionKey(route: RouteName, body: JsonBody, requestId: string): string {
  const field = ROUTES[route].keyField;
  const value = field === undefined ? undefined : body.value[field];
  return value === undefined || value === null ? requestId : String(value);
}
