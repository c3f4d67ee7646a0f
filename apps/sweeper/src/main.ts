import 'reflect-metadata';
import { readSweeperConfig } from '@flowgate/config';
import { configOrExit, createFastifyApp, createLogger, exitOnBootFailure, logProcessWarnings } from '@flowgate/http';
import { createRegistry } from '@flowgate/metrics';
import { SweeperLifecycle } from './sweeper.lifecycle';
import { SweeperModule } from './sweeper.module';

async function bootstrap(): Promise<void> {
  const config = configOrExit('sweeper', readSweeperConfig);
  const logger = createLogger('sweeper', config.FLOWGATE_LOG_LEVEL);
  logProcessWarnings(logger);
  const app = await createFastifyApp(SweeperModule.forRoot(config, createRegistry('sweeper')), { logger, httpLimits: config });
  await app.get(SweeperLifecycle).start();
  await app.listen(config.FLOWGATE_SWEEPER_PORT, '0.0.0.0');
  logger.log(`sweeper ready, health and metrics on ${await app.getUrl()} (instance ${config.FLOWGATE_INSTANCE_ID})`, 'Bootstrap');
}

bootstrap().catch(exitOnBootFailure(createLogger('sweeper', 'info')));
