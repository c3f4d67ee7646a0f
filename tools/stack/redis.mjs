// A throwaway, non-persistent redis-server owned by this process.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Redis from 'ioredis';
import { assertPortFree, log, seconds, spawnServer, waitUntil } from './common.mjs';
import { ensureDebianTool } from './debian-tools.mjs';

/** Returns the path of redis-server, installing Debian's package first when running as root. */
export async function ensureRedisServer() {
  return (await ensureDebianTool('redis'))['redis-server'];
}

// Resolves with the server's process id once it answers PING.
export async function probeRedis(url) {
  const client = new Redis(url, {
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
 */
export async function startRedis({ port = 6379, dataDir, logFile } = {}) {
  if (!dataDir || !logFile) throw new Error('startRedis needs dataDir and logFile');
  const redisServer = await ensureRedisServer();
  await assertPortFree(port, 'redis');
  const start = Date.now();
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(dirname(logFile), { recursive: true });
  writeFileSync(logFile, '');

  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const server = spawnServer('redis', redisServer, [...args, '--dir', dataDir, '--logfile', logFile], {
    logFile,
    cwd: dataDir,
  });
  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitUntil(`redis on ${url}`, async () => {
      const pid = await probeRedis(url);
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
