import { randomBytes } from 'node:crypto';
import { Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createRedis, Redis } from './redis-client';
import { RedisConnection } from './redis-connection';
import { RedisModule } from './redis.module';

// The module against the real Redis that `npm test` starts.
const url = process.env.REDIS_URL;
if (!url) throw new Error('REDIS_URL must be set: run the end-to-end tests through `npm test`');

/** Two services of one app, each connecting on its own, and one that writes while shutting down. */
function appModule(options: { url: string; name: string }, onShutdown: (redis: RedisConnection) => Promise<void>) {
  @Injectable()
  class Lease implements OnApplicationShutdown {
    constructor(readonly redis: RedisConnection) {}
    onApplicationShutdown() {
      return onShutdown(this.redis);
    }
  }
  @Injectable()
  class Registry {
    constructor(readonly redis: RedisConnection) {}
  }
  @Module({ imports: [RedisModule.forRoot(options)], providers: [Lease, Registry] })
  class AppModule {}
  return { AppModule, Lease, Registry };
}

describe('RedisModule (real Redis)', () => {
  let observer: Redis;
  const named = async (name: string) => ((await observer.client('LIST')) as string).split('\n').filter((line) => line.includes(` name=${name} `));

  beforeAll(async () => {
    observer = createRedis(url, 'redis-module-spec-observer');
    await observer.connect();
  });
  afterAll(() => observer.disconnect());

  it('gives every service of an app the same client, on one connection whoever connects first', async () => {
    const name = `redis-module-spec-${randomBytes(3).toString('hex')}`;
    const { AppModule, Lease, Registry } = appModule({ url, name }, async () => undefined);
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const [lease, registry] = [app.get(Lease).redis, app.get(Registry).redis];
    expect(lease).toBe(registry);
    await Promise.all([lease.connect(), registry.connect()]);
    await registry.connect();
    expect(lease.ready).toBe(true);
    expect(await named(name)).toHaveLength(1);
    await app.close();
  });

  it('closes the connection at shutdown, after the app\'s own shutdown hooks have used it', async () => {
    const name = `redis-module-spec-${randomBytes(3).toString('hex')}`;
    const key = `${name}:released`;
    const { AppModule, Lease } = appModule({ url, name }, async (redis) => {
      await redis.client.set(key, 'yes', 'EX', 60);
    });
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const redis = app.get(Lease).redis;
    await redis.connect();
    await app.close();
    expect(await observer.get(key)).toBe('yes');
    expect(redis.client.status).toBe('end');
    expect(await named(name)).toHaveLength(0);
  });

  it('rejects connect() while Redis is out of reach, for every caller, and still shuts down', async () => {
    const { AppModule, Lease } = appModule({ url: 'redis://127.0.0.1:1', name: 'redis-module-spec-unreachable' }, async () => undefined);
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const redis = app.get(Lease).redis;
    const first = redis.connect();
    const second = redis.connect();
    await expect(first).rejects.toThrow();
    await expect(second).rejects.toThrow();
    // Reconnecting in the background: a later caller waits for that attempt and hears it fail.
    await expect(redis.connect()).rejects.toThrow('Connection is closed.');
    expect(redis.ready).toBe(false);
    await app.close();
  });

  it('starts a client again that ended without being closed (as a Sentinel client can after a failover), and not one closed on purpose', async () => {
    const connection = new RedisConnection({ url, name: 'redis-module-spec-ended', onError: () => undefined });
    await connection.connect();
    const ended = new Promise((resolve) => connection.client.once('end', resolve));
    connection.client.disconnect(); // ends the client as ioredis itself would: status 'end', no more retries
    await ended;
    await waitFor(() => connection.ready, 'the ended client ready again');
    expect(await connection.client.ping()).toBe('PONG');

    await connection.close();
    const endedAt = Date.now();
    await waitFor(() => Date.now() - endedAt > 2_000, 'longer than the restart delay');
    expect(connection.client.status).toBe('end');
  });
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
