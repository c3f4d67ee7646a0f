import { DynamicModule, Global, Module } from '@nestjs/common';
import type { Registry } from '@flowgate/metrics';
import { HealthController, METRICS_REGISTRY, MetricsController } from './health.controller';
import { Readiness } from './readiness.service';

/**
 * `/healthz`, `/readyz` and `/metrics` for an app; its services register readiness checks. With
 * `metrics: false` the app serves `/metrics` elsewhere (the gateway: on its admin port).
 */
@Global()
@Module({})
export class HealthModule {
  static forRoot(registry: Registry, options: { metrics?: boolean } = {}): DynamicModule {
    return {
      module: HealthModule,
      controllers: options.metrics === false ? [HealthController] : [HealthController, MetricsController],
      providers: [Readiness, { provide: METRICS_REGISTRY, useValue: registry }],
      exports: [Readiness, METRICS_REGISTRY],
    };
  }
}
