import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule } from '@flowgate/http';
import type { Registry } from '@flowgate/metrics';

/**
 * The sweeper will own deadlines that outlive a connection (async requests, requests of dead
 * gateways, stale leases). For now it is only a process with health and metrics, so
 * deployments and `npm start` already include it.
 */
@Module({})
export class SweeperModule {
  static forRoot(registry: Registry): DynamicModule {
    return { module: SweeperModule, imports: [HealthModule.forRoot(registry)] };
  }
}
