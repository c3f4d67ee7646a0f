import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { problem } from '@flowgate/contracts';
import { sendProblem } from '@flowgate/http';
import type { RegistryEntry } from '@flowgate/redis';
import { GatewayRegistry } from '../registry/gateway-registry.service';
import { Responder } from './responder.service';

/**
 * `GET /v1/requests/{id}`: where a 202 points. Answers from the registry, so any gateway can
 * answer for any request, whichever gateway accepted it and whether it still runs.
 */
@Controller()
export class RequestStatusController {
  constructor(
    private readonly registry: GatewayRegistry,
    private readonly responder: Responder,
  ) {}

  @Get('v1/requests/:id')
  async status(@Param('id') id: string, @Res() reply: FastifyReply): Promise<void> {
    const startedNs = process.hrtime.bigint();
    let entry: RegistryEntry | undefined;
    try {
      entry = await this.registry.get(id);
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
