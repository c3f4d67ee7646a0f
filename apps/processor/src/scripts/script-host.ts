import { Logger } from '@nestjs/common';
import type { ScriptManifest } from '@flowgate/contracts';
import type { Redis } from '@flowgate/redis';
import type { ScriptHost, ScriptKvStore, ScriptState } from '@flowgate/scripts';
import type { KeyedState } from '@flowgate/stream';

/** One `flowgate.emit` of a call, topic prefix included. */
export interface ScriptEmit {
  readonly topic: string;
  readonly key: string;
  readonly value: unknown;
}

/**
 * `flowgate.kv` of a script: Redis keys `script:<namespace>:<key>` (namespace: the manifest's, or
 * the script's name), so scripts cannot read each other's entries unless they share a namespace
 * on purpose.
 */
export function redisKv(redis: Redis, namespace: string): ScriptKvStore {
  const prefix = `script:${namespace}:`;
  return {
    get: (key) => redis.get(prefix + key),
    set: async (key, value, ttlSeconds) => {
      if (ttlSeconds === undefined) await redis.set(prefix + key, value);
      else await redis.set(prefix + key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
    },
    delete: async (key) => {
      await redis.del(prefix + key);
    },
  };
}

/** `flowgate.state` of a step script: the current key's entries in the job's stores. */
export function keyedScriptState(state: KeyedState): ScriptState {
  return {
    get: (store) => state.get(store),
    put: (store, value) => state.put(store, value),
    delete: (store) => state.delete(store),
  };
}

/**
 * The back ends of one call. The sandbox exposes only what the manifest grants, so a back end
 * here is reachable only through a granted capability.
 */
export function scriptHost(options: {
  readonly name: string;
  readonly version: number;
  readonly manifest: ScriptManifest;
  readonly requestId: string;
  readonly redis: Redis;
  readonly prefix: string;
  readonly logger: Logger;
  readonly emit: (emitted: ScriptEmit) => void;
  readonly state?: KeyedState;
}): ScriptHost {
  const { name, version, manifest, requestId, logger, prefix } = options;
  const kv = manifest.capabilities?.kv;
  return {
    ...(kv ? { kv: redisKv(options.redis, kv.namespace ?? name) } : {}),
    ...(options.state ? { state: keyedScriptState(options.state) } : {}),
    emit: (topic, key, value) => options.emit({ topic: prefix + topic, key, value }),
    log: (level, message, fields) => {
      // One structured line (the logger writes JSON): the script's fields, then the tags it cannot override.
      const line = { text: message, ...fields, script: name, version, requestId };
      if (level === 'error') logger.error(line);
      else if (level === 'warn') logger.warn(line);
      else logger.log(line);
    },
  };
}
