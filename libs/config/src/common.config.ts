import { hostname } from 'node:os';
import { DEFAULT_TOPIC_PREFIX } from '@flowgate/contracts';
import { hostPorts, int, oneOf, redisUrl, str } from './env-reader';

/** Variables every app reads. */
export const COMMON_ENV = {
  KAFKA_BROKERS: hostPorts({ default: '127.0.0.1:9092', description: 'Kafka bootstrap servers, comma-separated host:port.' }),
  REDIS_URL: redisUrl({ default: 'redis://127.0.0.1:6379', description: 'Redis URL (redis:// or rediss://).' }),
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
} as const;
