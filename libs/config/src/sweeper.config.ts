import { COMMON_ENV, kafkaSecurity } from './common.config';
import { EnvValues, int, readEnv } from './env-reader';

export const SWEEPER_ENV = {
  ...COMMON_ENV,
  FLOWGATE_SWEEPER_PORT: int({ default: 9102, min: 0, max: 65_535, description: 'Port of the sweeper\'s /healthz and /metrics.' }),
} as const;

export type SweeperConfig = EnvValues<typeof SWEEPER_ENV>;

export function readSweeperConfig(env: NodeJS.ProcessEnv = process.env): SweeperConfig {
  const config = readEnv(SWEEPER_ENV, env);
  kafkaSecurity(config); // cross-variable checks, at boot like the others
  return config;
}
