import 'reflect-metadata';
import { readGatewayConfig } from '@flowgate/config';
import { AdminServer, configOrExit, configOrExitAsync, createFastifyApp, createLogger, exitOnBootFailure, logProcessWarnings } from '@flowgate/http';
import { createRegistry, GatewayMetrics } from '@flowgate/metrics';
import { InflightTable } from './admission/inflight-table';
import { createAuthenticator, requireCredentials } from './auth/caller-auth';
import { shedAtTheDoor } from './admission/load-shedding';
import { FlowControl } from './admission/flow-control.service';
import { RouteCatalog } from './catalog/route-catalog.service';
import { GatewayLifecycle } from './gateway.lifecycle';
import { GatewayModule } from './gateway.module';
import { GATEWAY_METRICS } from './gateway.tokens';
import { configureFastify } from './http/fastify-setup';
import { timeoutLimits } from './http/request-headers';
import { ScriptAdmin } from './scripts/script-admin.service';

async function bootstrap(): Promise<void> {
  const config = configOrExit('gateway', readGatewayConfig);
  const logger = createLogger('gateway', config.FLOWGATE_LOG_LEVEL);
  logProcessWarnings(logger);
  const registry = createRegistry('gateway');
  const metrics = new GatewayMetrics(registry);
  const app = await createFastifyApp(GatewayModule.forRoot(config, registry, metrics), {
    logger,
    bodyLimit: config.FLOWGATE_MAX_BODY_BYTES,
    httpLimits: config,
  });
  // After the app: its logger (JSON lines) is then the one the authenticator's log lines use.
  const authenticator = await configOrExitAsync('gateway', () => createAuthenticator(config, metrics));
  const fastify = app.getHttpAdapter().getInstance();
  if (authenticator) requireCredentials(fastify, { authenticator, metrics });
  configureFastify(fastify, { maxBodyBytes: config.FLOWGATE_MAX_BODY_BYTES });
  const catalog = app.get(RouteCatalog);
  shedAtTheDoor(fastify.server, {
    table: app.get(InflightTable),
    flow: app.get(FlowControl),
    metrics: app.get(GATEWAY_METRICS),
    serves: (route) => catalog.has(route),
    eventRoute: config.FLOWGATE_EVENT_ROUTE,
    fairnessHeader: config.FLOWGATE_FAIRNESS_HEADER,
    timeouts: (route) => timeoutLimits(config, catalog.get(route)?.route),
  });
  // The script admin API answers 503 until the lifecycle has read the scripts topic.
  app.get(ScriptAdmin).mountOn(app.get(AdminServer));
  // Up before the rest, so a gateway that hangs at start-up can still be looked at.
  const adminPort = await app.get(AdminServer).listen(config.FLOWGATE_ADMIN_PORT, config.FLOWGATE_ADMIN_HOST);
  await app.get(GatewayLifecycle).start();
  await app.listen(config.FLOWGATE_GATEWAY_PORT, config.FLOWGATE_GATEWAY_HOST);
  logger.log(`gateway ready on ${await app.getUrl()}, internal port ${adminPort} (instance ${config.FLOWGATE_INSTANCE_ID}, auth ${config.FLOWGATE_AUTH})`, 'Bootstrap');
}

bootstrap().catch(exitOnBootFailure(createLogger('gateway', 'info')));
