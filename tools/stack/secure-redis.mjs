// redis-server serving TLS only (`--port 0`), with the default user off and an ACL user per flowgate app that
// may touch only its own keys with only the commands it sends (see the README, "Kafka and Redis with TLS, SASL
// and ACLs"). Used by the secure-stack e2e spec.
import { readFileSync } from 'node:fs';
import { startRedis } from './redis.mjs';

/** The apps that use Redis, each with a user of its own; `admin` may do everything. The console has no Redis. */
export const REDIS_APPS = ['gateway', 'processor', 'sweeper'];

// Every command the request registry's Lua scripts and its calls send (Redis checks the commands a script
// runs against the ACL of the user who runs it, and the keys too).
const REGISTRY_COMMANDS = ['evalsha', 'eval', 'exists', 'get', 'set', 'del', 'expire', 'pexpire', 'hget', 'hmget', 'hset', 'hgetall', 'hincrby', 'zadd', 'zrem', 'zrangebyscore', 'zcard'];
// What ioredis sends on connecting (AUTH, CLIENT SETNAME, INFO for its ready check) and closing.
const CONNECTION_COMMANDS = ['auth', 'hello', 'ping', 'quit', 'client|setname', 'info'];

/**
 * Keys (Redis patterns; `%R~` read-only) and commands of each app under the key prefix `p`
 * (FLOWGATE_TOPIC_PREFIX). The gateway and the sweeper share the request registry; the gateway leases
 * reply slots and claims script versions; the sweeper reads the leases; the processor's scripts have
 * `flowgate.kv` under `script:`.
 */
export function redisAcls(p) {
  const registry = [`${p}req:*`, `${p}registry:*`, `${p}handle:*`];
  return {
    gateway: { keys: [...registry, `${p}idem:*`, `${p}reply-slot:*`, `${p}script-version:*`], commands: REGISTRY_COMMANDS },
    sweeper: { keys: [...registry], readKeys: [`${p}reply-slot:*`], commands: [...REGISTRY_COMMANDS, 'mget'] },
    processor: { keys: ['script:*'], commands: ['get', 'set', 'del'] },
  };
}

/** The `user` lines of redis.conf for `redisAcls(prefix)`, `admin`, and the default user switched off. */
export function redisUserLines(prefix, passwords) {
  const lines = ['user default off', `user admin on >${passwords.admin} ~* &* +@all`];
  for (const [user, acl] of Object.entries(redisAcls(prefix))) {
    const keys = [...acl.keys.map((k) => `~${k}`), ...(acl.readKeys ?? []).map((k) => `%R~${k}`)];
    const commands = [...CONNECTION_COMMANDS, ...acl.commands].map((c) => `+${c}`);
    lines.push(`user ${user} on >${passwords[user]} resetchannels ${keys.join(' ')} -@all ${commands.join(' ')}`);
  }
  return lines;
}

/**
 * Starts the TLS-only redis on 127.0.0.1:`port` with the users of `redisUserLines`. `certs` come from
 * ensureTlsCerts; `passwords` maps `admin` and each of REDIS_APPS to its password.
 * Returns startRedis's { url: 'rediss://127.0.0.1:<port>', pid, stop() }.
 */
export async function startSecureRedis({ port, dataDir, logFile, certs, passwords, prefix }) {
  for (const user of ['admin', ...REDIS_APPS]) {
    // Kept to characters that need no quoting in redis.conf or a URL.
    if (!/^[A-Za-z0-9_-]{8,}$/.test(passwords[user] ?? '')) throw new Error(`secure redis: user ${user} needs a password of 8+ characters of A-Z a-z 0-9 _ -`);
  }
  const conf = [
    `tls-cert-file ${certs.cert}`,
    `tls-key-file ${certs.key}`,
    `tls-ca-cert-file ${certs.ca}`,
    // Clients prove who they are with their ACL user, not with a client certificate.
    'tls-auth-clients no',
    ...redisUserLines(prefix, passwords),
  ].join('\n') + '\n';
  return startRedis({
    port,
    dataDir,
    logFile,
    security: { conf, probeUrl: `rediss://admin:${passwords.admin}@127.0.0.1:${port}`, probeOptions: { tls: { ca: readFileSync(certs.ca, 'utf8') } } },
  });
}
