// A throwaway, non-persistent redis-server owned by this process.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';
import { assertPortFree, log, seconds, spawnServer, waitUntil } from './common.mjs';
import { ensureDebianTool } from './debian-tools.mjs';

/** Returns the path of redis-server, installing Debian's package first when running as root. */
export async function ensureRedisServer() {
  return (await ensureDebianTool('redis'))['redis-server'];
}

// Resolves with the server's process id once it answers PING.
export async function probeRedis(url, options = {}) {
  const client = new Redis(url, {
    ...options,
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Failures surface through the awaited calls; without a listener ioredis would also print them.
  client.on('error', () => {});
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') throw new Error('unexpected PING reply');
    return Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
  } finally {
    client.disconnect();
  }
}

/**
 * Starts redis-server on 127.0.0.1:<port> without persistence. Returns { url, pid, stop() }.
 * `security` (default: none, plain TCP) is how secure-redis.mjs serves TLS only, with ACL users:
 * { conf: a redis.conf (tls-*, users), probeUrl: the rediss:// URL of a user allowed PING and INFO,
 *   probeOptions: ioredis options for it (tls: { ca }) }.
 */
export async function startRedis({ port = 6379, dataDir, logFile, security } = {}) {
  if (!dataDir || !logFile) throw new Error('startRedis needs dataDir and logFile');
  const redisServer = await ensureRedisServer();
  await assertPortFree(port, 'redis');
  const start = Date.now();
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(dirname(logFile), { recursive: true });
  writeFileSync(logFile, '');

  // The config file carries secrets (user passwords), so they never show in the process list.
  const conf = security ? join(dataDir, 'redis.conf') : undefined;
  if (conf) writeFileSync(conf, security.conf, { mode: 0o600 });
  const listen = security ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
  const args = [...(conf ? [conf] : []), ...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const server = spawnServer('redis', redisServer, [...args, '--dir', dataDir, '--logfile', logFile], {
    logFile,
    cwd: dataDir,
  });
  const url = `${security ? 'rediss' : 'redis'}://127.0.0.1:${port}`;
  try {
    await waitUntil(`redis on ${url}`, async () => {
      const pid = await probeRedis(security?.probeUrl ?? url, security?.probeOptions);
      // The port was free a moment ago, but make sure we are talking to our own server.
      if (pid !== server.child.pid) throw new Error(`port ${port} is answered by another redis (pid ${pid})`);
    }, { timeoutMs: 20_000, death: server.death, logFile });
  } catch (err) {
    await server.stop(5_000);
    throw err;
  }
  log(`redis ready on ${url} (${seconds(start)})`);
  return { url, pid: server.child.pid, stop: () => server.stop(20_000) };
}
