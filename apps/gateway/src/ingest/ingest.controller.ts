import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problem } from '@flowgate/contracts';
import { sendProblem } from '@flowgate/http';
import type { GatewayConfig } from '@flowgate/config';
import type { GatewayMetrics } from '@flowgate/metrics';
import { GatewayKafka } from '../dispatch/gateway-kafka.service';
import { GATEWAY_CONFIG, GATEWAY_METRICS } from '../gateway.tokens';
import { RawBody } from '../http/raw-body';
import { parseAccessLog } from './access-log-parser';
import { accessLogTopic } from './access-log-topic';


/**
 * `POST /v1/ingest/access-log`: access-log lines in, one event per good line on
 * `<prefix>access-log` keyed by IP (the example ip-count job's input). Answers 202 only once Kafka has
 * acknowledged every event; bad lines are counted and the first ones described, never a reason
 * to drop the good ones.
 */
@Controller()
export class IngestController {
  private readonly topic: string;

  constructor(
    private readonly kafka: GatewayKafka,
    @Inject(GATEWAY_METRICS) private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.topic = accessLogTopic(config.FLOWGATE_TOPIC_PREFIX);
  }

  @Post('v1/ingest/access-log')
  async accessLog(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = request.body;
    if (!(body instanceof RawBody) || (body.contentType !== 'text/plain' && body.contentType !== 'application/x-ndjson')) {
      return sendProblem(reply, problem('unsupportedMediaType', 'send text/plain lines "HH:mm:ss IP" or application/x-ndjson lines {"ts","ip"}'));
    }
    const { events, errors, badLines } = parseAccessLog({ body: body.raw, contentType: body.contentType, now: Date.now() });
    if (events.length > 0 && !this.kafka.connection.health.isUp) {
      return sendProblem(reply, problem('kafkaUnavailable', 'Kafka is unreachable; nothing was accepted'), { 'retry-after': '1' });
    }
    try {
      await Promise.all(
        events.map((event) => this.kafka.connection.send({ topic: this.topic, key: event.ip, value: JSON.stringify(event) })),
      );
    } catch (error) {
      // Some events may have been written: the caller retries the upload, and the count may then
      // include those twice. Said plainly in the README.
      return sendProblem(reply, problem('kafkaUnavailable', `Kafka did not acknowledge the events: ${(error as Error).message}`), { 'retry-after': '1' });
    }
    this.metrics.ingestedEvents.inc({ result: 'accepted' }, events.length);
    this.metrics.ingestedEvents.inc({ result: 'rejected' }, badLines);
    void reply.code(202).send({ accepted: events.length, rejected: badLines, errors });
  }
}
