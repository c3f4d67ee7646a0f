// A throwaway, non-persistent redis-server owned by this process; or a persistent primary, a
// replica and three Sentinels (startRedisSentinel) for the replicated stack.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';
import { assertPortFree, log, seconds, spawnServer, waitUntil } from './common.mjs';
import { ensureDebianTool } from './debian-tools.mjs';

/** Returns the path of redis-server, installing Debian's package first when running as root. */
export async function ensureRedisServer() {
  return (await ensureDebianTool('redis'))['redis-server'];
}

/** Runs `use` with a one-off client of the server at `url` (or port on 127.0.0.1), which fails at once when it is down. */
async function withClient(url, use) {
  const options = { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null };
  const client = typeof url === 'number' ? new Redis({ host: '127.0.0.1', port: url, ...options }) : new Redis(url, options);
  // Failures surface through the awaited calls; without a listener ioredis would also print them.
  client.on('error', () => {});
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

// Resolves with the server's process id once it answers PING.
export function probeRedis(url) {
  return withClient(url, async (client) => {
    if ((await client.ping()) !== 'PONG') throw new Error('unexpected PING reply');
    return Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
  });
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

/** How long Sentinel waits before it calls a silent primary down, and its time limit for a failover. */
const SENTINEL_DOWN_AFTER_MS = 1000;
const SENTINEL_FAILOVER_TIMEOUT_MS = 5000;
const SENTINELS = 3;

// A config file, not command-line options: Sentinel rewrites it (CONFIG REWRITE) when it turns a
// server into a replica or a primary, so a restarted server comes back in the role it had.
function dataNodeConfig({ port, dir, logFile, primaryPort }) {
  return `port ${port}
bind 127.0.0.1
dir ${dir}
logfile ${logFile}
save ""
appendonly yes
appendfsync everysec
${primaryPort ? `replicaof 127.0.0.1 ${primaryPort}\n` : ''}`;
}

function sentinelConfig({ port, dir, logFile, masterName, primaryPort }) {
  return `port ${port}
bind 127.0.0.1
dir ${dir}
logfile ${logFile}
sentinel monitor ${masterName} 127.0.0.1 ${primaryPort} 2
sentinel down-after-milliseconds ${masterName} ${SENTINEL_DOWN_AFTER_MS}
sentinel failover-timeout ${masterName} ${SENTINEL_FAILOVER_TIMEOUT_MS}
sentinel parallel-syncs ${masterName} 1
`;
}

/** Flat [key, value, ...] replies of SENTINEL commands as an object. */
const fields = (flat) => Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]));

/**
 * Starts a Redis primary with AOF (appendfsync everysec) on basePort, one replica on basePort + 1
 * and three Sentinels on basePort + 2 to + 4 watching them as `masterName` (quorum 2, a primary is
 * down after 1 s of silence), all under dataDir, logs in logDir. Resolves once the replica is in
 * sync and every Sentinel knows the replica and the other Sentinels, so a failover can start.
 *
 * Returns { sentinels: 'h:p,h:p,h:p', masterName, nodes: [{ port, pid, kill(), restart() }] (the
 * primary and the replica, as started), primaryPort() (the port the Sentinels name as primary
 * now), stop() }. kill() is a SIGKILL; restart() starts the server again on its data (killing it
 * first if it still runs) in the role Sentinel last gave it.
 */
export async function startRedisSentinel({ basePort = 26379, dataDir, logDir, masterName = 'flowgate' } = {}) {
  if (!dataDir || !logDir) throw new Error('startRedisSentinel needs dataDir and logDir');
  const redisServer = await ensureRedisServer();
  const redisSentinel = (await ensureDebianTool('redis-sentinel'))['redis-sentinel'];
  const ports = Array.from({ length: 2 + SENTINELS }, (_, i) => basePort + i);
  for (const port of ports) await assertPortFree(port, port < basePort + 2 ? 'redis' : 'redis sentinel');
  const start = Date.now();
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });

  const server = (kind, port, binary, config) => {
    const dir = join(dataDir, `${kind}-${port}`);
    const logFile = join(logDir, `${kind}-${port}.log`);
    const configFile = join(dir, `${kind}.conf`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(logFile, '');
    writeFileSync(configFile, config({ port, dir, logFile, masterName, primaryPort: basePort }));
    const member = { port, logFile, server: null };
    member.launch = () => {
      member.server = spawnServer(`${kind} ${port}`, binary, [configFile], { logFile, cwd: dir });
      return waitUntil(`${kind} on 127.0.0.1:${port}`, async () => {
        const pid = await probeRedis(port);
        if (pid !== member.server.child.pid) throw new Error(`port ${port} is answered by another redis (pid ${pid})`);
      }, { timeoutMs: 20_000, death: member.server.death, logFile });
    };
    return member;
  };
  const data = [
    server('redis', basePort, redisServer, (o) => dataNodeConfig({ ...o, primaryPort: undefined })),
    server('redis', basePort + 1, redisServer, dataNodeConfig),
  ];
  const sentinels = ports.slice(2).map((port) => server('sentinel', port, redisSentinel, sentinelConfig));
  const all = [...data, ...sentinels];
  const stop = async () => {
    await Promise.all(all.map((m) => m.server?.stop(20_000, { repeatMs: 1000 })));
  };
  try {
    await Promise.all(data.map((m) => m.launch()));
    await Promise.all(sentinels.map((m) => m.launch()));
    await waitUntil('redis replica in sync', () => withClient(basePort + 1, async (client) => {
      if (!(await client.info('replication')).includes('master_link_status:up')) throw new Error('replica link not up');
    }), { timeoutMs: 30_000, logFile: data[1].logFile });
    // Sentinels find the replica from the primary's INFO and each other through hello messages
    // every 2 s; a failover needs both.
    for (const sentinel of sentinels) {
      await waitUntil(`sentinel ${sentinel.port} to see the replica and the other sentinels`, () => withClient(sentinel.port, async (client) => {
        const master = fields(await client.call('SENTINEL', 'MASTER', masterName));
        if (Number(master['num-slaves']) < 1 || Number(master['num-other-sentinels']) < SENTINELS - 1) {
          throw new Error(`knows ${master['num-slaves']} replicas and ${master['num-other-sentinels']} other sentinels`);
        }
      }), { timeoutMs: 30_000, logFile: sentinel.logFile });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const sentinelList = sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
  log(`redis primary ${basePort}, replica ${basePort + 1} and sentinels ${sentinelList} ready as "${masterName}" (${seconds(start)})`);

  return {
    sentinels: sentinelList,
    masterName,
    nodes: data.map((m) => ({
      port: m.port,
      get pid() {
        return m.server.child.pid;
      },
      kill: () => m.server.kill(),
      async restart() {
        await m.server.kill();
        await assertPortFree(m.port, 'redis');
        await m.launch();
      },
    })),
    async primaryPort() {
      let lastError;
      for (const sentinel of sentinels) {
        try {
          const [, port] = await withClient(sentinel.port, (client) => client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName));
          return Number(port);
        } catch (err) {
          lastError = err;
        }
      }
      throw new Error(`no sentinel of ${sentinelList} answers: ${lastError?.message}`);
    },
    stop,
  };
}
