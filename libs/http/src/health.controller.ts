import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Registry } from '@flowgate/metrics';
import { Readiness } from './readiness.service';

export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

@Controller()
export class HealthController {
  constructor(private readonly readiness: Readiness) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  /** Readiness: every registered check passes (Kafka connected, reply partition owned, …). */
  @Get('readyz')
  readyz(@Res() reply: FastifyReply) {
    const report = this.readiness.report();
    void reply.code(report.ready ? 200 : 503).send(report);
  }

}

/** `/metrics` on the app's own port (processor, sweeper); the gateway serves it on its admin port. */
@Controller()
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get('metrics')
  async metrics(@Res() reply: FastifyReply) {
    const body = await this.registry.metrics();
    void reply.header('content-type', this.registry.contentType).send(body);
  }
}
