import { DynamicModule, Global, Module } from '@nestjs/common';
import type { Registry } from '@flowgate/metrics';
import { HealthController, METRICS_REGISTRY } from './health.controller';
import { Readiness } from './readiness.service';

/** `/healthz`, `/readyz` and `/metrics` for an app; its services register readiness checks. */
@Global()
@Module({})
export class HealthModule {
  static forRoot(registry: Registry): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [Readiness, { provide: METRICS_REGISTRY, useValue: registry }],
      exports: [Readiness, METRICS_REGISTRY],
    };
  }
}
