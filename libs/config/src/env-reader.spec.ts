import { ConfigError, jobModules, kafkaSecurity, readGatewayConfig, readProcessorConfig, readSweeperConfig, redisSentinel } from './index';

describe('readGatewayConfig', () => {
  it('gives documented defaults for an empty environment', () => {
    const config = readGatewayConfig({});
    expect(config.FLOWGATE_GATEWAY_PORT).toBe(8080);
    expect(config.FLOWGATE_DEFAULT_TIMEOUT_MS).toBe(10_000);
    expect(config.FLOWGATE_MAX_INFLIGHT).toBe(1024);
    expect(config.FLOWGATE_MAX_BODY_BYTES).toBe(1_048_576);
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.FLOWGATE_REPLY_PARTITION).toBeUndefined();
  });

  it('adapts the in-flight limit by default, within bounds that must fit together', () => {
    const config = readGatewayConfig({});
    expect(config).toMatchObject({ FLOWGATE_INFLIGHT_LIMIT: 'adaptive', FLOWGATE_MIN_INFLIGHT: 8, FLOWGATE_TARGET_QUEUE_MS: 25, FLOWGATE_TARGET_LOOP_DELAY_MS: 10, FLOWGATE_FAIRNESS_HEADER: '', FLOWGATE_RETRY_AFTER_MAX_S: 30 });
    // The default minimum yields to a small maximum...
    expect(readGatewayConfig({ FLOWGATE_MAX_INFLIGHT: '5' }).FLOWGATE_MAX_INFLIGHT).toBe(5);
    // ...one set on purpose does not.
    expect(() => readGatewayConfig({ FLOWGATE_MAX_INFLIGHT: '5', FLOWGATE_MIN_INFLIGHT: '6' })).toThrow(/FLOWGATE_MIN_INFLIGHT=6 is above FLOWGATE_MAX_INFLIGHT=5/);
    expect(() => readGatewayConfig({ FLOWGATE_INFLIGHT_LIMIT: 'gradient' })).toThrow(/FLOWGATE_INFLIGHT_LIMIT/);
    expect(() => readGatewayConfig({ FLOWGATE_FAIRNESS_HEADER: 'X API Key' })).toThrow(/FLOWGATE_FAIRNESS_HEADER/);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      readGatewayConfig({ FLOWGATE_GATEWAY_PORT: 'eighty', FLOWGATE_MAX_INFLIGHT: '0', REDIS_URL: 'http://x', KAFKA_BROKERS: 'nohost' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/FLOWGATE_GATEWAY_PORT="eighty": must be a whole number/);
    expect(problems).toMatch(/FLOWGATE_MAX_INFLIGHT="0": must be between 1 and 1000000/);
    expect(problems).toMatch(/REDIS_URL="http:\/\/x"/);
    expect(problems).toMatch(/KAFKA_BROKERS="nohost"/);
  });

  it('parses lists and optional numbers', () => {
    const config = readGatewayConfig({ KAFKA_BROKERS: 'a:1, b:2', FLOWGATE_REPLY_PARTITION: '3' });
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.FLOWGATE_REPLY_PARTITION).toBe(3);
  });
});

describe('kafkaSecurity', () => {
  it('is plain by default and needs credentials with a SASL mechanism', () => {
    expect(kafkaSecurity(readGatewayConfig({}))).toEqual({ ssl: false });
    expect(() => kafkaSecurity(readGatewayConfig({ KAFKA_SASL_MECHANISM: 'plain' }))).toThrow(/needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
    expect(kafkaSecurity(readGatewayConfig({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }))).toEqual({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
  });
});

describe('redisSentinel', () => {
  it('is off unless REDIS_SENTINELS names Sentinels, and then finds the primary by REDIS_SENTINEL_MASTER', () => {
    expect(redisSentinel(readGatewayConfig({}))).toBeUndefined();
    expect(redisSentinel(readSweeperConfig({ REDIS_SENTINELS: '' }))).toBeUndefined();
    expect(redisSentinel(readProcessorConfig({ FLOWGATE_JOBS: 'dist/examples/demo.js', REDIS_SENTINELS: 's1:26379, s2:26379' }))).toEqual({
      sentinels: ['s1:26379', 's2:26379'],
      masterName: 'flowgate',
    });
    expect(redisSentinel(readGatewayConfig({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_MASTER: 'cache-1' }))?.masterName).toBe('cache-1');
  });

  it('refuses a Sentinel list without ports and a master name with spaces, naming both', () => {
    expect(() => readGatewayConfig({ REDIS_SENTINELS: 's1:26379,s2', REDIS_SENTINEL_MASTER: 'my master' })).toThrow(
      /REDIS_SENTINELS="s1:26379,s2": must be a comma-separated list of host:port[\s\S]*REDIS_SENTINEL_MASTER="my master"/,
    );
  });
});

describe('readProcessorConfig', () => {
  const jobs = { FLOWGATE_JOBS: 'dist/examples/demo.js' };

  it('has no fail point by default, takes a known one, and names an unknown one', () => {
    expect(readProcessorConfig(jobs).FLOWGATE_FAILPOINT).toBe('');
    expect(readProcessorConfig({ ...jobs, FLOWGATE_FAILPOINT: 'after-output-before-commit' }).FLOWGATE_FAILPOINT).toBe('after-output-before-commit');
    expect(() => readProcessorConfig({ ...jobs, FLOWGATE_FAILPOINT: 'after-commit' })).toThrow(/FLOWGATE_FAILPOINT="after-commit": must be one of/);
  });

  it('needs at least one job module, and reads a list of them', () => {
    expect(() => readProcessorConfig({})).toThrow(/FLOWGATE_JOBS names no job module/);
    expect(() => readProcessorConfig({ FLOWGATE_JOBS: ' , ' })).toThrow(/FLOWGATE_JOBS names no job module/);
    expect(jobModules(readProcessorConfig({ FLOWGATE_JOBS: 'dist/examples/demo.js, @acme/pricing-jobs' }))).toEqual(['dist/examples/demo.js', '@acme/pricing-jobs']);
  });
});

describe('readGatewayConfig FLOWGATE_EVENT_ROUTE', () => {
  it('is empty by default (POST /event serves nothing) and takes a route name only', () => {
    expect(readGatewayConfig({}).FLOWGATE_EVENT_ROUTE).toBe('');
    expect(readGatewayConfig({ FLOWGATE_EVENT_ROUTE: 'greet' }).FLOWGATE_EVENT_ROUTE).toBe('greet');
    expect(() => readGatewayConfig({ FLOWGATE_EVENT_ROUTE: 'Not/A Route' })).toThrow(/FLOWGATE_EVENT_ROUTE/);
  });
});
