import { createRedis } from './redis-client';

describe('createRedis', () => {
  it('connects to the URL alone without Sentinels, failing fast while disconnected', () => {
    const { options } = createRedis('redis://:pw@cache.example:6380/2', 'spec');
    expect(options).toMatchObject({ host: 'cache.example', port: 6380, password: 'pw', db: 2, enableOfflineQueue: false, lazyConnect: true });
    expect(options.sentinels).toBeFalsy();
  });

  it('asks the Sentinels for the primary and takes only credentials, db and TLS from the URL', () => {
    const { options } = createRedis('rediss://app:p%40ss@ignored.example:1/3', 'spec', {
      sentinels: ['s1.example:26379', '[::1]:26380'],
      masterName: 'cache-1',
    });
    expect(options).toMatchObject({
      sentinels: [{ host: 's1.example', port: 26379 }, { host: '::1', port: 26380 }],
      name: 'cache-1',
      username: 'app',
      password: 'p@ss',
      db: 3,
      tls: {},
      enableTLSForSentinelMode: true,
      sentinelTLS: {},
      failoverDetector: true,
      enableOfflineQueue: false,
      connectionName: 'spec',
    });
    // The Sentinels get no AUTH (README: REDIS_SENTINELS).
    expect(options.sentinelPassword).toBeFalsy();
  });

  it('leaves credentials and TLS out when the URL has none', () => {
    const { options } = createRedis('redis://127.0.0.1:6379', 'spec', { sentinels: ['127.0.0.1:26379'], masterName: 'flowgate' });
    expect(options).toMatchObject({ db: 0, name: 'flowgate' });
    expect(options.password).toBeFalsy();
    expect(options.tls).toBeFalsy();
  });
});
