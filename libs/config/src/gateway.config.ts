import { COMMON_ENV, commonProblems } from './common.config';
import { ConfigError, EnvValues, int, oneOf, optionalInt, readEnv, str } from './env-reader';
import { AUTH_ENV, authProblems } from './auth.config';
import { REGISTRY_ENV } from './registry.config';

export const GATEWAY_ENV = {
  ...COMMON_ENV,
  ...REGISTRY_ENV,
  ...AUTH_ENV,
  FLOWGATE_PRODUCE_LINGER_MS: int({
    default: 2, min: 0, max: 100,
    description: 'How long the gateway\'s produce request waits for more requests to join it (Kafka\'s linger.ms): fewer, larger requests for a little latency; 0 sends at the next turn of the event loop. The processor and sweeper never wait: what they write comes in batches already.',
  }),
  FLOWGATE_GATEWAY_PORT: int({ default: 8080, min: 0, max: 65_535, description: 'HTTP port of the gateway.' }),
  FLOWGATE_GATEWAY_HOST: str({ default: '0.0.0.0', description: 'Address the gateway listens on.' }),
  FLOWGATE_ADMIN_PORT: int({
    default: 9100, min: 0, max: 65_535,
    description: 'Internal port for operators: /metrics, /healthz, /readyz. Never expose it publicly.',
  }),
  FLOWGATE_ADMIN_HOST: str({ default: '0.0.0.0', description: 'Address the internal (admin) port listens on.' }),
  FLOWGATE_ADMIN_TOKEN: str({
    default: '',
    description: 'Bearer token of the script admin API (/admin/v1 on the admin port), at least 16 characters; keep it in a Secret. Unset: the admin API is off (404).',
  }),
  FLOWGATE_EVENT_ROUTE: str({
    default: '',
    pattern: /^[a-z0-9.-]{0,64}$/,
    rule: 'a route name, or empty',
    description: 'Route that the seed-compatible POST /event serves, in the seed\'s envelope; empty: /event answers 404.',
  }),
  FLOWGATE_DEFAULT_TIMEOUT_MS: int({
    default: 10_000, min: 1, max: 3_600_000,
    description: 'Deadline of a request that sends no X-Timeout-Ms.',
  }),
  FLOWGATE_MAX_TIMEOUT_MS: int({
    default: 60_000, min: 1, max: 3_600_000,
    description: 'Largest X-Timeout-Ms a caller may ask for.',
  }),
  FLOWGATE_INFLIGHT_LIMIT: oneOf({
    default: 'adaptive', values: ['adaptive', 'fixed'] as const,
    description: 'adaptive: the in-flight limit follows the measured queueing delay and event-loop delay, between FLOWGATE_MIN_INFLIGHT and FLOWGATE_MAX_INFLIGHT. fixed: always FLOWGATE_MAX_INFLIGHT.',
  }),
  FLOWGATE_MAX_INFLIGHT: int({
    default: 1024, min: 1, max: 1_000_000,
    description: 'Pending requests one gateway holds at most (the seed\'s 1024-entry map): the adaptive limit\'s upper bound and start, or the fixed limit.',
  }),
  FLOWGATE_MIN_INFLIGHT: int({
    default: 8, min: 1, max: 1_000_000,
    description: 'The adaptive limit never goes below this (nor above FLOWGATE_MAX_INFLIGHT, which wins when smaller and this is left at its default).',
  }),
  FLOWGATE_TARGET_QUEUE_MS: int({
    default: 25, min: 1, max: 60_000,
    description: 'Queueing delay (time requests wait in Kafka and processors before their handler starts) the adaptive limit steers to: above it the limit falls, below it the limit grows.',
  }),
  FLOWGATE_TARGET_LOOP_DELAY_MS: int({
    default: 10, min: 1, max: 10_000,
    description: 'The gateway\'s own event-loop delay (p90 over 250 ms) the adaptive limit steers to.',
  }),
  FLOWGATE_FAIRNESS_HEADER: str({
    default: '',
    pattern: /^([a-z0-9-]{1,64})?$/,
    rule: 'a lower-case HTTP header name, or empty',
    description: 'Header that names the caller for fair sharing of the in-flight limit (e.g. x-api-key): a caller within its share (limit / callers with requests in flight) is admitted even when others fill the limit. Empty: one pool.',
  }),
  FLOWGATE_RETRY_AFTER_MAX_S: int({
    default: 30, min: 1, max: 3_600,
    description: 'Largest Retry-After a refusal carries; the value is computed from the backlog and the measured reply rate.',
  }),
  FLOWGATE_ADMISSION_WAIT_MS: int({
    default: 0, min: 0, max: 60_000,
    description: 'How long a request waits for a free in-flight slot before it gets 503 (0: refused at once).',
  }),
  FLOWGATE_MAX_BODY_BYTES: int({
    default: 1_048_576, min: 1, max: 64 * 1_048_576,
    description: 'Largest request body; larger ones get 413.',
  }),
  FLOWGATE_PRODUCE_TIMEOUT_MS: int({
    default: 2_000, min: 100, max: 60_000,
    description: 'How long a request waits for Kafka to acknowledge it before it gets 503.',
  }),
  FLOWGATE_REPLY_PARTITION: optionalInt({
    min: 0, max: 9_999,
    description: 'Fixed reply partition (e.g. a StatefulSet ordinal). Unset: lease a free one in Redis.',
  }),
  FLOWGATE_REPLY_LEASE_MS: int({
    default: 15_000, min: 1_000, max: 600_000,
    description: 'Time-to-live of the reply-partition lease; renewed every third of it.',
  }),
  FLOWGATE_ASYNC_TIMEOUT_MS: int({
    default: 60_000, min: 1, max: 3_600_000,
    description: 'Deadline of an async (Prefer: respond-async) request that sends no X-Timeout-Ms.',
  }),
  FLOWGATE_IDEMPOTENCY_TTL_S: int({
    default: 86_400, min: 1, max: 30 * 86_400,
    description: 'How long an Idempotency-Key is remembered.',
  }),
} as const;

/** Shortest admin token accepted: a guessable token would guard the code every processor runs. */
export const ADMIN_TOKEN_MIN_LENGTH = 16;

export type GatewayConfig = EnvValues<typeof GATEWAY_ENV>;

export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const config = readEnv(GATEWAY_ENV, env);
  // Cross-variable checks, at boot like the others, all reported together.
  const problems = [...authProblems(config), ...commonProblems(config)];
  for (const name of ['FLOWGATE_DEFAULT_TIMEOUT_MS', 'FLOWGATE_ASYNC_TIMEOUT_MS'] as const) {
    if (config[name] > config.FLOWGATE_MAX_TIMEOUT_MS) {
      problems.push(`${name}=${config[name]} is above FLOWGATE_MAX_TIMEOUT_MS=${config.FLOWGATE_MAX_TIMEOUT_MS}`);
    }
  }
  // The default minimum yields to a smaller maximum; one set on purpose must fit under it.
  if (env.FLOWGATE_MIN_INFLIGHT !== undefined && config.FLOWGATE_MIN_INFLIGHT > config.FLOWGATE_MAX_INFLIGHT) {
    problems.push(`FLOWGATE_MIN_INFLIGHT=${config.FLOWGATE_MIN_INFLIGHT} is above FLOWGATE_MAX_INFLIGHT=${config.FLOWGATE_MAX_INFLIGHT}`);
  }
  if (config.FLOWGATE_ADMIN_PORT !== 0 && config.FLOWGATE_ADMIN_PORT === config.FLOWGATE_GATEWAY_PORT) {
    problems.push(`FLOWGATE_ADMIN_PORT=${config.FLOWGATE_ADMIN_PORT} must differ from FLOWGATE_GATEWAY_PORT: internal endpoints stay off the public port`);
  }
  // Checked here rather than with a pattern: readEnv quotes a refused value, and this one is a secret.
  const token = config.FLOWGATE_ADMIN_TOKEN;
  if (token !== '' && (token.length < ADMIN_TOKEN_MIN_LENGTH || /\s/.test(token))) {
    problems.push(`FLOWGATE_ADMIN_TOKEN must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters without white space (it has ${token.length}), or unset to switch the admin API off`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
