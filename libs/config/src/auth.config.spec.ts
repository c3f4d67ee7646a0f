import { ConfigError, readGatewayConfig } from './index';

function problemsOf(env: Record<string, string>): string {
  try {
    readGatewayConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  return '';
}

describe('gateway authentication settings', () => {
  it('is anonymous by default, with the internal port on 9100', () => {
    const config = readGatewayConfig({});
    expect(config.FLOWGATE_AUTH).toBe('none');
    expect(config.FLOWGATE_ADMIN_PORT).toBe(9100);
    expect(config.FLOWGATE_API_KEY_HEADER).toBe('authorization');
    expect(config.FLOWGATE_API_KEYS_RELOAD_MS).toBe(2_000);
    expect(config.FLOWGATE_JWT_CALLER_CLAIM).toBe('sub');
    expect(config.FLOWGATE_JWT_CLOCK_SKEW_S).toBe(30);
    expect(config.FLOWGATE_JWT_ALGORITHMS).toBe('RS256,PS256,ES256,EdDSA');
  });

  it('refuses an unknown mode', () => {
    expect(problemsOf({ FLOWGATE_AUTH: 'basic' })).toMatch(/FLOWGATE_AUTH="basic": must be one of none, api-key, jwt/);
  });

  it('needs a key file for api-key', () => {
    expect(problemsOf({ FLOWGATE_AUTH: 'api-key' })).toMatch(/FLOWGATE_API_KEYS_FILE is required with FLOWGATE_AUTH=api-key/);
    expect(readGatewayConfig({ FLOWGATE_AUTH: 'api-key', FLOWGATE_API_KEYS_FILE: '/keys' }).FLOWGATE_API_KEYS_FILE).toBe('/keys');
  });

  it('names every missing jwt setting at once, with the other bad ones', () => {
    const problems = problemsOf({ FLOWGATE_AUTH: 'jwt', FLOWGATE_DEFAULT_TIMEOUT_MS: '70000', KAFKA_SASL_MECHANISM: 'plain' });
    expect(problems).toMatch(/needs exactly one of FLOWGATE_JWT_JWKS_URL and FLOWGATE_JWT_JWKS_FILE/);
    expect(problems).toMatch(/FLOWGATE_JWT_ISSUER is required with FLOWGATE_AUTH=jwt/);
    expect(problems).toMatch(/FLOWGATE_JWT_AUDIENCE is required with FLOWGATE_AUTH=jwt/);
    expect(problems).toMatch(/FLOWGATE_DEFAULT_TIMEOUT_MS=70000 is above FLOWGATE_MAX_TIMEOUT_MS/);
    expect(problems).toMatch(/KAFKA_SASL_MECHANISM=plain needs/);
  });

  it('takes one key source for jwt, not two', () => {
    const both = { FLOWGATE_AUTH: 'jwt', FLOWGATE_JWT_ISSUER: 'i', FLOWGATE_JWT_AUDIENCE: 'a', FLOWGATE_JWT_JWKS_URL: 'https://i/jwks', FLOWGATE_JWT_JWKS_FILE: '/jwks.json' };
    expect(problemsOf(both)).toMatch(/exactly one of/);
    const { FLOWGATE_JWT_JWKS_FILE: _file, ...url } = both;
    expect(readGatewayConfig(url).FLOWGATE_JWT_JWKS_URL).toBe('https://i/jwks');
  });

  it('refuses bad values of the jwt settings', () => {
    const problems = problemsOf({ FLOWGATE_JWT_ALGORITHMS: 'HS256', FLOWGATE_JWT_JWKS_URL: 'ftp://x', FLOWGATE_JWT_CLOCK_SKEW_S: '-1', FLOWGATE_API_KEY_HEADER: 'X Key' });
    expect(problems).toMatch(/FLOWGATE_JWT_ALGORITHMS="HS256": must be a comma-separated list of RS256/);
    expect(problems).toMatch(/FLOWGATE_JWT_JWKS_URL="ftp:\/\/x"/);
    expect(problems).toMatch(/FLOWGATE_JWT_CLOCK_SKEW_S="-1"/);
    expect(problems).toMatch(/FLOWGATE_API_KEY_HEADER="X Key": must be a lower-case header name/);
  });

  it('refuses authentication settings while FLOWGATE_AUTH=none: the gateway would look protected and be open', () => {
    const problems = problemsOf({ FLOWGATE_API_KEYS_FILE: '/keys', FLOWGATE_JWT_ISSUER: 'https://issuer' });
    expect(problems).toMatch(/FLOWGATE_API_KEYS_FILE is set but FLOWGATE_AUTH=none does not use it/);
    expect(problems).toMatch(/FLOWGATE_JWT_ISSUER is set but FLOWGATE_AUTH=none does not use it/);
    expect(problemsOf({ FLOWGATE_AUTH: 'api-key', FLOWGATE_API_KEYS_FILE: '/k', FLOWGATE_JWT_AUDIENCE: 'a' })).toMatch(/FLOWGATE_JWT_AUDIENCE is set but FLOWGATE_AUTH=api-key/);
  });

  it('keeps the internal port off the public one', () => {
    expect(problemsOf({ FLOWGATE_GATEWAY_PORT: '9100' })).toMatch(/FLOWGATE_ADMIN_PORT=9100 must differ from FLOWGATE_GATEWAY_PORT/);
    expect(readGatewayConfig({ FLOWGATE_ADMIN_PORT: '9200' }).FLOWGATE_ADMIN_PORT).toBe(9200);
  });
});
