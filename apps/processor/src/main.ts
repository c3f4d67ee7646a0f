import 'reflect-metadata';
import { readProcessorConfig } from '@flowgate/config';
import { configOrExit, createFastifyApp, createLogger, exitOnBootFailure } from '@flowgate/http';
import { createRegistry } from '@flowgate/metrics';
import { ProcessorModule } from './processor.module';
import { StreamServer } from './transport/stream.server';

/**
 * A hybrid Nest app: the microservice (route handlers on flowgate's stream transport) plus a
 * small HTTP server for /healthz, /readyz and /metrics.
 */
async function bootstrap(): Promise<void> {
  const config = configOrExit('processor', readProcessorConfig);
  const logger = createLogger('processor', config.FLOWGATE_LOG_LEVEL);
  const app = await createFastifyApp(ProcessorModule.forRoot(config, createRegistry('processor')), { logger });
  app.connectMicroservice({ strategy: app.get(StreamServer) });
  await app.startAllMicroservices();
  await app.listen(config.FLOWGATE_PROCESSOR_PORT, '0.0.0.0');
  logger.log(`processor ready, health and metrics on ${await app.getUrl()} (instance ${config.FLOWGATE_INSTANCE_ID})`, 'Bootstrap');
}

bootstrap().catch(exitOnBootFailure(createLogger('processor', 'info')));
