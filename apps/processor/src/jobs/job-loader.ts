import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { jobModules, ProcessorConfig } from '@flowgate/config';
import { Job, jobContext, jobsOfModule, JobPlacement, placeJobs } from '@flowgate/stream';

/**
 * Loads the job modules FLOWGATE_JOBS names (file paths relative to the working directory, or
 * package names resolved from it) and places their jobs. Runs before the app starts, so a broken
 * module or a job set that cannot run stops the processor at boot with the reason.
 */
export async function loadJobs(config: ProcessorConfig): Promise<{ jobs: Job[]; placement: JobPlacement }> {
  const context = jobContext(config.FLOWGATE_TOPIC_PREFIX);
  const jobs: Job[] = [];
  for (const spec of jobModules(config)) {
    let module: Record<string, unknown>;
    try {
      module = await import(pathToFileURL(resolveModule(spec)).href);
    } catch (error) {
      throw new Error(`job module ${spec} could not be loaded: ${(error as Error).message}`, { cause: error });
    }
    jobs.push(...(await jobsOfModule(spec, module, context)));
  }
  return { jobs, placement: placeJobs(jobs, { prefix: config.FLOWGATE_TOPIC_PREFIX, partitions: config.FLOWGATE_REQUEST_PARTITIONS }) };
}

function resolveModule(spec: string): string {
  const cwd = process.cwd();
  if (isAbsolute(spec) || spec.startsWith('.') || /\.[cm]?js$/.test(spec)) return resolve(cwd, spec);
  return createRequire(resolve(cwd, 'package.json')).resolve(spec);
}
