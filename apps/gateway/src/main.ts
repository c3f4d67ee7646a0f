import 'reflect-metadata';
import { readGatewayConfig } from '@flowgate/config';
import { configOrExit, createFastifyApp, createLogger, exitOnBootFailure } from '@flowgate/http';
import { createRegistry } from '@flowgate/metrics';
import { GatewayLifecycle } from './gateway.lifecycle';
import { GatewayModule } from './gateway.module';
import { configureFastify } from './http/fastify-setup';

async function bootstrap(): Promise<void> {
  const config = configOrExit('gateway', readGatewayConfig);
  const logger = createLogger('gateway', config.FLOWGATE_LOG_LEVEL);
  const app = await createFastifyApp(GatewayModule.forRoot(config, createRegistry('gateway')), {
    logger,
    bodyLimit: config.FLOWGATE_MAX_BODY_BYTES,
  });
  configureFastify(app.getHttpAdapter().getInstance(), { maxBodyBytes: config.FLOWGATE_MAX_BODY_BYTES });
  await app.get(GatewayLifecycle).start();
  await app.listen(config.FLOWGATE_GATEWAY_PORT, config.FLOWGATE_GATEWAY_HOST);
  logger.log(`gateway ready on ${await app.getUrl()} (instance ${config.FLOWGATE_INSTANCE_ID})`, 'Bootstrap');
}

bootstrap().catch(exitOnBootFailure(createLogger('gateway', 'info')));
