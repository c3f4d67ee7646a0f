import 'reflect-metadata';
import { readConsoleConfig } from '@flowgate/config';
import { configOrExit, createFastifyApp, createLogger, exitOnBootFailure, logProcessWarnings } from '@flowgate/http';
import { createRegistry } from '@flowgate/metrics';
import { ConsoleLifecycle } from './console.lifecycle';
import { ConsoleModule } from './console.module';

async function bootstrap(): Promise<void> {
  const config = configOrExit('console', readConsoleConfig);
  const logger = createLogger('console', config.FLOWGATE_LOG_LEVEL);
  logProcessWarnings(logger);
  const app = await createFastifyApp(ConsoleModule.forRoot(config, createRegistry('console')), { logger, bodyLimit: 4_096, httpLimits: config });
  await app.get(ConsoleLifecycle).start();
  await app.listen(config.FLOWGATE_CONSOLE_PORT, config.FLOWGATE_CONSOLE_HOST);
  const auth = config.FLOWGATE_CONSOLE_AUTH === 'token' ? 'admin token' : 'none (loopback only)';
  logger.log(`console ready on ${await app.getUrl()} (instance ${config.FLOWGATE_INSTANCE_ID}, auth: ${auth})`, 'Bootstrap');
}

bootstrap().catch(exitOnBootFailure(createLogger('console', 'info')));
