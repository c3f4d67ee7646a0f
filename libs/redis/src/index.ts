export type { Redis, RedisSentinelOptions } from './redis-client';
export * from './redis-access';
export * from './redis-connection';
export * from './redis.module';
export * from './slot-lease';
export * from './request-registry';
