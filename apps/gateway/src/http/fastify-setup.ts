import type { FastifyInstance } from 'fastify';
import { problem } from '@flowgate/contracts';
import { sendProblem } from '@flowgate/http';
import { parseJsonBody } from './json-body';
import { RawBody } from './raw-body';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/**
 * Fastify-level pieces Nest does not cover: the body parsers (JSON objects, raw bytes kept for
 * Kafka; text lines for ingest; anything else is refused with 415 by Fastify) and the seed's
 * `/event` method table.
 */
export function configureFastify(fastify: FastifyInstance, options: { maxBodyBytes: number }): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(JSON_TYPE, { parseAs: 'buffer', bodyLimit: options.maxBodyBytes }, (_req, raw, done) => {
    try {
      done(null, parseJsonBody(raw as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  // Line-oriented uploads (the access-log ingest); JSON routes refuse them with 415.
  fastify.addContentTypeParser(['text/plain', 'application/x-ndjson'], { parseAs: 'buffer', bodyLimit: options.maxBodyBytes }, (req, raw, done) => {
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    done(null, new RawBody(raw as Buffer, type));
  });

  fastify.options('/event', (_request, reply) => {
    void reply.code(200).header('allow', 'POST, OPTIONS').send();
  });
  fastify.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: '/event',
    handler: (_request, reply) => {
      sendProblem(reply, problem('methodNotAllowed', 'use POST /event'), { allow: 'POST, OPTIONS' });
    },
  });
}
