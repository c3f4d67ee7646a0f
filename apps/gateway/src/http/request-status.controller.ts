import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problem } from '@flowgate/contracts';
import { sendProblem } from '@flowgate/http';
import type { RegistryEntry } from '@flowgate/redis';
import { GatewayRegistry } from '../registry/gateway-registry.service';
import { HANDLE } from '../registry/registered-dispatch.service';
import { Responder } from './responder.service';

/**
 * `GET /v1/requests/{id}`: where a 202 points. Answers from the registry, so any gateway can
 * answer for any request, whichever gateway accepted it and whether it still runs. A result is
 * shown only to who asked for it: an authenticated caller reads its own requests by id; the
 * anonymous caller reads by the unguessable handle of the 202's Location, never by the request id
 * (which a caller chooses, so others can guess it). Everything else is the 404 of an unknown id,
 * so a request's existence does not leak either.
 */
@Controller()
export class RequestStatusController {
  constructor(
    private readonly registry: GatewayRegistry,
    private readonly responder: Responder,
  ) {}

  @Get('v1/requests/:id')
  async status(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const startedNs = process.hrtime.bigint();
    let entry: RegistryEntry | undefined;
    try {
      entry = await this.visible(id, request.callerId);
    } catch {
      sendProblem(reply, problem('registryUnavailable', 'Redis is out of reach; try again shortly'), { 'retry-after': '1' });
      return this.responder.count(reply.statusCode, { route: 'request-status', startedNs });
    }
    if (!entry) {
      sendProblem(reply, problem('unknownRequest', `no request ${id} (never accepted, or its result expired)`));
    } else {
      if (entry.status === 'pending') reply.header('retry-after', '1');
      void reply.code(200).header('content-type', 'application/json').send(statusBody(entry));
    }
    this.responder.count(reply.statusCode, { route: 'request-status', startedNs });
  }

  private async visible(idOrHandle: string, callerId: string | undefined): Promise<RegistryEntry | undefined> {
    if (callerId === undefined) {
      if (!HANDLE.test(idOrHandle)) return undefined;
      const entry = await this.registry.getByHandle(idOrHandle);
      return entry?.handle === idOrHandle && entry.callerId === undefined ? entry : undefined;
    }
    const entry = await this.registry.get(idOrHandle);
    return entry?.callerId === callerId ? entry : undefined;
  }
}

/** `{"id", "route", "status", …}` plus, once done, `statusCode` and `result` (the processor's body). */
function statusBody(entry: RegistryEntry): string {
  const body: Record<string, unknown> = {
    id: entry.id,
    route: entry.route,
    status: entry.status,
    createdAt: new Date(entry.created).toISOString(),
    deadline: new Date(entry.deadline).toISOString(),
  };
  if (entry.finished !== undefined) body.finishedAt = new Date(entry.finished).toISOString();
  if (entry.code !== undefined) body.statusCode = entry.code;
  if (entry.body !== undefined) body.result = parseJson(entry.body);
  if (entry.status === 'timed_out') body.lateResults = entry.lateResults;
  return JSON.stringify(body);
}

function parseJson(text: string): unknown {
  if (text === '') return null; // 204: the job had nothing to say
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
