import Redis, { RedisOptions } from 'ioredis';

/** Sentinels that name the primary (`host:port` each), and the primary's name in their configuration. */
export interface RedisSentinelOptions {
  readonly sentinels: readonly string[];
  readonly masterName: string;
}

/**
 * An ioredis client that fails commands fast while disconnected (no offline queue), so a Redis
 * outage shows up as errors and readiness, not as requests piling up in memory.
 *
 * With `sentinel`, the client asks the Sentinels for the primary (on every reconnect, so a
 * failover is followed) and `url` gives only the credentials, db and TLS (`rediss:`) of the data
 * nodes; its host and port are not used. TLS applies to the Sentinels too; the credentials do
 * not (Sentinels are contacted without AUTH).
 */
export function createRedis(url: string, name: string, sentinel?: RedisSentinelOptions): Redis {
  const options: RedisOptions = {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  };
  if (!sentinel) return new Redis(url, options);
  const { username, password, pathname, protocol } = new URL(url);
  const tls = protocol === 'rediss:';
  return new Redis({
    ...options,
    sentinels: sentinel.sentinels.map(hostPort),
    name: sentinel.masterName,
    ...(username ? { username: decodeURIComponent(username) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
    db: Number(pathname.slice(1) || 0),
    ...(tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
    // Hears +switch-master from the Sentinels and reconnects at once, instead of at the next
    // failed command or not at all (a demoted primary that stays up answers READONLY).
    failoverDetector: true,
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
  });
}

function hostPort(entry: string): { host: string; port: number } {
  const at = entry.lastIndexOf(':');
  return { host: entry.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(entry.slice(at + 1)) };
}

export type { Redis };
