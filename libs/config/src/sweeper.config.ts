import { COMMON_ENV, commonProblems } from './common.config';
import { ConfigError, EnvValues, int, readEnv } from './env-reader';
import { REGISTRY_ENV } from './registry.config';

export const SWEEPER_ENV = {
  ...COMMON_ENV,
  ...REGISTRY_ENV,
  FLOWGATE_SWEEPER_PORT: int({ default: 9102, min: 0, max: 65_535, description: 'Port of the sweeper\'s /healthz and /metrics.' }),
  FLOWGATE_SWEEP_INTERVAL_MS: int({
    default: 200, min: 10, max: 60_000,
    description: 'Pause between two sweeps of the registry for requests past their deadline.',
  }),
  FLOWGATE_SWEEP_BATCH: int({
    default: 500, min: 1, max: 100_000,
    description: 'Most requests one sweep times out (the next sweep follows at once while there are more).',
  }),
  FLOWGATE_SWEEP_CLAIM_MS: int({
    default: 10_000, min: 100, max: 600_000,
    description: 'How long a sweeper owns the timeout records it claimed; unpublished ones are claimed again after it.',
  }),
} as const;

export type SweeperConfig = EnvValues<typeof SWEEPER_ENV>;

export function readSweeperConfig(env: NodeJS.ProcessEnv = process.env): SweeperConfig {
  const config = readEnv(SWEEPER_ENV, env);
  const problems = commonProblems(config); // cross-variable checks, at boot like the others
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
