import { ConsoleLogger, DynamicModule, INestApplication, LoggerService, LogLevel, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AccessError, ConfigError } from '@flowgate/config';
import { answerClientError } from './client-error';
import { type HttpLimits, limitServer, serverOptions } from './http-limits';

const LEVELS: Record<string, LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** JSON lines on stdout, one logger per class (Nest's context). */
export function createLogger(app: string, level: string): ConsoleLogger {
  return new ConsoleLogger(app, { json: true, logLevels: LEVELS[level] ?? LEVELS.info });
}

/**
 * Node's process warnings as lines of the app's JSON log instead of Node's plain text on stderr,
 * so log shippers see one format. `TimeoutNegativeWarning` is dropped: kafkajs 2.2.4 sets timers
 * to a negative delay meaning "now" (tulios/kafkajs#1751), which Node 24 warns about and runs as
 * 1 ms anyway; flowgate's own timers clamp their delays.
 */
export function logProcessWarnings(logger: LoggerService): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name !== 'TimeoutNegativeWarning') logger.warn(`${warning.name}: ${warning.message}`, 'Process');
  });
}

/**
 * Reads the app's config or exits 1 naming every bad variable: a process that cannot run
 * correctly should not start at all.
 */
export function configOrExit<T>(app: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${app}: ${error.message}`);
    process.exit(1);
  }
}

/** `configOrExit` for settings that need I/O to check (a key file, a key set). */
export async function configOrExitAsync<T>(app: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${app}: ${error.message}`);
    process.exit(1);
  }
}

export async function createFastifyApp(
  module: Type<unknown> | DynamicModule,
  options: { logger: ConsoleLogger; bodyLimit?: number; httpLimits: HttpLimits },
): Promise<NestFastifyApplication> {
  const { httpLimits } = options;
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit,
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    http: serverOptions(httpLimits),
    requestTimeout: httpLimits.FLOWGATE_HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: httpLimits.FLOWGATE_HTTP_KEEPALIVE_TIMEOUT_MS,
  });
  limitServer(adapter.getInstance().server, httpLimits);
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: options.logger,
    // Apps that take bodies register their own parser (the gateway keeps raw bytes).
    bodyParser: false,
  });
  closeOnSignals(app, options.logger);
  return app;
}

/** A SIGTERM or SIGINT came: the app is closing, maybe while it was still starting. */
let stopping = false;

/**
 * SIGTERM/SIGINT run the app's shutdown hooks (drain) through `app.close()`, then exit 0. Nest's
 * own `enableShutdownHooks` re-raises the signal afterwards, so the process would end "killed by
 * SIGTERM" instead of with a clean exit code.
 */
export function closeOnSignals(app: INestApplication, logger: ConsoleLogger): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.log(`${signal}: shutting down`, 'Shutdown');
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error(`shutdown failed: ${error instanceof Error ? error.stack : String(error)}`, 'Shutdown');
          process.exit(1);
        },
      );
    });
  }
}

/**
 * Ends the process if boot fails, with the reason logged: a half-started app helps nobody. Kafka
 * or Redis refusing this app (an `AccessError`: a wrong password, an untrusted certificate, an
 * ACL) is a wrong setting, not a bug: its one line says which, with no stack. A boot cut short
 * by SIGTERM (a pod stopped while starting) is no failure: the close it started ends the process,
 * with 0, and whatever the half-closed app threw on the way is only mentioned.
 */
export function exitOnBootFailure(logger: ConsoleLogger) {
  return (error: unknown) => {
    if (stopping) {
      logger.log(`start-up stopped by the shutdown (${error instanceof Error ? error.message : String(error)})`, 'Bootstrap');
      return;
    }
    const reason = error instanceof AccessError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    logger.fatal(reason, 'Bootstrap');
    process.exit(1);
  };
}

export type { INestApplication, NestFastifyApplication };
