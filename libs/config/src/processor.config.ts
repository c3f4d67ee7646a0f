import { COMMON_ENV, commonProblems } from './common.config';
import { ConfigError, EnvValues, int, oneOf, readEnv, str } from './env-reader';

/**
 * Named places where a test can make the processor crash (SIGKILL itself), to hit windows that
 * are milliseconds wide on purpose. `after-output-before-commit`: a keyed job's first batch has
 * written its outputs and state changes (exactly-once: inside its open transaction) and has not
 * committed its offset.
 */
export const FAILPOINTS = ['', 'after-output-before-commit'] as const;

export const PROCESSOR_ENV = {
  ...COMMON_ENV,
  FLOWGATE_PROCESSOR_PORT: int({ default: 9101, min: 0, max: 65_535, description: 'Port of the processor\'s /healthz and /metrics.' }),
  FLOWGATE_PARTITION_CONCURRENCY: int({
    default: 64, min: 1, max: 10_000,
    description: 'Requests of one partition handled at the same time.',
  }),
  FLOWGATE_PARTITION_QUEUE: int({
    default: 512, min: 1, max: 1_000_000,
    description: 'Records of one partition held in memory; above it the partition is paused.',
  }),
  FLOWGATE_PROCESSING: oneOf({
    default: 'exactly_once', values: ['exactly_once', 'at_least_once'] as const,
    description: 'How jobs with keyed state commit: in Kafka transactions, or offsets after outputs.',
  }),
  FLOWGATE_COMMIT_INTERVAL_MS: int({
    default: 500, min: 10, max: 60_000,
    description: 'How often finished offsets are committed.',
  }),
  FLOWGATE_MAX_OUTPUT_BYTES: int({
    default: 1_000_000, min: 1_024, max: 64 * 1_048_576,
    description: 'Largest record a job may write, headers included (Kafka refuses records over the topic\'s max.message.bytes, 1 MiB by default): a larger emitted record fails the job\'s run on its input (dead letter with the reason; 500 for a request), a larger reply becomes a 500 problem.',
  }),
  FLOWGATE_JOBS: str({
    default: '',
    description: 'Job modules this processor runs, comma-separated: file paths (relative to the working directory) or package names.',
  }),
  FLOWGATE_ROUTE_SCRIPTS: oneOf({
    default: 'on', values: ['on', 'off'] as const,
    description: 'on: this processor serves route scripts (it joins the shared requests topic\'s group once one is active); off: it never does.',
  }),
  FLOWGATE_FAILPOINT: oneOf({
    default: '', values: FAILPOINTS,
    description: 'Test only: crash the processor at a named point (after-output-before-commit). Empty: never.',
  }),
} as const;

export type ProcessorConfig = EnvValues<typeof PROCESSOR_ENV>;

export function readProcessorConfig(env: NodeJS.ProcessEnv = process.env): ProcessorConfig {
  const config = readEnv(PROCESSOR_ENV, env);
  const problems = commonProblems(config); // cross-variable checks, at boot like the others
  if (problems.length > 0) throw new ConfigError(problems);
  if (jobModules(config).length === 0) throw new ConfigError(['FLOWGATE_JOBS names no job module: set it to the module(s) whose jobs this processor runs']);
  return config;
}

/** The job modules named by FLOWGATE_JOBS, in order. */
export function jobModules(config: Pick<ProcessorConfig, 'FLOWGATE_JOBS'>): string[] {
  return config.FLOWGATE_JOBS.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
}
