import { randomUUID } from 'node:crypto';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isValidRequestId, problem, ProblemKind } from '@flowgate/contracts';
import { sendProblem } from '@flowgate/http';
import { BodyError } from './json-body';

const BY_STATUS: Record<number, ProblemKind> = {
  400: 'badBody',
  404: 'notFound',
  405: 'methodNotAllowed',
  413: 'bodyTooLarge',
  415: 'unsupportedMediaType',
};

/**
 * Every error Nest sees leaves as problem+json, never a stack trace: bodies refused by the parser,
 * Fastify's own refusals (size, media type; Nest hands them over as HttpExceptions), unknown
 * paths, and bugs (500, logged).
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemFilter.name);

  constructor(private readonly maxBodyBytes: number) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const requestId = requestIdOf(http.getRequest<FastifyRequest>(), reply);
    reply.header('x-request-id', requestId);
    if (exception instanceof BodyError) return sendProblem(reply, problem(exception.problem, exception.message, requestId));
    if (exception instanceof HttpException) {
      const kind = BY_STATUS[exception.getStatus()];
      if (kind) return sendProblem(reply, problem(kind, this.detail(kind, exception.message), requestId));
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    sendProblem(reply, problem('handlerFailed', 'the gateway failed to handle the request', requestId));
  }

  private detail(kind: ProblemKind, message: string): string {
    if (kind === 'bodyTooLarge') return `body is larger than ${this.maxBodyBytes} bytes`;
    if (kind === 'unsupportedMediaType') return 'send the body as application/json';
    return message;
  }
}

function requestIdOf(request: FastifyRequest, reply: FastifyReply): string {
  const set = reply.getHeader('x-request-id');
  if (typeof set === 'string') return set;
  const sent = request.headers['x-request-id'];
  return typeof sent === 'string' && isValidRequestId(sent) ? sent : randomUUID();
}
