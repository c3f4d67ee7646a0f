import 'reflect-metadata';
import { readGatewayConfig } from '@flowgate/config';
import { configOrExit, createFastifyApp, createLogger, exitOnBootFailure } from '@flowgate/http';
import { createRegistry } from '@flowgate/metrics';
import { InflightTable } from './admission/inflight-table';
import { shedWhenFull } from './admission/load-shedding';
import { RouteCatalog } from './catalog/route-catalog.service';
import { GatewayLifecycle } from './gateway.lifecycle';
import { GatewayModule } from './gateway.module';
import { GATEWAY_METRICS } from './gateway.tokens';
import { configureFastify } from './http/fastify-setup';

async function bootstrap(): Promise<void> {
  const config = configOrExit('gateway', readGatewayConfig);
  const logger = createLogger('gateway', config.FLOWGATE_LOG_LEVEL);
  const app = await createFastifyApp(GatewayModule.forRoot(config, createRegistry('gateway')), {
    logger,
    bodyLimit: config.FLOWGATE_MAX_BODY_BYTES,
  });
  const fastify = app.getHttpAdapter().getInstance();
  configureFastify(fastify, { maxBodyBytes: config.FLOWGATE_MAX_BODY_BYTES });
  const catalog = app.get(RouteCatalog);
  shedWhenFull(fastify.server, {
    table: app.get(InflightTable),
    metrics: app.get(GATEWAY_METRICS),
    maxInflight: config.FLOWGATE_MAX_INFLIGHT,
    serves: (route) => catalog.has(route),
    eventRoute: config.FLOWGATE_EVENT_ROUTE,
  });
  await app.get(GatewayLifecycle).start();
  await app.listen(config.FLOWGATE_GATEWAY_PORT, config.FLOWGATE_GATEWAY_HOST);
  logger.log(`gateway ready on ${await app.getUrl()} (instance ${config.FLOWGATE_INSTANCE_ID})`, 'Bootstrap');
}

bootstrap().catch(exitOnBootFailure(createLogger('gateway', 'info')));
