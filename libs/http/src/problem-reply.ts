import type { FastifyReply } from 'fastify';
import { Problem, PROBLEM_CONTENT_TYPE } from '@flowgate/contracts';

/** Writes an RFC 9457 problem as the response. */
export function sendProblem(reply: FastifyReply, body: Problem, headers: Record<string, string> = {}): void {
  void reply.code(body.status).headers(headers).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}
