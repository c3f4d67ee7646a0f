import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ProcessorConfig, readProcessorConfig } from '@flowgate/config';
import { configOrExit, createFastifyApp, createLogger, exitOnBootFailure, logProcessWarnings, SchemaCompiler } from '@flowgate/http';
import { createRegistry } from '@flowgate/metrics';
import type { JobPlacement } from '@flowgate/stream';
import { loadJobs } from './jobs/job-loader';
import { ProcessorModule } from './processor.module';
import { ProcessorKafka } from './transport/processor-kafka.service';
import { StreamServer } from './transport/stream.server';

const USAGE = `usage: main.js [serve]                  run the jobs of FLOWGATE_JOBS (the default)
       main.js ensure-topics            create the topics flowgate and those jobs need, then exit
       main.js retire-routes <route>... remove routes from the route catalog (gateways answer 404), then exit`;

/**
 * A hybrid Nest app: the microservice (the jobs on flowgate's stream transport) plus a small HTTP
 * server for /healthz, /readyz, /metrics and /topology. The same bundle runs the one-shot
 * commands of deployments (Helm's topics Job, retiring routes).
 */
async function main(): Promise<void> {
  const [command = 'serve', ...args] = process.argv.slice(2);
  const config = configOrExit('processor', readProcessorConfig);
  const logger = createLogger('processor', config.FLOWGATE_LOG_LEVEL);
  logProcessWarnings(logger);
  const { placement } = await loadJobs(config);
  checkSchemas(placement);
  if (command === 'serve') return serve(config, placement, logger);
  // Warnings and errors only: what the command itself reports is its output.
  const app = await NestFactory.createApplicationContext(ProcessorModule.forCommands(config, createRegistry('processor')), {
    logger: createLogger('processor', 'warn'),
  });
  const kafka = app.get(ProcessorKafka);
  try {
    if (command === 'ensure-topics') {
      await kafka.ensureTopics(placement.topics);
      console.log(`topics ready: the core topics and ${placement.topics.map((t) => t.topic).join(', ') || 'no job topics'}`);
    } else if (command === 'retire-routes' && args.length > 0) {
      await kafka.connection.connect();
      const retired = await kafka.routes.retire(args);
      console.log(`retired ${retired.join(', ') || 'nothing'}${retired.length < args.length ? ` (not in the catalog: ${args.filter((a) => !retired.includes(a)).join(', ')})` : ''}`);
    } else {
      console.error(USAGE);
      process.exitCode = 2;
    }
  } finally {
    await app.close(); // KafkaModule closes the connection
  }
}

async function serve(config: ProcessorConfig, placement: JobPlacement, logger: ConsoleLogger): Promise<void> {
  const app = await createFastifyApp(ProcessorModule.forRoot(config, createRegistry('processor'), placement), { logger, httpLimits: config });
  app.connectMicroservice({ strategy: app.get(StreamServer) });
  await app.startAllMicroservices();
  await app.listen(config.FLOWGATE_PROCESSOR_PORT, '0.0.0.0');
  logger.log(`processor ready, health and metrics on ${await app.getUrl()} (instance ${config.FLOWGATE_INSTANCE_ID})`, 'Bootstrap');
}

/** A schema gateways could not compile never reaches the catalog: it stops the processor here. */
function checkSchemas(placement: JobPlacement): void {
  const compiler = new SchemaCompiler();
  const problems = placement.catalog.flatMap(({ route }) =>
    (['bodySchema', 'responseSchema'] as const).flatMap((field) => {
      const schema = route[field];
      if (schema === undefined) return [];
      try {
        compiler.compile(schema);
        return [];
      } catch (error) {
        return [`route ${route.name}: ${field} is not a usable JSON Schema: ${(error as Error).message}`];
      }
    }),
  );
  if (problems.length > 0) throw new Error(problems.join('; '));
}

main().catch((error: unknown) => {
  // The one-shot commands run in Jobs and terminals: their reason goes to stderr, plainly.
  if (process.argv[2] !== undefined && process.argv[2] !== 'serve') {
    console.error(`processor ${process.argv[2]} failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  exitOnBootFailure(createLogger('processor', 'info'))(error);
});
