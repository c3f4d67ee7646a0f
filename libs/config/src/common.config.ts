import { hostname } from 'node:os';
import { DEFAULT_TOPIC_PREFIX, topicNames } from '@flowgate/contracts';
import { ConfigError, hostPorts, int, oneOf, redisUrl, str } from './env-reader';
import { HTTP_LIMITS_ENV, httpLimitsProblems } from './http-limits.config';

/** Variables every app reads. */
export const COMMON_ENV = {
  KAFKA_BROKERS: hostPorts({ default: '127.0.0.1:9092', description: 'Kafka bootstrap servers, comma-separated host:port.' }),
  KAFKA_SSL: oneOf({ default: 'false', values: ['true', 'false'] as const, description: 'TLS to Kafka (extra CAs: NODE_EXTRA_CA_CERTS).' }),
  KAFKA_SASL_MECHANISM: oneOf({
    default: '', values: ['', 'plain', 'scram-sha-256', 'scram-sha-512'] as const,
    description: 'SASL mechanism for Kafka; empty for none.',
  }),
  KAFKA_SASL_USERNAME: str({ default: '', description: 'SASL user name (with KAFKA_SASL_MECHANISM).' }),
  KAFKA_SASL_PASSWORD: str({ default: '', description: 'SASL password (with KAFKA_SASL_MECHANISM); keep it in a Secret.' }),
  REDIS_URL: redisUrl({ default: 'redis://127.0.0.1:6379', description: 'Redis URL (redis:// or rediss://).' }),
  REDIS_SENTINELS: hostPorts({
    default: '', optional: true,
    description: 'Redis Sentinels, comma-separated host:port: find the primary through them (REDIS_URL then gives only credentials, db and TLS).',
  }),
  REDIS_SENTINEL_MASTER: str({
    default: 'flowgate',
    pattern: /^[A-Za-z0-9._-]{1,100}$/,
    rule: '1 to 100 characters of A-Z a-z 0-9 . _ -',
    description: 'The primary\'s name in the Sentinels\' configuration (with REDIS_SENTINELS).',
  }),
  FLOWGATE_TOPIC_PREFIX: str({
    default: DEFAULT_TOPIC_PREFIX,
    pattern: /^[A-Za-z0-9._-]{0,100}$/,
    rule: 'up to 100 characters of A-Z a-z 0-9 . _ -',
    description: 'Prefix of every topic and consumer group, so colours or tenants can share a Kafka.',
  }),
  FLOWGATE_REQUEST_PARTITIONS: int({
    default: 8, min: 1, max: 10_000,
    description: 'Partitions of the requests topic: the upper bound of processor parallelism.',
  }),
  FLOWGATE_REPLY_PARTITIONS: int({
    default: 16, min: 1, max: 10_000,
    description: 'Partitions of the replies topic: one per live gateway, so the most gateways at once.',
  }),
  FLOWGATE_INSTANCE_ID: str({
    default: `${hostname()}-${process.pid}`,
    pattern: /^[A-Za-z0-9._-]{1,100}$/,
    rule: '1 to 100 characters of A-Z a-z 0-9 . _ -',
    description: 'Name of this process in logs, Kafka client ids and leases.',
  }),
  FLOWGATE_LOG_LEVEL: oneOf({
    default: 'info', values: ['error', 'warn', 'info', 'debug'] as const,
    description: 'Log level.',
  }),
  ...HTTP_LIMITS_ENV,
} as const;

export type KafkaSasl = { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };

/** TLS and SASL settings for the Kafka client, checked together (a mechanism needs credentials). */
export function kafkaSecurity(config: {
  KAFKA_SSL: 'true' | 'false';
  KAFKA_SASL_MECHANISM: '' | KafkaSasl['mechanism'];
  KAFKA_SASL_USERNAME: string;
  KAFKA_SASL_PASSWORD: string;
}): { ssl: boolean; sasl?: KafkaSasl } {
  const ssl = config.KAFKA_SSL === 'true';
  const mechanism = config.KAFKA_SASL_MECHANISM;
  if (mechanism === '') return { ssl };
  if (!config.KAFKA_SASL_USERNAME || !config.KAFKA_SASL_PASSWORD) {
    throw new ConfigError([`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`]);
  }
  return { ssl, sasl: { mechanism, username: config.KAFKA_SASL_USERNAME, password: config.KAFKA_SASL_PASSWORD } };
}

/** Cross-variable checks of the variables every app reads, all problems together (none: []). */
export function commonProblems(config: Parameters<typeof kafkaSecurity>[0] & Parameters<typeof httpLimitsProblems>[0]): string[] {
  const problems = httpLimitsProblems(config);
  try {
    kafkaSecurity(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  return problems;
}

/** Where the apps find Redis: REDIS_URL alone, or the primary the Sentinels name (RedisModuleOptions.sentinel). */
export function redisSentinel(config: { REDIS_SENTINELS: string[]; REDIS_SENTINEL_MASTER: string }): { sentinels: string[]; masterName: string } | undefined {
  return config.REDIS_SENTINELS.length > 0 ? { sentinels: config.REDIS_SENTINELS, masterName: config.REDIS_SENTINEL_MASTER } : undefined;
}

/**
 * The topics every app needs, with the configured partition counts (created if missing at boot).
 * Jobs' own topics come with the jobs: the processor creates those.
 */
export function coreTopics(config: { FLOWGATE_TOPIC_PREFIX: string; FLOWGATE_REQUEST_PARTITIONS: number; FLOWGATE_REPLY_PARTITIONS: number }): { topic: string; numPartitions: number; configs?: Record<string, string> }[] {
  const topics = topicNames(config.FLOWGATE_TOPIC_PREFIX);
  return [
    { topic: topics.requests, numPartitions: config.FLOWGATE_REQUEST_PARTITIONS },
    { topic: topics.replies, numPartitions: config.FLOWGATE_REPLY_PARTITIONS },
    { topic: topics.dlq, numPartitions: 1 },
    { topic: topics.timeouts, numPartitions: 1 },
    // One partition keeps the catalog in one order; compaction keeps the newest entry per route.
    { topic: topics.routes, numPartitions: 1, configs: { 'cleanup.policy': 'compact' } },
    // Script versions are the only copy of their source: compacted, never deleted by age.
    { topic: topics.scripts, numPartitions: 1, configs: { 'cleanup.policy': 'compact' } },
    // Audit records are kept for a year.
    { topic: topics.audit, numPartitions: 1, configs: { 'retention.ms': String(365 * 24 * 3600 * 1000) } },
    // A record per instance per second: compaction keeps each instance's newest, short segments let
    // it run often, and deletion by age drops what crashed instances left (readers ignore those
    // after STATUS_MAX_AGE_MS anyway), so a reader starting up reads minutes of records, not days.
    {
      topic: topics.status,
      numPartitions: 1,
      configs: { 'cleanup.policy': 'compact,delete', 'retention.ms': String(15 * 60_000), 'segment.ms': String(5 * 60_000), 'min.cleanable.dirty.ratio': '0.1' },
    },
  ];
}
