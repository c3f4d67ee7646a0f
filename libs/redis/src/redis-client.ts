import Redis from 'ioredis';

/**
 * An ioredis client that fails commands fast while disconnected (no offline queue), so a Redis
 * outage shows up as errors and readiness, not as requests piling up in memory.
 */
export function createRedis(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}

export type { Redis };
