import { CatalogEntry, routeTopic } from '@flowgate/contracts';
import type { TopicSpec } from '@flowgate/kafka';
import { changelogTopic } from '../state/changelog';
import { isKeyed, Job, jobRoutes, outputTopics } from '../dsl/job';

/** Job names become consumer groups and changelog topics: Kafka's alphabet. */
const JOB_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** A job that runs partition by partition on a topic of its own (a `PartitionedJob` runner). */
export interface PartitionedJob {
  readonly job: Job;
  readonly sourceTopic: string;
}

/** Where each job of a processor runs, what topics they need, and the routes they declare. */
export interface JobPlacement {
  /** Stateless jobs on the shared requests topic, by route: one parallel consumer serves them all. */
  readonly sharedRoutes: ReadonlyMap<string, Job>;
  /**
   * Jobs with keyed state, jobs that read a topic, and route jobs whose routes have a topic of
   * their own: each runs on its own consumer group, partitions in order, committed per batch.
   */
  readonly partitioned: readonly PartitionedJob[];
  /** Every topic the jobs read or write (besides the core topics), to be created before they run. */
  readonly topics: readonly TopicSpec[];
  /** What this processor publishes to the route catalog. */
  readonly catalog: readonly CatalogEntry[];
}

/** A set of jobs that cannot run together; `problems` names each reason. */
export class JobSetError extends Error {
  readonly retriable = false;
  constructor(readonly problems: string[]) {
    super(`the jobs cannot run: ${problems.join('; ')}`);
    this.name = 'JobSetError';
  }
}

/**
 * Decides which runner runs each job and which topics the jobs need, checking that they fit
 * together: unique job and route names, keyed state on a topic of its own, replies only from
 * route sources, queries only of the job's own routes.
 *
 * @throws JobSetError with every problem found, not just the first.
 */
export function placeJobs(jobs: readonly Job[], options: { prefix: string; partitions: number }): JobPlacement {
  const { prefix, partitions } = options;
  const problems: string[] = [];
  const sharedRoutes = new Map<string, Job>();
  const partitioned: PartitionedJob[] = [];
  const topics = new Map<string, TopicSpec>();
  const servedBy = new Map<string, string>();
  const jobNames = new Set<string>();
  const addTopic = (topic: string, configs?: Record<string, string>) => topics.set(topic, { topic, numPartitions: partitions, ...(configs ? { configs } : {}) });

  for (const job of jobs) {
    if (!JOB_NAME.test(job.name)) problems.push(`job name ${JSON.stringify(job.name)} must be 1 to 100 characters of A-Z a-z 0-9 . _ -`);
    if (jobNames.has(job.name)) problems.push(`two jobs are named ${job.name}`);
    jobNames.add(job.name);
    const routes = jobRoutes(job);
    for (const route of routes) {
      const other = servedBy.get(route.name);
      if (other !== undefined) problems.push(`route ${route.name} is served by both job ${other} and job ${job.name}`);
      servedBy.set(route.name, job.name);
    }
    const ownTopic = job.source.kind === 'topic' ? job.source.topic : routes[0]?.topic === undefined ? undefined : routeTopic(routes[0], prefix);
    if (ownTopic === undefined) {
      if (isKeyed(job)) problems.push(`job ${job.name} keeps keyed state: its routes need a topic of their own (topic in the declaration)`);
      if (job.sink.kind === 'topic') problems.push(`job ${job.name}: a job on the shared requests topic cannot write to a topic (give its route a topic of its own)`);
      for (const route of routes) sharedRoutes.set(route.name, job);
    } else {
      partitioned.push({ job, sourceTopic: ownTopic });
      addTopic(ownTopic);
      addTopic(changelogTopic(prefix, job.name), { 'cleanup.policy': 'compact' });
    }
    const names = new Set(routes.map((r) => r.name));
    for (const op of job.operators) {
      for (const query of op.kind === 'window' ? (op.query?.routes ?? []) : []) {
        if (!names.has(query)) problems.push(`job ${job.name}: window ${op.name} answers route ${query}, which is not one of the job's routes`);
      }
    }
    for (const topic of outputTopics(job)) addTopic(topic);
  }
  if (problems.length > 0) throw new JobSetError(problems);
  const catalog = jobs.flatMap((job) => jobRoutes(job).map((route) => ({ job: job.name, route })));
  return { sharedRoutes, partitioned, topics: [...topics.values()], catalog };
}
