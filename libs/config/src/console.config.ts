import { COMMON_ENV, commonProblems } from './common.config';
import { ConfigError, EnvValues, int, oneOf, readEnv, str } from './env-reader';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

// The console reads Kafka only: no Redis.
const { REDIS_URL: _redis, REDIS_SENTINELS: _sentinels, REDIS_SENTINEL_MASTER: _master, ...KAFKA_ONLY_ENV } = COMMON_ENV;

export const CONSOLE_ENV = {
  ...KAFKA_ONLY_ENV,
  FLOWGATE_CONSOLE_PORT: int({ default: 9300, min: 0, max: 65_535, description: 'Port of the console (page, its API, /healthz, /readyz).' }),
  FLOWGATE_CONSOLE_HOST: str({ default: '0.0.0.0', description: 'Address the console listens on.' }),
  FLOWGATE_ADMIN_TOKEN: str({
    default: '',
    description: 'Token of the admin surface; the console asks for it (or a session cookie it was exchanged for) on every call. Keep it in a Secret.',
  }),
  FLOWGATE_CONSOLE_AUTH: oneOf({
    default: 'token', values: ['token', 'loopback'] as const,
    description: 'token: FLOWGATE_ADMIN_TOKEN is required; loopback (development only): no token, and the console listens on 127.0.0.1 only.',
  }),
} as const;

export type ConsoleConfig = EnvValues<typeof CONSOLE_ENV>;

/**
 * The console's config. It shows every job's flow and the DLQ's reasons, so it never runs open
 * on a network: without a token it starts only when told it is a loopback-only development run.
 */
export function readConsoleConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const config = readEnv(CONSOLE_ENV, env);
  const problems = commonProblems(config);
  if (config.FLOWGATE_CONSOLE_AUTH === 'token' && config.FLOWGATE_ADMIN_TOKEN.length < 16) {
    problems.push('FLOWGATE_ADMIN_TOKEN must be set (16 characters or more), or FLOWGATE_CONSOLE_AUTH=loopback for a development console on 127.0.0.1');
  }
  if (config.FLOWGATE_CONSOLE_AUTH === 'loopback' && !LOOPBACK.has(config.FLOWGATE_CONSOLE_HOST) && env.FLOWGATE_CONSOLE_HOST !== undefined) {
    problems.push(`FLOWGATE_CONSOLE_AUTH=loopback listens on 127.0.0.1 only; FLOWGATE_CONSOLE_HOST=${config.FLOWGATE_CONSOLE_HOST} is refused`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config.FLOWGATE_CONSOLE_AUTH === 'loopback' ? { ...config, FLOWGATE_CONSOLE_HOST: '127.0.0.1' } : config;
}
