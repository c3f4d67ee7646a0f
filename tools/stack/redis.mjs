// A throwaway, non-persistent redis-server owned by this process.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';
import { assertPortFree, log, seconds, spawnServer, waitUntil } from './common.mjs';

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(command) {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  return dirs.map((dir) => join(dir, command)).find(isExecutable) ?? null;
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env })
      .once('error', reject)
      .once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

/** Returns the path of redis-server, installing the Debian package first when running as root. */
export async function ensureRedisServer() {
  const found = findOnPath('redis-server');
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('redis-server is not installed; install it (e.g. `sudo apt-get install redis-server`) or set REDIS_URL');
  }
  const start = Date.now();
  log('redis-server not found; installing it with apt-get (first run only)');
  await run('apt-get', ['update']);
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server']);
  const installed = findOnPath('redis-server');
  if (!installed) throw new Error('apt-get installed redis-server but it is still not on PATH');
  log(`redis-server installed (${seconds(start)})`);
  return installed;
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
