import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GatewayConfig, redisSentinel } from '@flowgate/config';
import { topicNames } from '@flowgate/contracts';
import { AdminServer, HealthModule, Readiness } from '@flowgate/http';
import { KafkaModule } from '@flowgate/kafka';
import { GatewayMetrics, Registry } from '@flowgate/metrics';
import { RedisModule } from '@flowgate/redis';
import { FlowControl, flowLimitOptions } from './admission/flow-control.service';
import { FlowLimit } from './admission/flow-limit';
import { InflightTable } from './admission/inflight-table';
import { RouteCatalog } from './catalog/route-catalog.service';
import { GatewayKafka } from './dispatch/gateway-kafka.service';
import { RequestDispatcher } from './dispatch/request-dispatcher.service';
import { GatewayLifecycle } from './gateway.lifecycle';
import { GATEWAY_CONFIG, GATEWAY_METRICS } from './gateway.tokens';
import { ProblemFilter } from './http/problem.filter';
import { IngestController } from './ingest/ingest.controller';
import { OpenApiController } from './openapi/openapi.controller';
import { Responder } from './http/responder.service';
import { RequestStatusController } from './http/request-status.controller';
import { RouteController } from './http/route.controller';
import { GatewayRegistry } from './registry/gateway-registry.service';
import { RegisteredDispatch } from './registry/registered-dispatch.service';
import { ReplySlotService } from './replies/reply-slot.service';
import { createScriptChecker, SCRIPT_CHECKER } from './scripts/script-checker';
import { ScriptAdmin } from './scripts/script-admin.service';
import { ScriptStore } from './scripts/script-store.service';
import { GatewayStatusService } from './status/gateway-status.service';

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig, registry: Registry, metrics: GatewayMetrics): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        // /metrics is on the admin port only (AdminServer); the probes stay on the public port too.
        HealthModule.forRoot(registry, { metrics: false }),
        RedisModule.forRoot({ url: config.REDIS_URL, sentinel: redisSentinel(config), name: `flowgate-gateway-${config.FLOWGATE_INSTANCE_ID}` }),
        KafkaModule.forRoot({
          app: 'gateway',
          config,
          probeTopic: topicNames(config.FLOWGATE_TOPIC_PREFIX).requests,
          registry,
          ackTimeoutMs: config.FLOWGATE_PRODUCE_TIMEOUT_MS,
          // Each HTTP request is one record: waiting lets a few share a produce request.
          lingerMs: config.FLOWGATE_PRODUCE_LINGER_MS,
        }),
      ],
      controllers: [RouteController, RequestStatusController, IngestController, OpenApiController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_METRICS, useValue: metrics },
        { provide: AdminServer, useFactory: (readiness: Readiness) => new AdminServer({ registry, readiness, limits: config }), inject: [Readiness] },
        { provide: FlowLimit, useValue: new FlowLimit(flowLimitOptions(config), Date.now()) },
        {
          provide: InflightTable,
          useFactory: (flow: FlowLimit) => new InflightTable({
            limit: () => flow.limit,
            admissionWaitMs: config.FLOWGATE_ADMISSION_WAIT_MS,
            maxWaiters: config.FLOWGATE_MAX_INFLIGHT,
            recentCapacity: Math.max(10_000, config.FLOWGATE_MAX_INFLIGHT * 4),
          }),
          inject: [FlowLimit],
        },
        FlowControl,
        { provide: APP_FILTER, useValue: new ProblemFilter(config.FLOWGATE_MAX_BODY_BYTES) },
        // The sandbox (WASM) is loaded only where the admin API is on: it checks uploads.
        { provide: SCRIPT_CHECKER, useFactory: () => (config.FLOWGATE_ADMIN_TOKEN === '' ? null : createScriptChecker()) },
        ScriptStore,
        ScriptAdmin,
        GatewayKafka,
        RouteCatalog,
        ReplySlotService,
        RequestDispatcher,
        GatewayRegistry,
        RegisteredDispatch,
        Responder,
        GatewayLifecycle,
        GatewayStatusService,
      ],
    };
  }
}
