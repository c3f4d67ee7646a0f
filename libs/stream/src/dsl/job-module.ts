import type { Job } from './job';
import { job, route } from './job-builder';
import { RouteError, RouteReply } from './route-error';
import { sliding, tumbling } from '../operators/window-assigner';

/** The DSL, handed to job modules so that one written in plain JavaScript needs no install. */
const DSL = { job, route, tumbling, sliding, RouteError, RouteReply };

/**
 * What a job module's function gets from the processor that loads it: the DSL (the same functions
 * `@flowgate/stream` exports) and where its topics live.
 */
export interface JobContext {
  readonly job: typeof job;
  readonly route: typeof route;
  readonly tumbling: typeof tumbling;
  readonly sliding: typeof sliding;
  readonly RouteError: typeof RouteError;
  readonly RouteReply: typeof RouteReply;
  /** FLOWGATE_TOPIC_PREFIX: every topic a job names should start with it. */
  readonly topicPrefix: string;
  /** `name` under the prefix: `topic('clicks')` is `flowgate.clicks` with the default prefix. */
  topic(name: string): string;
}

/** A job module's `jobs` (or default) export: the jobs, or a function of the context that gives them. */
export type JobsExport = readonly Job[] | ((context: JobContext) => readonly Job[] | Promise<readonly Job[]>);

/**
 * Declares a job module's jobs with the types checked; export the result as `jobs` (or as the
 * module's default export) and name the module in FLOWGATE_JOBS.
 *
 * @example
 * export const jobs = defineJobs(({ topic }) => [
 *   job('clicks').fromTopic(topic('clicks')).keyBy('by user', (c) => c.user)...toTopic(topic('clicks-per-minute')),
 * ]);
 */
export function defineJobs(jobs: JobsExport): JobsExport {
  return jobs;
}

export function jobContext(topicPrefix: string): JobContext {
  return { ...DSL, topicPrefix, topic: (name) => `${topicPrefix}${name}` };
}

/**
 * The jobs of a loaded module (its `jobs` export, else its default export).
 * @throws Error naming the module when it exports no jobs or something that is not a job.
 */
export async function jobsOfModule(name: string, module: Record<string, unknown>, context: JobContext): Promise<Job[]> {
  // A CommonJS module imported from ESM arrives as `default` = its exports object.
  const commonJs = module.default as Record<string, unknown> | undefined;
  const exported = (module.jobs ?? commonJs?.jobs ?? module.default) as JobsExport | undefined;
  if (exported === undefined) throw new Error(`job module ${name} has neither a "jobs" nor a default export`);
  const jobs = typeof exported === 'function' ? await exported(context) : exported;
  if (!Array.isArray(jobs) || jobs.length === 0) throw new Error(`job module ${name} exports no jobs (expected a non-empty array of jobs)`);
  jobs.forEach((candidate: unknown, i: number) => {
    const j = candidate as Partial<Job> | null;
    if (typeof j?.name !== 'string' || typeof j.source?.kind !== 'string' || !Array.isArray(j.operators) || typeof j.sink?.kind !== 'string') {
      throw new Error(`job module ${name}: export ${i} is not a job (build jobs with job(...)...toReply() or .toTopic(...))`);
    }
  });
  return jobs;
}
